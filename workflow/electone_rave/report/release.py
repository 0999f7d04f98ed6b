"""A release bundle of one run: the folder (and zip archive) a musician downloads to play the model
in nn~. It holds the float32 export (always; the bfloat16 one too, labelled, where the workflow
exports with bfloat16 weights), the export with its prior, a model card (MODEL_CARD.md and
model_card.json), a few generations of the prior as examples (never a private corpus' audio or a
reconstruction of it), and SHA256SUMS. The card's metadata is also an attribute of each `.ts`
(`model_card`, a JSON string) that a host can read; nn~'s methods and attributes are unchanged, and
each bundled `.ts` is played again by nn-host before the bundle is written.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import zipfile
from pathlib import Path

import yaml

from ..errors import ElectoneRaveError
from ..export.nn_host_check import check_export
from ..export.made_with import MADE_WITH
from ..fileio import read_json, sha256_of, write_json
from .model_card import card_metadata, render_card
from .publish_guard import guard_outputs

log = logging.getLogger(__name__)
CARD_ATTRIBUTE = "model_card"
ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # the same archive bytes for the same files


class ReleaseError(ElectoneRaveError):
    """A release that cannot be made from what the workflow produced."""


def bundled_exports(results: Path, run: str, weights: str) -> list[tuple[Path, str, str, str]]:
    """(export, name in the bundle, role, weights) for each .ts the bundle carries, by the export rules'
    names; `weights` is the matrix-product weight type the workflow exports with (export.matmul_weights):
    with bfloat16, `{run}_float32.ts` (export_other_weights) is the exact one."""
    exports = results / "export"
    bfloat16 = weights == "bfloat16"
    chosen = [(exports / f"{run}_float32.ts" if bfloat16 else exports / f"{run}.ts", f"{run}.ts",
               "the model, exact weights", "float32")]
    if bfloat16:
        chosen.append((exports / f"{run}.ts", f"{run}_bfloat16.ts", "the model with bfloat16 weights: faster only "
                       "where the CPU multiplies bfloat16 natively, slower elsewhere", "bfloat16"))
    chosen.append((exports / f"{run}_prior.ts", f"{run}_prior.ts", "the model with its prior (the `prior` method)",
                   weights))
    missing = [str(path) for path, *_ in chosen if not path.is_file()]
    if missing:
        raise ReleaseError(f"{run}: no {', '.join(missing)} to release (run the workflow first)")
    return chosen


def without_source(export: dict) -> dict:
    return {k: v for k, v in export.items() if k != "source"}


def with_card(source: Path, target: Path, metadata: dict) -> None:
    """The scripted model saved again with the card as a string attribute, and the export's record of
    the torch that made it kept."""
    import torch

    recorded = {MADE_WITH: ""}
    model = torch.jit.load(str(source), _extra_files=recorded)
    if hasattr(model, CARD_ATTRIBUTE):
        raise ReleaseError(f"{source}: already has an attribute {CARD_ATTRIBUTE!r}")
    model._c._register_attribute(CARD_ATTRIBUTE, torch._C.StringType.get(), json.dumps(metadata, sort_keys=True))
    torch.jit.save(model, str(target), _extra_files={name: text for name, text in recorded.items() if text})


def write_archive(folder: Path, archive: Path, name: str) -> None:
    """The folder's files under `name/`, sorted and dated alike: the same files give the same bytes."""
    archive.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            info = zipfile.ZipInfo(f"{name}/{path.relative_to(folder).as_posix()}", ZIP_DATE)
            info.compress_type, info.external_attr = zipfile.ZIP_DEFLATED, 0o644 << 16
            bundle.writestr(info, path.read_bytes())


def release(run: str, results: Path, out: Path, archive: Path, private: bool, weights: str,
            private_folders: list[tuple[str, Path]], seed: int, citation_file: Path = Path("CITATION.cff"),
            licence_file: Path = Path("LICENSE")) -> Path:
    """Writes the bundle to `out` and `archive`. Run by hand, an earlier bundle stays until the new one
    is complete and checked (Snakemake and DVC remove a job's outputs before it runs)."""
    numbers = read_json(results / "paper" / "numbers.json")
    if run not in {r["run"] for r in numbers["runs"]}:
        raise ReleaseError(f"{results / 'paper' / 'numbers.json'}: no run {run!r}")
    citation = yaml.safe_load(citation_file.read_text())
    licence = next((line.strip() for line in licence_file.read_text().splitlines() if line.strip()), None)
    if not licence:
        raise ReleaseError(f"{licence_file}: empty; the card names the licence from its first line")
    staging = out.with_name(out.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        exports = []
        for source, name, role, export_weights in bundled_exports(results, run, weights):
            checked = read_json(results / "nn_host_check" / f"{source.stem}.json")  # rule nn_host_check
            exports.append({"file": name, "source": source, "role": role, "weights": export_weights,
                            "methods": checked["methods"], "nn_tilde": checked["nn_tilde"]})
        metadata = card_metadata(run, numbers, [without_source(e) for e in exports], private, citation, licence)
        with tempfile.TemporaryDirectory() as scratch:
            for export in exports:
                target = staging / export["file"]
                with_card(export["source"], target, metadata)
                check_export(target, Path(scratch) / "bundled.json", seed)  # still plays as nn~
                export["sha256"] = sha256_of(target)
        for example in sorted((results / "audio" / run / "prior").glob("*.wav")):
            (staging / "examples").mkdir(exist_ok=True)
            shutil.copy2(example, staging / "examples" / example.name)
        metadata["exports"] = [without_source(e) for e in exports]
        write_json(metadata, staging / "model_card.json")
        (staging / "MODEL_CARD.md").write_text(render_card(metadata))
        sums = [f"{sha256_of(p)}  {p.relative_to(staging).as_posix()}"
                for p in sorted(staging.rglob("*")) if p.is_file()]
        (staging / "SHA256SUMS").write_text("\n".join(sums) + "\n")
        guard_outputs([staging], private_folders)  # a bundle is for publishing: no private audio in it
        staged_archive = archive.with_name(archive.name + ".partial")
        write_archive(staging, staged_archive, out.name)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        archive.with_name(archive.name + ".partial").unlink(missing_ok=True)
        raise
    shutil.rmtree(out, ignore_errors=True)
    staging.replace(out)
    staged_archive.replace(archive)
    log.info("%s: %d files, archive %s", out, sum(1 for p in out.rglob("*") if p.is_file()), archive)
    return out
