"""A tonal "MusicNet-like" chamber piece: piano- and string-like partials, no percussion."""

from __future__ import annotations

import numpy as np
from scipy import signal

from .dsp import SAMPLE_RATE, additive, adsr, midi_to_hz, normalize_peak, place, time_axis

MINOR_SCALE = (0, 2, 3, 5, 7, 8, 10)
MAJOR_SCALE = (0, 2, 4, 5, 7, 9, 11)


def _piano(note: int, n: int, rng: np.random.Generator) -> np.ndarray:
    """Stiff-string partials f_k = k f0 sqrt(1 + B k^2), higher partials decaying faster."""
    f0 = midi_to_hz(note)
    stiffness = 1e-4
    t = time_axis(n)
    out = np.zeros(n)
    for k in range(1, 13):
        fk = k * f0 * np.sqrt(1 + stiffness * k * k)
        if fk >= SAMPLE_RATE / 2:
            break
        decay = 1.2 + 0.9 * k + f0 / 400
        out += (0.8 ** k) * np.sin(2 * np.pi * fk * t + rng.uniform(0, 2 * np.pi)) * np.exp(-decay * t)
    attack = min(n, int(0.003 * SAMPLE_RATE))
    out[:attack] *= np.linspace(0, 1, attack)
    out[-min(n, 2000):] *= np.linspace(1, 0, min(n, 2000))
    return out


def _string(note: int, n: int, rng: np.random.Generator) -> np.ndarray:
    t = time_axis(n)
    vibrato = 1.0 + 0.005 * np.sin(2 * np.pi * rng.uniform(4.8, 5.8) * t) * np.minimum(1, t / 0.4)
    k = np.arange(1, 16)
    tone = additive(midi_to_hz(note) * vibrato, k, 1.0 / k, n, rng)
    return tone * adsr(n, 0.25, 0.2, 0.8, 0.3)


def _room(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A short exponentially decaying noise impulse response (a small hall)."""
    n = int(0.8 * SAMPLE_RATE)
    ir = rng.standard_normal(n) * np.exp(-time_axis(n) * 7.0)
    ir[0] = 30.0
    return signal.fftconvolve(x, ir / np.sum(np.abs(ir)) * 6.0)[:len(x)]


def synthesize(seconds: float, rng: np.random.Generator) -> np.ndarray:
    n = int(seconds * SAMPLE_RATE)
    scale = MINOR_SCALE if rng.random() < 0.5 else MAJOR_SCALE
    key = 48 + int(rng.integers(0, 12))
    beat = int(60.0 / rng.uniform(60, 96) * SAMPLE_RATE)
    piano, strings = np.zeros(n), np.zeros(n)
    degree = 0
    for bar, start in enumerate(range(0, n, 4 * beat)):
        degree = (degree + int(rng.choice([3, 4, 5, 1]))) % 7
        chord = [key + scale[(degree + k) % 7] + 12 * ((degree + k) // 7) for k in (0, 2, 4)]
        length = min(4 * beat, n - start)
        for note in chord:
            place(strings, _string(note, length, rng), start)
        # Broken-chord piano figuration in eighths, over two octaves.
        for e in range(8):
            s = start + e * beat // 2
            if s >= n:
                break
            note = chord[e % 3] + 12 * (1 + (e // 3) % 2)
            place(piano, 0.6 * _piano(note, min(2 * beat, n - s), rng), s)
    mix = _room(0.5 * piano + 0.12 * strings, rng)
    return normalize_peak(mix, -1.0)
