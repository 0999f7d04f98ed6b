"""Every export played by nn-host (nn~'s backend, in C++) and by Python's torch, compared sample for sample.

For each method nn~ can call (forward, encode, decode, prior), at batch 1 and at mc.nn~'s batch 4,
a seeded test signal (no corpus audio) goes through the C++ host with nn~'s buffering and through
the scripted model in Python, buffer by buffer with the same decimation and hold; the outputs must
agree within TOLERANCE once the host's latency is removed. The record says what nn~ will find in the
model (methods, params, attributes), the libtorch the host was built with, the torch the export was
made with and which nn~ releases ship a libtorch of that version, and the host's time per buffer.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

from ..fileio import write_json
from . import nn_host
from .nn_host import NnHostError

log = logging.getLogger(__name__)

TOLERANCE = 1e-5  # largest |host - Python| sample difference accepted (float32 arithmetic, same libtorch)
SIGNAL_SECONDS = 2.0
BLOCK = 64  # Max's default signal vector size
BATCHES = (1, 4)  # nn~, and mc.nn~ with four channels
METHODS = ("forward", "encode", "decode", "prior")

# nn~ releases and the libtorch (major.minor) their build files fetch (acids-ircam/nn_tilde, per tag:
# .github/workflows/build.yaml, install/*.sh, src/cmake/add_torch.cmake). A model made with a newer
# torch than the host's libtorch may be refused or crash when nn~ loads it.
NN_TILDE_LIBTORCH = (
    ("v1.3.0-v1.3.4", "1.11"),
    ("v1.4.0", "1.12"),
    ("v1.4.1", "1.13"),
    ("v1.4.3-v1.5.6", "2.0"),
    ("v1.6.0", "2.5"),
)


def minor(version: str) -> tuple[int, int]:
    major, minor_, *_ = version.split("+")[0].split(".")
    return int(major), int(minor_)


def nn_tilde_releases(made_with: str | None) -> dict:
    """Which nn~ releases ship the libtorch the export was made with (as the workflow's export
    records it in the .ts), and which an older one."""
    if made_with is None:
        return {"made_with_torch": None, "same_libtorch": [], "older_libtorch": [],
                "note": "a .ts made elsewhere: the torch it was made with is not recorded in it"}
    made = minor(made_with)
    return {"made_with_torch": made_with,
            "same_libtorch": [release for release, libtorch in NN_TILDE_LIBTORCH if minor(libtorch) == made],
            "older_libtorch": [release for release, libtorch in NN_TILDE_LIBTORCH if minor(libtorch) < made]}


def test_signal(sample_rate: int, frames: int, batch: int, seed: int) -> np.ndarray:
    """[batch, 1, frames]: a few seeded partials with a slow envelope and a little noise, per batch."""
    rng = np.random.default_rng(seed)
    t = np.arange(frames) / sample_rate
    signals = []
    for _ in range(batch):
        partials = sum(rng.uniform(0.1, 0.3) * np.sin(2 * np.pi * rng.uniform(80, 2000) * t + rng.uniform(0, 6.3))
                       for _ in range(3))
        envelope = 0.5 + 0.5 * np.sin(2 * np.pi * rng.uniform(0.5, 3) * t)
        signals.append(partials * envelope + 0.02 * rng.standard_normal(frames))
    return np.stack(signals)[:, None, :].astype(np.float32)


def python_stream(model, method: str, params: dict, signal: np.ndarray, buffer: int) -> np.ndarray:
    """[batch, out_channels, frames]: `method` called buffer by buffer on [batch, in_channels, frames],
    each input decimated by in_ratio (last sample of each group) and each output held for out_ratio."""
    import torch

    outputs = []
    with torch.no_grad():
        for start in range(0, signal.shape[-1], buffer):
            x = signal[..., start:start + buffer][..., params["in_ratio"] - 1::params["in_ratio"]]
            y = getattr(model, method)(torch.from_numpy(np.ascontiguousarray(x))).numpy()
            outputs.append(np.repeat(y, params["out_ratio"], axis=-1))
    return np.concatenate(outputs, axis=-1)


def write_inlets(path: Path, signal: np.ndarray, sample_rate: int) -> None:
    """[batch, channels, frames] as nn~'s inlets: WAV channel c * batch + b."""
    batch, channels, _ = signal.shape
    sf.write(path, signal.transpose(1, 0, 2).reshape(channels * batch, -1).T, sample_rate, subtype="FLOAT")


