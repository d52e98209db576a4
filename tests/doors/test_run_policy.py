"""A policy-gradient script's policy: its entropy measured (`gradscope run` finds the distributions,
`watch` takes them from `w.policy`) and judged.

tests/scripts/run/policy_bandit.py is a REINFORCE loop over a contextual bandit (its docstring
has the plain measurements): at Adam 1e-2 the policy sharpens over tens of steps as it learns;
at 0.3 it is near-certain of its arms after a few steps and stays behind. Its loss, the
REINFORCE objective, changes sign: no rule may read progress from it.
"""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path
from typing import Any

import harness
import pandas as pd
import pytest
import torch
from harness import SCRIPTS
from matplotlib.figure import Figure

import gradscope
from gradscope.probe.policies import Entropies
from gradscope.render.json import load
from gradscope.render.plots import loss_gradnorm

BANDIT = SCRIPTS / "run" / "policy_bandit.py"


def run_bandit(tmp_path: Path, lr: float, steps: int) -> tuple[dict[str, Any], pd.DataFrame]:
    out, csv = tmp_path / f"run-{lr}-{steps}.json", tmp_path / f"run-{lr}-{steps}.csv"
    result = harness.invoke(
        "run", "--fail-on", "never", "--steps", steps, "--json", out, "--csv", csv, BANDIT, "--lr", lr
    )
    assert result.exit_code == 0, result.output
    report = dict(json.loads(out.read_text()))
    # A saved report gives the entropy back to the rules (a re-judged or re-rendered run).
    assert [s.policy_entropy for s in load(out).record.steps] == [s["policy_entropy"] for s in report["steps"]]
    return report, pd.read_csv(csv)


@pytest.mark.parametrize("steps", [10, 30])
def test_a_policy_collapsed_by_a_rate_far_too_high_is_unstable_at_any_length(tmp_path: Path, steps: int) -> None:
    report, table = run_bandit(tmp_path, 0.3, steps)
    assert report["verdict"] == "unstable"
    (finding,) = [f for f in report["findings"] if f["code"] == "GS301"]
    evidence = finding["evidence"]
    # Near-certain within a few steps, a quarter or more of the spread gone in one of them.
    assert evidence["policy_entropy_first"] > 0.9
    assert evidence["policy_entropy_collapsed"] <= 0.1
    assert evidence["collapse_step"] < 10 and evidence["plunge"] >= 0.25
    assert "the policy is unstable" in finding["message"]
    assert report["recommendations"][0]["action"] == "learning_rate"
    # Every step carries the entropy it was judged by, in the JSON and the table alike.
    shares = [s["policy_entropy"] for s in report["steps"]]
    assert len(shares) == steps and all(0.0 <= v <= 1.0 for v in shares)
    rows = table[table["metric"] == "policy_entropy"]
    assert rows["value"].tolist() == pytest.approx(shares)


def test_a_policy_that_sharpens_as_it_learns_is_healthy(tmp_path: Path) -> None:
    report, _ = run_bandit(tmp_path, 0.01, 40)
    assert report["verdict"] == "healthy", report["findings"]
    shares = [s["policy_entropy"] for s in report["steps"]]
    assert shares[0] > 0.9 and shares[-1] < 0.3  # it did grow confident
    # The REINFORCE objective changes sign: the note says why the loss rules left it alone.
    losses = [s["loss"] for s in report["steps"]]
    assert min(losses) < 0 < max(losses)
    assert any("policy-gradient objective" in note and "GS303" in note for note in report["notes"])


def test_entropy_is_a_share_of_its_maximum_averaged_over_every_row_the_step_learns_from() -> None:
    entropies = Entropies()
    assert entropies.take(torch.device("cpu")) is None
    uniform = torch.zeros(3, 4, requires_grad=True)
    entropies.add(torch.distributions.Categorical(logits=uniform))  # 1 each
    certain = torch.tensor([[50.0, 0.0, 0.0, 0.0]], requires_grad=True)
    entropies.add(torch.distributions.Categorical(logits=certain))  # about 0
    entropies.add(torch.distributions.Categorical(probs=torch.ones(2, 1, requires_grad=True)))  # one action
    # Acting under no_grad (a rollout): the same policy, no gradient through it, not counted.
    entropies.add(torch.distributions.Categorical(logits=torch.tensor([[50.0, 0.0, 0.0, 0.0]] * 5)))
    taken = entropies.take(torch.device("cpu"))
    assert taken is not None and taken.dtype == torch.float64
    assert taken.item() == pytest.approx(3 / 4, abs=1e-6)
    assert entropies.take(torch.device("cpu")) is None  # taken once


