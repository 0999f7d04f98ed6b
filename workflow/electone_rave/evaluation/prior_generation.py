"""Unconditional generation with an exported model's prior, chained as nn~ chains it: prior -> decode."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

from .models import load_exported

FRAMES_PER_CALL = 16  # latent frames per call, as nn~ would with a buffer of 16 x 2048 samples


def generate(ts_file: Path, seconds: float, seed: int, temperature: float = 1.0) -> tuple[np.ndarray, int]:
    import torch

    torch.manual_seed(seed)
    model = load_exported(ts_file)
    samples_per_frame = int(model.prior_params[1])  # the prior runs at the latent frame rate
    sample_rate = int(model.sr)
    n_calls = int(np.ceil(seconds * sample_rate / (FRAMES_PER_CALL * samples_per_frame)))
    out = []
    with torch.no_grad():
        for _ in range(n_calls):
            z = model.prior(torch.full((1, 1, FRAMES_PER_CALL), temperature))
            out.append(model.decode(z)[0, 0])
    audio = torch.cat(out).numpy()[: int(seconds * sample_rate)]
    return audio, sample_rate


def write_generations(ts_file: Path, out_dir: Path, count: int, seconds: float, seed: int) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for i in range(count):
        audio, rate = generate(ts_file, seconds, seed + i)
        path = out_dir / f"prior_{i:02d}.wav"
        sf.write(path, np.clip(audio, -1, 1), rate, subtype="PCM_16")
        written.append(path)
    return written


def temperature_file_name(temperature: float) -> str:
    return f"temperature_{temperature:g}.wav"


def write_temperature_sweep(ts_file: Path, out_dir: Path, temperatures: list[float], seconds: float,
                            seed: int) -> list[Path]:
    """One generation per temperature, all from the same seed, so only the temperature differs."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for temperature in temperatures:
        audio, rate = generate(ts_file, seconds, seed, temperature)
        path = out_dir / temperature_file_name(temperature)
        sf.write(path, np.clip(audio, -1, 1), rate, subtype="PCM_16")
        written.append(path)
    return written
