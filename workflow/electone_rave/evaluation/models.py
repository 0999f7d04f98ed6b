"""Loading trained models the way RAVE's own scripts do (scripts/export.py)."""

from __future__ import annotations

from pathlib import Path

from ..training.checkpoint import load_checkpoint, run_is_trusted


def load_run(run_dir: Path, checkpoint: Path | None = None):
    """A trained RAVE run (config.gin + model.ckpt, or another checkpoint of the same training) as an
    eval-mode, non-streaming model."""
    import cached_conv as cc
    import gin
    import torch
    import rave

    cc.use_cached_conv(False)
    gin.clear_config()
    gin.parse_config_file(str(Path(run_dir) / "config.gin"))
    model = rave.RAVE()
    state = load_checkpoint(checkpoint or Path(run_dir) / "model.ckpt", trust=run_is_trusted(run_dir))
    model.load_state_dict(state["state_dict"], strict=False)
    return model.eval()


def load_exported(ts_file: Path):
    import torch
    return torch.jit.load(str(ts_file)).eval()
