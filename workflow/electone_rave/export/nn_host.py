"""nn-host, the C++ program (workflow/nn_host) that plays an export as nn~ does, built against the
libtorch inside the venv's torch wheel: where it is and its two commands, `describe` and `play`.

nn~'s buffering, as the host reproduces it: nn~'s buffer argument is rounded up to a power of two (at
least the model's largest ratio); each method's input is decimated by its in_ratio (the last sample
of each group) and its output held for out_ratio samples; with nn~'s worker thread the output lags
the input by 2 x buffer - block.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from ..errors import ElectoneRaveError

HOST = "nn-host"
SOURCES = Path(__file__).resolve().parents[2] / "nn_host"  # workflow/nn_host
SOURCE_PATTERNS = ("*.cpp", "*.h", "CMakeLists.txt", "build.sh")
STAMP = Path("share", "nn-host", "sources.sha256")  # under the venv: the sources the binary was built from
WARMUP_BUFFERS = 2  # TorchScript's profiling calls after a model is loaded: timed apart
BUILD = "workflow/nn_host/build.sh"


class NnHostError(ElectoneRaveError):
    """nn-host is missing, or refused or failed to play an export."""


def nn_tilde_buffer(requested: int | None, higher_ratio: int) -> int:
    """The buffer nn~ plays with for a requested one (its Max external's rules, which nn-host follows):
    omitted or 0, the model's higher ratio (its power-of-two ceiling when omitted); smaller than the
    ratio, the ratio; otherwise the next power of two."""
    def power_ceil(x: int) -> int:
        return 1 << max(0, (x - 1).bit_length())
    if requested is None:
        return power_ceil(higher_ratio)
    if requested == 0 or requested < higher_ratio:
        return higher_ratio
    return power_ceil(requested)


def timing(report: dict) -> dict:
    """A play report's buffer times as the package states them everywhere: the first buffer (the
    glitch heard once when the model loads), then, after WARMUP_BUFFERS, the median, the 99th
    percentile (nearest rank) and the share past the deadline (one buffer's duration)."""
    times = report["buffer_seconds"]
    timed = times[WARMUP_BUFFERS:] or times
    deadline = report["deadline_seconds"]
    return {"buffers": len(timed), "first_buffer_ms": 1000 * times[0],
            "median_ms": 1000 * float(np.median(timed)),
            "p99_ms": 1000 * float(np.percentile(timed, 99, method="inverted_cdf")),
            "deadline_ms": 1000 * deadline, "missed_share": sum(t > deadline for t in timed) / len(timed)}


def source_files(folder: Path = SOURCES) -> list[Path]:
    return sorted(path for pattern in SOURCE_PATTERNS for path in folder.glob(pattern))


def sources_digest(folder: Path = SOURCES) -> str:
    """sha256 over the host's source files, names and bytes (build.sh records it beside the binary)."""
    digest = hashlib.sha256()
    for path in source_files(folder):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def host_binary(venv: Path | None = None) -> Path:
    """The venv's nn-host (installed beside its python by `make setup`), refused when it was built from
    other sources than workflow/nn_host holds now; else one on PATH."""
    venv = venv or Path(sys.executable).parent.parent
    beside = venv / "bin" / HOST
    if beside.is_file():
        stamp = venv / STAMP
        if not stamp.is_file() or stamp.read_text().strip() != sources_digest():
            raise NnHostError(f"{beside} was built from other sources than {SOURCES} holds now: "
                              f"`make setup` rebuilds it ({BUILD} {sys.executable})")
        return beside
    found = shutil.which(HOST)
    if not found:
        raise NnHostError(f"{HOST} is not built: `make setup` builds it ({BUILD} {sys.executable})")
    return Path(found)


def _run(ts_file: Path, arguments: list[str]) -> str:
    result = subprocess.run([str(host_binary()), *arguments], capture_output=True, text=True)
    if result.returncode:
        raise NnHostError(f"{ts_file}: {HOST} {arguments[0]} failed: {result.stderr.strip() or result.returncode}")
    return result.stdout


def describe(ts_file: Path) -> dict:
    """What nn~ finds in the model: libtorch version, methods and their params, settable attributes
    and their values, the higher ratio and nn~'s default buffer."""
    return json.loads(_run(ts_file, ["describe", str(ts_file)]))


def play(ts_file: Path, wav_in: Path, wav_out: Path, method: str = "forward", buffer: int | None = None,
         block: int = 64, batch: int = 1, threads: int | None = None, sample_rate: int | None = None,
         seed: int = 0, tail: int | None = None) -> dict:
    """`method` played from wav_in to wav_out; the host's report (buffer, latency, time per buffer)."""
    options = {"--method": method, "--buffer": buffer, "--block": block, "--batch": batch, "--threads": threads,
               "--sample-rate": sample_rate, "--seed": seed, "--tail": tail}
    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch) / "report.json"
        arguments = ["play", str(ts_file), str(wav_in), str(wav_out), "--report", str(report)]
        for flag, value in options.items():
            if value is not None:
                arguments += [flag, str(value)]
        _run(ts_file, arguments)
        return json.loads(report.read_text())
