"""Preprocessing a corpus into RAVE's LMDB database.

Only the manifest's training files enter the database (held-out files stay out). Inputs are
checked first (changed since the manifest?); the database is written into a temporary directory,
either directly from the ingested files (database_writer.py, the default) or by stock
`rave preprocess` (its chunks then matched against the audio and re-keyed in the canonical order,
database_order.py); the chunk count is verified against the audio's length, and only then is the
database moved into place: a killed or failed run never leaves a database that looks complete.
"""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import lmdb
import soundfile as sf

from ..corpus.audio_check import BadAudioError, require_ffmpeg
from ..corpus.manifest import read_manifest, sha256_of_each
from ..errors import ElectoneRaveError
from ..fileio import read_json, write_json
from ..workflow.config import chunk_samples
from .database_order import put_in_canonical_order
from .database_writer import write_database

log = logging.getLogger(__name__)


class PreprocessError(ElectoneRaveError, RuntimeError):
    pass


def expected_chunks(frames: int, file_rate: int, sample_rate: int, n_signal: int) -> int:
    return (frames * sample_rate // file_rate) // chunk_samples(n_signal)


def checked_training_files(manifest_path: Path, threads: int = 1) -> list[tuple[str, Path, int, int]]:
    """(manifest name, path, frames, sample rate) of each training file, verified against the manifest
    (hashed by `threads` threads)."""
    manifest = read_manifest(manifest_path)
    root = Path(manifest["root"])
    rows = [row for row in manifest["files"] if row["split"] == "train"]
    for row in rows:
        if not (root / row["file"]).is_file():
            raise BadAudioError(root / row["file"], f"listed in {manifest_path} but missing")
    digests = sha256_of_each([root / row["file"] for row in rows], threads)
    checked = []
    for row, digest in zip(rows, digests):
        path = root / row["file"]
        if digest != row["sha256"]:
            raise BadAudioError(path, f"content differs from the sha256 in {manifest_path}")
        try:  # the file ingest wrote (hash checked above): its WAV header has the exact length
            info = sf.info(str(path))
        except RuntimeError as err:
            raise BadAudioError(path, f"unreadable: {err}") from None
        checked.append((row["file"], path, info.frames, info.samplerate))
    if not checked:
        raise PreprocessError(f"{manifest_path}: no training files")
    return checked


def input_report(ingest_report: dict, manifest: dict, chunks: dict[str, int], chunk_seconds: float) -> dict:
    """Every file of the source folder and what became of it, down to its seconds in the database."""
    split = {row["file"]: row["split"] for row in manifest["files"]}
    rows = []
    for row in ingest_report["files"]:
        row = dict(row)
        if row["output"] is not None:
            row["split"] = split[row["output"]]
            if row["split"] == "train":
                row["chunks"] = chunks[row["output"]]
                row["seconds_in_database"] = round(row["chunks"] * chunk_seconds, 6)
                row["seconds_dropped"] = round(row["seconds"] - row["seconds_in_database"], 6)
        rows.append(row)
    return {**{k: v for k, v in ingest_report.items() if k != "files"}, "files": rows}


def count_entries(db: Path) -> int:
    env = lmdb.open(str(db), readonly=True, lock=False)
    try:
        return env.stat()["entries"]
    finally:
        env.close()


def rave_preprocess(files: list[Path], partial: Path, sample_rate: int, channels: int, n_signal: int,
                    timeout_s: float) -> None:
    """Stock `rave preprocess` of exactly these files, its database re-keyed in their order."""
    require_ffmpeg()
    with tempfile.TemporaryDirectory(prefix="rave-inputs-") as staging:
        # RAVE preprocesses whole folders: expose exactly the training files, in manifest order.
        for i, path in enumerate(files):
            (Path(staging) / f"{i:05d}_{path.stem[:60]}{path.suffix.lower()}").symlink_to(path.resolve())
        cmd = [sys.executable, "-m", "electone_rave.rave_launcher", "--seed=0", "preprocess",
               f"--input_path={staging}", f"--output_path={partial}", f"--channels={channels}",
               f"--sampling_rate={sample_rate}", f"--num_signal={n_signal}"]
        log.info("running: %s", " ".join(cmd))
        try:
            done = subprocess.run(cmd, timeout=timeout_s)
        except subprocess.TimeoutExpired:
            raise PreprocessError(f"rave preprocess did not finish within {timeout_s:.0f} s "
                                  f"(it is known to hang on undecodable input)") from None
    if done.returncode != 0:
        raise PreprocessError(f"rave preprocess exited with status {done.returncode}")
    (partial / "lock.mdb").unlink(missing_ok=True)  # per-process lock state, not data


def preprocess(manifest_path: Path, out_db: Path, sample_rate: int, channels: int, n_signal: int,
               timeout_s: float, ingest_report: Path | None = None, report_out: Path | None = None,
               writer: str = "direct", workers: int = 1) -> dict:
    """writer `direct`: database_writer (in-process decoding, no ffmpeg); `rave`: stock rave preprocess."""
    files = checked_training_files(manifest_path, workers)
    chunks = {name: expected_chunks(frames, rate, sample_rate, n_signal) for name, _, frames, rate in files}
    for name, path, _, _ in files:
        if chunks[name] == 0:
            log.warning("%s: shorter than one RAVE chunk (%d samples): contributes nothing",
                        path, chunk_samples(n_signal))
    expected = sum(chunks.values())
    paths = [path for _, path, _, _ in files]

    out_db = Path(out_db).absolute()  # rave preprocess cannot create a bare relative folder name
    partial = out_db.with_name(out_db.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    if writer == "direct":
        write_database(paths, partial, n_signal, sample_rate, channels, workers)
    elif writer == "rave":
        rave_preprocess(paths, partial, sample_rate, channels, n_signal, timeout_s)
    else:
        raise PreprocessError(f"unknown preprocess writer {writer!r}; `direct` or `rave`")
    found = count_entries(partial)
    if found != expected:
        raise PreprocessError(f"{writer} preprocessing wrote {found} chunks into {partial}, expected {expected} "
                              f"from {len(files)} files: some audio was silently dropped")
    if writer == "rave":
        put_in_canonical_order(partial, paths, n_signal)
    chunk_seconds = chunk_samples(n_signal) / sample_rate
    summary = {"manifest": str(manifest_path), "files": [str(p) for p in paths],
               "chunks": found, "seconds": round(found * chunk_seconds, 6)}
    (partial / "electone_rave.json").write_text(json.dumps(summary, indent=2) + "\n")
    if report_out is not None:
        report = {"database": str(out_db), "database_chunks": found, "database_seconds": summary["seconds"]}
        if ingest_report is not None:
            report |= input_report(read_json(ingest_report), read_manifest(manifest_path), chunks, chunk_seconds)
        write_json(report, report_out)
    shutil.rmtree(out_db, ignore_errors=True)
    partial.rename(out_db)
    return summary
