"""Corpus manifests: one row per audio file (file, seconds, sample rate, channels, sha256, split).

The held-out split (files never seen in training) is fixed by the seed and the sorted file list,
so it is the same on every machine that holds the same audio.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import soundfile as sf

from ..fileio import sha256_of

WORKFLOW_MARKERS = {".snakemake_timestamp"}  # Snakemake's file in each directory output: not audio, not an artefact
AUDIO_EXTENSIONS = (".wav", ".flac", ".aif", ".aiff", ".ogg", ".mp3", ".opus", ".m4a", ".aac")


def list_audio(audio_dir: Path) -> list[Path]:
    return sorted(p for p in audio_dir.rglob("*") if p.is_file() and p.suffix.lower() in AUDIO_EXTENSIONS)


def heldout_set(names: list[str], heldout_files: int, seed: int) -> set[str]:
    if heldout_files >= len(names):
        raise ValueError(f"{heldout_files} held-out files requested but the corpus has only {len(names)}")
    order = np.random.default_rng(seed).permutation(len(names))
    return {names[i] for i in order[:heldout_files]}


def sha256_of_each(paths: list[Path], threads: int = 1) -> list[str]:
    """sha256_of each path, in order, `threads` at a time (hashlib releases the GIL)."""
    with ThreadPoolExecutor(max(1, threads)) as pool:
        return list(pool.map(sha256_of, paths))


def build_manifest(audio_dir: Path, heldout_files: int, seed: int, threads: int = 1) -> dict:
    """The manifest of every audio file under `audio_dir` (hashed by `threads` threads)."""
    paths = list_audio(audio_dir)
    if not paths:
        raise FileNotFoundError(f"{audio_dir}: no audio files ({', '.join(AUDIO_EXTENSIONS)})")
    names = [p.relative_to(audio_dir).as_posix() for p in paths]
    heldout = heldout_set(names, heldout_files, seed)
    digests = sha256_of_each(paths, threads)
    rows = []
    for path, name, digest in zip(paths, names, digests):
        info = sf.info(str(path))
        rows.append({
            "file": name,
            "seconds": round(info.frames / info.samplerate, 6),
            "sample_rate": info.samplerate,
            "channels": info.channels,
            "sha256": digest,
            "split": "heldout" if name in heldout else "train",
        })
    return {"root": audio_dir.as_posix(), "split_seed": seed, "files": rows}


def read_manifest(path: Path) -> dict:
    return json.loads(Path(path).read_text())


def name_in_manifest(manifest: dict, source: Path) -> Path:
    """A listed file's path under the manifest's root, without suffix. Results derived from it keep
    that path: the members of a union corpus may hold files of the same name."""
    return source.relative_to(manifest["root"]).with_suffix("")


def reconstruction_of(manifest: dict, source: Path, folder: Path) -> Path:
    """Where the reconstruction of a held-out file lies in a run's reconstruction folder."""
    return folder / f"{name_in_manifest(manifest, source)}.wav"  # b.wav.wav and b.aiff.wav stay apart


def files_in_split(manifest: dict, split: str) -> list[Path]:
    root = Path(manifest["root"])
    return [root / row["file"] for row in manifest["files"] if row["split"] == split]


# What a run's evaluation files are to its model (numbers.json `evaluated_on`; the paper marks the
# last two): held out from its training here, the held-out split of a model trained elsewhere that
# may have seen it, or files its importer named as never seen.
HELD_OUT = "held-out files"
MAYBE_SEEN = "held-out files it may have trained on"
NAMED_UNSEEN = "files named as unseen"


def evaluation_files(manifest: dict, named: list[str] | None = None) -> list[Path]:
    """The files a run is evaluated on: the held-out split, or (an imported run that may have trained
    on it) the files its importer named as never seen, by their names in the manifest."""
    if not named:
        return files_in_split(manifest, "heldout")
    listed = {row["file"]: Path(manifest["root"]) / row["file"] for row in manifest["files"]}
    unknown = [name for name in named if name not in listed]
    if unknown:
        raise ValueError(f"{', '.join(unknown)}: not in the corpus manifest (names as its `file` column gives "
                         f"them, e.g. {next(iter(listed), '-')})")
    return [listed[name] for name in named]
