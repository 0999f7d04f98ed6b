"""How late a streaming RAVE v2 export plays, known from its architecture.

`rave export --streaming` builds the model with cached_conv's causal convolutions: a convolution
waits for the right part of its kernel (its right padding) before it computes, so each layer
delays the signal by that padding, counted in samples at the layer's rate. The delays add up along
the model's path: the PQMF analysis and synthesis banks (linear: their delay is where an impulse
comes out), the encoder, the generator and its waveform layer. The noise generator's branch is
added to the waveform as noise and does not set when the music arrives.

The strided layers of the streaming encoder sample the latent at another phase than the training
model does, so its output is not a delayed copy of the training model's sample for sample; what
this delay states is when the streaming model hears an input: the outputs an impulse moves are
those of the training model, later by this delay (on average over a latent frame; tested).

RAVE v2's encoder and generator (EncoderV2, GeneratorV2) with the PQMF bank at both ends are known
here; for other architectures (RAVE v1, a mel or raw input, a raw output) `streaming_delay` returns
None and the caller estimates the delay from the output (alignment.py).
"""

from __future__ import annotations

import copy
from pathlib import Path

IMPULSE_AT = 4096  # samples of silence before the impulse that measures the filter bank's delay


def architecture_delay(config_gin: Path) -> int | None:
    """The streaming export's delay in samples, for the run whose operative config.gin this is
    (`rave train` writes it beside the checkpoint); no weights are needed."""
    import cached_conv as cc
    import gin
    import rave

    cc.use_cached_conv(True)  # as `rave export --streaming` builds the model
    try:
        gin.clear_config()
        gin.parse_config_file(str(config_gin))
        model = rave.RAVE()
    finally:
        cc.use_cached_conv(False)
        gin.clear_config()
    return streaming_delay(model)


def streaming_delay(model) -> int | None:
    """The delay of a RAVE model built with cached convolutions, or None for an architecture this
    module does not know."""
    from rave.blocks import EncoderV2, GeneratorV2

    encoder, generator = getattr(model.encoder, "encoder", None), model.decoder
    if not isinstance(encoder, EncoderV2) or not isinstance(generator, GeneratorV2):
        return None
    if (getattr(model, "input_mode", "pqmf"), getattr(model, "output_mode", "pqmf")) != ("pqmf", "pqmf"):
        return None
    bands = int(getattr(model.pqmf, "n_band", 1))
    encoded, period = layers_delay(encoder.net, bands, upsampling=False)
    waveform = [generator.waveform_module] if generator.waveform_module is not None else []
    decoded, _ = layers_delay([*generator.net, *waveform], period, upsampling=True)
    return filter_bank_delay(model.pqmf) + encoded + decoded


def layers_delay(layers, period: int, upsampling: bool) -> tuple[int, int]:
    """The samples by which a chain of layers delays its input, and the samples per frame after it.

    `period` is the samples per frame at the chain's input. In RAVE v2 each layer's
    `cumulative_delay` is its own delay (no upstream delay is passed in), in its output frames; a
    residual unit carries the delay of its branch, to which cached_conv aligns the skip path."""
    import torch

    delay = 0
    for layer in layers:
        is_conv = isinstance(layer, (torch.nn.Conv1d, torch.nn.ConvTranspose1d))
        stride = layer.stride[0] if is_conv else 1
        period = period // stride if upsampling else period * stride
        delay += int(getattr(layer, "cumulative_delay", 0)) * period
    return delay, period


def filter_bank_delay(pqmf) -> int:
    """Where an impulse comes out of the PQMF analysis then synthesis bank (a copy, so the model's
    caches stay as they were)."""
    import torch

    bands = int(getattr(pqmf, "n_band", 1))
    if bands == 1:
        return 0
    bank = copy.deepcopy(pqmf)
    x = torch.zeros(1, 1, 4 * IMPULSE_AT)
    x[..., IMPULSE_AT] = 1.0
    with torch.no_grad():
        y = bank.inverse(bank(x))[0, 0]
    return int(y.abs().argmax()) - IMPULSE_AT
