"""Unreadable input fails preprocessing with the file and the reason (upstream hides ffmpeg errors)."""

from __future__ import annotations

from pathlib import Path

import struct
import subprocess

import numpy as np
import pytest
import soundfile as sf

from conftest import run
from electone_rave.corpus.audio_check import (SPDIF_SYNC, BadAudioError, DecodeOutputError, decode, decode_with_ffmpeg,
                                              probe, read_pcm16_wav, riff_chunk_ids)
from electone_rave.corpus.demo_corpus import generate_corpus
from electone_rave.corpus.manifest import build_manifest
from electone_rave.fileio import write_json


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
    assert read_pcm16_wav(wav, only=(rate, channels)) is not None
    assert read_pcm16_wav(wav, only=(22050, channels)) is None and read_pcm16_wav(wav, only=(rate, 3)) is None
    info, samples = decode(wav)
    assert (info.sample_rate, info.channels, info.frames) == (rate, channels, rate // 2)
    np.testing.assert_array_equal(samples, ffmpeg_s16le(wav, channels))


@pytest.mark.parametrize("subtype", ["PCM_24", "FLOAT", "PCM_U8"])
def test_other_wavs_are_left_to_ffmpeg(tmp_path: Path, subtype: str):
    wav = tmp_path / "take.wav"
    sf.write(wav, np.zeros((100, 1)) + 0.1, 44100, subtype=subtype)
    assert read_pcm16_wav(wav) is None


def riff_wav(data: bytes, channels: int = 1, rate: int = 44100, before_data: bytes = b"",
             after_data: bytes = b"") -> bytes:
    """A 16-bit PCM WAV written byte by byte, so that it can be wrong in exactly one way."""
    fmt = struct.pack("<HHIIHH", 1, channels, rate, rate * channels * 2, channels * 2, 16)
    body = (b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + before_data
            + b"data" + struct.pack("<I", len(data)) + data + b"\0" * (len(data) % 2) + after_data)
    return b"RIFF" + struct.pack("<I", len(body)) + body


SAMPLES = (np.sin(np.arange(4410) / 7) * 8000).astype("<i2").tobytes()


@pytest.mark.parametrize("name, content", [
    ("partial frame", SAMPLES + b"\x01"),  # wave would drop the odd byte; ffmpeg refuses the packet
    ("zero rate", riff_wav(SAMPLES, rate=0)),
    ("chunk larger than the file", riff_wav(SAMPLES, before_data=b"LIST" + struct.pack("<I", 10**6) + b"abcd")),
])
def test_a_malformed_wav_is_judged_by_ffmpeg_not_read_in_process(tmp_path: Path, name: str, content: bytes):
    wav = tmp_path / "odd.wav"
    wav.write_bytes(content if content.startswith(b"RIFF") else riff_wav(content))
    assert read_pcm16_wav(wav) is None
    with pytest.raises(BadAudioError):
        decode(wav)


def test_an_spdif_bitstream_in_a_wav_is_left_to_ffmpeg(tmp_path: Path):
    wav = tmp_path / "ac3_over_spdif.wav"
    wav.write_bytes(riff_wav(SAMPLES[:400] + SPDIF_SYNC + SAMPLES[:4000], channels=2))
    assert read_pcm16_wav(wav) is None


def test_a_wav_with_two_data_chunks_is_decoded_by_ffmpeg(tmp_path: Path):
    second = SAMPLES[::-1]
    wav = tmp_path / "two_takes.wav"
    wav.write_bytes(riff_wav(SAMPLES, after_data=b"data" + struct.pack("<I", len(second)) + second))
    assert read_pcm16_wav(wav) is None  # wave would give the first chunk's samples
    np.testing.assert_array_equal(decode(wav)[1], ffmpeg_s16le(wav, 1))


def test_chunks_after_the_data_keep_the_wav_in_process(tmp_path: Path):
    tags = b"LIST" + struct.pack("<I", 5) + b"INFOx" + b"\0"  # odd size: padded to even, as RIFF says
    wav = tmp_path / "tagged.wav"
    wav.write_bytes(riff_wav(SAMPLES, after_data=tags))
    assert riff_chunk_ids(wav) == [b"fmt ", b"data", b"LIST"]
    np.testing.assert_array_equal(read_pcm16_wav(wav)[1], ffmpeg_s16le(wav, 1))


def test_the_byte_built_wav_is_read_in_process_when_nothing_is_wrong(tmp_path: Path):
    wav = tmp_path / "plain.wav"
    wav.write_bytes(riff_wav(SAMPLES))
    info, samples = read_pcm16_wav(wav)
    assert (info.sample_rate, info.channels, info.frames) == (44100, 1, 4410)
    np.testing.assert_array_equal(samples, ffmpeg_s16le(wav, 1))


@pytest.mark.parametrize("content, reason", [
    (b"", "file is empty"),
    (b"this is not audio at all" * 100, "ffmpeg cannot decode it: Invalid data found when processing input$"),
])
def test_probe_names_file_and_reason(tmp_path: Path, content: bytes, reason: str):
    bad = tmp_path / "bad.wav"
    bad.write_bytes(content)
    with pytest.raises(BadAudioError, match=reason) as err:
        probe(bad)
    assert err.value.path == bad and str(bad) in str(err.value)


def test_a_file_without_audio_is_named_so(tmp_path: Path):
    video = tmp_path / "clip.mp4"  # pictures only, no audio stream
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", "testsrc=d=1", "-c:v", "mpeg4",
                    str(video)], check=True)
    with pytest.raises(BadAudioError, match=r"clip.mp4: no audio stream$"):
        probe(video)


def test_an_output_that_cannot_be_written_is_not_called_bad_audio(tmp_path: Path):
    """A full disk or a bad destination stops the caller (DecodeOutputError) instead of skipping a
    good file as bad input: a second decode writing nothing tells the two apart."""
    source = tmp_path / "take.flac"
    sf.write(source, np.random.default_rng(1).standard_normal(4410) * 0.1, 44100)
    blocked = tmp_path / "blocked.wav"
    blocked.mkdir()  # ffmpeg cannot write a file where a folder is
    with pytest.raises(DecodeOutputError, match=r"take.flac: decodes, but ffmpeg could not write"):
        decode_with_ffmpeg(source, ["-map", "0:a:0", "-c:a", "pcm_s16le", "-y", str(blocked)], scratch=tmp_path)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".decoded-")] == []  # no scratch left


def test_a_file_decoding_to_no_samples_is_named_so(tmp_path: Path):
    empty = tmp_path / "empty_float.wav"
    sf.write(empty, np.zeros((0, 1), dtype=np.float32), 44100, subtype="FLOAT")  # not 16-bit: ffmpeg decodes it
    with pytest.raises(BadAudioError, match=r"empty_float.wav: decodes to zero samples$"):
        probe(empty)


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
