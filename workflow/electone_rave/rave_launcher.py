"""Run one of RAVE's own CLI commands (`rave train`, `rave train_prior`, `rave export`, ...)
in this process, after setting the seeds RAVE has no flag for.

    python -m electone_rave.rave_launcher --seed 1970 train --name x --db_path ... (rave flags)

The working directory is taken off sys.path first: gin resolves RAVE's own
`include "configs/v1.gin"` through Python imports too, and this repository's `configs/` folder
would otherwise shadow it as a namespace package (gin then fails with a TypeError).

Lightning 1.9 reads Trainer defaults from PL_TRAINER_* environment variables, which is how the
workflow sets log_every_n_steps without touching RAVE's code. For `export`, nn~'s code generator
is pointed at a temporary folder instead of its own package folder (read-only for non-root users),
and with --matmul-convolutions the streaming layers are converted before scripting (matmul_convs.py).
"""

from __future__ import annotations

import argparse
import atexit
import importlib
import os
import shutil
import sys
import tempfile
from pathlib import Path

from .export import MATMUL_WEIGHTS

RAVE_COMMANDS = ("preprocess", "train", "train_prior", "export")


def drop_cwd_from_path() -> None:
    cwd = os.getcwd()
    sys.path[:] = [p for p in sys.path if p not in ("", ".", cwd)]


def keep_nn_tilde_scratch_out_of_site_packages() -> Path:
    """nn~'s exporter writes generated code into its own package folder (nn_tilde/.tmpfile), which
    a non-root user cannot write in an image or a shared install: give it a private scratch folder."""
    import nn_tilde
    import nn_tilde.codegen

    scratch = Path(tempfile.mkdtemp(prefix="nn_tilde-")) / ".tmpfile"
    atexit.register(shutil.rmtree, scratch.parent, True)
    nn_tilde.TMP_FILE_OUTPUT = nn_tilde.codegen.TMP_FILE_OUTPUT = scratch
    return scratch


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("command", choices=RAVE_COMMANDS)
    parser.add_argument("--matmul-convolutions", action="store_true",
                        help="export: streaming convolutions as matrix products (matmul_convs.py)")
    parser.add_argument("--matmul-weights", choices=MATMUL_WEIGHTS, default="float32",
                        help="export with --matmul-convolutions: the converted layers' weight type")
    args, rave_args = parser.parse_known_args(argv)

    drop_cwd_from_path()
    import pytorch_lightning as pl
    from absl import app

    pl.seed_everything(args.seed, workers=True)
    module = importlib.import_module(f"scripts.{args.command}")
    if args.command == "export":
        keep_nn_tilde_scratch_out_of_site_packages()
        from . import prior_export
        prior_export.install(module)
        if args.matmul_convolutions:
            from . import matmul_convs
            matmul_convs.install(module, args.matmul_weights)
    # sys.argv stays ours: Lightning's DDP relaunches `python -m electone_rave.rave_launcher` with it.
    app.run(module.main, argv=[module.__name__, *rave_args])


if __name__ == "__main__":
    main()
