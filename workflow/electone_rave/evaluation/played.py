"""Held-out audio played through the exported streaming model as nn~ plays it.

The checkpoint's reconstructions (reconstruct.py) measure the trained network; a musician hears the
exported `.ts`: streaming (cached) convolutions, the latent truncated to the export's fidelity,
buffer after buffer at batch 1, from a fresh object. This module plays each held-out file that way:
a freshly loaded model per file, `forward` on consecutive blocks of nn~'s buffer size, then enough
silence to flush the model's delay. The delay is removed before the metrics: for a run whose
config.gin is known (trained here, or an imported checkpoint), the delay its architecture sets
(export/streaming_delay.py); for a `.ts` alone, estimated from the output (alignment.py), one delay
per model, the median over files. The estimates are recorded either way.

Each file's compute time is measured as it plays (buffers timed, on `threads` threads), so the
real-time factor reported beside the quality describes the same files.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np
import soundfile as sf

from ..fileio import write_json

from ..corpus.manifest import evaluation_files, read_manifest, reconstruction_of
from .audio_files import read_mono
from .models import load_exported
from .reconstruct import MAX_DELAY_SECONDS, aligned

log = logging.getLogger(__name__)
PLAYED_RECORD = "played.json"


def play(model, audio: np.ndarray, buffer: int, flush: int) -> tuple[np.ndarray, float]:
    """`forward` on consecutive blocks of `buffer` samples at batch 1, as nn~ calls it; the signal is
    followed by `flush` samples of silence. Returns the output (as long as what was played in) and
    the compute seconds."""
    import torch

    n_blocks = -(-(len(audio) + flush) // buffer)
    padded = np.zeros(n_blocks * buffer, dtype=np.float32)
    padded[: len(audio)] = audio
    blocks, compute = [], 0.0
    with torch.no_grad():
        for i in range(n_blocks):
            block = torch.from_numpy(padded[i * buffer:(i + 1) * buffer])[None, None]
            start = time.perf_counter()
            blocks.append(model.forward(block)[0, 0].numpy())
            compute += time.perf_counter() - start
    return np.concatenate(blocks), compute


def play_files(ts_file: Path, sources: list[Path], buffer: int, threads: int, seed: int,
               known_delay: int | None = None) -> tuple[list[np.ndarray], list[np.ndarray], dict]:
    """Each file played through a fresh copy of the export (seeded alike); the originals, the
    outputs with the model's delay (known_delay, or estimated) removed, and a record of the delay
    and the compute time."""
    import torch

    probe = load_exported(ts_file)
    ratio, sample_rate = int(probe.encode_params[3]), int(probe.sr)
    if buffer % ratio:
        raise ValueError(f"{ts_file}: nn~'s buffer must be a multiple of the model's ratio {ratio}, not {buffer}")
    max_delay = int(MAX_DELAY_SECONDS * sample_rate)
    previous_threads = torch.get_num_threads()
    torch.set_num_threads(threads)
    originals, outputs, compute, played_samples = [], [], 0.0, 0
    try:
        for source in sources:
            audio, rate = read_mono(source)
            if rate != sample_rate:
                raise ValueError(f"{source}: {rate} Hz, the model plays at {sample_rate} Hz")
            torch.manual_seed(seed)
            played, seconds = play(load_exported(ts_file), audio, buffer, max_delay)  # a fresh nn~ object
            originals.append(audio)
            outputs.append(played)
            compute += seconds
            played_samples += len(played)
    finally:
        torch.set_num_threads(previous_threads)
    outputs, alignment = aligned(originals, outputs, max_delay, names=sources, known_delay=known_delay)
    audio_seconds = played_samples / sample_rate  # the files and the silence that flushed them
    record = {"model": str(ts_file), "sample_rate": sample_rate, "buffer": buffer, "threads": threads, "batch": 1,
              **alignment, "files": len(sources), "audio_seconds": audio_seconds, "compute_seconds": compute,
              "realtime_factor": compute / audio_seconds}
    return originals, outputs, record


def play_heldout(ts_file: Path, manifest_path: Path, out_dir: Path, buffer: int, threads: int, seed: int,
                 named: list[str] | None = None, config_gin: Path | None = None) -> dict:
    """Play every held-out file (or the files named as unseen) through the export, write the aligned
    outputs as WAV and a record of the delay removed and the real-time factor measured. config_gin:
    the run's, whose architecture sets the delay."""
    manifest = read_manifest(manifest_path)
    sources = evaluation_files(manifest, named)
    if not sources:
        raise ValueError(f"{manifest_path}: no held-out files to play")
    _, outputs, record = play_files(ts_file, sources, buffer, threads, seed, known_delay(config_gin))
    out_dir.mkdir(parents=True, exist_ok=True)
    for source, y in zip(sources, outputs):
        target = reconstruction_of(manifest, source, out_dir)
        target.parent.mkdir(parents=True, exist_ok=True)
        sf.write(target, np.clip(y, -1, 1), record["sample_rate"], subtype="PCM_16")
    write_json(record, out_dir / PLAYED_RECORD)
    log.info("%s: %d files played, delay %d samples (%s) removed, RTF %.3f", ts_file, len(sources),
             record["delay_samples"], record["delay_source"], record["realtime_factor"])
    return record


def known_delay(config_gin: Path | None) -> int | None:
    if config_gin is None:
        return None
    from ..export.streaming_delay import architecture_delay

    delay = architecture_delay(config_gin)
    if delay is None:
        log.info("%s: an architecture other than RAVE v2's; the delay is estimated from the output", config_gin)
    return delay


def snr_db(reference: np.ndarray, candidate: np.ndarray) -> float:
    """How far a signal stands above its difference from the reference, in dB."""
    return float(10 * np.log10(np.sum(reference ** 2) / max(np.sum((candidate - reference) ** 2), 1e-30)))


def compare_exports(reference: Path, candidate: Path, manifest_path: Path, out: Path, buffer: int, threads: int,
                    seed: int, named: list[str] | None = None, config_gin: Path | None = None) -> dict:
    """Two exports of one trained model (float32 and bfloat16 weights) played alike over the held-out
    files: the candidate's SNR against the reference's output, each one's metrics against the
    originals and its real-time factor. config_gin: the run's, whose architecture sets the delay."""
    from .audio_metrics import pair_metrics

    sources = evaluation_files(read_manifest(manifest_path), named)
    results, delay = {}, known_delay(config_gin)
    for role, ts_file in (("reference", reference), ("candidate", candidate)):
        originals, outputs, record = play_files(ts_file, sources, buffer, threads, seed, delay)
        rows = [pair_metrics(x, y, record["sample_rate"]) for x, y in zip(originals, outputs)]
        results[role] = {"outputs": outputs, "record": {
            **record, "metrics": {k: float(np.mean([r[k] for r in rows])) for k in rows[0]}}}
    per_file = [snr_db(a, b) for a, b in zip(results["reference"]["outputs"], results["candidate"]["outputs"])]
    report = {"files": [str(s) for s in sources], "snr_db": {"per_file": per_file, "min": min(per_file)},
              "reference": results["reference"]["record"], "candidate": results["candidate"]["record"]}
    write_json(report, out)
    return report
