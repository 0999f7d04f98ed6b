"""H3, cross-corpus transfer: the content measures on audio whose answer is known, the verdict, the
config checks, the record the pairs' runs give, its figure and the paper's sentence. The chain runs
it on trained models (test_chain_smoke)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import yaml

from conftest import REPO, paper_sentences
from electone_rave.evaluation.transfer import content_kept, evaluate_transfer
from electone_rave.evaluation.transfer_comparison import check_transfer, compare, verdict
from electone_rave.workflow.config import ConfigError, load

RATE = 44100


def melody(notes: list[float], seconds: float = 0.5, rng=None) -> np.ndarray:
    """Organ-like tones, one per note, with a swelling envelope."""
    t = np.arange(int(seconds * RATE)) / RATE
    envelope = np.sin(np.pi * t / seconds) ** 2
    tones = [envelope * sum(np.sin(2 * np.pi * f * k * t) / k for k in (1, 2, 3)) for f in notes]
    return (0.2 * np.concatenate(tones)).astype(np.float32)


NOTES = [261.6, 329.6, 392.0, 523.3, 440.0, 349.2, 293.7, 246.9]


def test_a_copy_keeps_everything_and_noise_keeps_little():
    source = melody(NOTES)
    same = content_kept(source, source, RATE)
    assert same["chroma_similarity"] == pytest.approx(1.0, abs=1e-6)
    assert same["loudness_correlation"] == pytest.approx(1.0, abs=1e-6)
    transposed = content_kept(source, melody([f * 2 ** (6 / 12) for f in NOTES]), RATE)  # a tritone away
    noise = np.random.default_rng(0).normal(0, 0.05, len(source)).astype(np.float32)
    hiss = content_kept(source, noise, RATE)
    assert transposed["chroma_similarity"] < 0.6 < same["chroma_similarity"]
    assert transposed["loudness_correlation"] > 0.9  # the dynamics survive a transposition
    assert hiss["loudness_correlation"] < 0.5 and hiss["chroma_similarity"] < same["chroma_similarity"]


def test_silence_has_no_content_to_compare():
    with pytest.raises(ValueError, match="fewer than two sounding frames"):
        content_kept(np.zeros(RATE, np.float32), melody(NOTES[:2]), RATE)


def means(*pairs: tuple[float, float]) -> list[dict]:
    return [{"chroma_similarity": c, "loudness_correlation": l} for c, l in pairs]


@pytest.mark.parametrize("with_noise, without_noise, expected", [
    (means((0.5, 0.5), (0.6, 0.4)), means((0.7, 0.8), (0.8, 0.5)), "supported"),
    (means((0.7, 0.8), (0.8, 0.5)), means((0.5, 0.5), (0.6, 0.4)), "not supported"),
    (means((0.5, 0.9), (0.6, 0.4)), means((0.7, 0.8), (0.8, 0.5)), "cannot tell"),  # the measures disagree
    (means((0.5, 0.5)), means((0.7, 0.8)), "cannot tell"),  # one seed
])
def test_the_verdict_needs_every_seed_and_both_measures(with_noise, without_noise, expected):
    assert verdict(with_noise, without_noise)[0] == expected


def test_each_seed_needs_a_run_on_both_sides():
    with pytest.raises(ValueError, match="one run per seed on each side: 2 with noise, 1 without"):
        verdict(means((0.5, 0.5), (0.6, 0.4)), means((0.7, 0.8)))


def test_the_timbre_reference_is_a_seeded_sample_of_the_training_audio(tmp_path: Path, monkeypatch):
    from electone_rave.evaluation import transfer

    training = corpus(tmp_path, "electone", {f"t{i}.wav": (melody(NOTES), "train") for i in range(4)})
    monkeypatch.setattr(transfer, "REFERENCE_SECONDS", 5.0)  # each file is 4 s
    reference = transfer.training_reference(training)
    assert [len(x) for x in reference] == [4 * RATE, 1 * RATE]
    assert [len(x) for x in transfer.training_reference(training)] == [len(x) for x in reference]


@pytest.mark.parametrize("transfer, message", [
    ({"electone": "electone"}, "must be another corpus an arm trains on"),
    ({"electone": "album"}, "must be another corpus an arm trains on"),
    ({"album": "musicnet"}, "no ablation pair on 'album'"),
])
def test_a_transfer_needs_a_pairs_corpus_and_another_trained_one(monkeypatch, tmp_path, transfer, message):
    monkeypatch.chdir(REPO)
    path = tmp_path / "transfer.yaml"
    path.write_text(yaml.safe_dump({"transfer": transfer}))
    config = load(configfiles=(path,))
    config["transfer"] = transfer  # merged over the default's mapping
    with pytest.raises(ConfigError, match=message):
        check_transfer(config)
    check_transfer(load())


def corpus(root: Path, name: str, files: dict[str, tuple[np.ndarray, str]]) -> Path:
    """A manifest and its audio: name -> (samples, split)."""
    (root / name).mkdir(parents=True)
    for file, (audio, _) in files.items():
        sf.write(root / name / file, audio, RATE, subtype="PCM_16")
    manifest = root / f"{name}.json"
    manifest.write_text(json.dumps({"root": (root / name).as_posix(), "files": [
        {"file": file, "seconds": len(audio) / RATE, "split": split} for file, (audio, split) in files.items()]}))
    return manifest


def test_the_pairs_runs_give_a_record_a_figure_and_the_papers_sentence(tmp_path: Path):
    rng = np.random.default_rng(1)
    source = corpus(tmp_path, "musicnet", {"a.wav": (melody(NOTES), "heldout"), "b.wav": (melody(NOTES[::-1]), "heldout"),
                                           "c.wav": (melody(NOTES[:4]), "train")})
    training = corpus(tmp_path, "electone", {"t.wav": (melody([110.0, 164.8] * 4), "train")})
    eval_dir = tmp_path / "eval"
    runs = {"electone": 0.6, "electone_seed1971": 0.5, "electone_no_noise": 0.05, "electone_no_noise_seed1971": 0.1}
    for run, hiss in runs.items():  # the runs with noise keep less of their input
        outputs = tmp_path / "audio" / run
        outputs.mkdir(parents=True)
        for file, notes in (("a.wav", NOTES), ("b.wav", NOTES[::-1])):
            x = melody(notes)
            sf.write(outputs / file, np.clip(x + rng.normal(0, hiss, len(x)), -1, 1), RATE, subtype="PCM_16")
        record = evaluate_transfer(source, outputs, training, run, eval_dir / run / "transfer.json")
        assert record["source"] == "musicnet" and [row["file"] for row in record["files"]] == ["a.wav", "b.wav"]
        assert record["frechet_mfcc_to_training"]["inputs"] > 0
    pair = {"corpus": "electone", "with_noise": ["electone", "electone_seed1971"],
            "without_noise": ["electone_no_noise", "electone_no_noise_seed1971"], "seeds": [1970, 1971]}
    result = compare([pair], eval_dir, tmp_path / "transfer.json")
    (row,) = result["pairs"]
    assert (row["source"], row["verdict"]) == ("musicnet", "supported")
    assert all(w["chroma_similarity"] < wo["chroma_similarity"] for w, wo in zip(row["with_noise"], row["without_noise"]))

    from PIL import Image
    from electone_rave.report.figures.transfer import plot
    plot(tmp_path / "transfer.json", tmp_path / "figure.png")
    assert Image.open(tmp_path / "figure.png").info["Description"] == "pairs: electone<-musicnet"

    (sentence,) = paper_sentences(tmp_path / "paper", "<transfer-verdict>", transfer=result)
    assert sentence == ("Measured here, the data support the author's hunch on electone: on every seed the run "
                        "without noise keeps more of the input by both measures.")
    (absent,) = paper_sentences(tmp_path / "paper_none", "<transfer-verdict>", transfer=None)
    assert absent.startswith("Not run here: the config's transfer names no ablation pair's corpus")
