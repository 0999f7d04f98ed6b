"""Unreadable input fails preprocessing with the file and the reason (upstream hides ffmpeg errors)."""

from __future__ import annotations

from pathlib import Path

import subprocess

import numpy as np
import pytest
import soundfile as sf

from conftest import run
from electone_rave.audio_check import BadAudioError, decode, probe, read_pcm16_wav
from electone_rave.demo_corpus import generate_corpus
from electone_rave.manifest import build_manifest, write_json


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    generate_corpus("chamber", tmp_path / "audio", files=3, seconds=1.0, seed=2)
    return tmp_path / "audio"


def test_probe_reads_a_good_file(corpus: Path):
    info = probe(corpus / "chamber_000.wav")
    assert (info.sample_rate, info.channels, info.frames) == (44100, 1, 44100)


def ffmpeg_s16le(path: Path, channels: int) -> np.ndarray:
    decoded = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-map", "0:a:0",
                              "-f", "s16le", "-acodec", "pcm_s16le", "-"], capture_output=True, check=True)
    return np.frombuffer(decoded.stdout, dtype="<i2").reshape(-1, channels)


@pytest.mark.parametrize("channels, rate", [(1, 44100), (2, 48000)])
def test_a_16_bit_wav_read_in_process_gives_ffmpegs_samples(tmp_path: Path, channels: int, rate: int):
    wav = tmp_path / "take.wav"
    noise = np.random.default_rng(channels).standard_normal((rate // 2, channels)) * 0.3
    sf.write(wav, np.clip(noise, -1, 1), rate, subtype="PCM_16")
    assert read_pcm16_wav(wav) is not None  # the in-process path, not ffmpeg, is what is compared
    info, samples = decode(wav)
    assert (info.sample_rate, info.channels, info.frames) == (rate, channels, rate // 2)
    np.testing.assert_array_equal(samples, ffmpeg_s16le(wav, channels))


@pytest.mark.parametrize("subtype", ["PCM_24", "FLOAT", "PCM_U8"])
def test_other_wavs_are_left_to_ffmpeg(tmp_path: Path, subtype: str):
    wav = tmp_path / "take.wav"
    sf.write(wav, np.zeros((100, 1)) + 0.1, 44100, subtype=subtype)
    assert read_pcm16_wav(wav) is None


@pytest.mark.parametrize("content, reason", [
    (b"", "file is empty"),
    (b"this is not audio at all" * 100, "ffprobe cannot read it"),
])
def test_probe_names_file_and_reason(tmp_path: Path, content: bytes, reason: str):
    bad = tmp_path / "bad.wav"
    bad.write_bytes(content)
    with pytest.raises(BadAudioError, match=reason) as err:
        probe(bad)
    assert err.value.path == bad and str(bad) in str(err.value)


def test_truncated_wav_is_caught_by_the_full_decode(corpus: Path):
    wav = corpus / "chamber_001.wav"
    wav.write_bytes(wav.read_bytes()[:2000])  # the header still promises 1 s
    with pytest.raises(BadAudioError, match="corrupt input packet"):
        probe(wav)


def test_corrupt_flac_frames_are_caught_by_the_full_decode(tmp_path: Path):
    flac = tmp_path / "damaged.flac"
    sf.write(flac, np.random.default_rng(0).standard_normal(44100) * 0.1, 44100)
    data = bytearray(flac.read_bytes())
    middle = len(data) // 2
    data[middle:middle + 400] = b"\x55" * 400
    flac.write_bytes(bytes(data))
    with pytest.raises(BadAudioError, match="ffmpeg cannot decode it"):
        probe(flac)


def test_preprocess_command_fails_naming_the_corrupt_file(corpus: Path, tmp_path: Path):
    manifest = build_manifest(corpus, heldout_files=0, seed=2)
    write_json(manifest, tmp_path / "manifest.json")
    victim = corpus / "chamber_002.wav"
    victim.write_bytes(b"RIFF" + b"\0" * 10)
    done = run(["electone-rave", "preprocess", "--manifest", str(tmp_path / "manifest.json"),
                "--out", str(tmp_path / "db"), "--sample-rate", "44100", "--channels", "1",
                "--n-signal", "131072"], tmp_path, check=False)
    assert done.returncode == 1
    assert "chamber_002.wav" in done.stderr and "content differs from the sha256" in done.stderr
    assert not (tmp_path / "db").exists()
