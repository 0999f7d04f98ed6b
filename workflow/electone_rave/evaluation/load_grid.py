"""The load a musician will see: an export played by nn-host (nn~'s backend and buffering, in C++)
at each sample rate, nn~ buffer, thread count and batch (nn~, mc.nn~), the way neutone's benchmark
tools report a model: the median and 99th-percentile compute time per buffer, the share of buffers
that miss their deadline (one buffer's duration, what nn~'s worker thread has; nn~ plays silence for
as long as it is late), and the delay a player hears: nn~'s own (2 x buffer - block with its worker thread)
plus the model's streaming delay (measured when its held-out files were played, play_heldout).

The first buffers after loading are TorchScript's profiling runs (nn_host.WARMUP_BUFFERS): the first
one's time is reported apart (first_buffer_ms), as the glitch a musician hears once when the model
loads, not in the rates. nn~ sets no thread count (torch's default: the machine's cores); the grid
sets each one it measures.
"""

from __future__ import annotations

import itertools
import logging
import tempfile
from pathlib import Path

from ..export import nn_host
from ..export.nn_host_check import BLOCK, test_signal, write_inlets
from ..fileio import read_json, write_json
from ..provenance import cpu_model

log = logging.getLogger(__name__)
SUMMARY = {"sample_rate": 44100, "buffer": 2048, "threads": 1, "batch": 1}  # the paper's one line


def measure(ts_file: Path, sample_rate: int, buffer: int, threads: int, batch: int, seconds: float, seed: int,
            model_delay: int, scratch: Path, played_buffer: int) -> dict:
    """One cell of the grid: `forward` on `seconds` of a test signal (at least a buffer past the warm-up)
    from a freshly loaded model, nn~'s `buffer` argument as requested (nn~ plays `played_buffer`)."""
    frames = max(int(seconds * sample_rate), (nn_host.WARMUP_BUFFERS + 1) * played_buffer)
    wav_in = scratch / f"in_{sample_rate}_{batch}_{frames}.wav"
    if not wav_in.exists():
        write_inlets(wav_in, test_signal(sample_rate, frames, batch, seed), sample_rate)
    report = nn_host.play(ts_file, wav_in, scratch / "out.wav", buffer=buffer, block=BLOCK, batch=batch,
                          threads=threads, sample_rate=sample_rate, seed=seed)
    return {"sample_rate": sample_rate, "buffer": report["buffer"], "threads": threads, "batch": batch,
            **nn_host.timing(report), "nn_tilde_delay_samples": report["latency_samples"],
            "model_delay_samples": model_delay,
            "delay_ms": 1000 * (report["latency_samples"] + model_delay) / sample_rate}


def load_grid(ts_file: Path, played_record: Path | None, out_file: Path, sample_rates: list[int], buffers: list[int],
              threads: list[int], batches: list[int], seconds: float, seed: int) -> dict:
    """Every combination of the axes, one fresh model each; the record, with the paper's line."""
    model_delay = int(read_json(played_record).get("delay_samples", 0)) if played_record else 0
    description = nn_host.describe(ts_file)
    # nn~ raises a buffer below the model's largest ratio to that ratio: each buffer it plays, once.
    played = {}
    for requested in buffers:
        played.setdefault(nn_host.nn_tilde_buffer(requested, description["higher_ratio"]), requested)
    cells = []
    with tempfile.TemporaryDirectory() as scratch:
        for sample_rate, buffer, thread_count, batch in itertools.product(sample_rates, sorted(played), threads, batches):
            cell = measure(ts_file, sample_rate, played[buffer], thread_count, batch, seconds, seed, model_delay,
                           Path(scratch), played_buffer=buffer)
            if cell["buffer"] != buffer:
                raise nn_host.NnHostError(f"{ts_file}: nn-host played buffer {cell['buffer']} for {played[buffer]}, "
                                          f"where nn~ plays {buffer}")
            log.info("%s: %d Hz, buffer %d, %d thread(s), batch %d: median %.2f ms, p99 %.2f ms of %.1f, "
                     "missed %.0f %%", ts_file.name, sample_rate, cell["buffer"], thread_count, batch,
                     cell["median_ms"], cell["p99_ms"], cell["deadline_ms"], 100 * cell["missed_share"])
            cells.append(cell)
    summary = next((c for c in cells if all(c[k] == v for k, v in SUMMARY.items())), None)
    record = {"model": str(ts_file), "libtorch": description["libtorch"], "block": BLOCK,
              "warmup_buffers": nn_host.WARMUP_BUFFERS,
              "requested_buffers": buffers, "higher_ratio": description["higher_ratio"],
              "seconds": seconds, "cpu": cpu_model(), "summary": summary,
              "smallest_buffer_without_misses": smallest_safe_buffers(cells), "cells": cells}
    write_json(record, out_file)
    return record


def smallest_safe_buffers(cells: list[dict]) -> list[dict]:
    """Per sample rate, threads and batch: the smallest buffer at which no timed buffer missed, or None."""
    rows = []
    for (sample_rate, threads, batch), group in itertools.groupby(
            sorted(cells, key=lambda c: (c["sample_rate"], c["threads"], c["batch"], c["buffer"])),
            key=lambda c: (c["sample_rate"], c["threads"], c["batch"])):
        safe = [c for c in group if c["missed_share"] == 0]
        rows.append({"sample_rate": sample_rate, "threads": threads, "batch": batch,
                     "buffer": safe[0]["buffer"] if safe else None,
                     "delay_ms": safe[0]["delay_ms"] if safe else None})
    return rows

