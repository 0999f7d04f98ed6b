"""Importing a RAVE run trained elsewhere: what import-run accepts, refuses, and writes.

The whole path (import, then evaluation, prior, export, figure and paper on the imported arm) runs
on the smoke chain: test_chain_smoke.test_an_imported_run_is_evaluated_like_a_trained_one."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
import torch
import yaml

from conftest import REPO, run
from electone_rave.corpus.manifest import evaluation_files
from electone_rave.training.checkpoint import load_checkpoint, run_is_trusted
from electone_rave.training.imported_run import ImportRunError, adopt, import_run
from electone_rave.workflow.config import ConfigError, expand_seeds, load, validate

GIN = "SAMPLING_RATE = 44100\nCAPACITY = 4\n"


def rave_run_folder(root: Path, steps: dict[str, int]) -> Path:
    """RAVE's layout: <name>_<hash>/config.gin, version_N/checkpoints/*.ckpt, version_N/events.*."""
    folder = root / "VintageModel_8c1f"
    (folder / "version_0/checkpoints").mkdir(parents=True)
    (folder / "config.gin").write_text(GIN)
    (folder / "version_0/events.out.tfevents.1.vm.1.0").write_bytes(b"events")
    for i, (name, step) in enumerate(steps.items()):
        ckpt = folder / "version_0/checkpoints" / name
        torch.save({"global_step": step, "state_dict": {}}, ckpt)
        os.utime(ckpt, (1_000_000 + i, 1_000_000 + i))
    return folder


@pytest.fixture
def repo_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """configs/ and the schema a config check needs, in a folder to work in."""
    shutil.copytree(REPO / "configs", tmp_path / "configs")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def assert_import_refused(repo_copy: Path, source: Path, arm: str, message: str) -> None:
    """import_run refuses, naming why, and leaves the config and data/imported as they were."""
    config = repo_copy / "configs/config.yaml"
    before = config.read_text()
    with pytest.raises(ImportRunError, match=message):
        import_run(source, arm, "electone", dvc=False, config_file=config, root=Path("data/imported"))
    assert config.read_text() == before and not (repo_copy / "data/imported").exists()


def test_the_furthest_checkpoint_is_imported_and_the_arm_added_with_the_comments_kept(repo_copy: Path, tmp_path: Path):
    source = rave_run_folder(tmp_path / "download", {"epoch_10.ckpt": 10, "best.ckpt": 6, "epoch_4.ckpt": 4})
    config = repo_copy / "configs/config.yaml"
    before = config.read_text()
    record = import_run(source, "vintage", "electone", dvc=False, config_file=config, root=Path("data/imported"))

    assert record["global_step"] == 10 and record["checkpoint"] == "version_0/checkpoints/epoch_10.ckpt"
    folder = repo_copy / "data/imported/vintage"
    assert torch.load(folder / "model.ckpt", weights_only=False)["global_step"] == 10
    assert (folder / "config.gin").read_text() == GIN
    assert (folder / "tensorboard/version_0/events.out.tfevents.1.vm.1.0").read_bytes() == b"events"
    after = config.read_text()
    assert after.replace("  vintage:\n    corpus: electone\n    imported: data/imported/vintage\n    prior: true\n", "") == before
    assert "    prior: true\n\n# The noise ablation compares" in after  # the next heading stays with its section
    parsed = load(config)
    assert parsed["arms"]["vintage"] == {"corpus": "electone", "imported": "data/imported/vintage", "prior": True}
    assert expand_seeds(parsed)["vintage"] == {**parsed["arms"]["vintage"], "arm": "vintage", "seed": None, "gin": []}

    import_run(source, "vintage", "electone", prior=False, dvc=False, config_file=config, root=Path("data/imported"))
    assert load(config)["arms"]["vintage"]["prior"] is False  # re-importing replaces the arm, not adds one


@pytest.mark.parametrize("make, message", [
    (lambda f: (f / "config.gin").unlink(), "0 config.gin files found"),
    (lambda f: [p.unlink() for p in f.rglob("*.ckpt")], "no .ckpt file"),
    (lambda f: (f / "version_0/checkpoints/epoch_4.ckpt").write_bytes(b"cut short"),
     r"epoch_4.ckpt: not a readable Lightning checkpoint"),
])
def test_a_folder_that_is_not_a_usable_run_is_refused_naming_why(repo_copy: Path, tmp_path: Path, make, message):
    source = rave_run_folder(tmp_path / "download", {"epoch_4.ckpt": 4})
    make(source)
    assert_import_refused(repo_copy, source, "vintage", message)


