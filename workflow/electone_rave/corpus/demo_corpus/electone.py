"""An "Electone-like" piece: a 1970s home organ with its rhythm box, recorded to tape.

Drawbar organ chords, melody and pedal bass (additive tones with vibrato and a Leslie-like
tremolo), a rhythm-box part (kick, noisy snare, hats), tape hiss and wow/flutter.
"""

from __future__ import annotations

import numpy as np

from .dsp import (SAMPLE_RATE, additive, adsr, filtered_noise, midi_to_hz, normalize_peak,
                  place, time_axis)

# Drawbar footages 16' 5 1/3' 8' 4' 2 2/3' 2' 1 3/5' 1 1/3' 1' as harmonic ratios of 8'.
DRAWBAR_RATIOS = (0.5, 1.5, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0)
REGISTRATIONS = {
    "flute": (0, 0, 8, 6, 0, 3, 0, 0, 0),
    "full": (8, 6, 8, 8, 6, 6, 4, 4, 6),
    "jazz": (8, 8, 8, 0, 0, 0, 0, 0, 0),
    "strings": (0, 4, 8, 8, 6, 6, 6, 5, 4),
    "reed": (4, 0, 8, 4, 6, 2, 6, 0, 2),
}
PEDAL_REGISTRATION = (8, 0, 5, 2, 0, 0, 0, 0, 0)
PROGRESSIONS = ((0, 9, 5, 7), (2, 7, 0, 9), (0, 5, 7, 5), (9, 5, 0, 7), (0, 4, 5, 7))
MAJOR_SCALE = (0, 2, 4, 5, 7, 9, 11)


def _triad(root_pc: int, key: int) -> list[int]:
    degree = MAJOR_SCALE.index(root_pc) if root_pc in MAJOR_SCALE else 0
    return [key + 60 + MAJOR_SCALE[(degree + k) % 7] + 12 * ((degree + k) // 7) for k in (0, 2, 4)]


def _organ(note: int, n: int, registration, vibrato_hz: float, wow: np.ndarray,
           rng: np.random.Generator) -> np.ndarray:
    t = time_axis(n)
    vibrato = 1.0 + 0.004 * np.sin(2 * np.pi * vibrato_hz * t + rng.uniform(0, 2 * np.pi))
    amps = np.asarray(registration, dtype=float) / 8.0
    return additive(midi_to_hz(note) * vibrato * wow, DRAWBAR_RATIOS, amps, n, rng)


def _kick(rng: np.random.Generator) -> np.ndarray:
    n = int(0.25 * SAMPLE_RATE)
    t = time_axis(n)
    freq = 45 + 90 * np.exp(-t * 30)
    return np.sin(2 * np.pi * np.cumsum(freq) / SAMPLE_RATE) * np.exp(-t * 14)


def _snare(rng: np.random.Generator) -> np.ndarray:
    n = int(0.2 * SAMPLE_RATE)
    t = time_axis(n)
    body = 0.4 * np.sin(2 * np.pi * 185 * t) * np.exp(-t * 30)
    rattle = filtered_noise(n, rng, "bandpass", (1500, 7000)) * np.exp(-t * 22)
    return body + 0.5 * rattle


def _hat(rng: np.random.Generator, open_hat: bool) -> np.ndarray:
    n = int((0.18 if open_hat else 0.05) * SAMPLE_RATE)
    t = time_axis(n)
    return filtered_noise(n, rng, "highpass", 7000) * np.exp(-t * (12 if open_hat else 70))


def synthesize(seconds: float, rng: np.random.Generator) -> np.ndarray:
    n = int(seconds * SAMPLE_RATE)
    t = time_axis(n)
    bpm = rng.uniform(92, 128)
    beat = int(60.0 / bpm * SAMPLE_RATE)
    key = int(rng.integers(-5, 6))
    progression = PROGRESSIONS[rng.integers(len(PROGRESSIONS))]
    chord_reg = REGISTRATIONS[rng.choice(list(REGISTRATIONS))]
    lead_reg = REGISTRATIONS[rng.choice(list(REGISTRATIONS))]
    vibrato_hz = rng.uniform(5.5, 7.0)

    # Tape transport: slow wow plus faster flutter, applied to every pitched part.
    wow = (1.0 + 0.003 * np.sin(2 * np.pi * rng.uniform(0.4, 0.9) * t)
           + 0.0008 * np.sin(2 * np.pi * rng.uniform(6, 10) * t))

    chords, lead, bass, drums = (np.zeros(n) for _ in range(4))
    bar = 4 * beat
    for b, start in enumerate(range(0, n, bar)):
        length = min(bar, n - start)
        triad = _triad(progression[b % 4], key)
        env = adsr(length, 0.02, 0.1, 0.85, 0.05)
        for note in triad:
            place(chords, env * _organ(note, length, chord_reg, vibrato_hz, wow[start:start + length], rng), start)
        for half in (0, 2):
            s = start + half * beat
            if s >= n:
                break
            bl = min(int(1.6 * beat), n - s)
            root = triad[0] - 24 + (7 if half == 2 and rng.random() < 0.4 else 0)
            place(bass, adsr(bl, 0.005, 0.2, 0.5, 0.08) * _organ(root, bl, PEDAL_REGISTRATION, vibrato_hz, wow[s:s + bl], rng), s)
        for eighth in range(8):
            s = start + eighth * beat // 2
            if s >= n or rng.random() < 0.3:
                continue
            ml = min(int(beat * rng.choice([0.5, 1.0])), n - s)
            note = key + 72 + MAJOR_SCALE[int(rng.integers(7))]
            place(lead, adsr(ml, 0.01, 0.05, 0.8, 0.03) * _organ(note, ml, lead_reg, vibrato_hz, wow[s:s + ml], rng), s)
        for q in range(4):
            s = start + q * beat
            place(drums, (_kick if q in (0, 2) else _snare)(rng), s)
            place(drums, 0.35 * _hat(rng, open_hat=False), s)
            place(drums, 0.25 * _hat(rng, open_hat=(q == 3)), s + beat // 2)

    tremolo = 1.0 - 0.25 * (0.5 + 0.5 * np.sin(2 * np.pi * rng.uniform(5.5, 6.8) * t))
    organ = (0.35 * chords / 3 + 0.3 * lead + 0.45 * bass) * tremolo
    hiss = 0.004 * filtered_noise(n, rng, "bandpass", (800, 12000))
    mix = organ + 0.5 * drums + hiss
    # Tape saturation and a gentle high-frequency roll-off.
    mix = np.tanh(1.5 * mix) / 1.5
    return normalize_peak(mix, -1.0)
