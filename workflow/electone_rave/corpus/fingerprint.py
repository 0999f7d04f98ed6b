"""Recognising a recording by its sound: Chromaprint fingerprints (computed by ffmpeg's chromaprint
muxer, from a file or its bytes) and their comparison.

Chromaprint gives one 32-bit item per ~0.124 s of audio. Two fingerprints are compared by the mean
number of differing bits per item at the best alignment: ~1-3 for the same recording cut, resampled,
re-encoded (MP3) or at another level (measured on the demo corpora), 11 or more between different
recordings of the demo corpora or between them and unrelated audio; 16 is chance.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np

# The shortest stretch an excerpt is recognised by: 24 items, ~3 s (a file gives its first item after
# ~2.3 s, so an excerpt of ~5.3 s or more). Between different recordings of the demo corpora the
# closest 24-item windows differed by 10.1 bits per item (16 items: 8.9, 32: 11.4); the same
# recording re-encoded, by about 2.
WINDOW_ITEMS = 24
MATCH_BITS = 6.0
# Windows whose items barely change (silence, one held tone) say nothing about which recording they
# are from, and would match any other silence: they are not compared.
MIN_DISTINCT_ITEMS = 8
MAX_START_OFFSET_ITEMS = 16  # ~2 s: how far two copies of one recording may start apart (encoder delay, a trim)
BIT_COUNT = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)
AUDIO_MAGIC = (b"RIFF", b"RIFX", b"RF64", b"fLaC", b"OggS", b"ID3", b"FORM", b"caff", b"wvpk", b"MAC ", b".snd")


def looks_like_audio(head: bytes) -> bool:
    """An audio container or stream, from its first bytes (WAV, FLAC, Ogg, MP3, AIFF, MP4/M4A, ...)."""
    if head.startswith(AUDIO_MAGIC):
        return True
    if len(head) >= 12 and head[4:8] == b"ftyp":  # MP4 family (M4A, AAC in MP4)
        return True
    return len(head) >= 2 and head[0] == 0xFF and (head[1] & 0xE0) == 0xE0  # MPEG audio / ADTS frame sync


def _chromaprint(input_flags: list[str], data: bytes | None) -> np.ndarray | None:
    done = subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", *input_flags,
                           "-vn", "-ac", "1", "-f", "chromaprint", "-fp_format", "raw", "pipe:1"],
                          input=data, capture_output=True)
    if done.returncode != 0 or len(done.stdout) < 4 * WINDOW_ITEMS:
        return None
    return np.frombuffer(done.stdout[: len(done.stdout) // 4 * 4], dtype="<u4")


def fingerprint(source: Path | bytes) -> np.ndarray | None:
    """A file's (or its bytes') fingerprint, or None where ffmpeg finds no audio or under ~5 s of it."""
    if isinstance(source, bytes):
        return _chromaprint(["-i", "pipe:0"], source)
    return _chromaprint(["-i", str(source)], None)


ENVELOPE_HOP_SECONDS = 0.01
SAME_ENVELOPE = 0.9  # correlation of two copies' loudness envelopes (re-encoded: ~0.99; two noises: ~0)


def loudness_envelope(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """Log RMS of the mono mix in 10 ms frames: how a recording's level moves, whatever its encoding."""
    mono = samples.astype(np.float64).mean(axis=1) if samples.ndim == 2 else samples.astype(np.float64)
    hop = max(1, int(ENVELOPE_HOP_SECONDS * sample_rate))
    frames = mono[: len(mono) // hop * hop].reshape(-1, hop)
    return np.log(np.sqrt(np.mean(frames ** 2, axis=1)) + 1e-3)


def envelope_correlation(a: np.ndarray, b: np.ndarray, max_lag_seconds: float = 2.0) -> float:
    """The highest correlation of two loudness envelopes within +-max_lag_seconds of alignment."""
    best = -1.0
    max_lag = int(max_lag_seconds / ENVELOPE_HOP_SECONDS)
    for lag in range(-max_lag, max_lag + 1):
        x, y = (a[lag:], b) if lag >= 0 else (a, b[-lag:])
        n = min(len(x), len(y))
        if n < 100 or np.std(x[:n]) == 0 or np.std(y[:n]) == 0:
            continue
        best = max(best, float(np.corrcoef(x[:n], y[:n])[0, 1]))
    return best


def differing_bits(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Differing bits of each pair of items (a and b of one shape)."""
    return BIT_COUNT[(a ^ b).view(np.uint8)].reshape(*a.shape, 4).sum(axis=-1)


def closest_match(query: np.ndarray, reference: np.ndarray) -> float:
    """Fewest differing bits per item between any informative window of query and any stretch of
    reference, at any offset (32 where nothing can be compared): is query an excerpt of reference?"""
    if len(query) < WINDOW_ITEMS or len(reference) < WINDOW_ITEMS:
        return 32.0
    stretches = np.lib.stride_tricks.sliding_window_view(reference, WINDOW_ITEMS)
    best = 32.0
    for start in range(0, len(query) - WINDOW_ITEMS + 1, WINDOW_ITEMS // 2):
        window = query[start:start + WINDOW_ITEMS]
        if len(np.unique(window)) < MIN_DISTINCT_ITEMS:
            continue
        best = min(best, float(differing_bits(stretches, window).sum(axis=1).min()) / WINDOW_ITEMS)
    return best


def whole_match(a: np.ndarray, b: np.ndarray) -> float:
    """Mean differing bits per item of two whole recordings at their best start offset (within
    MAX_START_OFFSET_ITEMS), over their overlap (32 where they cannot be compared): are they one recording?"""
    if min(len(a), len(b)) < WINDOW_ITEMS or len(np.unique(a)) < MIN_DISTINCT_ITEMS:
        return 32.0
    best = 32.0
    for offset in range(-MAX_START_OFFSET_ITEMS, MAX_START_OFFSET_ITEMS + 1):
        x, y = (a[offset:], b) if offset >= 0 else (a, b[-offset:])
        n = min(len(x), len(y))
        if n >= max(WINDOW_ITEMS, 0.9 * min(len(a), len(b)) - MAX_START_OFFSET_ITEMS):
            best = min(best, float(differing_bits(x[:n], y[:n]).mean()))
    return best
