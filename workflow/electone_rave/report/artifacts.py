"""results/manifest.json: every artefact of a run (path, sha256, bytes, the rule that made it),
with the scale, git commit, versions and seeds."""

from __future__ import annotations

from pathlib import Path

from .. import provenance
from ..corpus.manifest import WORKFLOW_MARKERS
from ..fileio import sha256_of, write_json


def expand(path: Path) -> list[Path]:
    if not path.is_dir():
        return [path]
    return sorted(p for p in path.rglob("*") if p.is_file() and p.name not in WORKFLOW_MARKERS)


def build(artefacts: dict[str, list[str]], scale: str, seed: int, out: Path, root: Path = Path(".")) -> dict:
    """artefacts maps a rule name to the output paths (files or directories) it produced, relative
    to root (where the job sees the workflow's folder; a storage provider's local folder)."""
    rows = []
    for rule, paths in sorted(artefacts.items()):
        for path in paths:
            for f in expand(root / path):
                rows.append({"path": f.relative_to(root).as_posix(), "rule": rule, "bytes": f.stat().st_size,
                             "sha256": sha256_of(f)})
    manifest = {"scale": scale, "seed": seed, "git_commit": provenance.git_commit(),
                "versions": provenance.versions(), "created_utc": provenance.now(),
                "artefacts": sorted(rows, key=lambda r: r["path"])}
    write_json(manifest, out)
    return manifest
