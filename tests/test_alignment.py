"""Estimating a streaming model's delay from its output (evaluation/alignment.py), on demo audio."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal

from electone_rave.corpus.demo_corpus.dsp import SAMPLE_RATE
from electone_rave.corpus.demo_corpus.electone import synthesize
from electone_rave.evaluation.alignment import HOP, estimate_delay
from electone_rave.evaluation.reconstruct import aligned


def imperfect_copy(audio: np.ndarray, delay: int, seed: int) -> np.ndarray:
    """What a decent streaming model returns: the audio late, low-passed, noisy, followed by silence."""
    b, a = signal.butter(4, 5000, fs=SAMPLE_RATE)
    rng = np.random.default_rng(seed)
    late = np.concatenate([np.zeros(delay), signal.lfilter(b, a, audio), np.zeros(SAMPLE_RATE)])
    return (0.7 * late + 0.01 * rng.standard_normal(len(late))).astype(np.float32)


@pytest.fixture(scope="module")
def organ() -> np.ndarray:
    return synthesize(6.0, np.random.default_rng(1970)).astype(np.float32)


@pytest.mark.parametrize("delay", [0, 18_688, 40_000])
def test_the_delay_of_a_late_imperfect_copy_is_found_to_one_hop(organ: np.ndarray, delay: int):
    found = estimate_delay(organ, imperfect_copy(organ, delay, seed=delay), max_delay=2 * SAMPLE_RATE)
    assert abs(found - delay) <= HOP


def test_the_search_stays_within_max_delay(organ: np.ndarray):
    found = estimate_delay(organ, imperfect_copy(organ, 40_000, seed=1), max_delay=10_000)
    assert 0 <= found <= 10_000


def test_one_delay_per_model_lines_up_every_file(organ: np.ndarray):
    """The median of the files' estimates is removed from each: an outlier file does not move it."""
    other = synthesize(6.0, np.random.default_rng(1971)).astype(np.float32)
    silence_like = 1e-4 * np.random.default_rng(2).standard_normal(len(organ)).astype(np.float32)
    originals = [organ, other, silence_like]
    outputs = [imperfect_copy(x, 18_688, seed=i) for i, x in enumerate(originals)]
    lined_up, record = aligned(originals, outputs, max_delay=2 * SAMPLE_RATE)
    assert abs(record["delay_samples"] - 18_688) <= HOP and len(record["estimates_samples"]) == 3
    assert [len(y) for y in lined_up] == [len(x) for x in originals]
    lag_left = estimate_delay(organ, np.concatenate([lined_up[0], np.zeros(HOP * 8, np.float32)]), max_delay=HOP * 8)
    assert lag_left <= HOP


def test_audio_too_short_for_a_spectrogram_is_refused():
    with pytest.raises(ValueError, match="too short"):
        estimate_delay(np.zeros(500, np.float32), np.zeros(500, np.float32), max_delay=100)


def test_an_output_shorter_than_its_original_after_the_delay_is_refused_naming_the_file(organ: np.ndarray):
    late = imperfect_copy(organ, 18_688, seed=3)[: len(organ)]  # the model's tail went missing
    with pytest.raises(ValueError, match=r"heldout/organ.flac: the model returned \d+ samples, fewer than"):
        aligned([organ], [late], max_delay=2 * SAMPLE_RATE, names=["heldout/organ.flac"])


def test_a_delay_known_from_the_architecture_is_removed_as_given(organ: np.ndarray):
    """The estimates are kept beside it as a check; they do not move it."""
    outputs = [imperfect_copy(organ, 18_688, seed=1)]
    lined_up, record = aligned([organ], outputs, max_delay=2 * SAMPLE_RATE, known_delay=18_700)
    assert record["delay_samples"] == 18_700 and record["delay_source"] == "architecture"
    assert abs(record["estimates_samples"][0] - 18_688) <= HOP
    np.testing.assert_array_equal(lined_up[0], outputs[0][18_700: 18_700 + len(organ)])
    _, estimated = aligned([organ], outputs, max_delay=2 * SAMPLE_RATE)
    assert estimated["delay_source"] == "estimated from the output"
