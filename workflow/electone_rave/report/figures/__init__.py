"""One module per paper figure; each writes a PNG and a PDF."""

from __future__ import annotations

from pathlib import Path


def save(fig, png: Path, description: str | None = None) -> None:
    """Write `png` and the PDF beside it; `description` (what is plotted, e.g. which runs) goes into
    both files' metadata, where a reader or a test finds it without looking at pixels."""
    png.parent.mkdir(parents=True, exist_ok=True)
    about = {"Description": description} if description else {}
    fig.savefig(png, dpi=150, bbox_inches="tight", metadata=about)
    fig.savefig(png.with_suffix(".pdf"), bbox_inches="tight",
                metadata={"CreationDate": None, **({"Subject": description} if description else {})})
