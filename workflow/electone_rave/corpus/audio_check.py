"""Checking that an audio file can be read completely, before anything is trained on it.

Ingest (and import-corpus) fully decode every input here, and a failure names the file and ffmpeg's
own reason: `rave preprocess` itself runs ffmpeg with `-loglevel panic`, so an unreadable file
would be silently skipped or hang its pool. A plain 16-bit PCM WAV whose data is all there (the
common case: CD rips, the demo corpus) is read in-process, which gives exactly the samples
ffmpeg's s16le decode gives without starting a process; anything else, or anything odd about it,
is decoded by one ffmpeg run, which writes the samples as a 16-bit WAV into a scratch folder (its
header gives the rate and channels, so no ffprobe runs; a file is cheaper to read back than a pipe)
and, in the same run, whatever further outputs the caller names.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from ..errors import ElectoneRaveError


class BadAudioError(ElectoneRaveError, ValueError):
    def __init__(self, path: Path, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path, self.reason = Path(path), reason


class DecodeOutputError(ElectoneRaveError, OSError):
    """A file that decodes, whose samples or converted file ffmpeg could not write (disk full,
    permissions): not bad input, so whatever called stops."""


# ffmpeg's output options for a 16-bit PCM WAV (RF64 past 4 GB, which libsndfile reads).
WAV_16_BIT = ["-c:a", "pcm_s16le", "-rf64", "auto", "-f", "wav"]


@dataclass(frozen=True)
class AudioInfo:
    path: Path
    sample_rate: int
    channels: int
    frames: int

    @property
    def seconds(self) -> float:
        return self.frames / self.sample_rate


def require_ffmpeg() -> None:
    missing = [tool for tool in ("ffmpeg", "ffprobe") if shutil.which(tool) is None]
    if missing:
        raise RuntimeError(f"{' and '.join(missing)} not found on PATH: install the Debian/Ubuntu "
                           "package `ffmpeg` (RAVE's preprocessing shells out to it)")


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "no output"


def probe(path: Path) -> AudioInfo:
    """Probe the first audio stream and count its samples by decoding it completely."""
    return decode(path)[0]


# IEC 61937's sync words as 16-bit little-endian samples: AC-3 or DTS wrapped in a PCM WAV (S/PDIF),
# which ffmpeg detects and decodes as the compressed stream it is.
SPDIF_SYNC = b"\x72\xf8\x1f\x4e"


def riff_chunk_ids(path: Path) -> list[bytes]:
    """The ids of a RIFF file's top-level chunks, in order (headers only: data is skipped)."""
    ids = []
    with open(path, "rb") as riff:
        riff.seek(12)
        while len(header := riff.read(8)) == 8:
            ids.append(header[:4])
            size = int.from_bytes(header[4:], "little")
            riff.seek(size + size % 2, 1)
    return ids


def read_pcm16_wav(path: Path, only: tuple[int, int] | None = None) -> tuple[AudioInfo, np.ndarray] | None:
    """A plain 16-bit PCM WAV, read in-process. None for any other file and for anything odd about
    one: fewer or more data bytes than whole frames, a zero rate, an S/PDIF bitstream, more than one
    data chunk (wave reads the first, ffmpeg the last), or a header Python's wave module cannot
    follow. ffmpeg then decodes it and judges it as before. With `only` (sample rate, channels), also
    None, without reading the samples, for a WAV of another rate or channel count."""
    try:
        with wave.open(str(path), "rb") as wav:
            if wav.getsampwidth() != 2 or wav.getcomptype() != "NONE":
                return None
            channels, rate, frames = wav.getnchannels(), wav.getframerate(), wav.getnframes()
            if only is not None and (rate, channels) != only:
                return None
            data = wav.readframes(frames)
            leftover = wav.readframes(1)  # a partial frame wave would drop; ffmpeg refuses the file
    except Exception:  # wave raises wave.Error, EOFError, RuntimeError, ... on malformed chunks
        return None
    if frames == 0 or rate <= 0 or leftover or len(data) != frames * channels * 2 or SPDIF_SYNC in data:
        return None
    if riff_chunk_ids(path).count(b"data") != 1:
        return None
    return AudioInfo(path, rate, channels, frames), np.frombuffer(data, dtype="<i2").reshape(-1, channels)


