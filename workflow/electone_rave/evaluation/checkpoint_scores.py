"""Hypothesis H1 ("it did not converge without the noise generator"), measured on held-out audio.

Convergence is read from training curves elsewhere (the training's own validation); here every
checkpoint a training saved (its periodic snapshots, `train.save_every`, and the final one) is
scored on the corpus' held-out files, as the run's checkpoint is evaluated (reconstruct.py: RAVE's
forward pass, seeded): one curve of held-out error against step per run, through both phases. The
record names the best checkpoint by the primary score (RAVE's multiscale spectral distance) and says
whether the error fell during phase 2, from the last checkpoint of phase 1 to the last one; the
verdict on H1 pairs those records (convergence.py).
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from ..corpus.manifest import evaluation_files, read_manifest
from ..fileio import read_json, write_json
from ..training.checkpoint import UnsafeCheckpointError, load_checkpoint
from ..training import runs
from .audio_files import read_mono
from .audio_metrics import pair_metrics
from .convergence import PRIMARY, RECORD, phase_2_trend
from .metrics import phase_1_duration
from .models import load_run
from .reconstruct import reconstruct_file

log = logging.getLogger(__name__)


def saved_checkpoints(run_dir: Path, work_dir: Path) -> list[tuple[int, Path]]:
    """(step, file) for each step a checkpoint was saved at, oldest first: the snapshots the training
    that made model.ckpt left (its RAVE run folder, named in the run's provenance.json; never those
    of an earlier training in the same work folder) and the final model.ckpt, which wins its step.
    Files are only read: an unreadable snapshot is left out here and left where it is."""
    by_step = {}
    source = training_folder(run_dir, work_dir)
    if source is not None:
        for ckpt in runs.checkpoints(source):
            step = step_of(ckpt)
            if step is not None:
                by_step.setdefault(step, ckpt)
    final = run_dir / "model.ckpt"
    step = step_of(final)
    if step is None:
        raise ValueError(f"{final}: unreadable, or no global_step in it (not a checkpoint rave train saved)")
    by_step[step] = final
    return sorted(by_step.items())


def training_folder(run_dir: Path, work_dir: Path) -> Path | None:
    """The RAVE run folder under work_dir that the run's final checkpoint came from, if it is still there."""
    try:
        recorded = read_json(run_dir / "provenance.json").get("rave_run_dir")
    except (OSError, ValueError):
        recorded = None
    if not recorded or not work_dir.is_dir():
        return None
    folder = work_dir / Path(recorded).name
    return folder if folder.is_dir() else None


def step_of(ckpt: Path) -> int | None:
    try:
        return int(load_checkpoint(ckpt)["global_step"])
    except UnsafeCheckpointError:
        raise
    except Exception:  # a file a kill cut short, or not a checkpoint: not part of the curve
        return None


def score_checkpoints(run_dir: Path, work_dir: Path, manifest_path: Path, out: Path, seed: int,
                      named: list[str] | None = None) -> dict:
    """Every saved checkpoint's held-out errors (mean over files), the best one and phase 2's trend."""
    sources = evaluation_files(read_manifest(manifest_path), named)
    if not sources:
        raise ValueError(f"{manifest_path}: no held-out files to score checkpoints on")
    audio = [read_mono(source) for source in sources]
    phase_1 = phase_1_duration(run_dir / "config.gin")
    rows = []
    for step, ckpt in saved_checkpoints(run_dir, work_dir):
        model = load_run(run_dir, ckpt)
        for source, (_, rate) in zip(sources, audio):
            if rate != int(model.sr):
                raise ValueError(f"{source}: {rate} Hz, the model expects {int(model.sr)} Hz")
        # the model's output itself: reconstruct_heldout also clips it and rounds it to a 16-bit file
        scores = [pair_metrics(x, reconstruct_file(model, x, seed), rate) for x, rate in audio]
        mean = {k: float(np.mean([s[k] for s in scores])) for k in scores[0]}
        rows.append({"step": step, "phase": 1 if phase_1 is None or step <= phase_1 else 2,
                     "checkpoint": ckpt.name, "metrics": mean})
        log.info("%s step %d: held-out %s %.4f", run_dir.name, step, PRIMARY, mean[PRIMARY])
    best = min(rows, key=lambda row: (row["metrics"][PRIMARY], -row["step"]))
    record = {"run": run_dir.name, "metric": PRIMARY, "phase_1_duration": phase_1, "files": [str(s) for s in sources],
              "checkpoints": rows, "best_step": best["step"], "last_step": rows[-1]["step"],
              "phase_2": phase_2_trend(rows, phase_1)}
    write_json(record, out)
    return record
