"""Arms as configuration: gin stacks that name RAVE's shipped configs, per-arm overrides, and an
experiment file that adds arms to the paper's. The arms' own training, evaluation, figure and paper
rows are checked on the smoke chain, whose config gains them (test_chain_smoke)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import EXPERIMENT, REPO, make_workspace, merge_experiment, run
from electone_rave.training.gin_stack import resolve
from electone_rave.workflow.config import ConfigError, load



def test_a_gin_stack_names_repository_files_and_configs_rave_ships(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(REPO)
    assert resolve("configs/gin/electone_v2_noise.gin") == Path("configs/gin/electone_v2_noise.gin")
    assert resolve("v3").as_posix().endswith("rave/configs/v3.gin")
    assert resolve("mute") == resolve("augmentations/mute")  # rave train's search path
    with pytest.raises(ConfigError, match=r"'v9' is neither a .gin file nor a config acids-rave ships; shipped: .*\bv3\b"):
        resolve("v9")
    with pytest.raises(ConfigError, match="configs/gin/missing.gin does not exist"):
        resolve("configs/gin/missing.gin")


def test_an_unknown_shipped_config_is_refused_before_anything_runs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.chdir(REPO)
    bad = tmp_path / "bad.yaml"
    bad.write_text("arms:\n  electone_v9:\n    corpus: electone\n    gin: [v9]\n    prior: false\n")
    with pytest.raises(ConfigError, match="arms/electone_v9: 'v9' is neither"):
        load(configfiles=(bad,))


def test_arm_overrides_follow_the_scales_and_apply_to_that_arm_only(monkeypatch: pytest.MonkeyPatch):
    from electone_rave.workflow.config import arm_overrides
    monkeypatch.chdir(REPO)
    config = load(overrides={"scale": "smoke"}, configfiles=(REPO / EXPERIMENT,))
    shared = config["scales"]["smoke"]["train"]["overrides"]
    assert arm_overrides(config, "electone_v3")[:len(shared)] == shared
    assert "DescriptDiscriminator.periods=[2]" in arm_overrides(config, "electone_v3")
    assert arm_overrides(config, "electone") == shared
    assert arm_overrides(config, "electone_v3", "prior") == config["scales"]["smoke"]["prior"]["overrides"]
    full = load(overrides={"scale": "full"}, configfiles=(REPO / EXPERIMENT,))
    assert arm_overrides(full, "electone_v3") == []  # full size: v3 as RAVE ships it


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    return make_workspace(tmp_path_factory.mktemp("experiments"), "smoke")


def test_an_experiment_file_adds_arms_to_the_papers(workspace: Path):
    done = run(["snakemake", "-n", "-p", "--configfile", EXPERIMENT], workspace)
    commands = [line.split("electone-rave train ", 1)[1] for line in (done.stdout + done.stderr).splitlines()
                if "electone-rave train " in line]
    assert len(commands) == 6  # the paper's four arms stay
    v3 = next(c for c in commands if c.startswith("--name electone_v3 "))
    assert " --gin v3 noise " in v3 and "'DescriptDiscriminator.periods=[2]'" in v3
    spectral = next(c for c in commands if c.startswith("--name electone_spectral "))
    assert " --gin configs/gin/electone_v2_noise.gin spectral_discriminator " in spectral
    assert "Descript" not in spectral
    estimate = run(["electone-rave", "estimate", "--configfile", EXPERIMENT, "--scale", "full"], workspace).stdout
    assert "electone_v3: 2,000,000 steps" in estimate and "needs about 32 GB of GPU memory" in estimate


MORE_DATA = "configs/experiments/more_data.yaml"


def test_an_arm_trains_on_the_union_of_two_corpora(workspace: Path):
    """The seed's "more Electone data": each corpus is ingested on its own and keeps its held-out
    files; the arm's database holds both corpora's training chunks."""
    union = "electone+electone_more"
    report = f"results/preprocess/{union}_preprocess_report.json"
    run(["snakemake", "--cores", "2", "--configfile", MORE_DATA, "--", report,
         *(f"results/preprocess/{c}_preprocess_report.json" for c in ("electone", "electone_more"))], workspace)
    members = {c: json.loads((workspace / f"results/preprocess/{c}_preprocess_report.json").read_text())
               for c in ("electone", "electone_more")}
    merged = json.loads((workspace / report).read_text())
    assert merged["database_chunks"] == sum(m["database_chunks"] for m in members.values()) > 0
    assert [(r["file"], r.get("split")) for r in merged["files"]] == [
        (f"{c}/{r['file']}", r.get("split")) for c, m in members.items() for r in m["files"]]
    manifest = json.loads((workspace / f"data/manifests/{union}.json").read_text())
    heldout = [row["file"] for row in manifest["files"] if row["split"] == "heldout"]
    assert {f.split("/")[0] for f in heldout} == {"electone", "electone_more"}
    assert all((workspace / manifest["root"] / f).is_file() for f in heldout)
    # A stand-in of its own: the second corpus is new audio, not the album's copy.
    assert {r["sha256"] for r in manifest["files"] if r["corpus"] == "electone"}.isdisjoint(
        r["sha256"] for r in manifest["files"] if r["corpus"] == "electone_more")

    planned = run(["snakemake", "-n", "-p", "--configfile", MORE_DATA, "--",
                   "results/eval/electone_more_data/reconstruction.json"], workspace)
    text = planned.stdout + planned.stderr
    assert f"--name electone_more_data --db results/preprocess/{union} " in text
    assert f"--manifest data/manifests/{union}.json" in text
    assert "rule ingest:" not in text and "rule preprocess:" not in text  # nothing redone for the arm


def test_a_union_of_unknown_corpora_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.chdir(REPO)
    bad = tmp_path / "bad.yaml"
    bad.write_text("arms:\n  more:\n    corpus: [electone, album2]\n    gin: [v2]\n    prior: false\n")
    with pytest.raises(ConfigError, match="arms/more/corpus: unknown corpus 'album2'"):
        load(configfiles=(bad,))


def test_a_union_corpus_gets_dvc_stages_under_a_name_dvc_accepts(tmp_path: Path):
    """DVC stage names allow no `+`: the union's stages are named <rule>-electone_and_electone_more."""
    workspace = make_workspace(tmp_path, "smoke")
    merge_experiment(workspace, MORE_DATA)
    run(["electone-rave", "dvc-stages", "--out", "dvc.yaml"], workspace)
    stages = run(["dvc", "stage", "list", "--name-only"], workspace).stdout.split()
    assert {"union_corpus-electone_and_electone_more", "preprocess-electone_and_electone_more",
            "ingest-electone_more", "train-electone_more_data"} <= set(stages)