def decode(path: Path) -> tuple[AudioInfo, np.ndarray]:
    """The first audio stream's info and its samples as int16 [frames, channels], as RAVE sees them
    (`rave preprocess` decodes to s16le too). Raises BadAudioError naming the file and the reason."""
    path = check_exists(path)
    plain_wav = read_pcm16_wav(path)
    if plain_wav is not None:
        return plain_wav
    return decode_with_ffmpeg(path)


def check_exists(path: Path) -> Path:
    path = Path(path)
    if not path.is_file():
        raise BadAudioError(path, "file does not exist")
    if path.stat().st_size == 0:
        raise BadAudioError(path, "file is empty (0 bytes)")
    return path


def run_ffmpeg(path: Path, outputs: list[str]) -> str | None:
    """Decode the first audio stream of `path` into `outputs`: None, or ffmpeg's messages if it failed."""
    done = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-xerror", "-i", str(path), "-map", "0:a:0", *outputs],
                          stdin=subprocess.DEVNULL, capture_output=True)
    errors = done.stderr.decode(errors="replace")
    return None if done.returncode == 0 and not errors.strip() else errors


def ffmpeg_reason(path: Path, errors: str) -> str:
    return _last_line(errors).removeprefix(f"{path}: ")  # ffmpeg's line names the file too


def check_decodes(path: Path) -> None:
    """Decode `path` completely, writing nothing; BadAudioError naming ffmpeg's reason if it fails."""
    errors = run_ffmpeg(path, ["-f", "null", "-"])
    if errors is None:
        return
    if "matches no streams" in errors:  # -map 0:a:0 on a file without audio
        raise BadAudioError(path, "no audio stream")
    raise BadAudioError(path, f"ffmpeg cannot decode it: {ffmpeg_reason(path, errors)}")


def decode_with_ffmpeg(path: Path, outputs: list[str] = (), scratch: Path | None = None) -> tuple[AudioInfo, np.ndarray]:
    """decode() by ffmpeg, whatever the file. `outputs` are further ffmpeg outputs (their options and
    file, such as the converted file) made in the same run from the same decode; the samples pass
    through a 16-bit WAV in `scratch` (a folder of its own where None), removed once read. A run
    that fails is told apart by a second decode writing nothing: BadAudioError for a file that does
    not decode, DecodeOutputError for outputs that could not be written."""
    path = check_exists(path)
    if scratch is None:
        with tempfile.TemporaryDirectory(prefix="electone-rave-decode-") as folder:
            return decode_with_ffmpeg(path, outputs, Path(folder))
    with tempfile.NamedTemporaryFile(dir=scratch, prefix=".decoded-", suffix=".wav") as decoded:
        errors = run_ffmpeg(path, [*WAV_16_BIT, "-y", decoded.name, *outputs])
        if errors is not None:
            check_decodes(path)  # raises BadAudioError if the file is what failed
            raise DecodeOutputError(f"{path}: decodes, but ffmpeg could not write its samples (in {scratch}) "
                                    f"or its converted file: {ffmpeg_reason(path, errors)}")
        try:
            samples, rate = sf.read(decoded.name, dtype="int16", always_2d=True)
        except sf.LibsndfileError:  # ffmpeg wrote no samples: its WAV header alone
            raise BadAudioError(path, "decodes to zero samples") from None
    if len(samples) == 0:
        raise BadAudioError(path, "decodes to zero samples")
    return AudioInfo(path, rate, samples.shape[1], len(samples)), samples
