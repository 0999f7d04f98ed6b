"""export.checkpoint: best. The saved checkpoint with the lowest held-out error (H1's record) is handed
on to the prior and the exports in a run folder of its own; the DAG routes them through it only when
asked. On small seeded v2 checkpoints (test_checkpoint_scores' run and snapshots)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch

from conftest import REPO, make_workspace, paper_sentences, run
from electone_rave.evaluation.convergence import PRIMARY
from electone_rave.fileio import write_json
from electone_rave.training.best_checkpoint import CheckpointChoiceError, copy_best_checkpoint
from test_checkpoint_scores import training  # noqa: F401 (the fixture)

SNAPSHOTS = "work/run_abc/version_0/checkpoints"


def scores(folder: Path, best: int, rows=((2, "epoch_2.ckpt"), (4, "epoch_4.ckpt"), (6, "model.ckpt")),
           run_name: str = "run") -> Path:
    """A score_checkpoints record: each row's error is lowest at `best`."""
    path = folder / f"checkpoints_{best}.json"
    write_json({"run": run_name, "metric": PRIMARY, "best_step": best, "last_step": rows[-1][0],
                "checkpoints": [{"step": step, "checkpoint": name, "phase": 2,
                                 "metrics": {PRIMARY: 1.0 if step == best else 2.0 + step / 10}}
                                for step, name in rows]}, path)
    return path


def test_the_best_scored_snapshot_is_handed_on_with_the_runs_config(training: Path, tmp_path: Path):  # noqa: F811
    out = tmp_path / "best/run"
    choice = copy_best_checkpoint(training / "run", training / "work", scores(tmp_path, 4), out)
    # step 4 was saved twice (epoch_4.ckpt and best.ckpt): the file the scores name is the one copied
    assert (out / "model.ckpt").read_bytes() == (training / SNAPSHOTS / "epoch_4.ckpt").read_bytes()
    assert (out / "config.gin").read_text() == (training / "run/config.gin").read_text()
    provenance = json.loads((out / "provenance.json").read_text())
    assert provenance["global_step"] == 4 and provenance["checkpoint"].endswith(f"{SNAPSHOTS}/epoch_4.ckpt")
    assert provenance["rave_run_dir"] == "results/checkpoints/train/run/run_abc"  # the run's own record kept
    assert provenance["checkpoint_choice"] == choice
    assert choice | {"scores": None} == {"choice": "best", "metric": PRIMARY, "step": 4, "held_out": 1.0,
                                         "last_step": 6, "last_held_out": 2.6, "saved": 3, "scores": None}


def test_when_the_last_scores_best_the_runs_own_checkpoint_is_handed_on(training: Path, tmp_path: Path):  # noqa: F811
    copy_best_checkpoint(training / "run", tmp_path / "no_work_needed", scores(tmp_path, 6), tmp_path / "best")
    assert (tmp_path / "best/model.ckpt").read_bytes() == (training / "run/model.ckpt").read_bytes()


@pytest.mark.parametrize("rows, reason", [
    # an earlier training's snapshot in the same work folder is not this run's
    (((3, "epoch_3.ckpt"), (6, "model.ckpt")), r"step 3, epoch_3\.ckpt\) is no longer in .*run_abc; export\.checkpoint: best needs"),
    # a file of that name holding another step (the folder was trained again since it was scored)
    (((5, "epoch_4.ckpt"), (6, "model.ckpt")), r"step 5, epoch_4\.ckpt\) is no longer in .*run_abc \(found .*epoch_4\.ckpt at other steps\)"),
])
def test_a_best_checkpoint_not_found_as_scored_is_refused_and_nothing_written(training: Path, tmp_path: Path,  # noqa: F811
                                                                            rows, reason):
    record = scores(tmp_path, rows[0][0], rows)
    with pytest.raises(CheckpointChoiceError, match=rf"{record}: the best checkpoint \({reason}"):
        copy_best_checkpoint(training / "run", training / "work", record, tmp_path / "best")
    assert not (tmp_path / "best").exists()


def test_another_runs_scores_are_refused(training: Path, tmp_path: Path):  # noqa: F811
    record = scores(tmp_path, 4, run_name="electone")
    with pytest.raises(CheckpointChoiceError, match=rf"{record}: scores run electone, not run"):
        copy_best_checkpoint(training / "run", training / "work", record, tmp_path / "best")


def test_the_command_names_the_scores_file_and_the_missing_snapshot(training: Path, tmp_path: Path):  # noqa: F811
    shutil.copytree(training / "run", tmp_path / "run")
    record = scores(tmp_path, 4)
    done = run(["electone-rave", "best-checkpoint", "--run", str(tmp_path / "run"), "--work", str(tmp_path / "gone"),
                "--scores", str(record), "--out", str(tmp_path / "best")], tmp_path, check=False)
    assert done.returncode == 1
    assert f"{record}: the best checkpoint (step 4, epoch_4.ckpt) is no longer in {tmp_path / 'gone'}" in done.stderr


