"""Distances between a reference and an estimated signal (mono float arrays at one sample rate).

Aligned pairs (a held-out file and its reconstruction) use frame-wise errors; unaligned sets (prior
generations against the training corpus) use distribution statistics (`frechet_mfcc_distance`).
"""

from __future__ import annotations

import numpy as np
import scipy.linalg

# RAVE v2's fullband distance: rave/configs/v1.gin (scales) + v2.gin (log_epsilon).
RAVE_STFT_SCALES = [2048, 1024, 512, 256, 128]
RAVE_LOG_EPSILON = 1e-7
N_FFT, HOP, N_MELS, N_MFCC = 2048, 512, 128, 20


def _aligned(ref: np.ndarray, est: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n = min(len(ref), len(est))
    return np.asarray(ref[:n], dtype=np.float32), np.asarray(est[:n], dtype=np.float32)


def multiscale_spectral_distance(ref: np.ndarray, est: np.ndarray, sample_rate: int) -> float:
    """RAVE's own multiscale spectral distance (core.AudioDistanceV1), as logged in training."""
    import torch
    from rave.core import AudioDistanceV1, MultiScaleSTFT

    ref, est = _aligned(ref, est)
    distance = AudioDistanceV1(lambda: MultiScaleSTFT(RAVE_STFT_SCALES, sample_rate, magnitude=True),
                               RAVE_LOG_EPSILON)
    with torch.no_grad():
        value = distance(torch.from_numpy(ref)[None, None], torch.from_numpy(est)[None, None])
    return float(value["spectral_distance"])


def log_mel(x: np.ndarray, sample_rate: int) -> np.ndarray:
    import librosa
    mel = librosa.feature.melspectrogram(y=x, sr=sample_rate, n_fft=N_FFT, hop_length=HOP, n_mels=N_MELS)
    return np.log(mel + 1e-5)


def log_mel_l1(ref: np.ndarray, est: np.ndarray, sample_rate: int) -> float:
    ref, est = _aligned(ref, est)
    return float(np.mean(np.abs(log_mel(ref, sample_rate) - log_mel(est, sample_rate))))


SILENCE_LUFS = -70.0  # ITU-R BS.1770's absolute gate: anything quieter counts as silence


def loudness_lufs(x: np.ndarray, sample_rate: int) -> float:
    import pyloudnorm
    value = pyloudnorm.Meter(sample_rate).integrated_loudness(np.asarray(x, dtype=np.float64))
    return float(max(value, SILENCE_LUFS))  # pyloudnorm returns -inf for silence


def loudness_error_lu(ref: np.ndarray, est: np.ndarray, sample_rate: int) -> float:
    """|integrated loudness difference| in LU (ITU-R BS.1770, pyloudnorm)."""
    return abs(loudness_lufs(est, sample_rate) - loudness_lufs(ref, sample_rate))


def spectral_flatness(x: np.ndarray) -> np.ndarray:
    import librosa
    return librosa.feature.spectral_flatness(y=x, n_fft=N_FFT, hop_length=HOP)[0]


def spectral_centroid(x: np.ndarray, sample_rate: int) -> np.ndarray:
    import librosa
    return librosa.feature.spectral_centroid(y=x, sr=sample_rate, n_fft=N_FFT, hop_length=HOP)[0]


def flatness_error(ref: np.ndarray, est: np.ndarray) -> float:
    """Mean frame-wise |flatness difference|: how much noisier or more tonal the estimate is."""
    ref, est = _aligned(ref, est)
    return float(np.mean(np.abs(spectral_flatness(ref) - spectral_flatness(est))))


def centroid_error_hz(ref: np.ndarray, est: np.ndarray, sample_rate: int) -> float:
    ref, est = _aligned(ref, est)
    return float(np.mean(np.abs(spectral_centroid(ref, sample_rate) - spectral_centroid(est, sample_rate))))


def mfcc_frames(x: np.ndarray, sample_rate: int) -> np.ndarray:
    """MFCC frames, one row per frame."""
    import librosa
    return librosa.feature.mfcc(y=np.asarray(x, dtype=np.float32), sr=sample_rate, n_mfcc=N_MFCC,
                                n_fft=N_FFT, hop_length=HOP).T


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Fréchet distance between Gaussians fitted to two sets of feature rows.

    With MFCC features this is a "Fréchet MFCC distance": FAD's formula on MFCC statistics, not
    FAD (no learned embedding model is used)."""
    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    covmean, _ = scipy.linalg.sqrtm(cov_a @ cov_b, disp=False)
    covmean = covmean.real
    value = np.sum((mu_a - mu_b) ** 2) + np.trace(cov_a + cov_b - 2 * covmean)
    return float(max(value, 0.0))


def frechet_mfcc_distance(refs: list[np.ndarray], ests: list[np.ndarray], sample_rate: int) -> float:
    return frechet_distance(np.concatenate([mfcc_frames(x, sample_rate) for x in refs]),
                            np.concatenate([mfcc_frames(x, sample_rate) for x in ests]))


def pair_metrics(ref: np.ndarray, est: np.ndarray, sample_rate: int) -> dict[str, float]:
    """Every frame-aligned metric of one reconstruction."""
    return {
        "multiscale_spectral_distance": multiscale_spectral_distance(ref, est, sample_rate),
        "log_mel_l1": log_mel_l1(ref, est, sample_rate),
        "loudness_error_lu": loudness_error_lu(ref, est, sample_rate),
        "flatness_error": flatness_error(ref, est),
        "centroid_error_hz": centroid_error_hz(ref, est, sample_rate),
    }
