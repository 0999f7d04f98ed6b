"""Typesetting the paper with Typst (the `typst` wheel pinned in the lock file; no system TeX)."""

from __future__ import annotations

from pathlib import Path

from ..errors import ElectoneRaveError


class PaperError(ElectoneRaveError, RuntimeError):
    pass


def build(source: Path, numbers: Path, figures: Path, out: Path, root: Path = Path(".")) -> Path:
    """Compile `source` to PDF; numbers and figures are passed as paths relative to `root`."""
    import typst

    root = root.resolve()
    inputs = {"numbers": "/" + Path(numbers).resolve().relative_to(root).as_posix(),
              "figures": "/" + Path(figures).resolve().relative_to(root).as_posix()}
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    try:
        typst.compile(str(source), output=str(partial), root=str(root), sys_inputs=inputs)
    except RuntimeError as err:  # typst reports source errors with file and line
        partial.unlink(missing_ok=True)
        raise PaperError(f"{source}: typst failed: {err}") from None
    partial.replace(out)
    return out
