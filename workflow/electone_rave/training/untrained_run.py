"""A run folder as `rave train` leaves it (config.gin + model.ckpt), with fresh seeded weights:
what the export benchmark and the export tests export, since speed and the exported program do
not depend on what was learned."""

from __future__ import annotations

import sys
from pathlib import Path


def untrained_run(gin_files: list[str], overrides: list[str], out: Path, seed: int = 0) -> Path:
    """gin_files: a run's stack from the config (repository files, or configs RAVE ships by name)."""
    import gin
    import rave
    import torch

    from ..rave_launcher import drop_cwd_from_path
    from .gin_stack import resolve

    gin_paths = [str(resolve(g).resolve()) for g in gin_files]
    saved_path = sys.path[:]
    drop_cwd_from_path()
    try:
        torch.manual_seed(seed)
        gin.clear_config()
        gin.parse_config_files_and_bindings(gin_paths, [*overrides, "RAVE.n_channels = 1"])
        model = rave.RAVE(n_channels=1)
    finally:
        sys.path[:] = saved_path  # a caller (a test process) keeps its own import path
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.gin").write_text(gin.operative_config_str())
    torch.save({"state_dict": model.state_dict(), "callbacks": {}}, out / "model.ckpt")
    gin.clear_config()
    return out
