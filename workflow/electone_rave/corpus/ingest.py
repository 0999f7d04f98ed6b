"""Turning a folder of audio of unknown quality into a corpus the workflow trains on.

Every file under the source folder is decoded completely (audio_check.decode: ffmpeg, or in-process
for a plain 16-bit WAV) and judged. Accepted files are written as 16-bit FLAC at the training sample
rate and channel count (RAVE's own preprocessing decodes to 16-bit too, so nothing it would see is
lost): by libsndfile straight from a 16-bit WAV that needs no conversion, by ffmpeg otherwise. Bad files either fail the
run, all of them named with their reasons (`on_bad_input: fail`), or are skipped with the reason
recorded (`skip`). The report lists every file found and what became of it.

A folder often holds one recording more than once: a symlinked folder, a copy in a second folder,
the same track as FLAC and as MP3. Each copy after the first is a duplicate (the same bytes, or the
same recording by its Chromaprint fingerprint, computed from the samples already decoded), judged
like any bad file: so the corpus' length is not overstated, and a held-out file never has a copy
among the training files. The copy kept is a lossless one where there is one, else the first by name.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf

from ..errors import ElectoneRaveError
from .audio_check import BadAudioError, decode, read_pcm16_wav, require_ffmpeg
from .fingerprint import (MATCH_BITS, SAME_ENVELOPE, envelope_correlation, fingerprint_samples, loudness_envelope,
                          whole_match)
from ..fileio import sha256_of
from .manifest import AUDIO_EXTENSIONS, WORKFLOW_MARKERS

log = logging.getLogger(__name__)

POLICIES = ("fail", "skip")
CLIPPING_WARN_FRACTION = 1e-3  # share of samples at 16-bit full scale worth a warning
FULL_SCALE = 32767
LOSSLESS = {".wav", ".flac", ".aif", ".aiff"}  # of two copies of one recording, these are kept first
SAME_LENGTH_SECONDS = 2.0  # copies of one recording differ in length by encoder padding, not more


class BadInputError(ElectoneRaveError, ValueError):
    pass


@dataclass
class Outcome:
    file: str  # relative to the source folder
    status: str  # accepted | converted | skipped | ignored
    reason: str = ""
    warnings: list[str] = field(default_factory=list)
    sample_rate: int | None = None
    channels: int | None = None
    seconds: float | None = None
    output: str | None = None  # relative to the corpus folder
    duplicate_of: str | None = None  # the kept file holding the same recording

    @property
    def kept(self) -> bool:
        return self.status in ("accepted", "converted")


@dataclass(frozen=True)
class Target:
    sample_rate: int
    channels: int
    min_seconds: float  # one training chunk: shorter files contribute nothing to RAVE's database


@dataclass
class Identity:
    """What recognises a kept file's recording: its bytes, the fingerprint of its samples and how its
    loudness moves (two noise-like recordings can share a fingerprint's statistics, not their envelope)."""
    sha256: str
    fingerprint: np.ndarray | None
    envelope: np.ndarray


def judge(path: Path, name: str, target: Target) -> tuple[Outcome, Identity | None]:
    """What to do with one file, and (if it is kept) what identifies it, from one full decode."""
    outcome = judge_decoded(path, name, target)
    if not isinstance(outcome, tuple):
        return outcome, None
    found, info, samples = outcome
    return found, Identity(sha256_of(path), fingerprint_samples(samples, info.sample_rate),
                           loudness_envelope(samples, info.sample_rate))


def judge_decoded(path: Path, name: str, target: Target):
    """An Outcome for a file that is not kept; for a kept one, the Outcome with its decode."""
    if path.name.startswith("."):
        return Outcome(name, "ignored", "hidden file")
    if path.suffix.lower() not in AUDIO_EXTENSIONS:
        return Outcome(name, "ignored", f"not an audio file extension ({path.suffix or 'none'})")
    try:
        info, samples = decode(path)
    except BadAudioError as err:
        return Outcome(name, "skipped", err.reason)
    found = Outcome(name, "skipped", sample_rate=info.sample_rate, channels=info.channels,
                    seconds=round(info.seconds, 6))
    if not samples.any():
        found.reason = "digital silence: every sample is zero"
        return found
    if info.seconds < target.min_seconds:
        found.reason = (f"{info.seconds:.2f} s is shorter than one training chunk "
                        f"({target.min_seconds:.2f} s): RAVE would drop all of it")
        return found
    clipped = float(np.mean(np.abs(samples.astype(np.int32)) >= FULL_SCALE))
    if clipped > CLIPPING_WARN_FRACTION:
        found.warnings.append(f"clipping: {clipped:.2%} of samples at full scale (kept as is)")
    conversions = []
    if info.sample_rate != target.sample_rate:
        conversions.append(f"resampled {info.sample_rate} -> {target.sample_rate} Hz")
        if info.sample_rate < target.sample_rate:
            found.warnings.append(f"upsampled: no content above {info.sample_rate / 2:.0f} Hz")
    if info.channels != target.channels:
        conversions.append(f"mixed {info.channels} -> {target.channels} channel(s)")
    found.status = "converted" if conversions else "accepted"
    found.reason = "; ".join(conversions)
    return found, info, samples


def mark_duplicates(outcomes: list[Outcome], identities: dict[str, Identity], linked: set[str] = frozenset()) -> None:
    """Skip every kept file that repeats the recording of another kept file, naming that one. The
    copy kept: a lossless one, reached without a symlink (`linked` names the others), first by name."""
    def preference(o: Outcome) -> tuple:
        return Path(o.file).suffix.lower() not in LOSSLESS, o.file in linked, o.file

    kept: list[Outcome] = []
    for o in sorted((o for o in outcomes if o.kept), key=preference):
        mine = identities[o.file]
        for first in kept:
            theirs = identities[first.file]
            if mine.sha256 == theirs.sha256:
                how = "the same bytes"
            elif (mine.fingerprint is not None and theirs.fingerprint is not None
                  and abs(o.seconds - first.seconds) <= SAME_LENGTH_SECONDS
                  and (bits := whole_match(mine.fingerprint, theirs.fingerprint)) < MATCH_BITS
                  and (level := envelope_correlation(mine.envelope, theirs.envelope)) >= SAME_ENVELOPE):
                how = (f"the same recording (fingerprints differ by {bits:.1f} of 32 bits, loudness envelopes "
                       f"correlate at {level:.2f})")
            else:
                continue
            o.status, o.duplicate_of = "skipped", first.file
            o.reason = f"duplicate of {first.file}: {how}"
            break
        else:
            kept.append(o)


def corpus_files(source: Path) -> list[Path]:
    """Every file under source, symlinked folders followed, so a linked copy of a folder is found
    and judged as a duplicate rather than silently missed; a link back to a folder it sits in (a
    cycle) is not entered."""
    found = []
    for folder, subfolders, files in os.walk(source, followlinks=True):
        here = Path(folder)
        subfolders[:] = [d for d in sorted(subfolders) if not is_cycle(here / d, source)]
        found += [here / f for f in files if f not in WORKFLOW_MARKERS and (here / f).is_file()]
    return sorted(found)


def is_cycle(folder: Path, source: Path) -> bool:
    real = os.path.realpath(folder)
    ancestors = [folder.parent, *[p for p in folder.parent.parents if p.is_relative_to(source)]]
    return any(os.path.realpath(a) == real for a in ancestors if a.is_relative_to(source))


def output_names(names: list[str]) -> dict[str, str]:
    """`a/b.wav` -> `a/b.flac`, unless two inputs would collide (`b.wav`, `b.aiff`): then `b.wav.flac`."""
    plain = {name: str(Path(name).with_suffix(".flac")) for name in names}
    taken = Counter(plain.values())
    return {name: out if taken[out] == 1 else f"{name}.flac" for name, out in plain.items()}


def convert(source: Path, dest: Path, target: Target) -> None:
    """To 16-bit FLAC, the bytes depending on the audio only: libsndfile for a 16-bit WAV already at
    the target rate and channels (its samples as they are), ffmpeg with bitexact flags and no
    metadata for anything to resample, mix down or decode."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    plain_wav = read_pcm16_wav(source)
    if plain_wav is not None and (plain_wav[0].sample_rate, plain_wav[0].channels) == (target.sample_rate, target.channels):
        sf.write(dest, plain_wav[1], target.sample_rate, format="FLAC", subtype="PCM_16")
        return
    done = subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-xerror", "-i", str(source), "-map", "0:a:0",
         "-ac", str(target.channels), "-ar", str(target.sample_rate), "-sample_fmt", "s16",
         "-map_metadata", "-1", "-fflags", "+bitexact", "-flags:a", "+bitexact", "-c:a", "flac",
         "-y", str(dest)],
        capture_output=True, text=True)
    if done.returncode != 0:
        raise BadAudioError(source, f"ffmpeg could not convert it: {done.stderr.strip()[-300:]}")


def describe_bad(source: Path, bad: list[Outcome]) -> str:
    lines = [f"{source}: {len(bad)} bad input file(s) (on_bad_input: fail); fix or remove them, "
             "or set on_bad_input: skip to train without them:"]
    lines += [f"  {source / o.file}: {o.reason}" for o in bad]
    return "\n".join(lines)


def ingest(source: Path, out_dir: Path, target: Target, on_bad_input: str, threads: int = 1) -> dict:
    """Judge every file under `source`, convert the kept ones into `out_dir`; return the report."""
    if on_bad_input not in POLICIES:
        raise ValueError(f"on_bad_input must be one of {POLICIES}, not {on_bad_input!r}")
    source, out_dir = Path(source), Path(out_dir)
    if not source.is_dir():
        raise FileNotFoundError(f"{source}: corpus folder not found")
    require_ffmpeg()
    files = corpus_files(source)
    names = [p.relative_to(source).as_posix() for p in files]
    with ThreadPoolExecutor(max(1, threads)) as pool:
        judged = list(pool.map(lambda p, n: judge(p, n, target), files, names))
    outcomes = [outcome for outcome, _ in judged]
    linked = {name for path, name in zip(files, names)
              if os.path.realpath(path) != os.path.join(os.path.realpath(source), name)}
    mark_duplicates(outcomes, {outcome.file: identity for outcome, identity in judged if identity is not None}, linked)
    for o in outcomes:
        log.log(logging.INFO if o.kept else logging.WARNING, "%s: %s%s%s", o.file, o.status,
                f" ({o.reason})" if o.reason else "", "".join(f"; {w}" for w in o.warnings))

    report = {"source": source.as_posix(), "corpus": out_dir.as_posix(), "on_bad_input": on_bad_input,
              "target": asdict(target), "files": [asdict(o) for o in outcomes]}
    bad = [o for o in outcomes if o.status == "skipped"]
    if bad and on_bad_input == "fail":
        raise BadInputError(describe_bad(source, bad))
    kept = [o for o in outcomes if o.kept]
    if not kept:
        raise BadInputError(f"{source}: no usable audio among {len(files)} file(s)")

    partial = out_dir.with_name(out_dir.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    outputs = output_names([o.file for o in kept])
    with ThreadPoolExecutor(max(1, threads)) as pool:
        list(pool.map(lambda o: convert(source / o.file, partial / outputs[o.file], target), kept))
    for o in kept:
        o.output = outputs[o.file]
    shutil.rmtree(out_dir, ignore_errors=True)
    partial.rename(out_dir)

    report["files"] = [asdict(o) for o in outcomes]
    report["totals"] = {**Counter(o.status for o in outcomes),
                        "seconds_kept": round(sum(o.seconds for o in kept), 6)}
    return report
