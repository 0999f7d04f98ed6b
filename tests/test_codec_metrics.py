"""The codec literature's measures (DAC's mel distance, SI-SDR) on signals whose answers are known."""

from __future__ import annotations

import numpy as np
import pytest

from electone_rave.evaluation.codec_metrics import codec_metrics, mel_distance, si_sdr_db

SR = 44100


@pytest.fixture(scope="module")
def organ() -> np.ndarray:
    t = np.arange(2 * SR) / SR
    return sum(a * np.sin(2 * np.pi * f * t) for f, a in [(220, 0.4), (440, 0.2), (660, 0.1)]).astype(np.float32)


def test_si_sdr_is_the_snr_of_added_white_noise_and_ignores_gain(organ):
    noise = np.random.default_rng(0).standard_normal(len(organ)).astype(np.float32)
    noise *= np.sqrt(np.mean(organ ** 2) / np.mean(noise ** 2)) / 10 ** (20 / 20)  # 20 dB below the signal
    assert si_sdr_db(organ, organ + noise) == pytest.approx(20.0, abs=0.3)
    assert si_sdr_db(organ, 0.25 * (organ + noise)) == pytest.approx(si_sdr_db(organ, organ + noise), abs=1e-3)
    assert si_sdr_db(organ, organ) > 60


def test_mel_distance_is_zero_for_the_same_signal_and_grows_with_the_damage(organ):
    noise = np.random.default_rng(1).standard_normal(len(organ)).astype(np.float32)
    assert mel_distance(organ, organ.copy(), SR) == pytest.approx(0.0, abs=1e-6)
    slight, heavy = mel_distance(organ, organ + 0.001 * noise, SR), mel_distance(organ, organ + 0.1 * noise, SR)
    assert 0 < slight < heavy
    assert mel_distance(organ, organ[: len(organ) // 2], SR) == pytest.approx(0.0, abs=1e-6)  # common part


def test_codec_metrics_names_both(organ):
    assert set(codec_metrics(organ, organ, SR)) == {"mel_distance", "si_sdr_db"}