class Payload:
    """What a malicious checkpoint carries: unpickling it calls a function (here: makes a folder)."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return os.mkdir, (str(self.marker),)


def test_a_checkpoint_that_would_run_code_is_refused_unless_trusted(repo_copy: Path, tmp_path: Path):
    source = rave_run_folder(tmp_path / "download", {"epoch_4.ckpt": 4})
    marker = tmp_path / "payload_ran"
    torch.save({"global_step": 4, "state_dict": {}, "callbacks": Payload(marker)},
               source / "version_0/checkpoints/epoch_4.ckpt")
    assert_import_refused(repo_copy, source, "vintage",
                          r"epoch_4.ckpt: names posix.mkdir, which loading would run.*\(--trust-checkpoint\)")
    assert not marker.exists()  # refused before anything in it ran

    record = import_run(source, "vintage", "electone", dvc=False, config_file=repo_copy / "configs/config.yaml",
                        root=Path("data/imported"), trust=True)
    assert marker.is_dir() and record["trusted_checkpoint"] is True  # trusted: loaded as the user asked
    marker.rmdir()
    adopt(Path("data/imported/vintage"), tmp_path / "out", 44100)
    assert run_is_trusted(tmp_path / "out")  # later loads of this run follow the user's decision
    assert load_checkpoint(tmp_path / "out/model.ckpt", trust=run_is_trusted(tmp_path / "out"))["global_step"] == 4
    assert marker.is_dir()


def test_what_lightning_and_numpy_put_in_checkpoints_loads_without_trust(tmp_path: Path):
    from pytorch_lightning.utilities.parsing import AttributeDict
    import numpy as np

    ckpt = tmp_path / "other_version.ckpt"
    torch.save({"global_step": 3, "state_dict": {"w": torch.ones(2)}, "hyper_parameters": AttributeDict(lr=1e-4),
                "callbacks": {"ModelCheckpoint": {"best_model_score": np.float64(0.5)}}}, ckpt)
    loaded = load_checkpoint(ckpt)
    assert loaded["hyper_parameters"]["lr"] == 1e-4 and loaded["callbacks"]["ModelCheckpoint"]["best_model_score"] == 0.5
    assert not run_is_trusted(tmp_path)  # a run folder without an import record is never trusted


def test_an_arm_the_workflow_trains_is_never_replaced_by_an_import(repo_copy: Path, tmp_path: Path):
    source = rave_run_folder(tmp_path / "download", {"epoch_4.ckpt": 4})
    with pytest.raises(ConfigError, match="arms/electone is an arm the workflow trains"):
        import_run(source, "electone", "electone", dvc=False, config_file=repo_copy / "configs/config.yaml",
                   root=Path("data/imported"))
    with pytest.raises(ConfigError, match="unknown corpus 'album2'"):
        import_run(source, "vintage", "album2", dvc=False, config_file=repo_copy / "configs/config.yaml",
                   root=Path("data/imported"))
    assert not (repo_copy / "data/imported").exists()  # refused before anything was copied


@pytest.mark.parametrize("arm, message", [
    ({"corpus": "electone", "imported": "data/imported/vintage", "prior": True, "seeds": [1]},
     "arms/vintage: seeds describe a training; this arm is imported"),
    ({"corpus": "electone", "imported": "data/imported/gone", "prior": True},
     r"arms/vintage/imported: data/imported/gone is not a folder. Import the run with `electone-rave import-run"),
    ({"corpus": "electone", "prior": True}, "is not valid under any of the given schemas"),
])
def test_the_config_refuses_an_imported_arm_that_cannot_work(repo_copy: Path, arm: dict, message: str):
    (repo_copy / "data/imported/vintage").mkdir(parents=True)
    extra = repo_copy / "arm.yaml"
    extra.write_text(yaml.safe_dump({"arms": {"vintage": arm}}))
    with pytest.raises(ConfigError, match=message):
        load(repo_copy / "configs/config.yaml", configfiles=(extra,))


def test_an_imported_run_at_another_sample_rate_is_refused_naming_its_gin(tmp_path: Path):
    source = rave_run_folder(tmp_path / "download", {"epoch_4.ckpt": 4})
    (source / "config.gin").write_text("SAMPLING_RATE = 48000\n")
    import_run(source, "vintage", "electone", dvc=False, config_file=_config_copy(tmp_path), root=tmp_path / "imported")
    with pytest.raises(ImportRunError, match=r"imported/vintage/config.gin: the run was trained at SAMPLING_RATE 48000"):
        adopt(tmp_path / "imported/vintage", tmp_path / "out", 44100)
    assert not (tmp_path / "out").exists()


def test_adopting_writes_what_a_training_leaves(tmp_path: Path):
    source = rave_run_folder(tmp_path / "download", {"epoch_4.ckpt": 4})
    import_run(source, "vintage", "electone", dvc=False, config_file=_config_copy(tmp_path), root=tmp_path / "imported")
    provenance = adopt(tmp_path / "imported/vintage", tmp_path / "out", 44100)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["config.gin", "model.ckpt", "provenance.json", "tensorboard"]
    assert provenance["global_step"] == 4 and provenance["imported"]["source"] == str(source.resolve())
    assert json.loads((tmp_path / "out/provenance.json").read_text())["imported"] == provenance["imported"]

    (tmp_path / "imported/vintage/model.ckpt").write_bytes(b"swapped")
    with pytest.raises(ImportRunError, match=r"vintage/model.ckpt: differs from the file import-run recorded"):
        adopt(tmp_path / "imported/vintage", tmp_path / "out2", 44100)


def test_import_run_is_one_command_that_names_what_to_commit(tmp_path: Path):
    """The CLI, with DVC: a workspace that is a git and DVC repository, as a user's clone is."""
    workspace = tmp_path / "ws"
    shutil.copytree(REPO / "configs", workspace / "configs")
    run(["git", "init", "-q"], workspace)
    run(["dvc", "init", "-q"], workspace)
    source = rave_run_folder(tmp_path / "download", {"epoch_4.ckpt": 4})
    done = run(["electone-rave", "import-run", str(source), "--as", "vintage", "--corpus", "electone"], workspace)
    assert "git add data/imported/vintage.dvc configs/config.yaml" in done.stdout
    tracked = yaml.safe_load((workspace / "data/imported/vintage.dvc").read_text())
    assert tracked["outs"][0]["path"] == "vintage"
    assert "/vintage" in (workspace / "data/imported/.gitignore").read_text()  # the checkpoint stays out of git

    refused = run(["electone-rave", "import-run", str(tmp_path / "nowhere"), "--as", "x", "--corpus", "electone"],
                  workspace, check=False)
    assert refused.returncode != 0 and "nowhere: not a folder" in refused.stderr


