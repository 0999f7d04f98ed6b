"""TensorBoard scalars to tidy CSV/JSON, from real event files written with SummaryWriter."""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path

import pytest
from torch.utils.tensorboard import SummaryWriter

from electone_rave.evaluation.metrics import MissingScalarsError, export_metrics


def write_events(log_dir: Path, tag_values: dict[str, list[tuple[int, float]]]) -> None:
    writer = SummaryWriter(str(log_dir))
    for tag, points in tag_values.items():
        for step, value in points:
            writer.add_scalar(tag, value, step, walltime=time.time())
    writer.close()


@pytest.fixture
def resumed_run(tmp_path: Path) -> Path:
    """A run killed after step 4 and resumed from step 2: versions overlap at steps 2-4."""
    tb = tmp_path / "tensorboard"
    write_events(tb / "version_0", {"validation": [(2, 1.0), (4, 0.9)], "pred_real": [(3, 0.1), (4, 0.2)]})
    time.sleep(0.01)
    write_events(tb / "version_1", {"validation": [(4, 0.8), (6, 0.7)], "pred_real": [(5, 0.3)]})
    (tmp_path / "config.gin").write_text("PHASE_1_DURATION = 3\nCAPACITY = 4\n")
    return tmp_path


def test_resumed_run_keeps_the_latest_value_per_step(resumed_run: Path):
    summary = export_metrics(resumed_run / "tensorboard", resumed_run / "config.gin", "demo",
                             resumed_run / "s.csv", resumed_run / "s.json", ("validation", "pred_real"))
    with open(resumed_run / "s.csv") as f:
        rows = [(r["run"], r["tag"], int(r["step"]), float(r["value"])) for r in csv.DictReader(f)]
    assert [r for r in rows if r[1] == "validation"] == [
        ("demo", "validation", 2, 1.0), ("demo", "validation", 4, pytest.approx(0.8)),
        ("demo", "validation", 6, pytest.approx(0.7))]
    assert summary["phase_1_duration"] == 3
    assert summary["scalars"]["pred_real"]["first_step"] == 3
    assert summary["scalars"]["validation"]["min"] == pytest.approx(0.7)
    assert json.loads((resumed_run / "s.json").read_text()) == json.loads(json.dumps(summary))


def test_missing_required_curve_names_the_run_and_the_tag(resumed_run: Path):
    with pytest.raises(MissingScalarsError, match="pred_fake") as err:
        export_metrics(resumed_run / "tensorboard", resumed_run / "config.gin", "demo",
                       resumed_run / "s.csv", resumed_run / "s.json", ("pred_fake",))
    assert str(resumed_run / "tensorboard") in str(err.value)


def test_no_event_files_is_a_clear_error(tmp_path: Path):
    (tmp_path / "config.gin").write_text("")
    with pytest.raises(FileNotFoundError, match="no TensorBoard event files"):
        export_metrics(tmp_path, tmp_path / "config.gin", "x", tmp_path / "a.csv", tmp_path / "a.json")
