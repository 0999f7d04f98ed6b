"""Loading trained models the way RAVE's own scripts do (scripts/export.py)."""

from __future__ import annotations

from pathlib import Path


def load_run(run_dir: Path):
    """A trained RAVE run (config.gin + model.ckpt) as an eval-mode, non-streaming model."""
    import cached_conv as cc
    import gin
    import torch
    import rave

    cc.use_cached_conv(False)
    gin.clear_config()
    gin.parse_config_file(str(Path(run_dir) / "config.gin"))
    model = rave.RAVE()
    checkpoint = torch.load(Path(run_dir) / "model.ckpt", map_location="cpu", weights_only=False)
    model.load_state_dict(checkpoint["state_dict"], strict=False)
    return model.eval()


def load_exported(ts_file: Path):
    import torch
    return torch.jit.load(str(ts_file)).eval()
