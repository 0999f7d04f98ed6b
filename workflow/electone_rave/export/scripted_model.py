"""A released TorchScript model (`rave export`'s .ts, as nn~ loads it), evaluated without its checkpoint.

`copy_scripted` brings the .ts into data/imported/<arm>/model.ts with source.json; rule
adopt_scripted (`adopt_scripted`) then puts it where an export leaves its model, so
reconstruction, real-time measurement, the prior's generations (when the .ts carries a prior),
figures and the paper take the arm. Training curves, prior training and re-export need a checkpoint
and are skipped.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from .. import provenance
from ..errors import ImportRunError
from ..fileio import sha256_of
from ..workflow.config import SOURCE_RECORD
from .export_options import NN_TILDE_METHODS

SCRIPTED_FILE = "model.ts"


def inspect_scripted(ts_file: Path) -> dict:
    """What the workflow needs to know of a .ts: its rate, latent ratio, prior and noise generator."""
    import torch

    try:
        model = torch.jit.load(str(ts_file), map_location="cpu")
    except Exception as err:  # torch raises many kinds on a foreign or truncated file
        raise ImportRunError(f"{ts_file}: not a loadable TorchScript file ({type(err).__name__}: {err})") from None
    missing = [name for name in (*NN_TILDE_METHODS, "sr", "encode_params") if not hasattr(model, name)]
    if missing:
        raise ImportRunError(f"{ts_file}: lacks {', '.join(missing)}; not a RAVE export (rave export) nn~ can play")
    if int(model.encode_params[0]) != 1:
        raise ImportRunError(f"{ts_file}: takes {int(model.encode_params[0])} input channels; the workflow's audio is mono")
    decoder_parts = dict(model.decoder.named_children()) if hasattr(model, "decoder") else {}
    return {
        "sample_rate": int(model.sr),
        "latent_ratio": int(model.encode_params[3]),  # samples per latent frame
        "has_prior": bool(getattr(model, "_has_prior", False)) and hasattr(model, "prior_params"),
        "noise_generator": "noise_module" in decoder_parts,
    }


def copy_scripted(source: Path, dest: Path, sample_rate: int) -> dict:
    """Fill dest (made afresh) with model.ts and source.json, once the model is known to fit."""
    if not source.is_file():
        raise ImportRunError(f"{source}: no such file")
    described = inspect_scripted(source)
    check_rate(source, described["sample_rate"], sample_rate)
    staging = dest.with_name(f".{dest.name}.partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    shutil.copy2(source, staging / SCRIPTED_FILE)
    record = {"source": str(source.resolve()), "scripted": source.name, "global_step": None, **described,
              "sha256": {SCRIPTED_FILE: sha256_of(source)}}
    (staging / SOURCE_RECORD).write_text(json.dumps(record, indent=2) + "\n")
    shutil.rmtree(dest, ignore_errors=True)
    staging.rename(dest)
    return record


def check_rate(scripted: Path, model_rate: int, sample_rate: int) -> None:
    if model_rate != sample_rate:
        raise ImportRunError(f"{scripted}: the model runs at {model_rate} Hz, the workflow's audio is "
                             f"{sample_rate} Hz (configs/config.yaml: audio/sample_rate)")


def adopt_scripted(folder: Path, export_out: Path, sample_rate: int, provenance_out: Path | None = None) -> dict:
    """Stand in for `electone-rave export`: the checked .ts where an export leaves it, and its provenance."""
    try:
        record = json.loads((folder / SOURCE_RECORD).read_text())
        recorded = record["sha256"][SCRIPTED_FILE]
    except (OSError, ValueError, KeyError) as err:
        raise ImportRunError(f"{folder / SOURCE_RECORD}: missing or unreadable ({err}); re-run import-run") from None
    scripted = folder / SCRIPTED_FILE
    if sha256_of(scripted) != recorded:
        raise ImportRunError(f"{scripted}: differs from the file import-run recorded; re-run import-run")
    check_rate(scripted, record["sample_rate"], sample_rate)
    export_out.parent.mkdir(parents=True, exist_ok=True)
    partial = export_out.with_name(export_out.name + ".partial")  # a killed job leaves no .ts in place
    shutil.copy2(scripted, partial)
    os.replace(partial, export_out)
    described = provenance.describe([], imported=record, global_step=None, seed=None)
    if provenance_out is not None:
        provenance_out.parent.mkdir(parents=True, exist_ok=True)
        provenance_out.write_text(json.dumps(described, indent=2) + "\n")
    return described
