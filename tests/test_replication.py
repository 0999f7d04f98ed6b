"""The baseline replication check reads RAVE's reference behaviour off the training scalars."""

from __future__ import annotations

import csv
import json
from pathlib import Path

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
