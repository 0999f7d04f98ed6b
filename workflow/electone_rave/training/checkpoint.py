"""Reading Lightning checkpoints without running code from them.

A checkpoint is a pickle, and unpickling can call any function it names. Every checkpoint the
workflow reads goes through :func:`load_checkpoint`: torch's weights-only unpickler (tensors,
containers, numbers, strings), plus the few harmless types that Lightning and numpy put in
checkpoints of other versions. A file naming anything else is refused before any of it runs,
unless the user trusts it explicitly (`electone-rave import-run --trust-checkpoint`)."""

from __future__ import annotations

import importlib
import json
import pickle
import re
from pathlib import Path

from ..errors import ElectoneRaveError

# Types a RAVE/Lightning checkpoint may hold beyond torch's own weights-only allow-list: dict
# subclasses Lightning saves hyper-parameters in, and how numpy pickles its scalars and dtypes
# (a ModelCheckpoint's score from some versions). Imported only when a checkpoint names one.
KNOWN_SAFE_GLOBALS = (
    "pytorch_lightning.utilities.parsing.AttributeDict",
    "lightning_fabric.utilities.data.AttributeDict",
    "lightning.fabric.utilities.data.AttributeDict",
    "numpy.core.multiarray.scalar",
    "numpy.dtype",
    "numpy.dtypes.Float32DType",
    "numpy.dtypes.Float64DType",
    "numpy.dtypes.Int64DType",
)
# How torch 2.5's weights-only unpickler names what it refused: a global it does not allow, one from
# a blocked module (os, subprocess, ...), or an object of a type it may not build.
REFUSED_NAME = re.compile(r"(?:GLOBAL |but got <class ')([A-Za-z_]\w*(?:\.\w+)+)(?: was not| whose module|'>)")
TRUST_FLAG = "--trust-checkpoint"


class UnsafeCheckpointError(ElectoneRaveError, ValueError):
    """A checkpoint that names code to run while loading; the message names the file and the code."""


def load_checkpoint(path: Path, trust: bool = False) -> dict:
    """The checkpoint's contents. Untrusted: weights-only, refusing anything outside the allow-list."""
    import torch

    if trust:
        return torch.load(path, map_location="cpu", weights_only=False)
    allowed: dict[str, object] = {}  # dotted name -> the object, each known-safe global once
    while True:
        try:
            with torch.serialization.safe_globals(list(allowed.values())):
                return torch.load(path, map_location="cpu", weights_only=True)
        except pickle.UnpicklingError as err:
            named = REFUSED_NAME.search(str(err))
            if named is None:
                raise  # not a refusal: a damaged file, for the caller to report
            name = named.group(1)
            if name not in KNOWN_SAFE_GLOBALS or name in allowed:
                raise UnsafeCheckpointError(
                    f"{path}: names {name}, which loading would run; RAVE checkpoints hold only tensors, "
                    f"numbers and strings. Use it only if you trust its source ({TRUST_FLAG})") from None
            module, _, attr = name.rpartition(".")
            allowed[name] = getattr(importlib.import_module(module), attr)


def run_is_trusted(run_dir: Path) -> bool:
    """Whether a run folder's checkpoint came from an import the user marked as trusted (recorded by
    import-run in source.json, carried into the run's provenance.json by adopt-run)."""
    record = Path(run_dir) / "provenance.json"
    if not record.is_file():
        return False
    return bool((json.loads(record.read_text()).get("imported") or {}).get("trusted_checkpoint"))
