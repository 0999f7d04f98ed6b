"""`electone-rave <command>`: the entry points Snakemake rules (and users) call, one module per
stage (corpus, preprocess, training, export, evaluation, report, workflow), each command's flags
beside its handler (commands.py).

Paths are given on the command line so each rule's shell command shows its data flow. A command
imports only its own stage's module, and its handler what it needs: what a job runs is what its
command imports (job_dependencies.py), so an edit to one stage re-runs that stage's jobs alone.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import logging
import sys
from functools import lru_cache
from pathlib import Path

from ..errors import ElectoneRaveError

STAGES = ("corpus", "preprocess", "training", "export", "evaluation", "report", "workflow")
KNOWN_ERRORS = (ElectoneRaveError, FileExistsError, FileNotFoundError)


def declared_commands(source: str) -> list[str]:
    """The command names a stage module's source declares with @command("name", ...)."""
    return [decorator.args[0].value for node in ast.parse(source).body if isinstance(node, ast.FunctionDef)
            for decorator in node.decorator_list
            if isinstance(decorator, ast.Call) and getattr(decorator.func, "id", "") == "command"]


@lru_cache(maxsize=None)
def stage_of_command() -> dict[str, str]:
    """Each command's stage module, read from the modules' source without importing them."""
    folder = Path(__file__).parent
    return {name: stage for stage in STAGES for name in declared_commands((folder / f"{stage}.py").read_text())}


def parser(stages=STAGES) -> argparse.ArgumentParser:
    from .commands import COMMANDS

    for stage in stages:
        importlib.import_module(f"{__name__}.{stage}")
    top = argparse.ArgumentParser(prog="electone-rave", description=__doc__)
    sub = top.add_subparsers(dest="command", required=True)
    for name, stage in stage_of_command().items():
        if stage in stages:
            COMMANDS[name].add_to(sub)
    return top


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s: %(message)s")
    argv = sys.argv[1:] if argv is None else argv
    stage = stage_of_command().get(argv[0]) if argv else None
    args = parser((stage,) if stage else STAGES).parse_args(argv)  # help, or an unknown command: all
    try:
        args.func(args)
    except KNOWN_ERRORS as err:
        print(f"electone-rave {args.command}: error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
