"""How a command is declared: its name, help and flags beside its handler, as RAVE's scripts and
DAC's argbind keep a command's flags beside its code.

    @command("figure-ablation", "figure: the noise ablation bar chart",
             arg("--ablation", type=Path, required=True),
             arg("--out", type=Path, required=True))
    def cmd_figure_ablation(a): ...

Arguments shared by several commands are defined here once.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    arguments: tuple[tuple[tuple, dict], ...]
    handler: Callable[[argparse.Namespace], None]

    def add_to(self, subparsers) -> None:
        parser = subparsers.add_parser(self.name, help=self.help)
        for flags, options in self.arguments:
            parser.add_argument(*flags, **options)
        parser.set_defaults(func=self.handler)


COMMANDS: dict[str, Command] = {}  # filled as the stage modules are imported


def arg(*flags, **options) -> tuple[tuple, dict]:
    """One argument, as argparse's add_argument takes it."""
    return flags, options


def command(name: str, help: str, *arguments: tuple[tuple, dict]):
    """Declare the decorated function as `electone-rave NAME`, with these arguments."""
    def register(handler):
        if name in COMMANDS:
            raise ValueError(f"electone-rave {name}: declared twice")
        COMMANDS[name] = Command(name, help, arguments, handler)
        return handler
    return register


def named(convert: Callable[[str], object] = Path) -> Callable[[str], tuple[str, object]]:
    """The argparse type of a NAME=VALUE argument: (NAME, convert(VALUE)); the one way repeated
    NAME=VALUE options are read."""
    def parse(text: str) -> tuple[str, object]:
        name, sep, value = text.partition("=")
        if not sep or not name or not value:
            raise argparse.ArgumentTypeError(f"{text!r}: expected NAME=VALUE")
        try:
            return name, convert(value)
        except ValueError as err:
            raise argparse.ArgumentTypeError(f"{text!r}: {err}") from None
    return parse


FILES_ARG = arg("--files", nargs="*", default=None, metavar="NAME",
                help="evaluate these manifest files instead of the held-out split (an imported run's "
                     "files named as never seen)")


def private_corpus_arg(required: bool = False) -> tuple[tuple, dict]:
    return arg("--private-corpus", type=named(Path), nargs="+" if required else "*", required=required,
               default=None if required else [],
               help="CORPUS=FOLDER: a private corpus and a folder of its files (source audio, ingested "
                    "FLAC, RAVE database); repeat for each folder")
