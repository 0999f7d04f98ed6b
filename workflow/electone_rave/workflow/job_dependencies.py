"""What a workflow job depends on besides its data: the code it runs and the config values it reads.

One source for both engines, so a full run re-runs exactly what an edit can change:
- code: the package modules that `electone-rave <command>` imports, transitively (read from the
  source, imports inside functions included), the package data beside them, and the rule's own
  file. Rules take them as inputs (`code(...)` in workflow/rules/common.smk): Snakemake re-runs a
  job whose code file is newer than its outputs, DVC one whose code file's hash changed.
- settings: each config-derived rule parameter is a :class:`Setting`, its text plus the dotted
  config keys it was made from. Snakemake re-runs a job when a parameter's text changes; the
  generated dvc.yaml lists the keys as the stage's params (dvc_stages.py).
"""

from __future__ import annotations

import ast
from functools import lru_cache
from pathlib import Path

PACKAGE = "electone_rave"
PACKAGE_DIR = Path(__file__).resolve().parents[1]
PACKAGE_FOLDER = Path("workflow", PACKAGE)  # where the package lies in the repository (and a workflow copy)
CLI_MODULE = f"{PACKAGE}.cli"


class Setting(str):
    """A rule parameter made from config values: the text the command gets, and the config keys
    (dotted paths into configs/config.yaml) it was made from."""

    keys: tuple[str, ...]

    def __new__(cls, text: object, keys: tuple[str, ...] | list[str]) -> Setting:
        setting = super().__new__(cls, text)
        setting.keys = tuple(keys)
        return setting


def lookup(config: dict, key: str):
    """The value at a dotted key (a number indexes a list, as in DVC's params), or None where any
    part is missing."""
    value = config
    for part in key.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


def module_path(module: str) -> Path | None:
    """The file a module of this package is read from (a package's __init__.py), or None."""
    if module != PACKAGE and not module.startswith(PACKAGE + "."):
        return None
    base = PACKAGE_DIR.joinpath(*module.split(".")[1:])
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imported(node: ast.AST, module: str) -> set[str]:
    """The package's modules an import statement loads (a `from X import name` also loads X.name
    where that is a module), or a string that names one (`python -m electone_rave.X` in a subprocess)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value} if node.value.startswith(PACKAGE + ".") and module_path(node.value) else set()
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names if module_path(alias.name)}
    if not isinstance(node, ast.ImportFrom):
        return set()
    if node.level:
        anchor = module.split(".") if module_path(module).name == "__init__.py" else module.split(".")[:-1]
        anchor = anchor[: len(anchor) - (node.level - 1)]
        base = ".".join(anchor + ([node.module] if node.module else []))
    else:
        base = node.module or ""
    found = {base} if module_path(base) else set()
    return found | {f"{base}.{alias.name}" for alias in node.names if module_path(f"{base}.{alias.name}")}


def _parents(module: str) -> set[str]:
    """The packages Python runs on the way to a module (their __init__.py)."""
    parts = module.split(".")
    return {".".join(parts[:i]) for i in range(1, len(parts))}


@lru_cache(maxsize=None)
def _tree(module: str) -> ast.Module:
    path = module_path(module)
    return ast.parse(path.read_text(), filename=str(path))


def direct_imports(module: str) -> set[str]:
    """Every module of this package that `module`'s source imports, at the top or in a function, or
    runs as a subprocess."""
    return {name for node in ast.walk(_tree(module)) for name in _imported(node, module)}


def top_level_imports(module: str) -> set[str]:
    """What importing `module` itself loads of this package: its imports outside functions."""
    return {name for node in _tree(module).body if not isinstance(node, ast.FunctionDef)
            for name in _imported(node, module)}


def closure(modules: set[str]) -> set[str]:
    """The modules and everything they import, transitively, with their parent packages."""
    seen: set[str] = set()
    pending = set(modules)
    while pending:
        module = pending.pop()
        if module in seen:
            continue
        seen.add(module)
        pending |= (direct_imports(module) | _parents(module)) - seen
    return seen


def command_stage_module(command: str) -> str:
    """The CLI module that declares `electone-rave <command>` (cli/<stage>.py)."""
    from ..cli import stage_of_command

    stage = stage_of_command().get(command)
    if stage is None:
        raise KeyError(f"{CLI_MODULE}: no command {command!r}")
    return f"{CLI_MODULE}.{stage}"


def handler_imports(command: str) -> set[str]:
    """What `electone-rave <command>` imports beyond the CLI itself: its stage module's module-level
    imports, and the imports in the command's handler and in the module's helpers it calls (not
    the other handlers' imports: the dispatcher imports that one module, and the handler runs)."""
    module = command_stage_module(command)
    tree = _tree(module)
    functions = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
    handler = next(name for name, node in functions.items() for decorator in node.decorator_list
                   if isinstance(decorator, ast.Call) and decorator.args and getattr(decorator.args[0], "value", None) == command)
    found = top_level_imports(module) - {CLI_MODULE, f"{CLI_MODULE}.commands"}
    pending, visited = [handler], set()
    while pending:
        function = pending.pop()
        if function in visited:
            continue
        visited.add(function)
        for node in ast.walk(functions[function]):
            found |= _imported(node, module)
            if isinstance(node, ast.Name) and node.id in functions:
                pending.append(node.id)
    return found


def package_data(packages: set[str]) -> set[Path]:
    """Files other than Python source inside these packages' own folders (templates and such)."""
    data = set()
    for package in packages:
        folder = module_path(package).parent
        for path in folder.rglob("*"):
            inner = path.relative_to(folder).parts[:-1]
            in_subpackage = any((folder.joinpath(*inner[: i + 1]) / "__init__.py").is_file() for i in range(len(inner)))
            if path.is_file() and path.suffix not in (".py", ".pyc") and "__pycache__" not in path.parts and not in_subpackage:
                data.add(path)
    return data


def code_files(modules: set[str]) -> tuple[str, ...]:
    """The files of these modules, as paths in the repository, with their packages' data files."""
    packages = {m for m in modules if module_path(m).name == "__init__.py"}
    files = {module_path(m) for m in modules} | package_data(packages)
    return tuple(sorted((PACKAGE_FOLDER / path.relative_to(PACKAGE_DIR)).as_posix() for path in files))


@lru_cache(maxsize=None)
def command_code(*commands: str) -> tuple[str, ...]:
    """The package files `electone-rave <command>` runs, for each command, as paths in the repository:
    the CLI's dispatcher and registry, the command's stage module, and what its handler imports."""
    cli = {CLI_MODULE, f"{CLI_MODULE}.commands", *map(command_stage_module, commands)}
    dispatcher = top_level_imports(CLI_MODULE) | top_level_imports(f"{CLI_MODULE}.commands")
    imported = dispatcher | {m for c in commands for m in handler_imports(c)}
    return code_files(cli | closure(_parents(CLI_MODULE) | (imported - cli)))


@lru_cache(maxsize=None)
def module_code(*modules: str) -> tuple[str, ...]:
    """The package files that importing these modules runs (for a rule that runs Python in-process)."""
    return code_files(closure(set(modules)))
