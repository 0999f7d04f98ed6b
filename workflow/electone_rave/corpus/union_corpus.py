"""Several corpora as one training corpus (the seed's "more Electone data").

An arm naming corpora [electone, electone_more] trains on the corpus `electone+electone_more`.
Each member is ingested on its own (its checks, conversions and held-out split unchanged); the
union's manifest and ingest report are the members', with each file under its member's folder,
so preprocessing, reconstruction and evaluation read the union like any corpus.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import ElectoneRaveError
from ..fileio import read_json, write_json
from .manifest import read_manifest

SEPARATOR = "+"


class UnionCorpusError(ElectoneRaveError, ValueError):
    pass


def union_name(corpora: list[str]) -> str:
    return SEPARATOR.join(corpora)


def members(corpus: str) -> list[str]:
    return corpus.split(SEPARATOR)


def merge_manifests(manifests: dict[str, Path]) -> dict:
    """One manifest over the members' folders: root is their common parent, each file keeps its split."""
    loaded = {corpus: read_manifest(path) for corpus, path in manifests.items()}
    parents = {Path(m["root"]).parent for m in loaded.values()}
    if len(parents) != 1:
        raise UnionCorpusError(f"{', '.join(map(str, manifests.values()))}: the corpora do not share one parent folder "
                         f"({', '.join(sorted(map(str, parents)))})")
    files = [{**row, "file": f"{Path(m['root']).name}/{row['file']}", "corpus": corpus}
             for corpus, m in loaded.items() for row in m["files"]]
    return {"root": parents.pop().as_posix(), "members": list(loaded),
            "split_seed": {corpus: m["split_seed"] for corpus, m in loaded.items()}, "files": files}


def prefixed(name: str | None, corpus: str) -> str | None:
    return None if name is None else f"{corpus}/{name}"


def merge_ingest_reports(reports: dict[str, Path]) -> dict:
    """The members' ingest reports as one: every file under its member's name, totals summed."""
    loaded = {corpus: read_json(path) for corpus, path in reports.items()}
    totals: dict[str, float] = {}
    for report in loaded.values():
        for key, value in report["totals"].items():
            totals[key] = totals.get(key, 0) + value
    files = [{**row, "corpus": corpus, "file": prefixed(row["file"], corpus), "output": prefixed(row["output"], corpus)}
             for corpus, report in loaded.items() for row in report["files"]]
    return {"members": {corpus: {k: v for k, v in r.items() if k != "files"} for corpus, r in loaded.items()},
            "totals": totals, "files": files}


def write_union(corpora: list[str], manifests: list[Path], reports: list[Path],
                manifest_out: Path, report_out: Path) -> dict:
    manifest = merge_manifests(dict(zip(corpora, manifests)))
    write_json(merge_ingest_reports(dict(zip(corpora, reports))), report_out)
    write_json(manifest, manifest_out)
    return manifest
