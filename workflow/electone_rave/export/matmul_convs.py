"""Streaming convolutions as matrix products, for the exported model (on by default: export.matmul_convolutions).

nn~ runs a streaming export one buffer at a time, on one thread: most layers then see 1 to 16
frames, and PyTorch sends such convolutions to its slow reference kernels (`_slow_conv2d_forward`,
`slow_conv_dilated2d`, `slow_conv_transpose2d`: 0.7 to 2 GB/s of weights on one core; the first
transposed convolution of v2 alone took 14 ms per 46 ms buffer). Written as one matrix product
over the unfolded input (and, for a transposed convolution, a product followed by an overlap-add
with `fold`), the same layer reads its weights at the matrix library's speed. The product is taken
as `linear` on frame-major rows: the matrix library's kernel for a few rows is about three times
faster than its kernel for the transposed, few-columns layout (the first version of this file).
The arithmetic is the same up to float summation order: outputs equal stock `rave export`'s within
1e-5 (tests/test_matmul_convs.py). With weights="bfloat16" (export.matmul_weights) the larger
layers read half the bytes, and outputs are within the tolerance docs/performance.md states, not equal.

Only the forward of cached_conv's streaming layers changes (the class of each instance is swapped
before RAVE scripts the model): weights, buffers, methods and attributes are RAVE's (plus one int,
`product_max_rows`), so the file loads in nn~ as before. With float32 weights a layer keeps PyTorch's
convolution where that is as fast or faster: undilated convolutions with more than 16 frames per
call, and any layer with more than PRODUCT_MAX_ROWS rows per call (batch x frames: mc.nn~'s batch
with large buffers, where PyTorch takes oneDNN's kernels). Otherwise dilated convolutions take the
product (PyTorch's kernel for them is two to three times slower with few frames), and transposed
ones the product and fold. bfloat16 weights always take the product.
"""

from __future__ import annotations

import cached_conv.convs as cc
import torch
import torch.nn as nn


class MatmulCachedConv1d(cc.CachedConv1d):
    def forward(self, x):
        x = self.downsampling_delay(x)
        x = self.cache(x)
        k = self.kernel_size[0]
        d = self.dilation[0]
        s = self.stride[0]
        frames = (x.shape[-1] - (k - 1) * d - 1) // s + 1
        same_type = self.weight.dtype == x.dtype  # False for bfloat16 weights, which always take the product
        if same_type and ((frames > 16 and d == 1) or x.shape[0] * frames > self.product_max_rows):
            return nn.functional.conv1d(x, self.weight, self.bias, self.stride, self.padding,
                                        self.dilation, self.groups)
        windows = x.unfold(-1, (k - 1) * d + 1, s)[..., ::d]  # [batch, C_in, frames, k]
        rows = windows.permute(0, 2, 1, 3).reshape(x.shape[0], frames, -1)  # [batch, frames, C_in * k]
        weight = self.weight.reshape(self.weight.shape[0], -1)
        if same_type:
            y = nn.functional.linear(rows, weight, self.bias)
        else:  # the bias is added in float32
            y = nn.functional.linear(rows.to(weight.dtype), weight).to(x.dtype)
            bias = self.bias
            if bias is not None:
                y = y + bias
        # stock's memory layout: later ops follow it (the noise generator's rand_like fills in memory order)
        return y.transpose(1, 2).contiguous()


