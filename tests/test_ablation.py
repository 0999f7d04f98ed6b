"""The noise ablation pairs runs seed by seed and reports the spread of the differences."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from electone_rave.evaluation.ablation import METRICS, compare


def write_metrics(eval_dir: Path, run: str, value: float) -> None:
    (eval_dir / run).mkdir(parents=True)
    mean = {metric: value for metric in METRICS if metric != "frechet_mfcc_distance"}
    (eval_dir / run / "reconstruction.json").write_text(json.dumps({"mean": mean, "frechet_mfcc_distance": value}))


def test_differences_are_paired_by_seed(tmp_path: Path):
    for run, value in {"on": 1.0, "on_seed2": 3.0, "off": 2.0, "off_seed2": 3.5}.items():
        write_metrics(tmp_path, run, value)
    pair = {"corpus": "electone", "with_noise": ["on", "on_seed2"], "without_noise": ["off", "off_seed2"],
            "seeds": [1, 2]}
    result = compare([pair], tmp_path, tmp_path / "ablation.json")
    row = result["pairs"][0]
    assert row["with_noise"] == "on" and row["with_noise_runs"] == ["on", "on_seed2"] and row["seeds"] == [1, 2]
    log_mel = row["metrics"]["log_mel_l1"]
    assert log_mel["difference_per_seed"] == [-1.0, -0.5]
    assert log_mel["difference"] == pytest.approx(-0.75) and log_mel["difference_std"] == pytest.approx(0.3536, abs=1e-4)
    assert log_mel["noise_better"] and log_mel["same_sign_every_seed"]
    assert row["verdict"] == "helps"  # every metric: lower with noise on both seeds, by more than the spread
    assert json.loads((tmp_path / "ablation.json").read_text()) == result


def test_one_seed_has_no_spread(tmp_path: Path):
    write_metrics(tmp_path, "on", 2.0)
    write_metrics(tmp_path, "off", 1.0)
    row = compare([{"corpus": "c", "with_noise": ["on"], "without_noise": ["off"], "seeds": [1]}],
                  tmp_path, tmp_path / "a.json")["pairs"][0]
    assert row["metrics"]["flatness_error"]["difference_std"] is None
    assert not row["metrics"]["flatness_error"]["noise_better"]
    assert row["verdict"] == "cannot tell"  # one seed: no spread to judge a difference against


@pytest.mark.parametrize("values, expected", [
    ({"on": 3.0, "on_seed2": 4.0, "off": 1.0, "off_seed2": 1.5}, "does not help"),   # worse on both seeds
    ({"on": 1.0, "on_seed2": 4.0, "off": 2.0, "off_seed2": 3.5}, "cannot tell"),     # the sign flips
    ({"on": 1.0, "on_seed2": 1.0, "off": 1.05, "off_seed2": 3.0}, "cannot tell"),    # within the spread
])
def test_the_verdict_says_only_what_the_seeds_support(tmp_path: Path, values: dict, expected: str):
    for run, value in values.items():
        write_metrics(tmp_path, run, value)
    pair = {"corpus": "electone", "with_noise": ["on", "on_seed2"], "without_noise": ["off", "off_seed2"],
            "seeds": [1, 2]}
    assert compare([pair], tmp_path, tmp_path / "ablation.json")["pairs"][0]["verdict"] == expected


def test_unpaired_runs_are_refused(tmp_path: Path):
    with pytest.raises(ValueError, match="one run per seed on each side"):
        compare([{"corpus": "c", "with_noise": ["a", "b"], "without_noise": ["c"], "seeds": [1, 2]}],
                tmp_path, tmp_path / "a.json")