def test_an_arm_with_its_own_step_budget_trains_to_it(workspace: Path, tmp_path: Path):
    longer = tmp_path / "longer.yaml"
    # An arm outside the ablation pairs (a pair's arms train alike: tests/test_config.py)
    longer.write_text("arms:\n  electone_long:\n    corpus: electone\n    gin: [configs/gin/electone_v2_noise.gin]\n"
                      "    prior: false\n    train_budget:\n      smoke: {max_steps: 12, save_every: 4}\n")
    done = run(["snakemake", "-n", "-p", "--configfile", str(longer)], workspace)
    commands = {line.split("--name ", 1)[1].split()[0]: line for line in (done.stdout + done.stderr).splitlines()
                if "electone-rave train " in line}
    assert "--max-steps 12 " in commands["electone_long"] and "--save-every 4 " in commands["electone_long"]
    assert all("--max-steps 6 " in line for run_name, line in commands.items() if run_name != "electone_long")


def test_an_imported_arm_is_evaluated_on_the_files_named_as_unseen(workspace: Path, tmp_path: Path):
    """runs.<arm>.unseen_files (import-run --unseen-file) reach the commands that reconstruct and
    evaluate the arm; the arms trained here keep the held-out split."""
    (workspace / "data/imported/vintage").mkdir(parents=True, exist_ok=True)
    arm = tmp_path / "vintage.yaml"
    arm.write_text("arms:\n  vintage:\n    corpus: electone\n    imported: data/imported/vintage\n    prior: false\n"
                   "    unseen_files: [electone_001.flac, 'side B/02 x.flac']\n")
    done = run(["snakemake", "-n", "-p", "--configfile", str(arm)], workspace)
    commands = [line for line in (done.stdout + done.stderr).splitlines()
                if line.startswith(("Shell command: electone-rave reconstruct ", "Shell command: electone-rave play-heldout ",
                                    "Shell command: electone-rave evaluate-reconstructions "))]
    named = [line for line in commands if "vintage" in line]  # checkpoint and played, each made and evaluated
    assert len(named) == 4 and all("--files electone_001.flac 'side B/02 x.flac' " in line for line in named)
    assert all("--files" not in line for line in commands if "vintage" not in line)
