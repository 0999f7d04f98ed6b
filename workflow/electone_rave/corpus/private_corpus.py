"""One's own copy of a private corpus (the Electone album), brought in without it leaving the machine.

`import_corpus` copies (or hard-links) a folder of audio into data/raw/<corpus>/, which git and the
Docker build context ignore, puts it under DVC (`dvc add`, so it can be pushed to the user's own
remote), and writes data/raw/<corpus>.manifest.json: file, duration, sample rate, channels and
sha256 of each file. That manifest is committed: a second user checks they hold the same audio
(`check_against_manifest`, which the ingest rule runs) without anyone sharing it.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from pathlib import Path

from ..errors import ElectoneRaveError
from ..fileio import read_json, sha256_of, write_json
from ..workflow.config import RAW_DATA
from .audio_check import BadAudioError, probe
from .manifest import list_audio

log = logging.getLogger(__name__)


class CorpusMismatchError(ElectoneRaveError, ValueError):
    pass


def manifest_path(corpus: str, raw_root: Path = RAW_DATA) -> Path:
    return Path(raw_root) / f"{corpus}.manifest.json"


def describe(path: Path, name: str) -> dict:
    row = {"file": name, "bytes": path.stat().st_size, "sha256": sha256_of(path)}
    try:
        info = probe(path)
    except BadAudioError as err:  # recorded, not refused: the ingest policy decides about bad files
        return {**row, "seconds": None, "sample_rate": None, "channels": None, "unreadable": err.reason}
    return {**row, "seconds": round(info.seconds, 6), "sample_rate": info.sample_rate, "channels": info.channels}


def corpus_manifest(folder: Path, corpus: str) -> dict:
    files = list_audio(folder)
    return {"corpus": corpus, "files": [describe(p, p.relative_to(folder).as_posix()) for p in files]}


def place(source: Path, dest: Path, link: bool) -> None:
    """Copy (or hard-link) one file; an existing different file is never overwritten."""
    if dest.exists():
        if sha256_of(dest) != sha256_of(source):
            raise CorpusMismatchError(f"{dest}: already holds a different file than {source}; "
                                      "rename one of them or remove the old one first")
        return
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(dest.name + ".partial")
    if link:
        os.link(source, partial)
    else:
        shutil.copy2(source, partial)
    partial.replace(dest)


def import_corpus(source: Path, corpus: str, link: bool = False, dvc: bool = True,
                  raw_root: Path = RAW_DATA) -> dict:
    """Bring every audio file under `source` into raw_root/<corpus>/ (added to what is there)."""
    source = Path(source)
    if not source.is_dir():
        raise FileNotFoundError(f"{source}: not a folder")
    files = list_audio(source)
    if not files:
        raise FileNotFoundError(f"{source}: no audio files to import")
    dest = Path(raw_root) / corpus
    for path in files:
        place(path, dest / path.relative_to(source), link)
    log.info("%d files from %s are in %s", len(files), source, dest)
    manifest = corpus_manifest(dest, corpus)
    write_json(manifest, manifest_path(corpus, raw_root))
    if dvc:
        # DVC tracks the folder (data/raw/<corpus>.dvc, committed) and keeps the audio out of git.
        subprocess.run(["dvc", "add", str(dest)], check=True)
    return manifest


def check_against_manifest(folder: Path, expected_manifest: Path) -> None:
    """Fail, naming each file, unless folder holds exactly the audio the committed manifest lists."""
    expected = {row["file"]: row["sha256"] for row in read_json(expected_manifest)["files"]}
    found = {p.relative_to(folder).as_posix(): p for p in list_audio(Path(folder))}
    problems = [f"  missing: {name}" for name in sorted(set(expected) - set(found))]
    problems += [f"  not in the manifest: {name}" for name in sorted(set(found) - set(expected))]
    problems += [f"  different content: {name}" for name in sorted(set(found) & set(expected))
                 if sha256_of(found[name]) != expected[name]]
    if problems:
        raise CorpusMismatchError(
            f"{folder} does not hold the audio {expected_manifest} describes:\n" + "\n".join(problems) +
            "\nIf you changed the corpus on purpose, re-run `electone-rave import-corpus` to record it.")
