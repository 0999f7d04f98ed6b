"""Export commands: a run to streaming TorchScript for nn~, or an imported .ts adopted."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..export.export_options import MATMUL_WEIGHTS
from .commands import arg, command


@command("export", "export a run to TorchScript for nn~ (rave export)",
         arg("--run", type=Path, required=True),
         arg("--prior", type=Path),
         arg("--out", type=Path, required=True),
         arg("--fidelity", type=float, required=True),
         arg("--streaming", action=argparse.BooleanOptionalAction, default=True),
         arg("--matmul-convolutions", action=argparse.BooleanOptionalAction, default=True,
             help="streaming layers as matrix products: same outputs within 1e-5, about 2x "
             "faster on one CPU thread (--no-matmul-convolutions: stock rave export)"),
         arg("--matmul-weights", choices=MATMUL_WEIGHTS, default="float32",
             help="weight type of the matrix-product layers: bfloat16 was faster on a CPU with native "
             "bfloat16 products (AVX512-BF16), within the stated tolerance (docs/performance.md), not equal to stock; "
             "elsewhere unmeasured"),
         arg("--seed", type=int, required=True))
def cmd_export(a):
    from ..export.rave_export import export
    export(a.run, a.out, a.streaming, a.fidelity, a.seed, a.prior, a.matmul_convolutions, a.matmul_weights)


@command("adopt-scripted", "(rules adopt_scripted*) an imported .ts where an export leaves its model",
         arg("--source", type=Path, required=True, help="data/imported/<arm>"),
         arg("--export", type=Path, required=True),
         arg("--provenance", type=Path, help="where to write the model's provenance.json"),
         arg("--sample-rate", type=int, required=True))
def cmd_adopt_scripted(a):
    from ..export.scripted_model import adopt_scripted
    adopt_scripted(a.source, a.export, a.sample_rate, a.provenance)


@command("nn-host-check", "(rule nn_host_check) an export played in nn-host as nn~ plays it, compared with "
         "Python sample for sample, at batch 1 and 4; the record says what nn~ finds and which nn~ releases fit",
         arg("--export", type=Path, required=True, help="results/export/<name>.ts"),
         arg("--out", type=Path, required=True, help="results/nn_host_check/<name>.json"),
         arg("--seed", type=int, required=True, help="the test signal's and the models' seed"))
def cmd_nn_host_check(a):
    from ..export.nn_host_check import check_export
    check_export(a.export, a.out, a.seed)
