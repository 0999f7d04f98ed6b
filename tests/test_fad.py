"""The opt-in Fréchet Audio Distance (evaluation.fad): refused before anything runs without the
user's weights; computed through the real loading code with a small TorchScript encoder of ours and
with VGGish's architecture (torchvggish) carrying seeded weights of ours, since Google's weights are
the user's to supply."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from conftest import REPO, make_workspace, paper_sentences, run
from electone_rave.corpus.demo_corpus import generate_corpus
from electone_rave.corpus.manifest import build_manifest, files_in_split, reconstruction_of
from electone_rave.errors import ConfigError
from electone_rave.evaluation.fad import FadError, check_fad, evaluate_fad, load_embedder
from electone_rave.fileio import sha256_of, write_json

SR = 44100


class Encoder(torch.nn.Module):
    """A small encoder of ours: audio [1, 1, samples] -> [1, 8, frames], as a RAVE export's encode."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.conv = torch.nn.Conv1d(1, 8, 1024, stride=512)

    @torch.jit.export
    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.conv(x))


@pytest.fixture(scope="module")
def encoder(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("fad") / "encoder.ts"
    torch.jit.save(torch.jit.script(Encoder()), str(path))
    return path


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """Held-out files, their "played" reconstructions (the originals with noise added) and "generations"."""
    root = tmp_path_factory.mktemp("fad_corpus")
    generate_corpus("electone", root / "corpus", 4, 4.0, 1970)
    manifest = build_manifest(root / "corpus", heldout_files=2, seed=1)
    write_json(manifest, root / "manifest.json")
    rng = np.random.default_rng(0)
    for original in files_in_split(manifest, "heldout"):
        x, rate = sf.read(original, dtype="float32")
        played = reconstruction_of(manifest, original, root / "played")
        played.parent.mkdir(parents=True, exist_ok=True)
        sf.write(played, x + 0.05 * rng.standard_normal(len(x)).astype(np.float32), rate)
    (root / "prior").mkdir()
    for i in range(2):
        sf.write(root / f"prior/prior_{i:02d}.wav", 0.1 * rng.standard_normal(3 * SR).astype(np.float32), SR)
    return root


def organ(seconds: float = 3.0) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    return (sum(a * np.sin(2 * np.pi * f * t) for f, a in [(220, 0.4), (440, 0.2), (660, 0.1)])
            * (0.6 + 0.4 * np.sin(2 * np.pi * 1.5 * t))).astype(np.float32)


def distances(embedder_name: str, weights: Path) -> list[float]:
    """FAD of the same audio, then of more and more noise added to it."""
    from electone_rave.evaluation.fad import frechet_audio_distance

    embed = load_embedder(embedder_name, weights)
    rng = np.random.default_rng(1)
    refs = [organ(), organ(2.0)]
    out = []
    for level in (0.0, 0.02, 0.2):
        candidates = [x + level * rng.standard_normal(len(x)).astype(np.float32) for x in refs]
        out.append(frechet_audio_distance(refs, candidates, SR, embed, "test")["fad"])
    return out


def test_without_its_weights_fad_is_refused_before_anything_runs(tmp_path: Path):
    missing = tmp_path / "vggish-10086976.pth"
    with pytest.raises(ConfigError, match=rf"{missing}: no such file\. FAD on vggish embeddings needs weights you "
                                          r"supply \(torchvggish's VGGish weights, https://github\.com/harritaylor/"):
        check_fad({"evaluation": {"fad": {"embedding": "vggish", "weights": str(missing)}}})
    check_fad({"evaluation": {"fad": None}})  # off: nothing to check
    check_fad({"evaluation": {}})


def test_fad_in_a_small_encoder_of_ours_is_zero_for_the_same_audio_and_grows_with_noise(encoder: Path):
    same, slight, heavy = distances("torchscript", encoder)
    assert same == pytest.approx(0.0, abs=1e-6) and 0 < slight < heavy


def test_a_model_without_the_method_or_not_torchscript_is_named(encoder: Path, tmp_path: Path):
    with pytest.raises(FadError, match=rf"{encoder}: the model has no method 'embed'"):
        load_embedder("torchscript", encoder, "embed")
    (tmp_path / "notes.ts").write_text("not a model")
    with pytest.raises(FadError, match=rf"{tmp_path / 'notes.ts'}: not a TorchScript file"):
        load_embedder("torchscript", tmp_path / "notes.ts")


def test_a_file_that_is_not_vggish_weights_is_named(encoder: Path, tmp_path: Path):
    (tmp_path / "vggish.pth").write_bytes(b"<html>a download page saved by mistake</html>")
    for wrong in (tmp_path / "vggish.pth", encoder):  # not a torch file; a TorchScript model
        with pytest.raises(FadError, match=rf"{wrong}: not VGGish weights as torchvggish defines them"):
            load_embedder("vggish", wrong)


def test_the_record_names_the_weights_and_both_distances(encoder: Path, corpus: Path, tmp_path: Path):
    out = tmp_path / "fad.json"
    done = run(["electone-rave", "fad", "--embedding", "torchscript", "--weights", str(encoder), "--manifest",
                str(corpus / "manifest.json"), "--played", str(corpus / "played"), "--generations", str(corpus / "prior"),
                "--run-name", "toy", "--out", str(out), "--seed", "1"], tmp_path)
    record = json.loads(out.read_text())
    assert f"{out}: played FAD {record['played']['fad']:.4f}, prior FAD {record['prior']['fad']:.4f}" in done.stdout
    assert record["weights_sha256"] == sha256_of(encoder) and record["method"] == "encode"
    assert record["played"]["files"] == 2 and record["played"]["dims"] == 8 and record["played"]["fad"] > 0
    assert record["prior"]["files"] == 2 and record["prior"]["fad"] > record["played"]["fad"]  # noise is further off
    # a missing reconstruction is named, and no record is left
    shutil.copytree(corpus / "played", tmp_path / "played")
    next((tmp_path / "played").rglob("*.wav")).unlink()
    with pytest.raises(FileNotFoundError, match=r"played/.*\.wav: no reconstruction of .*corpus/"):
        evaluate_fad("torchscript", encoder, "encode", corpus / "manifest.json", tmp_path / "played", None, "toy",
                     tmp_path / "again.json")
    assert not (tmp_path / "again.json").exists()


def test_the_paper_gives_fad_or_says_it_needs_the_users_weights(tmp_path: Path):
    (absent,) = paper_sentences(tmp_path / "none", "<fad>")
    assert absent == ("The Fréchet Audio Distance is not computed here: it needs an embedding model's weights, "
                      "which the user supplies (evaluation.fad).")
    runs = json.loads((REPO / "tests/data/smoke_numbers.json").read_text())["runs"]
    sha = "10086976" + "0" * 56
    fad = {"baseline": {"embedding": "vggish", "weights_sha256": sha, "played": 12.3456, "prior": None,
                        "played_frames": [50, 48], "prior_frames": None},
           "electone": {"embedding": "vggish", "weights_sha256": sha, "played": 4.5, "prior": 20.25,
                        "played_frames": [50, 49], "prior_frames": [1800, 10]}}
    (given,) = paper_sentences(tmp_path / "given", "<fad>", runs=[r | {"fad": fad.get(r["run"])} for r in runs])
    assert given == ("Fréchet Audio Distance in vggish embeddings (weights sha256 100869760000), lower is better: the "
                     "held-out files against their reconstructions as nn~ plays them, baseline 12.346 (50 and 48 frames), "
                     "electone 4.5 (50 and 49 frames); the training audio against the prior's generations, electone 20.25 "
                     "(1800 and 10 frames). Few frames, as here, leave the embeddings' covariances poorly estimated and "
                     "the distance biased upwards.")


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    return make_workspace(tmp_path_factory.mktemp("fad_workspace"), "smoke")


def test_the_workflow_plans_fad_for_every_run_only_when_asked(workspace: Path, encoder: Path):
    def planned(*flags: str) -> list[str]:
        done = run(["snakemake", "-n", "-p", *flags], workspace, check=False)
        return [line.split("Shell command: ", 1)[1] for line in (done.stdout + done.stderr).splitlines()
                if line.startswith("Shell command: electone-rave fad ")], done

    assert planned()[0] == []
    shutil.copy(encoder, workspace / "encoder.ts")
    settings = workspace / "fad.yaml"
    settings.write_text("evaluation:\n  fad: {embedding: torchscript, weights: encoder.ts}\n")
    commands, _ = planned("--configfile", "configs/config.yaml", str(settings))
    assert sorted(c.split("--run-name ")[1].split()[0] for c in commands) == [
        "baseline", "baseline_noise", "electone", "electone_no_noise"]
    electone = next(c for c in commands if "--run-name electone " in c)
    assert "--weights encoder.ts --embedding torchscript --method encode --generations results/audio/electone/prior" in electone
    assert all("--generations" not in c for c in commands if c is not electone)
    settings.write_text("evaluation:\n  fad: {embedding: vggish, weights: weights/vggish.pth}\n")
    refused, done = planned("--configfile", "configs/config.yaml", str(settings))
    assert refused == [] and done.returncode != 0
    assert "weights/vggish.pth: no such file. FAD on vggish embeddings needs weights you supply" in done.stdout + done.stderr


@pytest.mark.slow
def test_vggish_as_torchvggish_defines_it_loads_the_weights_it_is_given(tmp_path: Path, encoder: Path):
    """Seeded weights of ours in VGGish's architecture (Google's are the user's to supply): 128-d
    embeddings, zero for the same audio, growing with noise; weights of another model are refused."""
    import torchvggish

    torch.manual_seed(0)
    weights = tmp_path / "vggish_seeded.pth"
    torch.save(torchvggish.VGG(torchvggish.make_layers(), postprocess=False).state_dict(), weights)
    same, slight, heavy = distances("vggish", weights)
    assert same == pytest.approx(0.0, abs=1e-6) and 0 < slight < heavy
    other = tmp_path / "other.pth"
    torch.save(Encoder().state_dict(), other)
    with pytest.raises(FadError, match=rf"{other}: not VGGish weights as torchvggish defines them \(Error"):
        load_embedder("vggish", other)
