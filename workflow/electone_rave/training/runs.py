"""A RAVE run directory that survives interruptions.

RAVE writes `{out}/{name}_{gin hash}/version_N/checkpoints/*.ckpt`. The workflow keeps that
directory outside the rule's declared outputs (Snakemake and DVC delete declared outputs before a
job runs), resumes from it when the same command is run again, and starts afresh when the command
or gin files changed. When training ends, the final checkpoint, operative gin config and
TensorBoard events are collected into the rule's outputs.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
import shutil
from pathlib import Path

from ..errors import ElectoneRaveError
from .checkpoint import UnsafeCheckpointError, load_checkpoint

log = logging.getLogger(__name__)
KEY_FILE = "run_key.json"


class IncompleteRunError(ElectoneRaveError, RuntimeError):
    pass


def run_key(argv: list[str], gin_files: list[str]) -> str:
    digest = hashlib.sha256(json.dumps(argv).encode())
    for path in gin_files:
        digest.update(Path(path).read_bytes())
    return digest.hexdigest()


def rave_run_dirs(work_dir: Path) -> list[Path]:
    return sorted(p.parent for p in work_dir.glob("*/config.gin"))


def checkpoints(work_dir: Path) -> list[Path]:
    """All checkpoints under work_dir, oldest first (RAVE's own rule: newest mtime wins)."""
    return sorted(work_dir.rglob("*.ckpt"), key=os.path.getmtime)


def read_step(ckpt: Path) -> int | None:
    """The checkpoint's global step, or None (set aside as .partial) when a kill cut it short."""
    try:
        return load_checkpoint(ckpt)["global_step"]
    except UnsafeCheckpointError:
        raise  # not a cut-short file: never set aside as one
    except (RuntimeError, EOFError, OSError, ValueError, KeyError, pickle.UnpicklingError) as err:
        log.warning("%s is unreadable (%s): set aside as .partial", ckpt, err)
        ckpt.rename(ckpt.with_name(ckpt.name + ".partial"))
        return None


def furthest_checkpoint(directory: Path) -> tuple[Path, int] | None:
    """The readable checkpoint with the highest global step (newest on a tie), and that step."""
    steps = {ckpt: read_step(ckpt) for ckpt in checkpoints(directory)}
    readable = {ckpt: step for ckpt, step in steps.items() if step is not None}
    if not readable:
        return None
    furthest = max(readable, key=lambda ckpt: (readable[ckpt], os.path.getmtime(ckpt)))
    return furthest, readable[furthest]


def make_furthest_checkpoint_newest(run_dir: Path) -> Path | None:
    """RAVE resumes from the newest checkpoint by mtime, which need not be the furthest one:
    best.ckpt is rewritten whenever validation improves, and a kill can cut the newest short."""
    found = furthest_checkpoint(run_dir)
    if found is None:
        return None
    os.utime(found[0])
    return found[0]


def prepare(work_dir: Path, key: str) -> Path | None:
    """Return the RAVE run directory to resume, or None to start fresh (clearing stale state)."""
    key_file = work_dir / KEY_FILE
    if key_file.is_file() and json.loads(key_file.read_text())["key"] == key:
        for run_dir in reversed(rave_run_dirs(work_dir)):
            furthest = make_furthest_checkpoint_newest(run_dir)
            if furthest is not None:
                log.info("resuming from %s", furthest)
                return run_dir
    if work_dir.exists():
        log.info("clearing %s: no checkpoint of this exact command to resume", work_dir)
        shutil.rmtree(work_dir)
    work_dir.mkdir(parents=True)
    key_file.write_text(json.dumps({"key": key}) + "\n")
    return None


def copy_events(run_dir: Path, events_out: Path) -> list[Path]:
    """Copy the TensorBoard event files under run_dir into events_out, keeping their folders."""
    events = sorted(run_dir.rglob("events.out.tfevents.*"))
    for event in events:
        target = events_out / event.parent.relative_to(run_dir)
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy2(event, target / event.name)
    return events


def collect(work_dir: Path, out_dir: Path, expected_step: int) -> dict:
    """Copy the final checkpoint, config.gin and TensorBoard events of a finished run to out_dir."""
    found = furthest_checkpoint(work_dir)
    if found is None:
        raise IncompleteRunError(f"{work_dir}: RAVE wrote no readable checkpoint")
    final, step = found
    if step < expected_step:
        raise IncompleteRunError(f"{final}: training stopped at step {step} of {expected_step}")
    run_dir = next(d for d in rave_run_dirs(work_dir) if final.is_relative_to(d))

    out_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy2(run_dir / "config.gin", out_dir / "config.gin")
    # A copy, not a hard link: DVC's cache takes over the output's inode, and a resumed RAVE run
    # rewriting its checkpoint in place must never alter a cached artefact.
    shutil.copy2(final, out_dir / "model.ckpt")
    events_out = out_dir / "tensorboard"
    shutil.rmtree(events_out, ignore_errors=True)
    copy_events(work_dir, events_out)
    return {"checkpoint": str(final), "global_step": step, "rave_run_dir": str(run_dir)}