def _config_copy(tmp_path: Path) -> Path:
    config = tmp_path / "config.yaml"
    shutil.copy(REPO / "configs/config.yaml", config)
    return config


def test_files_named_as_unseen_replace_the_heldout_split_for_an_imported_arm(repo_copy: Path, tmp_path: Path):
    source = rave_run_folder(tmp_path / "download", {"epoch_4.ckpt": 4})
    config_file = repo_copy / "configs/config.yaml"
    import_run(source, "vintage", "electone", dvc=False, config_file=config_file, root=Path("data/imported"),
               unseen_files=["electone_004.flac", "electone_007.flac"])
    assert load(config_file)["arms"]["vintage"]["unseen_files"] == ["electone_004.flac", "electone_007.flac"]

    manifest = {"root": "data/corpora/electone", "files": [
        {"file": f"electone_00{i}.flac", "split": "heldout" if i in (1, 5) else "train"} for i in range(8)]}
    assert [p.name for p in evaluation_files(manifest)] == ["electone_001.flac", "electone_005.flac"]
    assert [p.name for p in evaluation_files(manifest, ["electone_004.flac"])] == ["electone_004.flac"]
    with pytest.raises(ValueError, match="side A.flac: not in the corpus manifest"):
        evaluation_files(manifest, ["side A.flac"])

    config = yaml.safe_load(config_file.read_text())
    config["arms"]["electone"]["unseen_files"] = ["electone_004.flac"]
    with pytest.raises(ConfigError, match="arms/electone: unseen_files describe an imported model"):
        validate(config)


def test_the_replication_check_refuses_an_imported_run_without_its_curves(repo_copy: Path):
    (repo_copy / "data/imported/vintage").mkdir(parents=True)
    extra = repo_copy / "arm.yaml"
    extra.write_text(yaml.safe_dump({"arms": {"vintage": {"corpus": "musicnet", "imported": "data/imported/vintage",
                                                          "prior": False}}, "replication": {"run": "vintage"}}))
    with pytest.raises(ConfigError, match="replication/run: 'vintage' was imported without its TensorBoard events"):
        load(repo_copy / "configs/config.yaml", configfiles=(extra,))
    (repo_copy / "data/imported/vintage/tensorboard").mkdir()
    assert load(repo_copy / "configs/config.yaml", configfiles=(extra,))["replication"]["run"] == "vintage"


class NnTildeShape(torch.nn.Module):
    """A TorchScript file with the attributes and methods nn~ looks for (not a RAVE model): enough for
    what import-run and adopt check. A real RAVE export is imported on the smoke chain
    (test_chain_smoke.test_an_imported_torchscript_model_is_evaluated_without_its_checkpoint)."""

    def __init__(self, sr: int, has_prior: bool, channels: int):
        super().__init__()
        self.sr = sr
        self._has_prior = has_prior
        self.register_buffer("encode_params", torch.tensor([channels, 1, 8, 2048]))
        if has_prior:
            self.register_buffer("prior_params", torch.tensor([1, 2048, 8, 1]))

    @torch.jit.export
    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return x[..., ::2048].repeat(1, 8, 1)

    @torch.jit.export
    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return z[:, :1].repeat_interleave(2048, -1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))


