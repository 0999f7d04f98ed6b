"""Run one of RAVE's own CLI commands (`rave preprocess`, `rave train`, `rave train_prior`) in this
process, after setting the seeds RAVE has no flag for (`rave export`: export_launcher.py).

    python -m electone_rave.rave_launcher --seed 1970 train --name x --db_path ... (rave flags)

The working directory is taken off sys.path first: gin resolves RAVE's own
`include "configs/v1.gin"` through Python imports too, and this repository's `configs/` folder
would otherwise shadow it as a namespace package (gin then fails with a TypeError).

Lightning 1.9 reads Trainer defaults from PL_TRAINER_* environment variables, which is how the
workflow sets log_every_n_steps without touching RAVE's code.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable
from types import ModuleType

RAVE_COMMANDS = ("preprocess", "train", "train_prior")


def drop_cwd_from_path() -> None:
    cwd = os.getcwd()
    sys.path[:] = [p for p in sys.path if p not in ("", ".", cwd)]


def launch(command: str, seed: int, rave_args: list[str], prepare: Callable[[ModuleType], None] | None = None) -> None:
    """RAVE's `scripts.<command>` with its absl flags, seeded; `prepare` may patch the module first."""
    drop_cwd_from_path()
    import pytorch_lightning as pl
    from absl import app

    pl.seed_everything(seed, workers=True)
    module = importlib.import_module(f"scripts.{command}")
    if prepare is not None:
        prepare(module)
    # sys.argv stays ours: Lightning's DDP relaunches `python -m electone_rave.rave_launcher` with it.
    app.run(module.main, argv=[module.__name__, *rave_args])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("command", choices=RAVE_COMMANDS)
    args, rave_args = parser.parse_known_args(argv)
    launch(args.command, args.seed, rave_args)


if __name__ == "__main__":
    main()
