"""Exporting a trained run to TorchScript for nn~ with `rave export`, atomically.

The exported file is written to a temporary directory, loaded back with torch.jit.load and checked
for nn~'s methods, and the torch it was made with is recorded in it (MADE_WITH, an extra file of
the archive that nn~ does not read; nn-host's `describe` does) before it is moved into place.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import tempfile
from pathlib import Path

from ..errors import ElectoneRaveError
from .export_options import NN_TILDE_METHODS, matmul_weights_apply
from .made_with import MADE_WITH

log = logging.getLogger(__name__)


class ExportError(ElectoneRaveError, RuntimeError):
    pass


def export(run_dir: Path, out_file: Path, streaming: bool, fidelity: float, seed: int,
           prior_dir: Path | None = None, matmul_convolutions: bool = True, matmul_weights: str = "float32") -> Path:
    """matmul_convolutions applies to streaming exports (matmul_convs.py); matmul_weights is the
    converted layers' weight type, float32 or bfloat16."""
    if not matmul_weights_apply(streaming, matmul_convolutions, matmul_weights):
        raise ExportError(f"export of {run_dir}: {matmul_weights} weights are for the matrix-product layers of "
                          "a streaming export; add --streaming and --matmul-convolutions, or use float32")
    out_file = Path(out_file)
    out_file.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".export-", dir=out_file.parent) as tmp:
        launcher = [sys.executable, "-m", "electone_rave.export.export_launcher", f"--seed={seed}"]
        if matmul_convolutions and streaming:
            launcher += ["--matmul-convolutions", f"--matmul-weights={matmul_weights}"]
        cmd = [*launcher, f"--run={run_dir}", f"--output={tmp}", f"--name={out_file.stem}",
               f"--fidelity={fidelity}", "--streaming" if streaming else "--nostreaming"]
        if prior_dir is not None:
            cmd.append(f"--prior={prior_dir}")
        log.info("running: %s", " ".join(cmd))
        done = subprocess.run(cmd)
        produced = sorted(Path(tmp).glob("*.ts"))
        if done.returncode != 0 or len(produced) != 1:
            raise ExportError(f"rave export of {run_dir} failed (status {done.returncode}, "
                              f"{len(produced)} .ts files written)")
        check_methods(produced[0], with_prior=prior_dir is not None)
        record_torch_version(produced[0])
        produced[0].replace(out_file)
    return out_file


def check_methods(ts_file: Path, with_prior: bool) -> list[str]:
    import torch
    model = torch.jit.load(str(ts_file))
    methods = list(model.get_methods()) if hasattr(model, "get_methods") else []
    wanted = NN_TILDE_METHODS + (("prior",) if with_prior else ())
    missing = [m for m in wanted if not hasattr(model, m) or (methods and m not in methods)]
    if missing:
        raise ExportError(f"{ts_file}: exported model lacks nn~ methods {missing}")
    return methods


def record_torch_version(ts_file: Path) -> None:
    """Save the scripted model again with this torch's version recorded in it; nn~ refuses or
    crashes on a model made with a newer torch than its own libtorch."""
    import torch

    model = torch.jit.load(str(ts_file))
    torch.jit.save(model, str(ts_file), _extra_files={MADE_WITH: torch.__version__})
