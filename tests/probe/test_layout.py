"""Which tensors are measured under which layer (layout.py): shared, frozen and unheld parameters."""

from __future__ import annotations

import pytest
import torch
from probe_reference import assert_figures, ce, make_batches, mlp, train
from torch import nn


class TiedLM(nn.Module):
    def __init__(self, vocab: int = 11, dim: int = 8, out_bias: bool = True) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, dim)
        self.mix = nn.Linear(dim, dim)
        self.out = nn.Linear(dim, vocab, bias=out_bias)
        self.out.weight = self.emb.weight  # tied

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(torch.tanh(self.mix(self.emb(x))))


@pytest.mark.parametrize("out_bias", [True, False])
def test_tied_weight_is_measured_once_under_its_first_owner(out_bias: bool) -> None:
    torch.manual_seed(0)
    model = TiedLM(out_bias=out_bias)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    g = torch.Generator().manual_seed(2)
    batches = [(torch.randint(0, 11, (8,), generator=g), torch.randint(0, 11, (8,), generator=g)) for _ in range(3)]
    records, expected, layout = train(model, opt, batches, ce)
    names = [layer.name for layer in layout.layers]
    assert names == (["emb", "mix", "out"] if out_bias else ["emb", "mix"])
    emb = layout.layers[0]
    assert emb.shared_with == ("out",), "the first owner's LayerInfo names the other module"
    assert emb.params == 11 * 8
    assert sum(layer.params for layer in layout.layers) == sum(p.numel() for p in model.parameters()), (
        "a shared tensor is counted once"
    )
    if out_bias:
        assert layout.layers[2].params == 11  # only its own bias
        assert layout.layers[2].shared_with == ()
    assert_figures(records, expected)
    # The shared weight's gradient holds both uses (lookup and output projection).
    w = model.emb.weight
    assert records[0].grad_norm[0] > 0 and w.grad is not None


def test_frozen_layer_is_not_trainable_and_never_moves() -> None:
    model = mlp(seed=1)
    model[0].requires_grad_(False)
    frozen_before = model[0].weight.detach().clone()
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    records, expected, layout = train(model, opt, make_batches(4, 6, 3), ce)
    first = layout.layers[0]
    assert first.name == "0"
    assert first.trainable is False
    assert [layer.trainable for layer in layout.layers[1:]] == [True, True]
    for rec in records:
        assert rec.has_grad[0] is False
        assert rec.grad_norm[0] == 0.0
        assert rec.update_norm[0] == 0.0
    assert torch.equal(model[0].weight, frozen_before)
    # The trainable layers are measured as usual.
    for rec, exp in zip(records, expected, strict=True):
        for i in (1, 2):
            assert rec.grad_norm[i] == pytest.approx(exp.grad[i], rel=1e-5)
            assert rec.update_norm[i] == pytest.approx(exp.update[i], rel=1e-5)
        assert rec.total_grad_norm == pytest.approx(exp.total, rel=1e-5)


def test_parameter_not_held_by_the_optimizer_gets_a_gradient_but_does_not_move() -> None:
    model = mlp(seed=2)
    held = [p for name, p in model.named_parameters() if not name.startswith("2.")]
    opt = torch.optim.SGD(held, lr=0.1)
    records, expected, layout = train(model, opt, make_batches(4, 6, 3), ce)
    assert [layer.optimized for layer in layout.layers] == [True, False, True]
    for rec in records:
        assert rec.grad_norm[1] > 0.0
        assert rec.update_norm[1] == 0.0
        assert rec.has_grad[1] is True
    assert_figures(records, expected)
