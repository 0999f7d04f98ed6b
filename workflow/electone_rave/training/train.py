"""Running `rave train` and `rave train_prior`: build the exact RAVE command, resume an
interrupted run, collect the results and write their provenance."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from .. import provenance
from ..fileio import sha256_of
from . import gin_stack, runs
from .checkpoint import load_checkpoint, run_is_trusted

log = logging.getLogger(__name__)


@dataclass
class StepBudget:
    max_steps: int
    val_every: int
    batch: int
    workers: int
    log_every_n_steps: int
    save_every: int | None = None
    overrides: list[str] = field(default_factory=list)
    deterministic: bool = False
    precision: str = "32"  # Lightning's Trainer(precision=...): "32", "16" or "bf16" (mixed)

    def __post_init__(self):
        # RAVE checkpoints every save_every steps and at epoch ends; a run that stops mid-epoch
        # between two snapshots leaves no checkpoint of its last step (seen on a GPU), and the
        # workflow hands on exactly that one. Unset: one snapshot, at the end.
        if self.save_every is None:
            self.save_every = self.max_steps
        if self.max_steps % self.save_every:
            from ..workflow.config import ConfigError
            raise ConfigError(f"save_every ({self.save_every}) must divide max_steps ({self.max_steps}): RAVE "
                              "saves the final step's checkpoint only when it falls on a snapshot")


def device_flags(gpus: list[int] | None) -> list[str]:
    """RAVE's --gpu: -1 trains on CPU; without the flag RAVE picks a free GPU itself."""
    if gpus is None:
        import torch
        gpus = [] if torch.cuda.is_available() else [-1]
    return [f"--gpu={g}" for g in gpus]


def common_flags(budget: StepBudget, gin_files: list[str], gpus: list[int] | None) -> list[str]:
    flags = [f"--config={g}" for g in gin_files]
    flags += [f"--override={o}" for o in budget.overrides]
    flags += [f"--max_steps={budget.max_steps}", f"--val_every={budget.val_every}",
              f"--batch={budget.batch}", f"--workers={budget.workers}", "--noprogress",
              f"--save_every={budget.save_every}"]
    return flags + device_flags(gpus)


def rave_train_flags(name: str, db: Path, work_dir: Path, gin_files: list[str], budget: StepBudget,
                     sample_rate: int, channels: int, n_signal: int,
                     gpus: list[int] | None = None) -> list[str]:
    return [f"--name={name}", f"--db_path={db}", f"--out_path={work_dir}",
            f"--channels={channels}", f"--n_signal={n_signal}",
            *common_flags(budget, gin_files, gpus), f"--override=SAMPLING_RATE={sample_rate}"]


def exported_latent_size(model_ckpt: Path, fidelity: float) -> int:
    """The latent dimensions `rave export --fidelity` keeps (scripts/export.py's own rule)."""
    import numpy as np

    checkpoint = load_checkpoint(model_ckpt, trust=run_is_trusted(Path(model_ckpt).parent))
    explained = checkpoint["state_dict"]["fidelity"]
    return max(int(np.argmax(explained.numpy() > fidelity)), 1)


def rave_train_prior_flags(name: str, model_dir: Path, db: Path, work_dir: Path, gin_files: list[str],
                           budget: StepBudget, n_signal: int, fidelity: float,
                           gpus: list[int] | None = None) -> list[str]:
    # train_prior's default window is the prior's receptive field alone, but its diagonal shift
    # then crops latent_size - 1 frames, leaving small priors a single frame: use the RAVE window.
    latent_size = exported_latent_size(Path(model_dir) / "model.ckpt", fidelity)
    return [f"--name={name}", f"--model={model_dir}", f"--db_path={db}", f"--out_path={work_dir}",
            f"--n_signal={n_signal}", *common_flags(budget, gin_files, gpus),
            f"--override=VariationalPrior.latent_size={latent_size}"]


def trainer_env(budget: StepBudget) -> dict[str, str]:
    """Trainer settings RAVE has no flag for. Lightning 1.9 reads Trainer defaults from PL_TRAINER_*
    environment variables (values parsed by literal_eval), so RAVE's code stays untouched."""
    env = {"PL_TRAINER_LOG_EVERY_N_STEPS": str(budget.log_every_n_steps)}
    if budget.deterministic:
        # Deterministic torch algorithms, cuDNN benchmark off (RAVE turns it on), and the cuBLAS
        # workspace setting CUDA needs for determinism.
        env["PL_TRAINER_DETERMINISTIC"] = "True"
    if budget.precision != "32":
        # Mixed precision: autocast around each step; "16" adds Lightning's gradient scaler.
        env["PL_TRAINER_PRECISION"] = budget.precision
    return env


def run_training(command: str, flags: list[str], gin_files: list[str], seed: int, budget: StepBudget,
                 work_dir: Path, out_dir: Path, data_files: list[str]) -> dict:
    """Run `rave <command>` to budget.max_steps, resuming from work_dir when possible.

    A run resumes only if its command, gin files and data files (database, pretrained model) are
    byte-identical to the interrupted one's."""
    gin_paths = [str(gin_stack.resolve(entry)) for entry in gin_files]  # shipped configs by content too
    key = runs.run_key([command, f"--seed={seed}", f"deterministic={budget.deterministic}",
                        f"precision={budget.precision}", *flags], gin_paths + data_files)
    resume = runs.prepare(work_dir, key)
    cmd = [sys.executable, "-m", "electone_rave.rave_launcher", f"--seed={seed}", command, *flags]
    if resume is not None:
        cmd.append(f"--ckpt={resume}")
    env = trainer_env(budget)
    log.info("running: %s", " ".join(cmd))
    done = subprocess.run(cmd, env={**os.environ, **env})
    if done.returncode != 0:
        raise runs.IncompleteRunError(
            f"rave {command} exited with status {done.returncode}; its checkpoints stay in {work_dir} "
            "and the next run of the same command resumes from them")
    result = runs.collect(work_dir, out_dir, budget.max_steps)
    record = provenance.describe(cmd, seed=seed, deterministic=budget.deterministic,
                                 precision=budget.precision, trainer_env=env,
                                 resumed_from=str(resume) if resume else None,
                                 gin_files={entry: sha256_of(Path(path)) for entry, path in zip(gin_files, gin_paths)},
                                 **result)
    (out_dir / "provenance.json").write_text(json.dumps(record, indent=2) + "\n")
    return record
