"""JSON files and content hashes: the helpers every stage shares."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path


def file_digest(path: Path, algorithm: str = "sha256") -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, algorithm).hexdigest()


def sha256_of(path: Path) -> str:
    return file_digest(path, "sha256")


def write_json(data, path: Path | str) -> None:
    path = Path(path)
    try:
        text = json.dumps(data, indent=2, sort_keys=False, allow_nan=False)
    except ValueError as err:
        raise ValueError(f"{path}: refusing to write a non-finite number ({err})") from None
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n")


def read_json(path: Path):
    try:
        return json.loads(Path(path).read_text())
    except json.JSONDecodeError as err:
        raise ValueError(f"{path}: not valid JSON ({err})") from None
