"""The export's streaming convolutions as matrix products (matmul_convs.py) give stock RAVE's outputs.

Layer by layer, as nn~ calls them (buffer after buffer, caches carried, batch 1 and mc.nn~'s 4),
scripted as the export scripts them; then a whole export against stock `rave export`.
"""

from __future__ import annotations

import copy
import math
import re
from pathlib import Path

import cached_conv.convs as cc
import pytest
import torch
from conftest import run

from electone_rave.export.export_options import BFLOAT16_MIN_SNR_DB, STOCK_TOLERANCE
from electone_rave.export.matmul_convs import (PRODUCT_MAX_ROWS, WEIGHT_DTYPES, MatmulCachedConv1d,
                                              MatmulCachedConvTranspose1d, convert)

TOLERANCE = STOCK_TOLERANCE  # float32 weights: what the paper states (export_options.py)
BFLOAT16_LAYER_ERROR = 0.01  # bfloat16 weights: relative RMS error of one layer's output
BFLOAT16_EXPORT_SNR_DB = BFLOAT16_MIN_SNR_DB  # and of a whole export's


def relative_rms_error(b: torch.Tensor, a: torch.Tensor) -> float:
    return ((b - a).pow(2).mean().sqrt() / a.pow(2).mean().sqrt()).item()


def memory_order(x: torch.Tensor) -> list[int]:
    return [stride for stride, size in zip(x.stride(), x.shape) if size > 1]  # a size-1 dimension's stride is moot


def assert_same_outputs(b: torch.Tensor, a: torch.Tensor, weights: str) -> None:
    assert a.shape == b.shape
    assert memory_order(b) == memory_order(a)  # later ops (rand_like) follow the memory layout
    if weights == "float32":
        torch.testing.assert_close(b, a, **TOLERANCE)
    else:
        assert b.dtype == a.dtype == torch.float32
        assert 1e-4 < relative_rms_error(b, a) < BFLOAT16_LAYER_ERROR  # rounded to bfloat16, and close


def streamed(layer, buffers: list[torch.Tensor]) -> list[torch.Tensor]:
    with torch.no_grad():
        return [layer(x).clone() for x in buffers]


def converted_pair(layer, c_in: int, frames: int, weights: str = "float32"):
    with torch.no_grad():
        layer(torch.zeros(1, c_in, frames))  # cached_conv makes its caches on the first call, as RAVE's export does
    fast = copy.deepcopy(layer)
    assert convert(fast, weights, bfloat16_min_weights=0) == 1
    assert fast.weight.dtype == WEIGHT_DTYPES[weights] and layer.weight.dtype == torch.float32
    if fast.bias is not None:
        assert fast.bias.dtype == torch.float32
    return torch.jit.script(layer), torch.jit.script(fast)


# (in, out, kernel, stride, dilation, frames per buffer, padding, cumulative delay): RAVE v2's
# shapes at a 2048 buffer, causal and centred padding (a delay before a strided layer makes
# cached_conv's downsampling_delay non-zero), more frames than the matrix-product path takes for an
# undilated layer (> 16: PyTorch's convolution is kept there), and a dilated layer with as many
# (> PRODUCT_MAX_ROWS: PyTorch's convolution too).
CONV_CASES = [(12, 16, 3, 1, 1, 2, "causal", 0), (12, 16, 3, 1, 3, 2, "causal", 0), (8, 16, 8, 4, 1, 8, "causal", 0),
              (16, 16, 1, 1, 1, 2, "causal", 0), (8, 8, 3, 1, 9, 8, "centred", 0), (16, 32, 4, 2, 1, 2, "centred", 0),
              (8, 16, 8, 4, 1, 8, "centred", 2), (8, 4, 7, 1, 1, 40, "centred", 0), (8, 8, 3, 1, 1, 1, "causal", 0),
              (8, 8, 3, 1, 9, 40, "causal", 0)]


