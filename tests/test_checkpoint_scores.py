"""H1: every checkpoint a training saved, scored on held-out audio; phase 2's trend and the verdict.
Scored here on a small v2 model's checkpoints (seeded weights, one snapshot silenced); the smoke
chain scores its trainings' own snapshots (test_chain_smoke)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from electone_rave.corpus.demo_corpus import generate_corpus
from electone_rave.corpus.manifest import build_manifest
from electone_rave.evaluation.checkpoint_scores import saved_checkpoints, score_checkpoints
from electone_rave.evaluation.convergence import PRIMARY, convergence, phase_2_trend, verdict
from electone_rave.fileio import write_json
from electone_rave.training.untrained_run import untrained_run


def checkpoint(state: dict, step: int, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"state_dict": state, "global_step": step, "callbacks": {}}, path)
    return path


@pytest.fixture(scope="module")
def training(tmp_path_factory) -> Path:
    """A run folder (final checkpoint at step 6) and its work folder with snapshots at 2 and 4, the one at
    2 with the decoder's layers silenced; phase 1 lasts 3 steps."""
    root = tmp_path_factory.mktemp("checkpoints")
    run = untrained_run(["configs/gin/electone_v2_noise.gin"], ["CAPACITY=4", "LATENT_SIZE=8", "PHASE_1_DURATION=3"],
                        root / "run")
    state = torch.load(run / "model.ckpt", weights_only=True)["state_dict"]
    checkpoint(state, 6, run / "model.ckpt")
    silenced = {k: torch.zeros_like(v) if k.startswith("decoder.") and k.endswith("weight_g") else v
                for k, v in state.items()}  # every decoder layer's weights scaled to zero
    checkpoint(silenced, 2, root / "work/run_abc/version_0/checkpoints/epoch_2.ckpt")
    checkpoint(state, 4, root / "work/run_abc/version_0/checkpoints/epoch_4.ckpt")
    checkpoint(state, 4, root / "work/run_abc/version_0/checkpoints/best.ckpt")  # a step saved twice counts once
    (root / "work/run_abc/version_0/checkpoints/cut_short.ckpt").write_bytes(b"PK\x03")  # a killed save: left out
    checkpoint(state, 3, root / "work/run_old/version_0/checkpoints/epoch_3.ckpt")  # an earlier training's
    write_json({"rave_run_dir": "results/checkpoints/train/run/run_abc", "global_step": 6}, run / "provenance.json")
    generate_corpus("electone", root / "corpus", 3, 3.0, 1970)
    write_json(build_manifest(root / "corpus", heldout_files=1, seed=1), root / "manifest.json")
    return root


def test_every_saved_step_is_scored_once_with_its_phase(training: Path, tmp_path: Path):
    assert [step for step, _ in saved_checkpoints(training / "run", training / "work")] == [2, 4, 6]
    assert (training / "work/run_abc/version_0/checkpoints/cut_short.ckpt").exists()  # only read, never moved
    record = score_checkpoints(training / "run", training / "work", training / "manifest.json", tmp_path / "c.json", seed=1)
    assert json.loads((tmp_path / "c.json").read_text()) == record
    rows = record["checkpoints"]
    assert [(r["step"], r["phase"]) for r in rows] == [(2, 1), (4, 2), (6, 2)] and record["phase_1_duration"] == 3
    # the same weights at steps 4 and 6 score alike (seeded); the silenced decoder scores otherwise
    assert rows[1]["metrics"] == rows[2]["metrics"] and rows[0]["metrics"][PRIMARY] != rows[1]["metrics"][PRIMARY]
    assert record["best_step"] in (2, 6)  # the later of equal scores
    assert record["phase_2"]["from_step"] == 2 and record["phase_2"]["to_step"] == 6
    assert record["phase_2"]["improved"] == (rows[2]["metrics"][PRIMARY] < rows[0]["metrics"][PRIMARY])


def test_without_its_work_folder_a_run_scores_its_final_checkpoint(training: Path, tmp_path: Path):
    record = score_checkpoints(training / "run", tmp_path / "gone", training / "manifest.json", tmp_path / "c.json", 1)
    assert [r["step"] for r in record["checkpoints"]] == [6] and record["phase_2"] is None


def trend(improved: bool) -> dict:
    return {"improved": improved}


def test_the_verdict_needs_seeds_and_agreement():
    assert verdict([trend(True), trend(True)], [trend(False), trend(False)], seeds=2) == "supported"
    assert verdict([trend(True), trend(True)], [trend(True), trend(True)], seeds=2) == "not supported"
    assert verdict([trend(True), trend(False)], [trend(False), trend(True)], seeds=2) == "cannot tell"
    assert verdict([trend(True)], [trend(False)], seeds=1) == "cannot tell"  # one seed: no spread
    assert verdict([trend(True), None], [trend(False), trend(False)], seeds=2) == "cannot tell"


def test_phase_2_runs_from_the_last_checkpoint_of_phase_1_to_the_last():
    rows = [{"step": s, "metrics": {PRIMARY: v}} for s, v in ((10, 5.0), (20, 4.0), (30, 4.5), (40, 3.0))]
    assert phase_2_trend(rows, 20) == {"from_step": 20, "to_step": 40, "from": 4.0, "to": 3.0, "improved": True}
    assert phase_2_trend(rows, 40) is None and phase_2_trend(rows, 5) is None and phase_2_trend(rows, None) is None


def test_pairs_read_each_runs_record(tmp_path: Path):
    for run, improved in (("a", True), ("b", False)):
        write_json({"phase_2": trend(improved)}, tmp_path / run / "checkpoints.json")
    rows = convergence([{"corpus": "electone", "seeds": [1], "with_noise_runs": ["a"], "without_noise_runs": ["b"]}],
                       tmp_path)
    assert rows == [{"corpus": "electone", "seeds": [1], "with_noise": [trend(True)], "without_noise": [trend(False)],
                     "verdict": "cannot tell"}]
