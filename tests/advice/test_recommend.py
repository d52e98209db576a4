"""Recommendation bookkeeping: candidates, clipped share, ranking."""

from __future__ import annotations

from gradscope.advice.candidates import lr_scales
from gradscope.advice.recommend import _ranked
from gradscope.advice.replay import improved
from gradscope.data.records import Recommendation, Verified


def rec(action: str, before: float | None, after: float | None, **numbers: object) -> Recommendation:
    verified = None if before is None or after is None else Verified(before, after, improved(before, after))
    return Recommendation(action=action, numbers=numbers, why="GS102", how="", verified=verified)


def test_ranked_puts_the_biggest_verified_gain_first_and_drops_duplicates() -> None:
    clip = rec("clip_grad_norm", 100.0, 50.0, max_norm=1.0)
    init = rec("init", 100.0, 1.0, scheme="kaiming_normal_")
    advice = rec("batchnorm", None, None, layers=["0"])
    worse = rec("activation", 100.0, 101.0, replace="ReLU")
    out = _ranked([advice, worse, clip, init, clip])
    assert [r.action for r in out] == ["init", "clip_grad_norm", "batchnorm", "activation"]


def test_after_a_nan_run_the_fix_reaching_the_lower_loss_comes_first() -> None:
    # Both beat a NaN run; clipping kept the loss at 1e4, a better init brought it to 2.9.
    clip = rec("clip_grad_norm", float("nan"), 1.18e4, max_norm=1.0)
    init = rec("init", float("nan"), 2.94, scheme="kaiming_normal_")
    assert [r.action for r in _ranked([clip, init])] == ["init", "clip_grad_norm"]


def test_improved_needs_a_clear_drop_and_a_finite_loss() -> None:
    assert improved(1.0, 0.9)
    assert not improved(1.0, 0.99)  # within the 2% noise margin
    assert not improved(1.0, float("nan"))
    assert improved(float("nan"), 3.0)  # anything finite beats a NaN run


def test_lr_range_includes_the_ratio_derived_scale_in_the_right_direction() -> None:
    up = lr_scales("up", 1e-7)
    assert min(up) > 1 and any(abs(s - 1e4) / 1e4 < 0.5 for s in up)
    down = lr_scales("down", 0.3)
    assert max(down) < 1 and any(abs(s - 1e-3 / 0.3) / (1e-3 / 0.3) < 0.5 for s in down)
