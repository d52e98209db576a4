"""The measuring engine under both `gradscope diagnose` and `gradscope.watch`.

A Probe attaches to an optimizer through `register_step_pre_hook` and
`register_step_post_hook`, so it sees exactly the gradients the optimizer steps on
(after the user's clipping, accumulation and GradScaler unscaling) and the real
update the optimizer made. Its parts:

- layout:      which tensors are measured, under which layer (found once per model)
- snapshot:    the weights before the step, in one flat buffer per (device, dtype)
- plan:        how a step's per-entry figures become per-layer figures
- losses:      which step a handed-over loss belongs to
- skips:       the steps a GradScaler skipped
- distributed: per-rank sums made the job's under DDP and FSDP2, in one collective
- hooks:       attaching the step hooks, numbering the steps, choosing the recorded ones
- measure:     the measuring of a recorded step, read to the host in one transfer, with
  grads (gradient figures), weights (weight and update figures), reduce (the batched
  reductions) and frozen (frozen layers' weight norms)
- nonfinite:   redoing a step's figures when one came back NaN or Inf
- core:        the Probe itself: the facade its callers use, and the hook callbacks
"""

from gradscope.probe.core import Probe, StepLog
from gradscope.probe.layout import Layout, discover, role_of
from gradscope.probe.snapshot import in_pieces

__all__ = ["Layout", "Probe", "StepLog", "discover", "in_pieces", "role_of"]
