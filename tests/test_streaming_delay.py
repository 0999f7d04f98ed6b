"""The delay of a streaming v2 export, from its architecture: checked against what the models do.

A streaming model hears an input later than the training (non-streaming) model with the same
weights; an impulse moves a span of output samples in each, and the streaming span is the training
span, late by the architecture's delay (on average over a latent frame: the streaming encoder's
strided layers sample at another phase)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from electone_rave.evaluation.alignment import HOP
from electone_rave.export.streaming_delay import architecture_delay, filter_bank_delay, layers_delay
from electone_rave.training.untrained_run import untrained_run

SMOKE = ["CAPACITY=4", "LATENT_SIZE=8"]
SIGNAL = 2 ** 16


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    return untrained_run(["configs/gin/electone_v2_noise.gin"], SMOKE, tmp_path_factory.mktemp("delay") / "run")


def built(run: Path, streaming: bool):
    import cached_conv as cc
    import gin
    import rave

    cc.use_cached_conv(streaming)
    try:
        gin.clear_config()
        gin.parse_config_file(str(run / "config.gin"))
        model = rave.RAVE()
    finally:
        cc.use_cached_conv(False)
        gin.clear_config()
    model.load_state_dict(torch.load(run / "model.ckpt", weights_only=True)["state_dict"])
    return model.eval()


def deterministic_forward(model, x: torch.Tensor) -> np.ndarray:
    """RAVE's forward with the posterior's mean and without the noise generator: the same output
    for the same input, so an impulse's effect can be told from the model's own randomness."""
    decoder = model.decoder
    with torch.no_grad():
        z = model.encoder.encoder(model.pqmf(x)).chunk(2, 1)[0]
        y = decoder.waveform_module(decoder.net(z))
        y, amplitude = y.split(y.shape[1] // 2, 1)
        return model.pqmf.inverse(torch.tanh(y * torch.sigmoid(amplitude)))[0, 0].numpy()


def moved_span(model, silence: np.ndarray, at: int) -> tuple[int, int]:
    """The first and last output samples an impulse at `at` changes, relative to `at`."""
    x = torch.zeros(1, 1, SIGNAL)
    x[..., at] = 1.0
    moved = np.nonzero(np.abs(deterministic_forward(model, x) - silence) > 1e-9)[0]
    return moved[0] - at, moved[-1] - at


def test_the_streaming_model_hears_an_impulse_as_late_as_its_architecture_says(run: Path):
    delay = architecture_delay(run / "config.gin")
    assert 20_000 < delay < 35_000  # about 0.6 s at 44.1 kHz for RAVE v2's strides and kernels
    streaming, training = built(run, True), built(run, False)
    silences = {id(m): deterministic_forward(m, torch.zeros(1, 1, SIGNAL)) for m in (streaming, training)}
    ratio = 2048  # samples per latent frame: the impulses sweep one frame's phases
    firsts, lasts = [], []
    for at in range(16_000, 16_000 + ratio, ratio // 16):
        first_late, last_late = moved_span(streaming, silences[id(streaming)], at)
        first, last = moved_span(training, silences[id(training)], at)
        assert first < 0 < first_late  # the training model looks ahead; the streaming one cannot
        firsts.append(first_late - first)
        lasts.append(last_late - last)
    assert np.all(np.abs(np.array(firsts + lasts) - delay) <= ratio)
    assert abs(np.mean(firsts) - delay) <= HOP and abs(np.mean(lasts) - delay) <= HOP  # the estimate's resolution


def test_the_delay_does_not_depend_on_the_size_or_the_noise_generator(tmp_path: Path, run: Path):
    bigger = untrained_run(["configs/gin/electone_v2_no_noise.gin"], ["CAPACITY=8", "LATENT_SIZE=16"],
                           tmp_path / "bigger")
    assert architecture_delay(bigger / "config.gin") == architecture_delay(run / "config.gin")


@pytest.mark.parametrize("config", ["v1", "v2_nopqmf"])  # not v2's generator; v2 without the PQMF bank
def test_an_architecture_other_than_v2_with_its_filter_bank_is_left_to_the_estimate(tmp_path: Path, config: str):
    other = untrained_run([config], ["CAPACITY=4", "LATENT_SIZE=8"], tmp_path / config)
    assert architecture_delay(other / "config.gin") is None


def test_each_layer_counts_at_its_own_rate():
    import cached_conv as cc

    cc.use_cached_conv(True)
    try:
        down = [cc.Conv1d(1, 1, 3, padding=cc.get_padding(3)),  # 1 frame late at 16 samples per frame
                cc.Conv1d(1, 1, 8, stride=4, padding=cc.get_padding(8, 4))]  # 1 frame at 64
        up = [cc.ConvTranspose1d(1, 1, 8, stride=4, padding=2)]  # 2 frames at 16
    finally:
        cc.use_cached_conv(False)
    assert layers_delay(down, 16, upsampling=False) == (16 + 64, 64)
    assert layers_delay(up, 64, upsampling=True) == (2 * 16, 16)


def test_the_filter_bank_delay_is_where_an_impulse_comes_out():
    import cached_conv as cc
    from rave.pqmf import CachedPQMF

    cc.use_cached_conv(True)
    try:
        bank = CachedPQMF(100, 16)
    finally:
        cc.use_cached_conv(False)
    delay = filter_bank_delay(bank)
    x = torch.zeros(1, 1, 8192)
    x[..., 1000] = 1.0
    with torch.no_grad():
        y = bank.inverse(bank(x))[0, 0]  # the bank itself was not used by filter_bank_delay: fresh caches
    assert int(y.abs().argmax()) == 1000 + delay and delay > 0