def test_the_paper_says_which_checkpoint_the_exports_hold(tmp_path: Path):
    (last,) = paper_sentences(tmp_path / "last", "<exported-checkpoint>")
    assert last == "Each run's prior and exports take its last checkpoint; export.checkpoint: best makes them take that one."
    export = json.loads((REPO / "tests/data/smoke_numbers.json").read_text())["export"] | {"checkpoint": "best"}
    (best,) = paper_sentences(tmp_path / "best", "<exported-checkpoint>", export=export)
    assert best == ("Each run's prior, exports and checkpoint measures take that checkpoint (export.checkpoint: best); "
                    "it was chosen on the held-out files they are measured on, so their figures flatter it.")


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    return make_workspace(tmp_path_factory.mktemp("best_checkpoint"), "smoke")


def planned_commands(workspace: Path, *configfiles: str) -> list[str]:
    flags = ["--configfile", "configs/config.yaml", *configfiles] if configfiles else []
    done = run(["snakemake", "-n", "-p", *flags], workspace)
    shell = "Shell command: "
    return sorted(line[len(shell):].split(" > ")[0] for line in (done.stdout + done.stderr).splitlines()
                  if line.startswith(shell + "electone-rave "))


def test_the_prior_and_the_exports_take_the_best_checkpoint_only_when_asked(workspace: Path):
    last = planned_commands(workspace)
    assert not [c for c in last if "best" in c]
    best_file = workspace / "best.yaml"
    best_file.write_text("export:\n  checkpoint: best\n")
    best = planned_commands(workspace, str(best_file))
    chosen = [c for c in best if c.startswith("electone-rave best-checkpoint")]
    assert chosen == [f"electone-rave best-checkpoint --run results/train/{name} --work results/checkpoints/train/{name}"
                      f" --scores results/eval/{name}/checkpoints.json --out results/best_checkpoint/{name}"
                      for name in ("baseline", "baseline_noise", "electone", "electone_no_noise")]  # every trained run
    prior = next(c for c in best if c.startswith("electone-rave train-prior"))
    assert prior == next(c for c in last if c.startswith("electone-rave train-prior")).replace(
        " --model results/train/electone ", " --model results/best_checkpoint/electone ")
    exports = [c for c in best if c.startswith("electone-rave export ")]
    assert len(exports) == len([c for c in last if c.startswith("electone-rave export ")])
    assert all(" --run results/best_checkpoint/" in c for c in exports)  # the other flags as they were:
    assert sorted(c.replace("results/best_checkpoint/", "results/train/") for c in exports) == sorted(
        c for c in last if c.startswith("electone-rave export "))
    assert " --prior results/prior/electone " in next(c for c in exports if "electone_prior.ts" in c)
    # the checkpoint's own measures (reconstruct) take it too, and the manifest lists it
    reconstructions = [c for c in best if c.startswith("electone-rave reconstruct ")]
    assert reconstructions and all(" --run results/best_checkpoint/" in c for c in reconstructions)
    manifest = next(c for c in best if c.startswith("electone-rave manifest "))
    assert " best_checkpoint=results/best_checkpoint/electone/model.ckpt " in manifest
    # everything else is planned as it was
    changed = ("electone-rave best-checkpoint", "electone-rave export ", "electone-rave train-prior",
               "electone-rave reconstruct ", "electone-rave manifest ")
    assert [c for c in best if not c.startswith(changed)] == [c for c in last if not c.startswith(changed)]


@pytest.mark.slow
def test_the_export_holds_the_best_snapshots_weights(training: Path, tmp_path: Path):  # noqa: F811
    """The snapshot at step 2 has its decoder silenced: exported from it, the model plays (almost)
    nothing; from the last checkpoint, it plays."""
    heard = {}
    for best in (2, 6):
        folder = tmp_path / f"best_{best}/run"
        copy_best_checkpoint(training / "run", training / "work", scores(tmp_path, best), folder)
        out = tmp_path / f"run_{best}.ts"
        run(["electone-rave", "export", "--run", str(folder), "--out", str(out), "--streaming", "--fidelity", "0.95",
             "--seed", "0"], tmp_path)
        model = torch.jit.load(str(out))
        generator = torch.Generator().manual_seed(1)
        with torch.no_grad():
            played = torch.cat([model(0.3 * torch.randn(1, 1, 2048, generator=generator)) for _ in range(8)], -1)
        heard[best] = float(played.pow(2).mean().sqrt())
    assert heard[6] > 0 and heard[2] < 0.01 * heard[6]
