"""H2, the dataset-size sweep: nested training subsets of a corpus, their config checks, the
per-size measures and verdict, and the sweep run at smoke size as the experiment file runs it."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import yaml

from conftest import REPO, make_workspace, merge_experiment, paper_sentences, run
from electone_rave.corpus.training_subset import (UNUSED, check_training_subsets, select_files, subset_manifest,
                                                  subset_source, training_database, write_training_subset)
from electone_rave.evaluation.dataset_size import discriminator, verdict
from electone_rave.workflow.config import ConfigError, load

EXPERIMENT = "configs/experiments/dataset_size.yaml"
SHAPE = {"discriminator_gap_peak_earliness": 0.5, "discriminator_gap_decay": 0.25}


def manifest(seconds: list[float], heldout: int = 2) -> dict:
    rows = [{"file": f"f{i:02d}.flac", "seconds": s, "split": "heldout" if i < heldout else "train"}
            for i, s in enumerate(seconds)]
    return {"root": "data/corpora/electone", "split_seed": 1970, "files": rows}


def test_subsets_nest_hold_their_share_and_keep_the_held_out_files():
    corpus = manifest([30.0, 40.0, 12.0, 95.0, 33.0, 8.0, 61.0, 24.0, 50.0, 17.0])
    training = [row for row in corpus["files"] if row["split"] == "train"]
    total = sum(row["seconds"] for row in training)
    kept = {p: select_files(training, p, seed=1970) for p in (10, 25, 50, 75, 99)}
    sizes = [kept[p] for p in sorted(kept)]
    for smaller, larger in zip(sizes, sizes[1:]):
        assert larger[:len(smaller)] == smaller  # one order, so every subset is inside the next
    seconds = {row["file"]: row["seconds"] for row in training}
    for p, files in kept.items():
        held = sum(seconds[f] for f in files)
        assert held >= total * p / 100 > held - seconds[files[-1]]  # the shortest prefix holding p %
    assert select_files(training, 25, seed=1971) != kept[25]  # the order is the seed's
    subset = subset_manifest(corpus, 25, seed=1970)
    assert [r["file"] for r in subset["files"] if r["split"] == "heldout"] == ["f00.flac", "f01.flac"]
    assert [r["file"] for r in subset["files"] if r["split"] == "train"] == sorted(kept[25])
    assert {r["split"] for r in subset["files"]} == {"heldout", "train", UNUSED}
    assert subset["training_subset"]["of_seconds"] == total


def test_a_subset_too_small_to_fill_a_batch_is_refused_before_training(tmp_path: Path):
    """RAVE would stop with a ZeroDivisionError on a database without a full training batch."""
    corpus = manifest([12.0] * 9, heldout=1)  # 2 chunks of 262144 samples per file at 44.1 kHz
    (tmp_path / "electone.json").write_text(json.dumps(corpus))
    (tmp_path / "ingest.json").write_text(json.dumps({"files": []}))
    args = (tmp_path / "electone.json", tmp_path / "ingest.json")
    out = (tmp_path / "subset.json", tmp_path / "subset_ingest.json")
    with pytest.raises(ConfigError, match=r"electone.json: the 10 % subset holds 1 of 8 training files \(12.0 s\): "
                                          "2 RAVE chunks of 262144 samples, 1 for training, fewer than a batch of 2"):
        write_training_subset(*args, 10, 1970, 44100, 131072, 2, *out)
    assert not out[0].exists() and not out[1].exists()
    subset = write_training_subset(*args, 25, 1970, 44100, 131072, 2, *out)
    assert subset["training_subset"]["files"] == 2
    assert json.loads(out[1].read_text())["training_subset"] == subset["training_subset"]


def test_a_subset_arm_trains_on_its_own_database_and_keeps_its_corpus():
    assert training_database({"corpus": "electone", "training_subset": 25}) == "electone-subset25"
    assert training_database({"corpus": "electone"}) == "electone"
    assert subset_source("electone-subset25") == ("electone", 25)
    assert subset_source("electone_more") == ("electone_more", None)


def experiment(tmp_path: Path, edit) -> Path:
    config = yaml.safe_load((REPO / EXPERIMENT).read_text())
    edit(config)
    path = tmp_path / "experiment.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


@pytest.mark.parametrize("edit, message", [
    (lambda c: c["arms"]["electone_half_data"].update(gin=["configs/gin/electone_v2_no_noise.gin"]),
     "'electone_quarter_data' and 'electone_half_data' differ in their gin"),
    (lambda c: c["arms"]["electone_half_data"].update(seeds=[1, 2]), "differ in their seeds"),
    (lambda c: c["dataset_size"]["electone"].update(arms=["electone_half_data", "electone_quarter_data", "electone"]),
     "from the smallest subset to the largest"),
    (lambda c: c["arms"]["electone_half_data"].update(corpus="musicnet"), "subsets of one corpus"),
    (lambda c: c["arms"]["electone_half_data"].update(corpus=["electone", "musicnet"]), "a union of corpora"),
    (lambda c: c["dataset_size"]["electone"].update(arms=["electone_quarter_data", "album"]), "unknown arm"),
    (lambda c: c["arms"]["electone_half_data"].update(prior=True), "a subset arm trains no prior"),
    (lambda c: c.update(ablation=[{"corpus": "electone", "with_noise": "electone_half_data",
                                   "without_noise": "electone_no_noise"}]), "train on different subsets"),
])
def test_a_sweep_whose_arms_differ_in_more_than_their_subset_is_refused(monkeypatch, tmp_path, edit, message):
    monkeypatch.chdir(REPO)
    config = load(configfiles=(experiment(tmp_path, edit),))
    with pytest.raises(ConfigError, match=message):
        check_training_subsets(config)


def test_the_experiment_file_passes_its_checks_and_the_schema_bounds_the_share(monkeypatch, tmp_path):
    monkeypatch.chdir(REPO)
    check_training_subsets(load(configfiles=(REPO / EXPERIMENT,)))
    bad = experiment(tmp_path, lambda c: c["arms"]["electone_half_data"].update(training_subset=100))
    with pytest.raises(ConfigError, match="training_subset: 100 is greater than the maximum of 99"):
        load(configfiles=(bad,))


def scalars(tmp_path: Path, gap: list[float], phase_1: int = 10) -> Path:
    """A run's train_scalars.csv with pred_real - pred_fake = gap over phase 2 (and a phase-1 point)."""
    path = tmp_path / "train_scalars.csv"
    with open(path, "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["run", "tag", "step", "value"])
        for step, value in [(phase_1, 0.0)] + [(phase_1 + 1 + i, g) for i, g in enumerate(gap)]:
            out.writerow(["r", "pred_real", step, 0.5 + value / 2])
            out.writerow(["r", "pred_fake", step, 0.5 - value / 2])
    return path


def test_a_run_is_healthy_when_its_gap_peaks_early_and_falls(tmp_path: Path):
    healthy = discriminator(scalars(tmp_path, [0.2, 0.9, 1.0, 0.8, 0.6, 0.5, 0.4, 0.3, 0.3, 0.2]), 10, SHAPE)
    assert healthy["healthy"] is True and healthy["discriminator_gap_peak_earliness"] > 0.5
    assert healthy["gap"]["steps"][0] == 11 and healthy["gap"]["values"][2] == pytest.approx(1.0)
    late = discriminator(scalars(tmp_path, [0.1, 0.2, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 0.9, 1.0]), 10, SHAPE)
    assert late["healthy"] is False
    never = discriminator(scalars(tmp_path, [-0.1] * 10), 10, SHAPE)
    assert never["healthy"] is False and "never rose above 0" in never["not_measurable"]["discriminator_gap_decay"]
    short = discriminator(scalars(tmp_path, [0.5, 0.4, 0.3]), 10, SHAPE)
    assert short["healthy"] is None and short["discriminator_gap_in_phase_2"] is not None
    unlogged = discriminator(scalars(tmp_path, []), 10, SHAPE)  # phase 2 never reached
    assert unlogged["healthy"] is None and "no discriminator scalars after phase 1" in unlogged["not_measurable"]["gap"]
    broken = discriminator(scalars(tmp_path, [0.2, float("nan")] * 5), 10, SHAPE)
    assert broken["healthy"] is None and "non-finite" in broken["not_measurable"]["gap"]


def arms(*healthy_per_size: list[bool | None]) -> list[dict]:
    return [{"runs": [{"discriminator": {"healthy": h}} for h in size]} for size in healthy_per_size]


@pytest.mark.parametrize("sizes, seeds, expected", [
    (([False, False], [True, True]), 2, "supported"),
    (([False, False], [False, True], [True, True]), 2, "supported"),
    (([True, True], [True, True]), 2, "not supported"),
    (([True, True], [False, False]), 2, "not supported"),
    (([False, True], [True, True]), 2, "cannot tell"),
    (([False], [True]), 1, "cannot tell"),
    (([False, None], [True, True]), 2, "cannot tell"),
    (([False, False], [False, False]), 2, "cannot tell"),
])
def test_the_verdict_follows_the_smallest_and_largest_sizes(sizes, seeds, expected):
    assert verdict(arms(*sizes), seeds)[0] == expected


def test_a_verdict_says_why_it_cannot_tell():
    assert verdict(arms([False, False], [False, False]), 2)[1].startswith("no size has healthy curves")
    assert verdict(arms([False, True], [True, True]), 2)[1] == "the sizes or the seeds disagree"


def write_run(results: Path, run: str, error: float, gap: list[float]) -> None:
    """What a trained and evaluated run leaves for the sweep: its held-out errors and its scalars."""
    from electone_rave.evaluation.ablation import METRICS

    (results / "eval" / run).mkdir(parents=True)
    mean = {k: error for k in METRICS if k != "frechet_mfcc_distance"}
    (results / "eval" / run / "reconstruction.json").write_text(json.dumps({"mean": mean, "frechet_mfcc_distance": 1.0}))
    (results / "metrics" / run).mkdir(parents=True)
    scalars(results / "metrics" / run, gap)
    (results / "metrics" / run / "train_summary.json").write_text(json.dumps({"phase_1_duration": 10}))


def test_the_sweep_record_and_the_papers_sentence(tmp_path: Path):
    from electone_rave.evaluation.dataset_size import sweep

    irregular, healthy = [0.1, 0.3, 0.2, 0.4, 0.3, 0.5, 0.6, 0.7, 0.9, 1.0], [0.2, 0.9, 1.0, 0.8, 0.6, 0.5, 0.4, 0.3, 0.3, 0.2]
    arms = []
    for arm, percent, error, gap in (("quarter", 25, 3.0, irregular), ("all", None, 2.0, healthy)):
        runs = [arm, f"{arm}_seed1971"]
        for run in runs:
            write_run(tmp_path, run, error, gap)
        report = tmp_path / f"{arm}_preprocess_report.json"
        rows = [{"file": f"f{i}.flac", "split": "train"} for i in range(1 if percent else 4)]
        report.write_text(json.dumps({"database_seconds": 6.0 * len(rows), "files": rows,
                                      **({"training_subset": {"percent": percent}} if percent else {})}))
        arms.append({"arm": arm, "runs": runs, "seeds": [1970, 1971], "preprocess_report": report})
    record = sweep("electone", "electone", arms, tmp_path / "eval", tmp_path / "metrics", SHAPE, tmp_path / "sweep.json")
    assert json.loads((tmp_path / "sweep.json").read_text()) == record
    assert [(a["percent"], a["training_files"], a["training_seconds"]) for a in record["arms"]] == [(25, 1, 6.0), (100, 4, 24.0)]
    assert record["heldout_trend"] == "falls" and record["verdict"] == "supported"
    from PIL import Image
    from electone_rave.report.figures.dataset_size import plot
    plot([tmp_path / "sweep.json"], tmp_path / "figure.png")
    assert Image.open(tmp_path / "figure.png").info["Description"] == "sweeps: electone"

    (sentence,) = paper_sentences(tmp_path / "paper", "<dataset-size-verdict>", dataset_size=[record])
    assert sentence == ("Measured here, the data support the author's hunch: every seed of the largest size has "
                        "healthy curves, no seed of the smallest.")
    (absent,) = paper_sentences(tmp_path / "paper_none", "<dataset-size-verdict>", dataset_size=[])
    assert absent.startswith("Not run here: the sweep is the experiment file configs/experiments/dataset_size.yaml")


def test_the_full_estimate_includes_the_sweep(tmp_path: Path):
    workspace = make_workspace(tmp_path, "smoke")
    estimate = run(["electone-rave", "estimate", "--configfile", EXPERIMENT, "--scale", "full"], workspace).stdout
    assert "electone_quarter_data: 2,000,000 steps" in estimate and "electone_half_data: 2,000,000 steps" in estimate
    assert "scale full: 6 trainings" in estimate


def test_subset_corpora_get_dvc_stages_under_names_dvc_accepts(tmp_path: Path):
    workspace = make_workspace(tmp_path, "smoke")
    merge_experiment(workspace, EXPERIMENT)
    run(["electone-rave", "dvc-stages", "--out", "dvc.yaml"], workspace)
    stages = set(run(["dvc", "stage", "list", "--name-only"], workspace).stdout.split())
    assert {"training_subset-electone-subset25", "preprocess-electone-subset50", "train-electone_quarter_data",
            "dataset_size-electone", "figure_dataset_size"} <= stages
    assert "ingest-electone-subset25" not in stages  # the subset is made from the corpus' ingest, not its own


@pytest.mark.slow
def test_the_sweep_trains_each_size_on_nested_subsets_and_judges_them(tmp_path: Path):
    """The experiment file at smoke size on a corpus of 9 files (8 for training, 2 RAVE chunks each):
    a quarter, a half and all of it, trained, scored on the same held-out file, and judged."""
    workspace = make_workspace(tmp_path, "smoke")
    config_file = workspace / "configs/config.yaml"
    config = yaml.safe_load(config_file.read_text())
    config["scales"]["smoke"]["corpus"]["files"] = 9
    config_file.write_text(yaml.safe_dump(config, sort_keys=False))
    target = ["results/figures/dataset_size.png"]
    done = run(["snakemake", "--cores", "2", "--configfile", EXPERIMENT, "-p", "--", *target], workspace)
    log = done.stdout + done.stderr
    assert "--name electone_quarter_data --db results/preprocess/electone-subset25 " in log

    manifests = {p: json.loads((workspace / f"data/manifests/{name}.json").read_text())
                 for p, name in ((25, "electone-subset25"), (50, "electone-subset50"), (100, "electone"))}
    kept = {p: {r["file"] for r in m["files"] if r["split"] == "train"} for p, m in manifests.items()}
    assert len(kept[25]) == 2 and len(kept[50]) == 4 and len(kept[100]) == 8
    assert kept[25] < kept[50] < kept[100]
    heldout = {p: [r["file"] for r in m["files"] if r["split"] == "heldout"] for p, m in manifests.items()}
    assert heldout[25] == heldout[50] == heldout[100]

    record = json.loads((workspace / "results/eval/dataset_size/electone.json").read_text())
    assert [a["arm"] for a in record["arms"]] == ["electone_quarter_data", "electone_half_data", "electone"]
    assert [a["percent"] for a in record["arms"]] == [25, 50, 100]
    assert [a["training_files"] for a in record["arms"]] == [2, 4, 8]
    seconds = [a["training_seconds"] for a in record["arms"]]
    assert seconds == sorted(seconds) and seconds[0] > 0
    for arm in record["arms"]:
        (only,) = arm["runs"]
        assert only["heldout"]["multiscale_spectral_distance"] > 0
        steps = only["discriminator"]["gap"]["steps"]
        assert steps and min(steps) > 3 and len(steps) < 8  # phase 2 after PHASE_1_DURATION=3: too few points
        assert only["discriminator"]["healthy"] is None  # ... for a shape
    assert (record["verdict"], record["reason"]) == ("cannot tell", "one seed")

    from PIL import Image
    assert Image.open(workspace / target[0]).info["Description"] == "sweeps: electone"
    again = run(["snakemake", "-n", "--configfile", EXPERIMENT, "--", *target], workspace)
    assert "Nothing to be done" in again.stdout + again.stderr
