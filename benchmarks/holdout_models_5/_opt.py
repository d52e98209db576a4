"""Optimizer wrappers for the d-series hold-outs (not a model script, no EXPECTED)."""

import torch


class MuonWithAdamW(torch.optim.Optimizer):
    """The usual Muon recipe as one torch.optim.Optimizer: torch.optim.Muon for the 2-D hidden weight matrices,
    AdamW for everything else (embeddings, LM head, norms, biases -- `adamw_ids` names the 2-D ones that must
    go to AdamW). Its param_groups are the two inner optimizers' groups (the same dicts), so changing a
    group's lr changes the inner optimizer's."""

    def __init__(self, params, muon_lr=0.02, adamw_lr=1e-3, weight_decay=0.0, adamw_ids=frozenset()):
        params = list(params)
        mats = [p for p in params if p.ndim == 2 and id(p) not in adamw_ids]
        rest = [p for p in params if not (p.ndim == 2 and id(p) not in adamw_ids)]
        self.muon = torch.optim.Muon(mats, lr=muon_lr, weight_decay=weight_decay, adjust_lr_fn="match_rms_adamw")
        self.adamw = torch.optim.AdamW(rest, lr=adamw_lr, weight_decay=weight_decay)
        super().__init__([{"params": mats}, {"params": rest}], {"lr": adamw_lr})
        self.param_groups = self.muon.param_groups + self.adamw.param_groups

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        self.muon.step()
        self.adamw.step()
        return loss

    def state_dict(self):
        return {"muon": self.muon.state_dict(), "adamw": self.adamw.state_dict()}

    def load_state_dict(self, state_dict):
        self.muon.load_state_dict(state_dict["muon"])
        self.adamw.load_state_dict(state_dict["adamw"])
        self.param_groups = self.muon.param_groups + self.adamw.param_groups


class WarmupAdamW(torch.optim.AdamW):
    """AdamW that runs the usual Hugging Face schedule itself (transformers.get_linear_schedule_with_warmup:
    lr 0 at the first step, linear warm-up over `warmup` steps, then linear decay to 0 at `total`), because the
    script contract's optimizer(params) returns only an optimizer."""

    def __init__(self, params, lr=1e-3, warmup=10, total=1000, **kw):
        from transformers import get_linear_schedule_with_warmup

        super().__init__(params, lr=lr, **kw)
        self.schedule = get_linear_schedule_with_warmup(self, warmup, total)

    def step(self, closure=None):
        loss = super().step(closure)
        self.schedule.step()
        return loss
