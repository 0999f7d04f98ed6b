"""One module per paper figure; each writes a PNG and a PDF."""

from __future__ import annotations

from pathlib import Path


def save(fig, png: Path) -> None:
    """Write `png` and the PDF beside it."""
    png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png, dpi=150, bbox_inches="tight")
    fig.savefig(png.with_suffix(".pdf"), bbox_inches="tight", metadata={"CreationDate": None})
