"""Small synthesis primitives shared by the demo corpora (numpy + scipy.signal only)."""

from __future__ import annotations

import numpy as np
from scipy import signal

SAMPLE_RATE = 44100


def midi_to_hz(note: float) -> float:
    return 440.0 * 2.0 ** ((note - 69.0) / 12.0)


def time_axis(n: int, sr: int = SAMPLE_RATE) -> np.ndarray:
    return np.arange(n) / sr


def adsr(n: int, attack: float, decay: float, sustain: float, release: float,
         sr: int = SAMPLE_RATE) -> np.ndarray:
    """Linear ADSR envelope of n samples; the release ends at sample n."""
    a, d, r = (max(1, int(s * sr)) for s in (attack, decay, release))
    env = np.full(n, sustain, dtype=np.float64)
    env[:a] = np.linspace(0.0, 1.0, a, endpoint=False)[:n]
    if a < n:
        seg = env[a:a + d]
        env[a:a + d] = np.linspace(1.0, sustain, d, endpoint=False)[:len(seg)]
    r = min(r, n)
    env[n - r:] *= np.linspace(1.0, 0.0, r)
    return env


def additive(freq: np.ndarray | float, ratios, amps, n: int, rng: np.random.Generator,
             sr: int = SAMPLE_RATE) -> np.ndarray:
    """Sum of partials at freq * ratio; freq may be a per-sample array (vibrato, wow)."""
    inst = np.broadcast_to(np.asarray(freq, dtype=np.float64), (n,))
    base_phase = 2.0 * np.pi * np.cumsum(inst) / sr
    out = np.zeros(n)
    for ratio, amp in zip(ratios, amps):
        if amp == 0.0 or np.max(inst) * ratio >= sr / 2:
            continue
        out += amp * np.sin(ratio * base_phase + rng.uniform(0, 2 * np.pi))
    return out


def filtered_noise(n: int, rng: np.random.Generator, kind: str, cutoff,
                   order: int = 2, sr: int = SAMPLE_RATE) -> np.ndarray:
    sos = signal.butter(order, cutoff, btype=kind, fs=sr, output="sos")
    return signal.sosfilt(sos, rng.standard_normal(n))


def place(track: np.ndarray, event: np.ndarray, start: int) -> None:
    """Add event into track at sample start, clipped to the track's end."""
    end = min(len(track), start + len(event))
    if start < end:
        track[start:end] += event[:end - start]


def normalize_peak(x: np.ndarray, peak_db: float) -> np.ndarray:
    peak = np.max(np.abs(x))
    return x if peak == 0 else x * (10 ** (peak_db / 20) / peak)


def to_pcm16(x: np.ndarray) -> np.ndarray:
    return np.clip(np.round(x * 32767.0), -32768, 32767).astype(np.int16)
