"""The baseline's reference training behaviour as a check: RAVE's healthy run, stated as tolerances.

IRCAM's account of a healthy RAVE v2 run (its tutorial, as the study's author followed it),
measurable from its TensorBoard scalars:
  1. the validation distance falls through phase 1 (representation learning);
  2. once phase 2 (adversarial) starts, the discriminator scores real audio above generated audio:
     pred_real separates from pred_fake;
  3. they diverge early in phase 2: the gap pred_real - pred_fake peaks in the first part of it;
  4. and converge later: by the end of phase 2 the gap has fallen back from its peak, as the
     generator learns to fool the discriminator.
1 and 2 hold for almost any working run; 3 and 4 are the shape the author saw in the tutorial and
asked about on the Electone run. Each criterion's threshold lives in configs/config.yaml
(`replication`); the report says what was measured, the threshold, and pass or fail, or why the
run's scalars cannot support a measure (a short scale logs too few phase-2 points for a shape).
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from ..fileio import read_json, write_json


class NotMeasurable(ValueError):
    """The run's scalars cannot support this criterion (e.g. too few validations in phase 1)."""


def series(scalars_csv: Path, tag: str) -> tuple[np.ndarray, np.ndarray]:
    with open(scalars_csv, newline="") as f:
        rows = [(int(r["step"]), float(r["value"])) for r in csv.DictReader(f) if r["tag"] == tag]
    if not rows:
        raise NotMeasurable(f"{scalars_csv}: no {tag!r} scalars")
    steps, values = np.array(rows).T
    return steps, values


def validation_drop_in_phase_1(scalars_csv: Path, phase_1: int) -> float:
    """Relative fall of the validation distance from the first to the last phase-1 validation."""
    steps, values = series(scalars_csv, "validation")
    in_phase_1 = values[steps <= phase_1]
    if len(in_phase_1) < 2:
        raise NotMeasurable(f"{scalars_csv}: fewer than two validations in phase 1 (steps <= {phase_1})")
    return float((in_phase_1[0] - in_phase_1[-1]) / in_phase_1[0])


MIN_SHAPE_POINTS = 8  # logged phase-2 points below which a peak and its decay are not a shape


def phase_2_gap(scalars_csv: Path, phase_1: int) -> np.ndarray:
    """pred_real - pred_fake at each logged phase-2 step."""
    real_steps, real = series(scalars_csv, "pred_real")
    fake_steps, fake = series(scalars_csv, "pred_fake")
    if not np.array_equal(real_steps, fake_steps):
        raise ValueError(f"{scalars_csv}: pred_real and pred_fake were logged at different steps")
    gap = (real - fake)[real_steps > phase_1]
    if len(gap) == 0:
        raise NotMeasurable(f"{scalars_csv}: no discriminator scalars after phase 1 (step {phase_1})")
    return gap


def discriminator_gap_in_phase_2(scalars_csv: Path, phase_1: int) -> float:
    """Mean of pred_real - pred_fake over the second half of the logged phase-2 steps."""
    gap = phase_2_gap(scalars_csv, phase_1)
    return float(np.mean(gap[len(gap) // 2:]))


def smoothed_gap(scalars_csv: Path, phase_1: int) -> np.ndarray:
    """The phase-2 gap under a centred moving average over a tenth of its points (the raw scalars
    are noisy step to step); refused when too few points were logged to have a shape."""
    gap = phase_2_gap(scalars_csv, phase_1)
    if len(gap) < MIN_SHAPE_POINTS:
        raise NotMeasurable(f"{scalars_csv}: {len(gap)} logged phase-2 points; the gap's shape needs "
                            f"{MIN_SHAPE_POINTS} (a longer phase 2, or a smaller log_every_n_steps)")
    width = max(1, len(gap) // 10)
    padded = np.pad(gap, (width // 2, width - 1 - width // 2), mode="edge")
    return np.convolve(padded, np.ones(width) / width, mode="valid")


def discriminator_gap_peak_earliness(scalars_csv: Path, phase_1: int) -> float:
    """How early in phase 2 the gap peaks: 1 at its first logged point, 0 at its last."""
    gap = smoothed_gap(scalars_csv, phase_1)
    return float(1 - np.argmax(gap) / (len(gap) - 1))


def discriminator_gap_decay(scalars_csv: Path, phase_1: int) -> float:
    """How far the gap has fallen from its peak by the end of phase 2: 1 - (mean of its last fifth)
    / peak; 0 if it ends at its peak, 1 if real and generated end scored alike."""
    gap = smoothed_gap(scalars_csv, phase_1)
    peak = float(gap.max())
    if peak <= 0:
        raise NotMeasurable(f"{scalars_csv}: the gap never rose above 0 in phase 2, so there is no peak to decay from")
    return float(1 - np.mean(gap[-max(1, len(gap) // 5):]) / peak)


CRITERIA = {
    "validation_drop_in_phase_1": ("the validation distance falls through phase 1 (relative drop)",
                                   validation_drop_in_phase_1),
    "discriminator_gap_in_phase_2": ("pred_real separates from pred_fake in phase 2 (mean gap, second half)",
                                     discriminator_gap_in_phase_2),
    "discriminator_gap_peak_earliness": ("they diverge early in phase 2 (1 - the gap's peak position in phase 2)",
                                         discriminator_gap_peak_earliness),
    "discriminator_gap_decay": ("and converge later (the gap's fall from its peak by the end of phase 2)",
                                discriminator_gap_decay),
}


def check(run: str, scalars_csv: Path, summary_json: Path, thresholds: dict[str, float], out: Path) -> dict:
    phase_1 = read_json(summary_json)["phase_1_duration"]
    rows = []
    for name, minimum in thresholds.items():
        description, measure = CRITERIA[name]
        row = {"criterion": name, "description": description, "must_exceed": minimum}
        try:
            row["measured"] = measure(scalars_csv, phase_1)
        except NotMeasurable as why:  # reported as a failure with its reason, never skipped
            row["measured"], row["not_measurable"] = None, str(why)
        row["passed"] = row["measured"] is not None and row["measured"] > minimum
        rows.append(row)
    report = {"run": run, "phase_1_duration": phase_1, "criteria": rows,
              "passed": all(row["passed"] for row in rows)}
    write_json(report, out)
    return report
