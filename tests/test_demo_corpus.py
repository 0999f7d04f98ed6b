"""The generated demo corpora: deterministic from the seed, 44.1 kHz mono, with their manifest."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.signal
import soundfile as sf

from electone_rave.corpus.demo_corpus import generate_corpus
from electone_rave.corpus.manifest import build_manifest
from electone_rave.fileio import sha256_of


def hashes(paths: list[Path]) -> list[str]:
    return [sha256_of(p) for p in paths]


@pytest.mark.parametrize("style", ["electone", "chamber"])
def test_same_seed_gives_the_same_bytes(tmp_path: Path, style: str):
    first = generate_corpus(style, tmp_path / "a", files=2, seconds=3.0, seed=1970)
    second = generate_corpus(style, tmp_path / "b", files=2, seconds=3.0, seed=1970)
    other = generate_corpus(style, tmp_path / "c", files=2, seconds=3.0, seed=1971)
    assert hashes(first) == hashes(second)
    assert set(hashes(first)).isdisjoint(hashes(other))
    assert len(set(hashes(first))) == 2  # files differ from each other


def test_a_file_does_not_depend_on_how_many_are_made(tmp_path: Path):
    few = generate_corpus("electone", tmp_path / "few", files=1, seconds=2.0, seed=7)
    many = generate_corpus("electone", tmp_path / "many", files=3, seconds=2.0, seed=7)
    assert sha256_of(few[0]) == sha256_of(many[0])


@pytest.mark.parametrize("style", ["electone", "chamber"])
def test_files_are_44k1_mono_pcm16_of_the_requested_length(tmp_path: Path, style: str):
    (path,) = generate_corpus(style, tmp_path, files=1, seconds=2.5, seed=1)
    info = sf.info(str(path))
    assert (info.samplerate, info.channels, info.subtype) == (44100, 1, "PCM_16")
    assert info.frames == int(2.5 * 44100)
    audio, _ = sf.read(str(path))
    assert 0.1 < np.abs(audio).max() <= 1.0  # audible, not clipped past full scale
    assert np.sqrt(np.mean(audio ** 2)) > 0.01


def high_band_noisiness(path: Path) -> float:
    """Spectral flatness of 5-16 kHz in the frames where that band is loudest: noise (hats, snare)
    is flat, harmonic partials are peaky."""
    audio, sr = sf.read(str(path))
    freqs, _, stft = scipy.signal.stft(audio, sr, nperseg=2048)
    band = np.abs(stft[(freqs > 5000) & (freqs < 16000)]) ** 2 + 1e-12
    loud = band.sum(0) >= np.percentile(band.sum(0), 90)
    flatness = np.exp(np.log(band[:, loud]).mean(0)) / band[:, loud].mean(0)
    return float(np.median(flatness))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_electone_has_rhythm_box_noise_the_chamber_corpus_lacks(tmp_path: Path, seed: int):
    (organ,) = generate_corpus("electone", tmp_path / "e", files=1, seconds=6.0, seed=seed)
    (chamber,) = generate_corpus("chamber", tmp_path / "c", files=1, seconds=6.0, seed=seed)
    assert high_band_noisiness(organ) > 10 * high_band_noisiness(chamber)


def test_manifest_rows_and_seeded_heldout_split(tmp_path: Path):
    generate_corpus("chamber", tmp_path, files=4, seconds=1.0, seed=5)
    manifest = build_manifest(tmp_path, heldout_files=1, seed=5)
    assert [row["file"] for row in manifest["files"]] == [f"chamber_{i:03d}.wav" for i in range(4)]
    row = manifest["files"][0]
    assert set(row) == {"file", "seconds", "sample_rate", "channels", "sha256", "split"}
    assert (row["seconds"], row["sample_rate"], row["channels"]) == (1.0, 44100, 1)
    assert [r["split"] for r in manifest["files"]].count("heldout") == 1
    assert build_manifest(tmp_path, heldout_files=1, seed=5) == manifest
