"""The evaluation metrics on signals whose answers are known."""

from __future__ import annotations

import numpy as np
import pytest

from electone_rave.evaluation import audio_metrics as m

SR = 44100


@pytest.fixture(scope="module")
def organ() -> np.ndarray:
    t = np.arange(3 * SR) / SR
    tone = sum(a * np.sin(2 * np.pi * f * t) for f, a in [(220, 0.4), (440, 0.2), (660, 0.1), (1320, 0.05)])
    return (tone * (0.8 + 0.2 * np.sin(2 * np.pi * 6 * t))).astype(np.float32)


@pytest.fixture(scope="module")
def noise() -> np.ndarray:
    return (0.2 * np.random.default_rng(0).standard_normal(3 * SR)).astype(np.float32)


def test_identical_signals_are_at_distance_zero(organ):
    for name, value in m.pair_metrics(organ, organ.copy(), SR).items():
        assert value == pytest.approx(0.0, abs=1e-6), name
    frames = [organ]
    assert m.frechet_mfcc_distance(frames, frames, SR) == pytest.approx(0.0, abs=1e-3)


def test_half_gain_is_a_6_lu_loudness_error(organ):
    assert m.loudness_error_lu(organ, 0.5 * organ, SR) == pytest.approx(20 * np.log10(2), abs=0.01)
    assert m.loudness_lufs(organ, SR) == pytest.approx(m.loudness_lufs(organ, SR))


def test_white_noise_against_a_tone_has_a_high_flatness_error(organ, noise):
    assert m.flatness_error(organ, noise) > 0.3
    assert m.flatness_error(organ, organ + 1e-4 * noise) < 0.01


def test_distances_grow_with_the_damage(organ, noise):
    slight, heavy = organ + 0.01 * noise, organ + 0.5 * noise
    for metric in (m.multiscale_spectral_distance, m.log_mel_l1):
        assert 0 < metric(organ, slight, SR) < metric(organ, heavy, SR), metric.__name__
    assert m.centroid_error_hz(organ, heavy, SR) > 1000  # noise drags the centroid up by kHz


def test_frechet_distance_of_known_gaussians():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((20000, 3))
    b = rng.standard_normal((20000, 3)) + np.array([3.0, 0.0, 0.0])  # mean shift of 3 -> 9
    assert m.frechet_distance(a, b) == pytest.approx(9.0, rel=0.05)
    c = 2 * rng.standard_normal((20000, 3))  # variance 4 vs 1: trace term 3 * (1 + 4 - 2*2) = 3
    assert m.frechet_distance(a, c) == pytest.approx(3.0, rel=0.1)


def test_different_lengths_are_compared_over_the_common_part(organ):
    assert m.log_mel_l1(organ, organ[: len(organ) // 2], SR) == pytest.approx(0.0, abs=1e-6)