def scripted_file(folder: Path, sr: int = 44100, has_prior: bool = False, channels: int = 1) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "VintageModel.ts"
    torch.jit.script(NnTildeShape(sr, has_prior, channels)).save(str(path))
    return path


@pytest.mark.parametrize("content, message", [
    (b"not a model", r"VintageModel.ts: not a loadable TorchScript file"),
    ("plain module", r"VintageModel.ts: lacks encode, decode, sr, encode_params; not a RAVE export"),
])
def test_a_ts_file_that_is_not_a_rave_export_is_refused_naming_why(repo_copy: Path, tmp_path: Path, content, message):
    source = tmp_path / "download/VintageModel.ts"
    source.parent.mkdir(parents=True)
    if content == "plain module":
        torch.jit.script(torch.nn.Identity()).save(str(source))
    else:
        source.write_bytes(content)
    assert_import_refused(repo_copy, source, "vintage", message)


def test_a_ts_without_a_prior_becomes_an_arm_without_one(repo_copy: Path, tmp_path: Path):
    config = repo_copy / "configs/config.yaml"
    record = import_run(scripted_file(tmp_path / "download"), "vintage_ts", "electone", dvc=False, config_file=config,
                        root=Path("data/imported"))
    assert record["has_prior"] is False and record["global_step"] is None and record["latent_ratio"] == 2048
    assert sorted(p.name for p in (repo_copy / "data/imported/vintage_ts").iterdir()) == ["model.ts", "source.json"]
    parsed = load(config)
    assert parsed["arms"]["vintage_ts"] == {"corpus": "electone", "imported": "data/imported/vintage_ts", "prior": False}

    extra = repo_copy / "arm.yaml"
    extra.write_text(yaml.safe_dump({"arms": {"vintage_ts": {**parsed["arms"]["vintage_ts"], "prior": True}}}))
    with pytest.raises(ConfigError, match=r"arms/vintage_ts/prior: data/imported/vintage_ts/model.ts was exported "
                                          "without a prior"):
        load(config, configfiles=(extra,))

    import_run(scripted_file(tmp_path / "download2", has_prior=True), "vintage_ts", "electone", dvc=False,
               config_file=config, root=Path("data/imported"))
    assert load(config, configfiles=(extra,))["arms"]["vintage_ts"]["prior"] is True


def test_adopting_a_ts_checks_its_rate_and_that_it_is_the_imported_file(tmp_path: Path):
    from electone_rave.export.scripted_model import adopt_scripted
    import_run(scripted_file(tmp_path / "download"), "vintage_ts", "electone", dvc=False,
               config_file=_config_copy(tmp_path), root=tmp_path / "imported")
    folder = tmp_path / "imported/vintage_ts"
    with pytest.raises(ImportRunError, match=r"vintage_ts/model.ts: the model runs at 44100 Hz, the workflow's audio "
                                             "is 48000 Hz"):
        adopt_scripted(folder, tmp_path / "export/vintage_ts.ts", 48000)
    assert not (tmp_path / "export").exists()

    described = adopt_scripted(folder, tmp_path / "export/vintage_ts.ts", 44100, tmp_path / "train/provenance.json")
    assert (tmp_path / "export/vintage_ts.ts").read_bytes() == (folder / "model.ts").read_bytes()
    assert sorted(p.name for p in (tmp_path / "export").iterdir()) == ["vintage_ts.ts"]
    assert described["global_step"] is None and described["imported"]["scripted"] == "VintageModel.ts"
    assert json.loads((tmp_path / "train/provenance.json").read_text())["imported"] == described["imported"]

    (folder / "model.ts").write_bytes(b"swapped")
    with pytest.raises(ImportRunError, match=r"vintage_ts/model.ts: differs from the file import-run recorded"):
        adopt_scripted(folder, tmp_path / "export2/vintage_ts.ts", 44100)


@pytest.mark.parametrize("make, message", [
    (lambda folder: scripted_file(folder, sr=48000), r"VintageModel.ts: the model runs at 48000 Hz, the workflow's "
                                                     "audio is 44100 Hz"),
    (lambda folder: scripted_file(folder, channels=2), r"VintageModel.ts: takes 2 input channels; the workflow's "
                                                        "audio is mono"),
    (lambda folder: folder / "Typo.ts", r"Typo.ts: no such file"),
])
def test_a_ts_that_cannot_fit_the_workflow_is_refused_before_anything_is_copied(repo_copy: Path, tmp_path: Path,
                                                                                make, message):
    (tmp_path / "download").mkdir()
    assert_import_refused(repo_copy, make(tmp_path / "download"), "vintage_ts", message)