def read_outlets(path: Path, batch: int) -> np.ndarray:
    """The host's WAV (channel b * channels + c) as [batch, channels, frames]."""
    audio, _ = sf.read(path, dtype="float32", always_2d=True)
    return audio.T.reshape(batch, -1, audio.shape[0])


def method_input(method: str, params: dict, audio: np.ndarray, latent: np.ndarray) -> np.ndarray:
    if method in ("forward", "encode"):
        return audio
    if method == "decode":
        return latent
    return np.zeros((audio.shape[0], params["in_channels"], audio.shape[-1]), np.float32)  # prior: inlet 0


def check_method(ts_file: Path, method: str, params: dict, signal: np.ndarray, buffer: int, sample_rate: int,
                 seed: int, scratch: Path) -> tuple[dict, np.ndarray]:
    """One method at one batch through the host and through Python; the comparison and Python's output."""
    import torch

    batch, frames = signal.shape[0], signal.shape[-1]
    torch.manual_seed(seed)
    reference = python_stream(torch.jit.load(str(ts_file)).eval(), method, params, signal, buffer)
    wav_in, wav_out = scratch / f"{method}_{batch}_in.wav", scratch / f"{method}_{batch}_out.wav"
    write_inlets(wav_in, signal, sample_rate)
    report = nn_host.play(ts_file, wav_in, wav_out, method=method, buffer=buffer, block=BLOCK, batch=batch,
                          threads=1, sample_rate=sample_rate, seed=seed)
    played = read_outlets(wav_out, batch)
    latency = report["latency_samples"]
    aligned = played[..., latency:latency + frames]
    if aligned.shape != reference.shape:
        raise NnHostError(f"{ts_file}: {method} at batch {batch} gave {aligned.shape} in nn-host, "
                          f"{reference.shape} in Python")
    difference = float(np.abs(aligned.astype(np.float64) - reference).max())
    return {"method": method, "batch": batch, "buffer": report["buffer"], "block": report["block"],
            "latency_samples": latency, "max_abs_difference": difference,
            "output_rms": float(np.sqrt(np.mean(aligned.astype(np.float64) ** 2))), **nn_host.timing(report)}, reference


def check_export(ts_file: Path, out_file: Path, seed: int) -> dict:
    """Plays every nn~ method of the export in nn-host and in Python; refuses the export (naming the
    method and the difference) unless they agree and forward is not silent. Writes the record."""
    import torch

    description = nn_host.describe(ts_file)
    methods = description["methods"]
    missing = [m for m in ("forward", "encode", "decode") if m not in methods]
    if missing:
        raise NnHostError(f"{ts_file}: nn~ finds no {', '.join(missing)} (methods with _params: {sorted(methods)})")
    if description["sample_rate"] is None:
        raise NnHostError(f"{ts_file}: no integer attribute sr (RAVE's exports give their sample rate there)")
    sample_rate, buffer = description["sample_rate"], description["default_buffer"]
    frames = -(-int(SIGNAL_SECONDS * sample_rate) // buffer) * buffer
    checks = []
    previous_threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with tempfile.TemporaryDirectory() as scratch:
            for batch in BATCHES:
                audio = test_signal(sample_rate, frames, batch, seed)
                latent = None
                for method in (m for m in METHODS if m in methods):
                    signal = method_input(method, methods[method], audio, latent)
                    check, output = check_method(ts_file, method, methods[method], signal, buffer, sample_rate,
                                                 seed, Path(scratch))
                    latent = output if method == "encode" else latent
                    checks.append(check)
                    log.info("%s %s batch %d: max |nn-host - Python| = %.3g", ts_file.name, method, batch,
                             check["max_abs_difference"])
    finally:
        torch.set_num_threads(previous_threads)
    for check in checks:
        if not check["max_abs_difference"] <= TOLERANCE:  # NaN too
            raise NnHostError(f"{ts_file}: {check['method']} at batch {check['batch']} differs between nn-host and "
                              f"Python by {check['max_abs_difference']:.3g} (tolerance {TOLERANCE})")
        if check["method"] == "forward" and not 0.0 < check["output_rms"] < float("inf"):
            raise NnHostError(f"{ts_file}: forward plays {'silence' if check['output_rms'] == 0 else 'no number'} "
                              f"in nn-host at batch {check['batch']}")
    record = {"export": str(ts_file), "libtorch": description["libtorch"],
              "nn_tilde": nn_tilde_releases(description["made_with_torch"]),
              "methods": methods, "attributes": description["attributes"],
              "default_buffer": buffer, "sample_rate": sample_rate, "tolerance": TOLERANCE,
              "signal_seconds": frames / sample_rate, "checks": checks}
    write_json(record, out_file)
    return record
