"""Healthy: tiny ViT (conv patch embedding, cls token, pre-norm encoder) trained with AdamW.

cls_token and pos_embed belong to the root module (layer "(root)"); the encoder layers are
torch's nn.TransformerEncoderLayer (norm_first), whose attention owns in_proj_weight directly
("encoder.layers.N.self_attn") plus an out_proj Linear. AdamW(lr=1e-3, weight_decay=0.05).

Measured (plain loop, 20 steps): loss 1.363 -> 0.442 (first3 1.24, last3 0.45).
Mean grad norm / ||dW||/||W||: (root) 3.5 / 0.41, patch_embed 0.72 / 0.067,
encoder.layers.0.self_attn 0.89 / 0.060, linear1/2 0.3-0.6 / 0.09-0.14, LayerNorms
0.05-0.3 / ~0.01, head 0.78 / 0.11. No NaN/Inf.
"""

from collections.abc import Iterable

import torch
from torch import nn

_g = torch.Generator().manual_seed(4)
_IMG, _PATCH, _CLASSES = 16, 4, 4


class TinyViT(nn.Module):
    def __init__(self, dim: int = 32, depth: int = 2, heads: int = 4, classes: int = _CLASSES) -> None:
        super().__init__()
        n_patches = (_IMG // _PATCH) ** 2
        self.patch_embed = nn.Conv2d(1, dim, kernel_size=_PATCH, stride=_PATCH)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(0.02 * torch.randn(1, n_patches + 1, dim))
        layer = nn.TransformerEncoderLayer(
            dim, heads, 2 * dim, dropout=0.0, activation="gelu", batch_first=True, norm_first=True
        )
        self.encoder = nn.TransformerEncoder(layer, depth, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        tokens = self.patch_embed(x).flatten(2).transpose(1, 2)
        tokens = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), tokens], dim=1)
        h = self.encoder(tokens + self.pos_embed)
        return self.head(self.norm(h[:, 0]))


def _make_data(n_batches: int = 6, bs: int = 64) -> list[tuple[torch.Tensor, torch.Tensor]]:
    templates = torch.randn(_CLASSES, 1, _IMG, _IMG, generator=_g)
    y = torch.randint(0, _CLASSES, (n_batches * bs,), generator=_g)
    x = templates[y] + 1.5 * torch.randn(n_batches * bs, 1, _IMG, _IMG, generator=_g)
    return [(x[i * bs : (i + 1) * bs], y[i * bs : (i + 1) * bs]) for i in range(n_batches)]


model = TinyViT()
data = _make_data()


def optimizer(params: Iterable[nn.Parameter]) -> torch.optim.Optimizer:
    return torch.optim.AdamW(params, lr=1e-3, weight_decay=0.05)


EXPECTED: dict[str, object] = {
    "verdict": "healthy",
    "layers": {
        "(root)": "healthy",
        "patch_embed": "healthy",
        "encoder.layers.0.self_attn": "healthy",
        "encoder.layers.1.linear2": "healthy",
        "head": "healthy",
    },
    "others": ["healthy"],
}
