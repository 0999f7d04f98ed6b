"""The baseline's reference training behaviour, read off its training scalars."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from electone_rave.evaluation.replication import check

PHASE_1 = 80


def write_scalars(path: Path, validation: list[tuple[int, float]], real: list[float], fake: list[float]) -> Path:
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["run", "tag", "step", "value"])
        writer.writerows(("baseline", "validation", step, value) for step, value in validation)
        for i, (r, g) in enumerate(zip(real, fake)):
            writer.writerow(("baseline", "pred_real", PHASE_1 + 4 * i, r))
            writer.writerow(("baseline", "pred_fake", PHASE_1 + 4 * i, g))
    (path.parent / "summary.json").write_text(json.dumps({"run": "baseline", "phase_1_duration": PHASE_1}))
    return path


THRESHOLDS = {"validation_drop_in_phase_1": 0.05, "discriminator_gap_in_phase_2": 0.0}


def test_a_healthy_run_passes(tmp_path: Path):
    # validation 20 -> 15 in phase 1 (25 % drop; the rise after phase 1 does not count);
    # the gap real - fake grows to 0.3 over phase 2 (second half: 0.2, 0.3 -> mean 0.25)
    scalars = write_scalars(tmp_path / "s.csv", [(10, 20.0), (50, 17.0), (76, 15.0), (90, 30.0)],
                            real=[0.0, 0.1, 0.2, 0.3], fake=[0.0, 0.0, 0.0, 0.0])
    report = check("baseline", scalars, tmp_path / "summary.json", THRESHOLDS, tmp_path / "r.json")
    measured = {row["criterion"]: row["measured"] for row in report["criteria"]}
    assert measured == pytest.approx({"validation_drop_in_phase_1": 0.25, "discriminator_gap_in_phase_2": 0.25})
    assert report["passed"] and json.loads((tmp_path / "r.json").read_text()) == report


def test_a_flat_validation_and_a_fooled_discriminator_fail(tmp_path: Path):
    scalars = write_scalars(tmp_path / "s.csv", [(10, 20.0), (76, 19.5)],
                            real=[0.0, -0.1, -0.1, -0.2], fake=[0.0, 0.0, 0.0, 0.0])
    report = check("baseline", scalars, tmp_path / "summary.json", THRESHOLDS, tmp_path / "r.json")
    assert [row["passed"] for row in report["criteria"]] == [False, False]
    assert not report["passed"]


def test_a_criterion_the_scalars_cannot_support_fails_with_its_reason(tmp_path: Path):
    scalars = write_scalars(tmp_path / "s.csv", [(10, 20.0), (76, 15.0)], real=[], fake=[])
    report = check("baseline", scalars, tmp_path / "summary.json", THRESHOLDS, tmp_path / "r.json")
    gap = report["criteria"][1]
    assert gap["measured"] is None and not gap["passed"] and "s.csv: no 'pred_real' scalars" in gap["not_measurable"]
    assert report["criteria"][0]["passed"] and not report["passed"]


SHAPE = {"discriminator_gap_peak_earliness": 0.5, "discriminator_gap_decay": 0.25}


def test_a_gap_that_diverges_early_and_converges_later_has_the_reference_shape(tmp_path: Path):
    # 20 logged phase-2 points: the gap rises to 1.0 at the 4th, then falls back to 0.2
    gap = [0.25, 0.5, 0.75, 1.0] + list(np.linspace(0.95, 0.2, 16))
    scalars = write_scalars(tmp_path / "s.csv", [(10, 20.0), (76, 15.0)], real=gap, fake=[0.0] * len(gap))
    report = check("baseline", scalars, tmp_path / "summary.json", SHAPE, tmp_path / "r.json")
    measured = {row["criterion"]: row["measured"] for row in report["criteria"]}
    assert measured["discriminator_gap_peak_earliness"] == pytest.approx(1 - 3 / 19, abs=0.06)
    assert measured["discriminator_gap_decay"] == pytest.approx(1 - 0.3, abs=0.1)  # last fifth ~0.3 of the peak
    assert report["passed"]


def test_a_gap_that_keeps_growing_does_not(tmp_path: Path):
    gap = list(np.linspace(0.0, 1.0, 20))
    scalars = write_scalars(tmp_path / "s.csv", [(10, 20.0), (76, 15.0)], real=gap, fake=[0.0] * len(gap))
    report = check("baseline", scalars, tmp_path / "summary.json", SHAPE, tmp_path / "r.json")
    measured = {row["criterion"]: row["measured"] for row in report["criteria"]}
    assert measured["discriminator_gap_peak_earliness"] < 0.1 and measured["discriminator_gap_decay"] < 0.1
    assert not report["passed"]


def test_too_few_phase_2_points_make_the_shape_not_measurable(tmp_path: Path):
    # the first point is logged at phase 1's last step: three are in phase 2
    scalars = write_scalars(tmp_path / "s.csv", [(10, 20.0), (76, 15.0)], real=[0.3, 0.3, 0.2, 0.1], fake=[0.0] * 4)
    report = check("baseline", scalars, tmp_path / "summary.json", {**THRESHOLDS, **SHAPE}, tmp_path / "r.json")
    rows = {row["criterion"]: row for row in report["criteria"]}
    assert rows["discriminator_gap_in_phase_2"]["measured"] is not None  # the level needs no shape
    for name in SHAPE:
        assert rows[name]["measured"] is None and "3 logged phase-2 points; the gap's shape needs 8" in rows[name]["not_measurable"]
