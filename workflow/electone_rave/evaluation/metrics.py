"""TensorBoard scalars of a run, exported to a tidy CSV (tag, step, value) and a JSON summary.

A resumed run has several `version_N` event files that overlap in steps; the value written last
(by wall time) wins, as TensorBoard shows it.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

from ..errors import ElectoneRaveError

# The seed's six curves plus validation: the figures and the paper read these.
SEED_TAGS = ("pred_real", "pred_fake", "multiband_spectral_distance", "fullband_spectral_distance",
             "feature_matching", "adversarial", "validation")
# What `rave train_prior` logs.
PRIOR_TAGS = ("latent_prediction", "validation")


class MissingScalarsError(ElectoneRaveError, ValueError):
    """A run's TensorBoard events lack curves the workflow needs."""


def read_scalars(tensorboard_dir: Path) -> list[dict]:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    latest: dict[tuple[str, int], tuple[float, float]] = {}
    event_dirs = sorted({p.parent for p in Path(tensorboard_dir).rglob("events.out.tfevents.*")})
    if not event_dirs:
        raise FileNotFoundError(f"{tensorboard_dir}: no TensorBoard event files")
    for event_dir in event_dirs:
        acc = EventAccumulator(str(event_dir), size_guidance={"scalars": 0})
        acc.Reload()
        for tag in acc.Tags()["scalars"]:
            for ev in acc.Scalars(tag):
                key = (tag, ev.step)
                if key not in latest or ev.wall_time >= latest[key][0]:
                    latest[key] = (ev.wall_time, ev.value)
    return [{"tag": tag, "step": step, "value": value}
            for (tag, step), (_, value) in sorted(latest.items())]


def phase_1_duration(config_gin: Path) -> int | None:
    match = re.search(r"^PHASE_1_DURATION\s*=\s*(\d+)", Path(config_gin).read_text(), re.M)
    return int(match.group(1)) if match else None


def summarize(rows: list[dict], required: tuple[str, ...], source: Path | str = "") -> dict:
    tags = sorted({r["tag"] for r in rows})
    missing = [t for t in required if t not in tags]
    if missing:
        raise MissingScalarsError(f"{source}: TensorBoard scalars missing {missing} (did the run reach "
                                  f"phase 2?); logged: {tags}")
    summary = {}
    for tag in tags:
        series = [r for r in rows if r["tag"] == tag]
        values = [r["value"] for r in series]
        summary[tag] = {"first": values[0], "last": values[-1], "min": min(values), "max": max(values),
                        "first_step": series[0]["step"], "last_step": series[-1]["step"], "points": len(series)}
    return summary


def write_wide(rows: list[dict], tags: tuple[str, ...], out: Path) -> None:
    """One row per step that logged any of `tags`, one column per tag (empty where not logged):
    the shape `dvc plots` reads."""
    by_step: dict[int, dict[str, float]] = {}
    for r in rows:
        if r["tag"] in tags:
            by_step.setdefault(r["step"], {})[r["tag"]] = r["value"]
    with open(out, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["step", *tags])
        writer.writeheader()
        writer.writerows({"step": step, **values} for step, values in sorted(by_step.items()))


def export_metrics(tensorboard_dir: Path, config_gin: Path, run: str, csv_out: Path, json_out: Path,
                   required: tuple[str, ...] = (), wide_out: Path | None = None) -> dict:
    rows = read_scalars(tensorboard_dir)
    summary = {"run": run, "phase_1_duration": phase_1_duration(config_gin),
               "scalars": summarize(rows, required, tensorboard_dir)}
    csv_out.parent.mkdir(parents=True, exist_ok=True)
    with open(csv_out, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["run", "tag", "step", "value"])
        writer.writeheader()
        writer.writerows({"run": run, **r} for r in rows)
    json_out.write_text(json.dumps(summary, indent=2) + "\n")
    if wide_out is not None:
        write_wide(rows, tuple(required), wide_out)
    return summary
