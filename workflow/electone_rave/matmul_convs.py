"""Streaming convolutions as matrix products, for the exported model (on by default: export.matmul_convolutions).

nn~ runs a streaming export one buffer at a time, on one thread: most layers then see 1 to 16
frames, and PyTorch sends such convolutions to its slow reference kernels (`_slow_conv2d_forward`,
`slow_conv_dilated2d`, `slow_conv_transpose2d`: 0.7 to 2 GB/s of weights on one core; the first
transposed convolution of v2 alone took 14 ms per 46 ms buffer). Written as one matrix product
over the unfolded input (and, for a transposed convolution, a product followed by an overlap-add
with `fold`), the same layer reads its weights at the matrix library's speed. The arithmetic is the
same up to float summation order: outputs equal stock `rave export`'s within 1e-5
(tests/test_matmul_convs.py).

Only the forward of cached_conv's streaming layers changes (the class of each instance is swapped
before RAVE scripts the model): weights, buffers, methods and attributes are RAVE's, so the file
loads in nn~ as before. Ordinary convolutions with more than 16 frames per call keep PyTorch's
convolution, which is the faster one there; transposed ones always take the product and fold.
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
        if frames > 16:  # TorchScript cannot read a module-level constant here
            return nn.functional.conv1d(x, self.weight, self.bias, self.stride, self.padding,
                                        self.dilation, self.groups)
        windows = x.unfold(-1, (k - 1) * d + 1, s)[..., ::d]  # [batch, C_in, frames, k]
        columns = windows.permute(0, 1, 3, 2).reshape(x.shape[0], -1, frames)  # [batch, C_in * k, frames]
        y = torch.matmul(self.weight.reshape(self.weight.shape[0], -1), columns)
        bias = self.bias
        if bias is not None:
            y = y + bias.unsqueeze(-1)
        return y


class MatmulCachedConvTranspose1d(cc.CachedConvTranspose1d):
    def forward(self, x):
        k = self.kernel_size[0]
        s = self.stride[0]
        c_in, c_out = self.weight.shape[0], self.weight.shape[1]
        length = x.shape[-1]
        columns = torch.matmul(x.transpose(1, 2), self.weight.reshape(c_in, c_out * k))  # [batch, frames, C_out * k]
        x = nn.functional.fold(columns.transpose(1, 2), output_size=(1, (length - 1) * s + k),
                               kernel_size=(1, k), stride=(1, s)).squeeze(2)
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


def convert(model: nn.Module) -> int:
    """Swap the forward of every cached_conv streaming layer it applies to; returns how many."""
    converted = 0
    for module in model.modules():
        if type(module) is cc.CachedConv1d and module.groups == 1:
            module.__class__ = MatmulCachedConv1d
        elif (type(module) is cc.CachedConvTranspose1d and module.groups == 1
              and module.dilation[0] == 1 and module.output_padding[0] == 0):
            module.__class__ = MatmulCachedConvTranspose1d
        else:
            continue
        converted += 1
    return converted


def install(export_module) -> None:
    """Make RAVE's export script (scripts.export) convert the model before scripting it. Its
    Variational/Discrete/... ScriptedRAVE subclasses are made at import, so the base class's
    __init__ is wrapped, not the name replaced."""
    scripted_rave = export_module.ScriptedRAVE
    if getattr(scripted_rave, "_matmul_convs", False):
        return
    original_init = scripted_rave.__init__

    def init(self, pretrained, *args, **kwargs):
        print(f"matmul_convs: {convert(pretrained)} streaming convolutions as matrix products", flush=True)
        original_init(self, pretrained, *args, **kwargs)

    scripted_rave.__init__ = init
    scripted_rave._matmul_convs = True