def test_a_one_hot_categorical_is_seen_through_the_categorical_it_builds(tmp_path: Path) -> None:
    script = harness.write_script(
        tmp_path,
        """
import torch
net = torch.nn.Linear(3, 5)
opt = torch.optim.SGD(net.parameters(), lr=0.1)
for _ in range(6):
    dist = torch.distributions.OneHotCategorical(logits=net(torch.randn(8, 3)))
    loss = -(dist.log_prob(dist.sample())).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
""",
    )
    out = tmp_path / "run.json"
    result = harness.invoke("run", "--fail-on", "never", "--json", out, script)
    assert result.exit_code == 0, result.output
    shares = [s.get("policy_entropy") for s in json.loads(out.read_text())["steps"]]
    assert len(shares) == 6 and all(v is not None and 0.5 < v <= 1.0 for v in shares)


def test_a_script_without_a_policy_reports_no_entropy(tmp_path: Path) -> None:
    out = tmp_path / "run.json"
    result = harness.invoke("run", "--fail-on", "never", "--steps", 5, "--json", out, SCRIPTS / "run" / "gan.py")
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    assert all("policy_entropy" not in s for s in report["steps"])
    assert not any("policy-gradient" in note for note in report["notes"])
    assert all(math.isfinite(s["total_grad_norm"]) for s in report["steps"])


def test_watch_takes_the_policy_handed_over_and_judges_it() -> None:
    torch.manual_seed(0)
    policy = torch.nn.Sequential(torch.nn.Linear(8, 64), torch.nn.Tanh(), torch.nn.Linear(64, 4))
    policy.eval()  # a watch leaves the mode as it came in
    optimizer = torch.optim.Adam(policy.parameters(), lr=0.5)
    directions = torch.randn(4, 8)
    with gradscope.watch(policy, optimizer, every=2) as w:
        for _ in range(20):
            contexts = torch.randn(128, 8)
            arms = torch.distributions.Categorical(logits=policy(contexts))
            w.policy(arms)
            chosen = arms.sample()
            reward = (chosen == (contexts @ directions.T).argmax(1)).float()
            loss = -(arms.log_prob(chosen) * (reward - reward.mean())).mean()
            w.loss(loss)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    shares = [s.policy_entropy for s in w.record().steps]
    # Every second step is recorded, with the distribution of its own iteration only.
    assert len(shares) == 10 and all(v is not None for v in shares)
    assert shares[0] > 0.9 and min(v for v in shares if v is not None) < 0.1
    report = w.report()
    assert report.verdict.value == "unstable"
    assert any(f.code == "GS301" and "collapse_step" in f.evidence for f in report.findings)
    assert not policy.training
    # The loss plot shows what the policy was judged by, on an axis of its own.
    figure = Figure()
    loss_gradnorm(figure, report)
    assert [ax.get_ylabel() for ax in figure.axes if "policy" in ax.get_ylabel()] == ["policy entropy (share of ln K)"]


def test_a_classifier_scored_with_categorical_log_prob_is_no_policy(tmp_path: Path) -> None:
    """It never samples: its distributions are predictions, its loss a likelihood whose level the
    loss rules read as they always do (here it climbs: Adam at 3 on a tanh net)."""
    script = harness.write_script(
        tmp_path,
        """
import torch
torch.manual_seed(0)
net = torch.nn.Sequential(torch.nn.Linear(16, 64), torch.nn.Tanh(), torch.nn.Linear(64, 64), torch.nn.Tanh(),
                          torch.nn.Linear(64, 10))
opt = torch.optim.Adam(net.parameters(), lr=3.0)
x, y = torch.randn(256, 16), torch.randint(0, 10, (256,))
for _ in range(20):
    loss = -torch.distributions.Categorical(logits=net(x)).log_prob(y).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
""",
    )
    out = tmp_path / "run.json"
    result = harness.invoke("run", "--fail-on", "never", "--json", out, script)
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    assert all("policy_entropy" not in s for s in report["steps"])
    assert not any("policy-gradient" in note for note in report["notes"])
    assert report["verdict"] == "unstable"
    assert any(f["code"] == "GS301" and "loss_peak" in f["evidence"] for f in report["findings"])


def test_recorded_steps_k_apart_are_judged_by_their_fall_a_step(tmp_path: Path) -> None:
    """Under --every 5 the policy at its healthy rate falls by more than a quarter between two
    recorded steps; a step's share of that fall is no plunge."""
    out = tmp_path / "run.json"
    result = harness.invoke("run", "--fail-on", "never", "--every", 5, "--steps", 8, "--json", out, BANDIT)
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    shares = [s["policy_entropy"] for s in report["steps"]]
    assert max(a - b for a, b in itertools.pairwise(shares)) >= 0.25  # over five steps
    assert report["verdict"] == "healthy", report["findings"]


