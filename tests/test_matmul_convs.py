"""The export's streaming convolutions as matrix products (matmul_convs.py) give stock RAVE's outputs.

Layer by layer, as nn~ calls them (buffer after buffer, caches carried, batch 1 and mc.nn~'s 4),
scripted as the export scripts them; then a whole export against stock `rave export`.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import cached_conv.convs as cc
import pytest
import torch
from conftest import run

from electone_rave.matmul_convs import MatmulCachedConv1d, MatmulCachedConvTranspose1d, convert

TOLERANCE = dict(atol=1e-5, rtol=1e-4)  # what the README and the config state


def streamed(layer, buffers: list[torch.Tensor]) -> list[torch.Tensor]:
    with torch.no_grad():
        return [layer(x).clone() for x in buffers]


def converted_pair(layer, c_in: int, frames: int):
    with torch.no_grad():
        layer(torch.zeros(1, c_in, frames))  # cached_conv makes its caches on the first call, as RAVE's export does
    fast = copy.deepcopy(layer)
    assert convert(fast) == 1
    return torch.jit.script(layer), torch.jit.script(fast)


# (in, out, kernel, stride, dilation, frames per buffer, padding, cumulative delay): RAVE v2's
# shapes at a 2048 buffer, causal and centred padding (a delay before a strided layer makes
# cached_conv's downsampling_delay non-zero), and more frames than the matrix-product path takes
# (> 16: PyTorch's convolution is kept there).
CONV_CASES = [(12, 16, 3, 1, 1, 2, "causal", 0), (12, 16, 3, 1, 3, 2, "causal", 0), (8, 16, 8, 4, 1, 8, "causal", 0),
              (16, 16, 1, 1, 1, 2, "causal", 0), (8, 8, 3, 1, 9, 8, "centred", 0), (16, 32, 4, 2, 1, 2, "centred", 0),
              (8, 16, 8, 4, 1, 8, "centred", 2), (8, 4, 7, 1, 1, 40, "centred", 0), (8, 8, 3, 1, 1, 1, "causal", 0)]


@pytest.mark.parametrize("c_in, c_out, kernel, stride, dilation, frames, padding, delay", CONV_CASES)
@pytest.mark.parametrize("batch", [1, 4])
def test_a_cached_convolution_streams_the_same_outputs(c_in, c_out, kernel, stride, dilation, frames, padding, delay,
                                                       batch):
    torch.manual_seed(kernel * 100 + dilation)
    total = (kernel - 1) * dilation
    pads = (total, 0) if padding == "causal" else (total // 2 + total % 2, total // 2)
    layer = cc.CachedConv1d(c_in, c_out, kernel, stride=stride, dilation=dilation, padding=pads,
                            cumulative_delay=delay, bias=kernel != 1)
    if padding == "centred" and stride > 1:  # these cases exercise the delay path
        assert layer.downsampling_delay.padding > 0
    stock, fast = converted_pair(layer, c_in, frames * stride)
    buffers = [torch.randn(batch, c_in, frames * stride) for _ in range(6)]
    for a, b in zip(streamed(stock, buffers), streamed(fast, buffers)):
        assert a.shape == b.shape
        torch.testing.assert_close(b, a, **TOLERANCE)


# (in, out, kernel, stride, padding, bias, frames): RAVE's upsampling layers (kernel 2 x stride), and
# a kernel that is not a multiple of the stride, stride 1, and no bias.
@pytest.mark.parametrize("c_in, c_out, kernel, stride, padding, bias, frames", [
    (16, 8, 8, 4, 2, True, 1), (16, 8, 8, 4, 2, True, 2), (8, 4, 4, 2, 1, True, 32), (6, 6, 16, 8, 4, True, 4),
    (8, 6, 5, 2, 1, False, 3), (8, 8, 3, 1, 1, True, 5)])
@pytest.mark.parametrize("batch", [1, 4])
def test_a_cached_transposed_convolution_streams_the_same_outputs(c_in, c_out, kernel, stride, padding, bias,
                                                                  frames, batch):
    torch.manual_seed(kernel + stride)
    layer = cc.CachedConvTranspose1d(c_in, c_out, kernel, stride=stride, padding=padding, bias=bias)
    stock, fast = converted_pair(layer, c_in, frames)
    buffers = [torch.randn(batch, c_in, frames) for _ in range(6)]
    for a, b in zip(streamed(stock, buffers), streamed(fast, buffers)):
        assert a.shape == b.shape
        torch.testing.assert_close(b, a, **TOLERANCE)


def test_only_layers_the_rewrite_covers_are_converted():
    # fold knows no groups, dilation or output padding: those layers stay stock
    model = torch.nn.Sequential(cc.CachedConv1d(4, 4, 3, padding=(2, 0)),
                                cc.CachedConv1d(4, 4, 3, padding=(2, 0), groups=2),
                                cc.CachedConvTranspose1d(4, 4, 4, stride=2, padding=1),
                                cc.CachedConvTranspose1d(4, 4, 4, stride=2, padding=1, groups=2),
                                cc.CachedConvTranspose1d(4, 4, 4, stride=2, padding=1, dilation=2),
                                cc.CachedConvTranspose1d(4, 4, 4, stride=2, padding=1, output_padding=1),
                                torch.nn.Conv1d(4, 4, 3))
    assert convert(model) == 2
    assert [type(m) for m in model] == [MatmulCachedConv1d, cc.CachedConv1d, MatmulCachedConvTranspose1d,
                                        *[cc.CachedConvTranspose1d] * 3, torch.nn.Conv1d]


def exported_outputs(ts_file: Path, method: str, buffers: list[torch.Tensor]) -> torch.Tensor:
    model = torch.jit.load(str(ts_file)).eval()
    outputs = []
    with torch.no_grad():
        for x in buffers:
            torch.manual_seed(0)  # the noise generator draws in the same order on both sides
            outputs.append(getattr(model, method)(x))
    return torch.cat(outputs, -1)


@pytest.mark.slow
def test_the_workflow_export_equals_stock_rave_export(tmp_path: Path):
    from electone_rave.untrained_run import untrained_run

    untrained = untrained_run(["v2", "noise"], ["CAPACITY=4", "LATENT_SIZE=8"], tmp_path / "run")
    exported = {}
    for name, flag in (("stock", "--no-matmul-convolutions"), ("workflow", "--matmul-convolutions")):
        exported[name] = tmp_path / f"{name}.ts"
        done = run(["electone-rave", "export", "--run", str(untrained), "--out", str(exported[name]),
                    "--streaming", flag, "--fidelity", "0.95", "--seed", "0"], tmp_path)
        converted = re.search(r"matmul_convs: (\d+) streaming convolutions", done.stdout + done.stderr)
        assert (converted is not None) == (name == "workflow")
    assert int(converted.group(1)) >= 40  # v2 + noise: the encoder's, decoder's and noise generator's layers

    stock, fast = (torch.jit.load(str(exported[n])) for n in ("stock", "workflow"))
    # What nn~ reads: the same methods, with the same parameters and attributes.
    assert sorted(stock._c._method_names()) == sorted(fast._c._method_names())
    for method in ("encode", "decode", "forward"):
        assert getattr(stock, f"{method}_params").tolist() == getattr(fast, f"{method}_params").tolist()
    assert int(stock.sr) == int(fast.sr)
    assert {n for n, _ in stock.named_parameters()} == {n for n, _ in fast.named_parameters()}

    generator = torch.Generator().manual_seed(1)
    audio = [0.3 * torch.randn(1, 1, 2048, generator=generator) for _ in range(12)]
    latents = [torch.randn(1, int(stock.decode_params[0]), 1, generator=generator) for _ in range(12)]
    mc_audio = [0.3 * torch.randn(4, 1, 2048, generator=generator) for _ in range(6)]  # mc.nn~: 4 channels
    for method, buffers in (("forward", audio), ("encode", audio), ("decode", latents), ("forward", mc_audio)):
        a, b = exported_outputs(exported["stock"], method, buffers), exported_outputs(exported["workflow"], method, buffers)
        assert a.abs().max() > 0
        torch.testing.assert_close(b, a, **TOLERANCE)
