"""A fix for `rave export --prior` in acids-rave 2.3.1.

RAVE's `TraceModel` keeps the prior's last prediction in a `previous_step` buffer of batch size 1
and copies each new prediction into it. nn~'s multichannel objects (mc.nn~) and nn_tilde's own
export check call `prior` with a batch of 4, and the copy fails ([4, C, 1] into [1, C, 1]).
The fix gives the buffer one row per possible batch entry (cached_conv's MAX_BATCH_SIZE, the same
bound RAVE's cached convolutions use) and reads/writes only the rows of the current batch.
Everything else is RAVE's own export.
"""

from __future__ import annotations

import cached_conv as cc


def batch_safe(trace_model: type) -> type:
    class BatchSafePriorTrace(trace_model):
        def __init__(self, pretrained, model):
            super().__init__(pretrained, model)
            self.previous_step = self.previous_step.repeat(cc.MAX_BATCH_SIZE, 1, 1)

        def step_forward(self, temp):
            batch = temp.shape[0]
            x = self.pretrained.forward(self.previous_step[:batch])
            x = x / temp
            x = self.pretrained.post_process_prediction(x, argmax=False)
            self.previous_step[:batch].copy_(x.clone())

            x = self.pretrained.quantized_normal.decode(x)
            x = self.pre_diag_cache(x)
            x = self.pretrained.diagonal_shift.inverse(x)
            return x

    BatchSafePriorTrace.__name__ = BatchSafePriorTrace.__qualname__ = "BatchSafePriorTrace"
    return BatchSafePriorTrace


def install(export_module) -> None:
    """Make RAVE's export script (scripts.export) build its prior with the batch-safe trace."""
    if not getattr(export_module.TraceModel, "_batch_safe", False):
        export_module.TraceModel = batch_safe(export_module.TraceModel)
        export_module.TraceModel._batch_safe = True
