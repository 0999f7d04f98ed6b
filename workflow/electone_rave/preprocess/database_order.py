"""RAVE's database in a canonical order, checked chunk by chunk against the audio it came from.

`rave preprocess` decodes files in a process pool and stores chunks in the order the workers
finish, so two runs on the same audio write the same chunks under different keys, and RAVE's
seeded train/validation split then picks different chunks. Here every chunk is matched against
the training files decoded independently (16-bit samples, as RAVE's ffmpeg call produces them from
the workflow's 16-bit WAV), and the database is rewritten with its keys in manifest order: file
by file, chunk by chunk. A chunk that matches no audio, or audio missing from the database, fails
preprocessing with the file named.
"""

from __future__ import annotations

import hashlib
import shutil
from collections import defaultdict
from pathlib import Path

import lmdb
import soundfile as sf

from ..errors import ElectoneRaveError
from ..workflow.config import chunk_samples

COMMIT_EVERY = 1000  # entries per write transaction


class DatabaseMismatchError(ElectoneRaveError, RuntimeError):
    pass


def audio_chunks(path: Path, n_signal: int) -> list[bytes]:
    """The int16 chunks `rave preprocess` cuts from a mono file, tail dropped."""
    samples, _ = sf.read(str(path), dtype="int16", always_2d=True)
    if samples.shape[1] != 1:
        raise DatabaseMismatchError(f"{path}: {samples.shape[1]} channels; the workflow trains on mono")
    data = samples[:, 0].tobytes()
    size = chunk_samples(n_signal) * 2  # int16 bytes
    return [data[i:i + size] for i in range(0, len(data) - size + 1, size)]


def waveform(value: bytes) -> bytes:
    from udls.generated import AudioExample

    return AudioExample.FromString(value).buffers["waveform"].data


def canonical_keys(db: Path, files: list[Path], n_signal: int) -> list[bytes]:
    """The database's keys in (file, chunk) order; fails unless chunks and audio match one to one."""
    positions = defaultdict(list)  # chunk digest -> [(file index, chunk index)], in order
    for i, path in enumerate(files):
        for j, chunk in enumerate(audio_chunks(path, n_signal)):
            positions[hashlib.sha256(chunk).digest()].append((i, j))
    placed = {}
    env = lmdb.open(str(db), readonly=True, lock=False)
    try:
        with env.begin() as txn:
            for key, value in txn.cursor():
                digest = hashlib.sha256(waveform(value)).digest()
                if not positions.get(digest):
                    raise DatabaseMismatchError(f"{db}: chunk {key.decode()} matches no chunk of the training audio")
                placed[positions[digest].pop(0)] = key
    finally:
        env.close()
    left = sorted({files[i] for spots in positions.values() for i, _ in spots})
    if left:
        raise DatabaseMismatchError(f"{db}: audio of {', '.join(map(str, left))} is missing from the database")
    return [placed[spot] for spot in sorted(placed)]


def rewrite_in_order(db: Path, keys: list[bytes]) -> None:
    """Re-key db's entries as 00000000, 00000001, ... in the given order (RAVE's own key format)."""
    ordered = db.with_name(db.name + ".ordered")
    shutil.rmtree(ordered, ignore_errors=True)
    source = lmdb.open(str(db), readonly=True, lock=False)
    target = lmdb.open(str(ordered), map_size=max(2 * (db / "data.mdb").stat().st_size, 1 << 24))
    try:
        with source.begin() as read:
            for start in range(0, len(keys), COMMIT_EVERY):
                with target.begin(write=True) as write:
                    for index, key in enumerate(keys[start:start + COMMIT_EVERY], start):
                        write.put(f"{index:08d}".encode(), read.get(key))
    finally:
        source.close()
        target.close()
    (ordered / "lock.mdb").unlink(missing_ok=True)
    for extra in db.iterdir():  # RAVE's metadata.yaml and anything else beside the data
        if extra.name not in ("data.mdb", "lock.mdb"):
            shutil.copy2(extra, ordered / extra.name)
    shutil.rmtree(db)
    ordered.rename(db)


def put_in_canonical_order(db: Path, files: list[Path], n_signal: int) -> None:
    rewrite_in_order(db, canonical_keys(db, files, n_signal))
