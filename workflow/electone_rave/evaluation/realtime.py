"""Real-time factor of an exported streaming model, as nn~ runs it: one buffer at a time on the CPU."""

from __future__ import annotations

import time
from pathlib import Path

from .models import load_exported


def realtime_factor(ts_file: Path, buffer: int = 2048, threads: int = 1, seconds: float = 10.0,
                    warmup_buffers: int = 8) -> dict:
    """Seconds of compute per second of audio for `forward` (encode + decode); < 1 is real time."""
    import torch

    previous_threads = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        model = load_exported(ts_file)
        sample_rate = int(model.sr)
        x = 0.1 * torch.randn(1, 1, buffer)
        n_buffers = max(1, int(seconds * sample_rate / buffer))
        with torch.no_grad():
            for _ in range(warmup_buffers):
                model.forward(x)
            start = time.perf_counter()
            for _ in range(n_buffers):
                model.forward(x)
            elapsed = time.perf_counter() - start
    finally:
        torch.set_num_threads(previous_threads)
    audio_seconds = n_buffers * buffer / sample_rate
    return {"model": str(ts_file), "buffer": buffer, "threads": threads, "audio_seconds": audio_seconds,
            "compute_seconds": elapsed, "realtime_factor": elapsed / audio_seconds}
