"""`export.checkpoint: best`: the checkpoint a trained run hands on to its prior and its exports is the
one with the lowest held-out error among those its training saved (H1's record,
results/eval/<run>/checkpoints.json), not the last.

The chosen checkpoint is copied, with the run's config.gin and provenance, into a run folder of its
own (results/best_checkpoint/<run>/), laid out as results/train/<run>/ is, so the prior and the
exports take it exactly as they take a training's final checkpoint. Its provenance.json names the
file and step it holds, and why."""

from __future__ import annotations

import shutil
from pathlib import Path

from ..errors import ElectoneRaveError
from ..fileio import read_json, write_json
from .checkpoint import load_checkpoint
from .runs import checkpoints


class CheckpointChoiceError(ElectoneRaveError, ValueError):
    """The best checkpoint the scores name cannot be found as it was scored."""


def best_checkpoint_file(run_dir: Path, work_dir: Path, scores: dict, scores_path: Path) -> Path:
    """The saved file holding the best-scored step: the run's model.ckpt when the best is the last,
    else the snapshot the scores name, in the RAVE folder the run's provenance names under work_dir."""
    best = scores["best_step"]
    if best == scores["last_step"]:
        return run_dir / "model.ckpt"
    name = next((row["checkpoint"] for row in scores["checkpoints"] if row["step"] == best), None)
    if name is None:
        raise CheckpointChoiceError(f"{scores_path}: no scored checkpoint at its best step {best}")
    rave_run_dir = read_json(run_dir / "provenance.json").get("rave_run_dir")
    folder = work_dir / Path(rave_run_dir).name if rave_run_dir else work_dir
    candidates = [ckpt for ckpt in checkpoints(folder) if ckpt.name == name] if folder.is_dir() else []
    for candidate in candidates:
        if int(load_checkpoint(candidate)["global_step"]) == best:
            return candidate
    raise CheckpointChoiceError(
        f"{scores_path}: the best checkpoint (step {best}, {name}) is no longer in {folder}"
        + (f" (found {', '.join(map(str, candidates))} at other steps)" if candidates else "")
        + "; export.checkpoint: best needs the training's snapshots. Set export.checkpoint: last, "
        "or train the run again so that its snapshots are saved and scored again")


def copy_best_checkpoint(run_dir: Path, work_dir: Path, scores_path: Path, out_dir: Path) -> dict:
    """out_dir/model.ckpt (the best-scored checkpoint), config.gin and provenance.json: the run's, its
    `checkpoint` and `global_step` those of the chosen file, and `checkpoint_choice` (the step chosen,
    the last step and both held-out errors). Returns checkpoint_choice."""
    scores = read_json(scores_path)
    if scores["run"] != run_dir.name:
        raise CheckpointChoiceError(f"{scores_path}: scores run {scores['run']}, not {run_dir.name}")
    source = best_checkpoint_file(run_dir, work_dir, scores, scores_path)
    by_step = {row["step"]: row["metrics"][scores["metric"]] for row in scores["checkpoints"]}
    choice = {"choice": "best", "metric": scores["metric"], "step": scores["best_step"],
              "held_out": by_step[scores["best_step"]], "last_step": scores["last_step"],
              "last_held_out": by_step[scores["last_step"]], "saved": len(by_step), "scores": scores_path.as_posix()}
    out_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source, out_dir / "model.ckpt")  # a copy: DVC's cache takes over an output's inode
    shutil.copy2(run_dir / "config.gin", out_dir / "config.gin")
    provenance = read_json(run_dir / "provenance.json")
    write_json(provenance | {"checkpoint": source.as_posix(), "global_step": scores["best_step"], "checkpoint_choice": choice},
               out_dir / "provenance.json")
    return choice
