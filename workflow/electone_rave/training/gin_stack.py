"""An arm's gin stack: this repository's .gin files and configs acids-rave ships, named as
`rave train --config` names them (`v3`, `noise`, `spectral_discriminator`, `augmentations/mute`).

RAVE resolves a shipped name itself; the workflow resolves it the same way only to check that it
exists and to fingerprint its content (a changed acids-rave changes the run)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from ..errors import ConfigError


def shipped_configs_dir() -> Path:
    spec = importlib.util.find_spec("rave")  # located, not imported: no torch start-up for a lookup
    if spec is None or spec.origin is None:
        raise ConfigError("acids-rave is not installed: its shipped gin configs cannot be found")
    return Path(spec.origin).parent / "configs"


def shipped_names() -> list[str]:
    root = shipped_configs_dir()
    return sorted(p.relative_to(root).with_suffix("").as_posix() for p in root.rglob("*.gin"))


def is_project_file(entry: str) -> bool:
    return entry.endswith(".gin")


def resolve(entry: str) -> Path:
    """The file behind one entry of a stack: a path ending in .gin, or a shipped config's name."""
    if is_project_file(entry):
        if not Path(entry).is_file():  # relative to the workflow directory, like every path
            raise ConfigError(f"gin file {entry} does not exist")
        return Path(entry)
    root = shipped_configs_dir()
    # rave train's own search path: its configs folder, then configs/augmentations
    for candidate in (root / f"{entry}.gin", root / "augmentations" / f"{entry}.gin"):
        if candidate.is_file():
            return candidate
    raise ConfigError(f"{entry!r} is neither a .gin file nor a config acids-rave ships; "
                      f"shipped: {', '.join(shipped_names())}")


def project_files(stack: list[str]) -> list[str]:
    """The entries that are files of this repository (a workflow's inputs; shipped ones are not)."""
    return [entry for entry in stack if is_project_file(entry)]


NOISE_CONFIG = "noise"  # the shipped config that adds RAVE's noise generator (the ablated component)


def bindings(stack: list[str], overrides: list[str] = ()) -> tuple[dict[str, str], set[Path]]:
    """What a stack binds once composed as `rave train` composes it (each entry in order, includes
    followed, then the --override values): {binding: value as text} and the files it read.
    Parsed with gin's own parser, without importing RAVE."""
    from gin import config_parser

    class Delegate(config_parser.ParserDelegate):  # references and macros kept as their text
        def configurable_reference(self, scoped_name, evaluate):
            return f"@{scoped_name}{'()' if evaluate else ''}"

        def macro(self, name):
            return f"%{name}"

    bound: dict[str, str] = {}
    files: set[Path] = set()

    def parse(text: str, source: Path | None) -> None:
        for statement in config_parser.ConfigParser(text, Delegate()):
            if isinstance(statement, config_parser.IncludeStatement):
                included = included_file(statement.filename, source)
                files.add(included.resolve())
                parse(included.read_text(), included)
            elif isinstance(statement, config_parser.BindingStatement):
                name = ".".join(filter(None, ("/".join(filter(None, (statement.scope, statement.selector))),
                                              statement.arg_name)))
                bound[name] = repr(statement.value)

    for entry in stack:
        path = resolve(entry)
        files.add(path.resolve())
        parse(path.read_text(), path)
    for override in overrides:
        parse(override, None)
    return bound, files


def included_file(name: str, source: Path | None) -> Path:
    """An include as RAVE's gin search path finds it: beside acids-rave's package (`configs/v2.gin`),
    then relative to the workflow directory or the including file."""
    for candidate in (shipped_configs_dir().parent / name, Path(name), *([source.parent / name] if source else [])):
        if candidate.is_file():
            return candidate
    raise ConfigError(f"{source or 'an override'}: include {name!r} not found")