ACTOR_CRITIC = """
import torch
torch.manual_seed(0)
actor = torch.nn.Sequential(torch.nn.Linear(8, 64), torch.nn.Tanh(), torch.nn.Linear(64, 4))
critic = torch.nn.Sequential(torch.nn.Linear(8, 64), torch.nn.Tanh(), torch.nn.Linear(64, 1))
actor_opt = torch.optim.Adam(actor.parameters(), lr=LR)
critic_opt = torch.optim.Adam(critic.parameters(), lr=LR)
directions = torch.randn(4, 8)
for _ in range(30):
    contexts = torch.randn(128, 8)
    arms = torch.distributions.Categorical(logits=actor(contexts))
    chosen = arms.sample()
    reward = (chosen == (contexts @ directions.T).argmax(1)).float()
    value = critic(contexts).squeeze(1)
    actor_loss = -(arms.log_prob(chosen) * (reward - value.detach())).mean()
    critic_loss = (value - reward).pow(2).mean()
    actor_opt.zero_grad()
    actor_loss.backward()
    actor_opt.step()
    critic_opt.zero_grad()
    critic_loss.backward()
    critic_opt.step()
"""


@pytest.mark.parametrize(("lr", "verdict"), [("0.3", "unstable"), ("1e-2", "healthy")])
def test_an_actor_and_a_critic_stepped_apart_are_judged_by_the_policy(tmp_path: Path, lr: str, verdict: str) -> None:
    """Two optimizers each stepped on its own loss leave no one loss curve: the policy is judged
    all the same."""
    script = harness.write_script(tmp_path, ACTOR_CRITIC.replace("LR", lr))
    out = tmp_path / "run.json"
    result = harness.invoke("run", "--fail-on", "never", "--steps", 20, "--json", out, script)
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    assert report["verdict"] == verdict, report["findings"]
    assert any("no one loss curve" in note for note in report["notes"])


def test_data_drawn_from_a_categorical_does_not_make_a_classifier_a_policy(tmp_path: Path) -> None:
    """Labels drawn once, and a batch's noise drawn once a step, are no acting."""
    script = harness.write_script(
        tmp_path,
        """
import torch
torch.manual_seed(0)
net = torch.nn.Linear(16, 10)
opt = torch.optim.Adam(net.parameters(), lr=1e-3)
x = torch.randn(256, 16)
y = torch.distributions.Categorical(logits=x[:, :10] * 3).sample()
for _ in range(12):
    keep = torch.distributions.Categorical(probs=torch.ones(256, 2)).sample().bool()
    loss = -torch.distributions.Categorical(logits=net(x[keep])).log_prob(y[keep]).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
""",
    )
    out = tmp_path / "run.json"
    result = harness.invoke("run", "--fail-on", "never", "--json", out, script)
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    assert all("policy_entropy" not in s for s in report["steps"])
    assert not any("policy-gradient" in note for note in report["notes"])


def test_a_categorical_subclass_is_measured_without_touching_what_it_overrides(tmp_path: Path) -> None:
    """A subclass whose entropy() needs what it sets after Categorical.__init__, and one that
    builds itself again with masked logits: the script runs as it does alone, and samples
    only the actions it allows."""
    script = harness.write_script(
        tmp_path,
        """
import torch

class Tempered(torch.distributions.Categorical):
    def __init__(self, logits, temperature):
        super().__init__(logits=logits / temperature)
        self.temperature = temperature

    def entropy(self):
        return super().entropy() * self.temperature

class Masked(torch.distributions.Categorical):
    def __init__(self, logits, mask):
        super().__init__(logits=logits)
        super().__init__(logits=logits.masked_fill(~mask, -1e9))

torch.manual_seed(0)
net = torch.nn.Linear(4, 3)
opt = torch.optim.SGD(net.parameters(), lr=0.01)
mask = torch.tensor([True, True, False])
drawn = []
for _ in range(8):
    out = net(torch.randn(32, 4))
    policy = Masked(out, mask)
    action = policy.sample()
    drawn.append(action)
    loss = -(policy.log_prob(action) + Tempered(out, 2.0).entropy()).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
assert not (torch.cat(drawn) == 2).any(), "a masked action was drawn"
""",
    )
    out = tmp_path / "run.json"
    result = harness.invoke("run", "--fail-on", "never", "--json", out, script)
    assert result.exit_code == 0, result.output
    shares = [s.get("policy_entropy") for s in json.loads(out.read_text())["steps"]]
    assert len(shares) == 8 and all(v is not None and 0.0 < v < 1.0 for v in shares)