@pytest.mark.parametrize("c_in, c_out, kernel, stride, dilation, frames, padding, delay", CONV_CASES)
@pytest.mark.parametrize("batch", [1, 4])
@pytest.mark.parametrize("weights", ["float32", "bfloat16"])
def test_a_cached_convolution_streams_the_same_outputs(c_in, c_out, kernel, stride, dilation, frames, padding, delay,
                                                       batch, weights):
    torch.manual_seed(kernel * 100 + dilation)
    total = (kernel - 1) * dilation
    pads = (total, 0) if padding == "causal" else (total // 2 + total % 2, total // 2)
    layer = cc.CachedConv1d(c_in, c_out, kernel, stride=stride, dilation=dilation, padding=pads,
                            cumulative_delay=delay, bias=kernel != 1)
    if padding == "centred" and stride > 1:  # these cases exercise the delay path
        assert layer.downsampling_delay.padding > 0
    stock, fast = converted_pair(layer, c_in, frames * stride, weights)
    buffers = [torch.randn(batch, c_in, frames * stride) for _ in range(6)]
    for a, b in zip(streamed(stock, buffers), streamed(fast, buffers)):
        assert_same_outputs(b, a, weights)


# (in, out, kernel, stride, padding, bias, frames): RAVE's upsampling layers (kernel 2 x stride), and
# a kernel that is not a multiple of the stride, stride 1, and no bias.
@pytest.mark.parametrize("c_in, c_out, kernel, stride, padding, bias, frames", [
    (16, 8, 8, 4, 2, True, 1), (16, 8, 8, 4, 2, True, 2), (8, 4, 4, 2, 1, True, 32), (6, 6, 16, 8, 4, True, 4),
    (8, 6, 5, 2, 1, False, 3), (8, 8, 3, 1, 1, True, 5)])
@pytest.mark.parametrize("batch", [1, 4])
@pytest.mark.parametrize("weights", ["float32", "bfloat16"])
def test_a_cached_transposed_convolution_streams_the_same_outputs(c_in, c_out, kernel, stride, padding, bias,
                                                                  frames, batch, weights):
    torch.manual_seed(kernel + stride)
    layer = cc.CachedConvTranspose1d(c_in, c_out, kernel, stride=stride, padding=padding, bias=bias)
    stock, fast = converted_pair(layer, c_in, frames, weights)
    buffers = [torch.randn(batch, c_in, frames) for _ in range(6)]
    for a, b in zip(streamed(stock, buffers), streamed(fast, buffers)):
        assert_same_outputs(b, a, weights)


def profiled(layer, x: torch.Tensor) -> tuple[torch.Tensor, set[str]]:
    """The layer's output and the names of the operators it called."""
    with torch.no_grad(), torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as profile:
        y = layer(x).clone()
    return y, {event.name for event in profile.events()}


# A dilated and a transposed layer (an undilated one keeps PyTorch's convolution past 16 frames anyway);
# rows per call are batch x frames (output frames of a convolution, input frames of a transposed one).
@pytest.mark.parametrize("layer, c_in, frames", [
    (lambda: cc.CachedConv1d(8, 8, 3, dilation=3, padding=(6, 0)), 8, 8),
    (lambda: cc.CachedConvTranspose1d(8, 4, 8, stride=4, padding=2), 8, 8)])
def test_with_many_rows_per_call_a_layer_keeps_pytorchs_kernel(layer, c_in, frames):
    """mc.nn~'s batch with a large buffer: past PRODUCT_MAX_ROWS rows per call, PyTorch's convolution
    (oneDNN's, at any batch above 1) is the faster, so the layer calls it: stock's output bit for bit."""
    stock, fast = converted_pair(layer(), c_in, frames)
    few, many = torch.randn(1, c_in, frames), torch.randn(PRODUCT_MAX_ROWS // frames + 1, c_in, frames)
    for call, (x, takes_product) in enumerate(((many, False), (few, True), (many, False))):  # caches carried
        with torch.no_grad():
            a = stock(x).clone()
        b, called = profiled(fast, x)
        assert ("aten::convolution" not in called) == takes_product
        assert takes_product == bool(called & {"aten::linear", "aten::matmul"})
        if call == 0:  # nothing from the product in its caches yet: stock's kernel, stock's bits
            assert torch.equal(b, a)
        assert_same_outputs(b, a, "float32")


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


def test_bfloat16_weights_only_for_layers_large_enough_to_gain():
    model = torch.nn.Sequential(cc.CachedConv1d(256, 256, 3, padding=(2, 0)),  # 196608 weights
                                cc.CachedConv1d(64, 64, 3, padding=(2, 0)),  # 12288: they stay in cache
                                cc.CachedConvTranspose1d(256, 128, 4, stride=2, padding=1))
    assert convert(model, "bfloat16") == 3
    assert [m.weight.dtype for m in model] == [torch.bfloat16, torch.float32, torch.bfloat16]
    assert all(m.bias.dtype == torch.float32 for m in model)
    float32 = torch.nn.Sequential(cc.CachedConv1d(256, 256, 3, padding=(2, 0)))
    convert(float32)
    assert float32[0].weight.dtype == torch.float32


def test_the_pqmf_filter_bank_keeps_float32_coefficients():
    import cached_conv
    from rave.pqmf import CachedPQMF

    cached_conv.use_cached_conv(True)  # as RAVE's export builds the model
    try:
        model = torch.nn.ModuleDict({"pqmf": CachedPQMF(100, 16), "net": cc.CachedConv1d(16, 16, 3, padding=(2, 0))})
    finally:
        cached_conv.use_cached_conv(False)
    assert convert(model, "bfloat16", bfloat16_min_weights=0) == 3  # the bank's two layers are converted too
    assert model["pqmf"].forward_conv.weight.dtype == model["pqmf"].inverse_conv.weight.dtype == torch.float32
    assert model["net"].weight.dtype == torch.bfloat16


def test_one_list_of_weight_types_for_the_config_the_clis_and_the_conversion():
    import yaml
    from conftest import REPO

    from electone_rave.export.export_options import MATMUL_WEIGHTS

    schema = yaml.safe_load((REPO / "workflow/schemas/config.schema.yaml").read_text())
    assert tuple(schema["properties"]["export"]["properties"]["matmul_weights"]["enum"]) == MATMUL_WEIGHTS
    assert tuple(WEIGHT_DTYPES) == MATMUL_WEIGHTS


def test_bfloat16_weights_without_matrix_products_are_refused_before_exporting(tmp_path: Path):
    from electone_rave.export.rave_export import ExportError, export

    with pytest.raises(ExportError, match="bfloat16 weights are for the matrix-product layers of a streaming export"):
        export(tmp_path / "run", tmp_path / "out.ts", streaming=True, fidelity=0.95, seed=0,
               matmul_convolutions=False, matmul_weights="bfloat16")
    assert not (tmp_path / "out.ts").exists()


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
    from electone_rave.training.untrained_run import untrained_run

    # CAPACITY 16: its deepest layers (256 channels) are large enough for bfloat16 weights
    untrained = untrained_run(["v2", "noise"], ["CAPACITY=16", "LATENT_SIZE=8"], tmp_path / "run")
    exported = {}
    flags = {"stock": ["--no-matmul-convolutions"], "float32": ["--matmul-convolutions"],
             "bfloat16": ["--matmul-convolutions", "--matmul-weights", "bfloat16"]}
    for name, flag in flags.items():
        exported[name] = tmp_path / f"{name}.ts"
        done = run(["electone-rave", "export", "--run", str(untrained), "--out", str(exported[name]),
                    "--streaming", *flag, "--fidelity", "0.95", "--seed", "0"], tmp_path)
        converted = re.search(r"matmul_convs: (\d+) streaming convolutions as matrix products, (\d+) of them "
                              "with bfloat16 weights", done.stdout + done.stderr)
        if name == "stock":
            assert converted is None
        else:
            assert int(converted.group(1)) >= 40  # v2 + noise: the encoder's, decoder's and noise generator's layers
            assert (int(converted.group(2)) > 0) == (name == "bfloat16")

    stock = torch.jit.load(str(exported["stock"]))
    generator = torch.Generator().manual_seed(1)
    audio = [0.3 * torch.randn(1, 1, 2048, generator=generator) for _ in range(12)]
    latents = [torch.randn(1, int(stock.decode_params[0]), 1, generator=generator) for _ in range(12)]
    mc_audio = [0.3 * torch.randn(4, 1, 2048, generator=generator) for _ in range(6)]  # mc.nn~: 4 channels
    for weights in ("float32", "bfloat16"):
        fast = torch.jit.load(str(exported[weights]))
        # What nn~ reads: the same methods, with the same parameters and attributes.
        assert sorted(stock._c._method_names()) == sorted(fast._c._method_names())
        for method in ("encode", "decode", "forward"):
            assert getattr(stock, f"{method}_params").tolist() == getattr(fast, f"{method}_params").tolist()
        assert int(stock.sr) == int(fast.sr)
        assert {n for n, _ in stock.named_parameters()} == {n for n, _ in fast.named_parameters()}

        for method, buffers in (("forward", audio), ("encode", audio), ("decode", latents), ("forward", mc_audio)):
            a, b = exported_outputs(exported["stock"], method, buffers), exported_outputs(exported[weights], method, buffers)
            assert a.abs().max() > 0 and b.dtype == torch.float32
            if weights == "float32":
                torch.testing.assert_close(b, a, **TOLERANCE)
            else:
                snr_db = -20 * math.log10(relative_rms_error(b, a))
                assert snr_db > BFLOAT16_EXPORT_SNR_DB, f"{method}: SNR {snr_db:.1f} dB"
