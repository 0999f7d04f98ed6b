"""Run `rave export` in this process (rave_launcher.py, seeded) with the workflow's patches:

    python -m electone_rave.export.export_launcher --seed 1970 [--matmul-convolutions] --run ... (rave flags)

nn~'s code generator is pointed at a temporary folder instead of its own package folder (read-only
for non-root users), the exported prior is made batch-safe (prior_export.py), and with
--matmul-convolutions the streaming layers are converted before scripting (matmul_convs.py).
"""

from __future__ import annotations

import argparse
import atexit
import shutil
import tempfile
from pathlib import Path

from ..rave_launcher import launch
from .export_options import MATMUL_WEIGHTS


def keep_nn_tilde_scratch_out_of_site_packages() -> Path:
    """nn~'s exporter writes generated code into its own package folder (nn_tilde/.tmpfile), which
    a non-root user cannot write in an image or a shared install: give it a private scratch folder."""
    import nn_tilde
    import nn_tilde.codegen

    scratch = Path(tempfile.mkdtemp(prefix="nn_tilde-")) / ".tmpfile"
    atexit.register(shutil.rmtree, scratch.parent, True)
    nn_tilde.TMP_FILE_OUTPUT = nn_tilde.codegen.TMP_FILE_OUTPUT = scratch
    # nn~'s modules clean their scratch in __del__, after the folder above is gone at exit: without
    # this, every export log ends in an ignored FileNotFoundError traceback.
    nn_tilde.codegen.TmpFileSession.close = lambda session: shutil.rmtree(session._path, True)
    return scratch


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--matmul-convolutions", action="store_true",
                        help="streaming convolutions as matrix products (matmul_convs.py)")
    parser.add_argument("--matmul-weights", choices=MATMUL_WEIGHTS, default="float32",
                        help="with --matmul-convolutions: the converted layers' weight type")
    args, rave_args = parser.parse_known_args(argv)

    def prepare(module) -> None:
        from . import prior_export

        keep_nn_tilde_scratch_out_of_site_packages()
        prior_export.install(module)
        if args.matmul_convolutions:
            from . import matmul_convs
            matmul_convs.install(module, args.matmul_weights)

    launch("export", args.seed, rave_args, prepare)


if __name__ == "__main__":
    main()
