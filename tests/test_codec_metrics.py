"""The codec literature's measures (DAC's mel distance, SI-SDR, ViSQOL's audio mode) on signals whose
answers are known."""

from __future__ import annotations

import numpy as np
import pytest

from electone_rave.evaluation.codec_metrics import codec_metrics, mel_distance, si_sdr_db, visqol_moslqo

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


def test_visqol_scores_the_same_signal_near_the_top_and_falls_with_the_damage():
    """At 44.1 kHz, resampled to ViSQOL's 48 kHz: a swelling organ chord over a faint noise floor; a
    delay it aligns itself; more added noise, or the top of the spectrum cut, scores lower."""
    from scipy.signal import butter, sosfilt

    t = np.arange(3 * SR) / SR
    chord = sum(a * np.sin(2 * np.pi * f * t) for f, a in [(220, 0.4), (440, 0.2), (660, 0.1), (1320, 0.05), (2640, 0.02)])
    organ = (chord * (0.6 + 0.4 * np.sin(2 * np.pi * 1.5 * t))
             + 0.01 * np.random.default_rng(0).standard_normal(len(t))).astype(np.float32)
    noise = np.random.default_rng(2).standard_normal(len(organ)).astype(np.float32)
    same = visqol_moslqo(organ, organ.copy(), SR)
    delayed = visqol_moslqo(organ, np.concatenate([np.zeros(441, np.float32), organ[:-441]]), SR)  # 10 ms late
    noisier = [visqol_moslqo(organ, organ + level * noise, SR) for level in (0.01, 0.03, 0.1)]
    lowpassed = visqol_moslqo(organ, sosfilt(butter(8, 4000, fs=SR, output="sos"), organ).astype(np.float32), SR)
    assert 4.5 < same <= 5.0 and delayed == pytest.approx(same, abs=0.01)
    assert same > noisier[0] > noisier[1] > noisier[2] >= 1.0
    assert 1.0 <= lowpassed < noisier[0]
    assert visqol_moslqo(organ, np.zeros_like(organ), SR) == 1.0  # a silent output: its lowest score


def test_codec_metrics_names_each(organ):
    assert set(codec_metrics(organ, organ, SR)) == {"mel_distance", "si_sdr_db", "visqol_moslqo"}
