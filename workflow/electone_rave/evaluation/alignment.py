"""The latency of a streaming model, estimated from its output, so reconstructions line up with originals.

A streaming export (cached convolutions) is made causal by delaying its output; the .ts does not
record by how much. Reconstruction metrics compare frame by frame, so the delay is estimated as the
lag that best correlates the log-magnitude spectrograms of output and original (each frequency band
centred), searched over [0, max_delay]. The estimate is only as good as the model: a model that has
not learnt the audio's time structure gives an arbitrary lag, and its metrics are poor either way.
"""

from __future__ import annotations

import numpy as np

HOP = 128  # samples between spectrogram frames: the resolution of the estimate
WINDOW = 1024


def log_spectrogram(audio: np.ndarray) -> np.ndarray:
    from scipy import signal

    _, _, stft = signal.stft(audio, nperseg=WINDOW, noverlap=WINDOW - HOP, boundary=None, padded=False)
    spectrogram = np.log1p(10 * np.abs(stft))
    return spectrogram - spectrogram.mean(axis=1, keepdims=True)


def estimate_delay(original: np.ndarray, output: np.ndarray, max_delay: int) -> int:
    """Samples by which `output` lags `original` (0 <= delay <= max_delay, in steps of HOP)."""
    from scipy import signal

    shortest = min(len(original), len(output))
    if shortest < WINDOW + HOP:
        raise ValueError(f"audio of {shortest} samples is too short to estimate a delay (at least {WINDOW + HOP})")
    reference, delayed = log_spectrogram(original), log_spectrogram(output)
    correlation = sum(signal.correlate(d, r, mode="full", method="fft") for d, r in zip(delayed, reference))
    lags = signal.correlation_lags(delayed.shape[1], reference.shape[1], mode="full")
    allowed = (lags >= 0) & (lags * HOP <= max_delay)
    return int(lags[allowed][np.argmax(correlation[allowed])]) * HOP
