"""Nothing publishable holds a private corpus' audio, judged by content rather than by file name.

A private corpus (`corpora.<name>.private`, the Electone album) is known by every file under its
folders: the source recordings, the ingested WAV and RAVE's database (data.mdb). A file that is
to be published (the listening page's folder, the paper) is refused when

- its bytes are those of one of these files (a copy under any name), or
- it is audio (sniffed from its first bytes, whatever its name) whose Chromaprint fingerprint
  (computed by ffmpeg's chromaprint muxer) matches a stretch of a private recording: an excerpt,
  resampled, re-encoded or at another loudness, is still the same recording;

and zip and tar archives are opened and their members judged the same way.
"""

from __future__ import annotations

import hashlib
import io
import shutil
import tarfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..corpus.fingerprint import MATCH_BITS, closest_match, fingerprint, looks_like_audio
from ..fileio import sha256_of
from ..workflow.guards import PrivateDataError

# Files below this size identify nothing (empty markers, LMDB's lock file, a header): not hashed.
MIN_IDENTIFYING_BYTES = 4096


@dataclass
class PrivateMaterial:
    """What identifies the private corpora: file hashes, and fingerprints of their recordings."""

    hashes: dict[str, str] = field(default_factory=dict)  # sha256 -> "corpus: path"
    fingerprints: list[tuple[str, np.ndarray]] = field(default_factory=list)


def private_material(folders: dict[str, list[Path]]) -> PrivateMaterial:
    """Hashes of every file under each private corpus' folders, fingerprints of its audio."""
    material = PrivateMaterial()
    for corpus, roots in folders.items():
        for root in roots:
            files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
            for path in files:
                if path.stat().st_size < MIN_IDENTIFYING_BYTES:
                    continue
                material.hashes[sha256_of(path)] = f"{corpus}: {path}"
                with open(path, "rb") as f:
                    if looks_like_audio(f.read(16)):
                        found = fingerprint(path)
                        if found is not None:
                            material.fingerprints.append((f"{corpus}: {path}", found))
    return material


def judge(name: str, data: bytes | Path, material: PrivateMaterial) -> list[str]:
    """Why one file (or archive member) may not be published; [] if it may."""
    raw = data.read_bytes() if isinstance(data, Path) else data
    if len(raw) < MIN_IDENTIFYING_BYTES:
        return []
    digest = hashlib.sha256(raw).hexdigest()
    if digest in material.hashes:
        return [f"{name}: the same bytes as {material.hashes[digest]}"]
    if zipfile.is_zipfile(io.BytesIO(raw)):
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            return [problem for member in archive.infolist() if not member.is_dir()
                    for problem in judge(f"{name}:{member.filename}", archive.read(member), material)]
    if is_tar(raw):
        with tarfile.open(fileobj=io.BytesIO(raw)) as archive:
            return [problem for member in archive.getmembers() if member.isfile()
                    for problem in judge(f"{name}:{member.name}", archive.extractfile(member).read(), material)]
    if not looks_like_audio(raw[:16]):
        return []
    found = fingerprint(raw)
    if found is None:
        return []
    for described, reference in material.fingerprints:
        bits = closest_match(found, reference)
        if bits < MATCH_BITS:
            return [f"{name}: audio of {described} (fingerprints match: {bits:.1f} of 32 bits differ)"]
    return []


def is_tar(raw: bytes) -> bool:
    try:
        with tarfile.open(fileobj=io.BytesIO(raw)):
            return True
    except tarfile.TarError:
        return False


def check_against(paths: list[Path], private_folders: list[tuple[str, Path]]) -> list[Path]:
    """check_publishable against the corpora given as (corpus, folder of its files) pairs."""
    folders: dict[str, list[Path]] = {}
    for corpus, folder in private_folders:
        folders.setdefault(corpus, []).append(folder)
    return check_publishable(paths, private_material(folders))


def guard_outputs(outputs: list[Path], private_folders: list[tuple[str, Path]]) -> None:
    """Check what a command just wrote for publishing; if it holds private audio, remove it all (a
    leaking page or paper must not stay where a user would publish it from) and raise."""
    try:
        check_against(outputs, private_folders)
    except PrivateDataError:
        for output in outputs:
            shutil.rmtree(output) if output.is_dir() else output.unlink(missing_ok=True)
        raise


def check_publishable(paths: list[Path], material: PrivateMaterial) -> list[Path]:
    """Raise PrivateDataError naming every file under paths that holds private audio; return the
    files judged."""
    files = [p for path in paths for p in ([path] if path.is_file() else sorted(path.rglob("*"))) if p.is_file()]
    problems = [problem for path in files for problem in judge(str(path), path, material)]
    if problems:
        raise PrivateDataError("private audio would be published:\n" + "\n".join(f"  {p}" for p in problems)
                               + "\nRemove it (a private corpus' audio and reconstructions stay on this machine; "
                               "docs/listening-page.md, Privacy)")
    return files