class MatmulCachedConvTranspose1d(cc.CachedConvTranspose1d):
    def forward(self, x):
        if self.weight.dtype == x.dtype and x.shape[0] * x.shape[-1] > self.product_max_rows:
            x = nn.functional.conv_transpose1d(x, self.weight, None, self.stride, 0, self.output_padding, self.groups,
                                               self.dilation)
        else:
            x = self.product(x)
        # From here on, cached_conv's own CachedConvTranspose1d.forward.
        if not self.initialized:
            self.init_cache(x)
        padding = 2 * self.padding[0]
        x[..., :padding] += self.cache[:x.shape[0]]
        self.cache[:x.shape[0]].copy_(x[..., -padding:])
        x = x[..., :-padding]
        bias = self.bias
        if bias is not None:
            x = x + bias.unsqueeze(-1)
        return x

    def product(self, x):
        k = self.kernel_size[0]
        s = self.stride[0]
        c_in, c_out = self.weight.shape[0], self.weight.shape[1]
        length = x.shape[-1]
        weight = self.weight.reshape(c_in, c_out * k)
        columns = torch.matmul(x.transpose(1, 2).to(weight.dtype), weight).to(x.dtype)  # [batch, frames, C_out * k]
        return nn.functional.fold(columns.transpose(1, 2), output_size=(1, (length - 1) * s + k),
                                  kernel_size=(1, k), stride=(1, s)).squeeze(2)


WEIGHT_DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16}
# Above this many rows per call (batch x frames), a layer with float32 weights calls PyTorch's
# convolution: with mc.nn~'s batch and large buffers, PyTorch takes oneDNN's kernels, which are then
# faster than the product (and use a second thread better). Chosen from per-layer timings of full-size
# v2 + noise at batch 1 and 4, buffers 2048 and 8192, 1 and 2 threads (issue #23's note).
PRODUCT_MAX_ROWS = 32
# Below this many weights a layer's weights stay in the CPU's cache from buffer to buffer: bfloat16
# would cost them accuracy and gain nothing (it halves the bytes read from memory, nothing else).
BFLOAT16_MIN_WEIGHTS = 65536


def pqmf_layers(model: nn.Module) -> set[int]:
    """ids of the layers inside RAVE's PQMF filter bank: their stopband needs float32 coefficients."""
    from rave.pqmf import PQMF  # CachedPQMF, the streaming one, is a subclass

    return {id(layer) for module in model.modules() if isinstance(module, PQMF) for layer in module.modules()}


def convert(model: nn.Module, weights: str = "float32", bfloat16_min_weights: int = BFLOAT16_MIN_WEIGHTS) -> int:
    """Swap the forward of every cached_conv streaming layer it applies to; returns how many.
    weights="bfloat16" also stores those layers' weights in bfloat16 where there are at least
    bfloat16_min_weights of them, outside the PQMF filter bank: their products take bfloat16 inputs
    and round their result to bfloat16; biases, caches and what flows between layers stay float32."""
    dtype = WEIGHT_DTYPES[weights]
    keep_float32 = pqmf_layers(model)
    converted = 0
    for module in model.modules():
        if type(module) is cc.CachedConv1d and module.groups == 1:
            module.__class__ = MatmulCachedConv1d
        elif (type(module) is cc.CachedConvTranspose1d and module.groups == 1
              and module.dilation[0] == 1 and module.output_padding[0] == 0):
            module.__class__ = MatmulCachedConvTranspose1d
        else:
            continue
        module.product_max_rows = PRODUCT_MAX_ROWS  # an attribute: TorchScript reads no module-level constant
        if module.weight.numel() >= bfloat16_min_weights and id(module) not in keep_float32:
            module.weight.data = module.weight.data.to(dtype)
        converted += 1
    return converted


def install(export_module, weights: str = "float32") -> None:
    """Make RAVE's export script (scripts.export) convert the model before scripting it. Its
    Variational/Discrete/... ScriptedRAVE subclasses are made at import, so the base class's
    __init__ is wrapped, not the name replaced."""
    scripted_rave = export_module.ScriptedRAVE
    if getattr(scripted_rave, "_matmul_convs", False):
        return
    original_init = scripted_rave.__init__

    def init(self, pretrained, *args, **kwargs):
        count = convert(pretrained, weights)
        in_bfloat16 = sum(p.dtype == torch.bfloat16 for p in pretrained.parameters())
        print(f"matmul_convs: {count} streaming convolutions as matrix products, {in_bfloat16} of them with "
              "bfloat16 weights", flush=True)
        original_init(self, pretrained, *args, **kwargs)

    scripted_rave.__init__ = init
    scripted_rave._matmul_convs = True
