"""A PPO policy at a learning rate far too high (issue 23, story 2).

A PPO actor in stable-baselines3's default MlpPolicy shape (8 -> 64 tanh -> 64 tanh -> 4
action logits, the head initialised small as SB3 does, orthogonal gain 0.01) trained on fixed
rollouts with PPO's clipped surrogate loss (ratio clip 0.2, advantages and old log-probabilities
from the initial policy) by Adam at lr 2.0, where PPO's usual rate is 3e-4.

The first steps move the weights by a large share of their size; the policy's probability
ratios then leave the clip range for every sample, the clipped objective passes no gradient,
and the actor's gradients fall towards zero: a fade that came of the overshoot, not of the
architecture. At Adam 3e-4 the same actor's surrogate falls steadily. Running this file prints
the per-step table (python tests/scripts/stories/tanh_policy_lr_high.py).
"""

import torch
from torch import nn

STATES, ACTIONS, WIDTH, BATCH, BATCHES, CLIP = 8, 4, 64, 64, 4, 0.2
LR = 2.0

torch.manual_seed(5)  # the weights do not depend on gradscope's --seed
model = nn.Sequential(
    nn.Linear(STATES, WIDTH), nn.Tanh(), nn.Linear(WIDTH, WIDTH), nn.Tanh(), nn.Linear(WIDTH, ACTIONS)
)
nn.init.orthogonal_(model[4].weight, gain=0.01)
nn.init.zeros_(model[4].bias)

_gen = torch.Generator().manual_seed(6)
_states = torch.randn(BATCHES * BATCH, STATES, generator=_gen)
with torch.no_grad():
    _old = torch.distributions.Categorical(logits=model(_states))
    _actions = torch.multinomial(_old.probs, 1, generator=_gen).squeeze(1)
    _old_logp = _old.log_prob(_actions)
_adv = torch.randn(BATCHES * BATCH, generator=_gen)
_adv = (_adv - _adv.mean()) / _adv.std()
data = list(zip(_states.split(BATCH), _actions.split(BATCH), _adv.split(BATCH), _old_logp.split(BATCH), strict=True))


def compute_loss(net, batch):
    states, actions, adv, old_logp = batch
    logp = torch.distributions.Categorical(logits=net(states)).log_prob(actions)
    ratio = torch.exp(logp - old_logp)
    return -torch.min(ratio * adv, torch.clamp(ratio, 1 - CLIP, 1 + CLIP) * adv).mean()


def optimizer(params):
    return torch.optim.Adam(params, lr=LR)


if __name__ == "__main__":
    from _loop import main

    main(model, data, optimizer, lambda batch: compute_loss(model, batch))


EXPECTED = {
    "verdict": "unstable",
    "layers": {},
    "others": ["healthy"],
    "recommend": ["learning_rate"],
}
