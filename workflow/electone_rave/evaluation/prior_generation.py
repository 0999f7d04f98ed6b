"""Unconditional generation with an exported model's prior, chained as nn~ chains it: prior -> decode.

Temperatures here are effective ones: what the prior divides its logits by. RAVE's exported prior
(scripts/export.py) does not take that number from its inlet: it averages the inlet value t over
the block and applies softplus(t) / ln 2, so an nn~ user types `inlet_value(T)` to play at T
(0 for temperature 1; typing 1.0 gives 1.89)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import soundfile as sf

from .models import load_exported

FRAMES_PER_CALL = 16  # latent frames per call, as nn~ would with a buffer of 16 x 2048 samples


SWEEP_RECORD = "temperatures.json"


def effective_temperature(inlet: float) -> float:
    """What RAVE's exported prior divides its logits by when its inlet receives `inlet`."""
    return math.log1p(math.exp(inlet)) / math.log(2)  # softplus(inlet) / ln 2


def inlet_value(temperature: float) -> float:
    """The value to send the prior's inlet in nn~ to play at this effective temperature (> 0)."""
    if temperature <= 0:
        raise ValueError(f"temperature {temperature:g}: the exported prior's effective temperature is always > 0")
    return math.log(math.expm1(temperature * math.log(2)))  # softplus's inverse, of T ln 2


def generate(ts_file: Path, seconds: float, seed: int, temperature: float = 1.0) -> tuple[np.ndarray, int]:
    """`seconds` of audio from the prior at the effective `temperature`."""
    import torch

    torch.manual_seed(seed)
    model = load_exported(ts_file)
    samples_per_frame = int(model.prior_params[1])  # the prior runs at the latent frame rate
    sample_rate = int(model.sr)
    n_calls = int(np.ceil(seconds * sample_rate / (FRAMES_PER_CALL * samples_per_frame)))
    out = []
    with torch.no_grad():
        for _ in range(n_calls):
            z = model.prior(torch.full((1, 1, FRAMES_PER_CALL), inlet_value(temperature)))
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
    """One generation per effective temperature, all from the same seed, so only the temperature
    differs; temperatures.json records each file's effective temperature and nn~ inlet value."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written, record = [], []
    for temperature in temperatures:
        audio, rate = generate(ts_file, seconds, seed, temperature)
        path = out_dir / temperature_file_name(temperature)
        sf.write(path, np.clip(audio, -1, 1), rate, subtype="PCM_16")
        written.append(path)
        record.append({"file": path.name, "effective_temperature": temperature,
                       "nn_tilde_inlet": round(inlet_value(temperature), 4)})
    (out_dir / SWEEP_RECORD).write_text(json.dumps(record, indent=2) + "\n")
    return written
