"""Turning a folder of audio of unknown quality into a corpus the workflow trains on.

Every file under the source folder is decoded completely, once, and judged. The decode also writes
the file as a 16-bit WAV at the training sample rate and channel count (RAVE's own preprocessing
decodes to 16-bit too, so nothing it would see is lost), kept if the file is: a plain 16-bit WAV
already in that format is read in-process and written again by libsndfile (without its tags);
anything else is decoded and converted by one ffmpeg run. WAV rather than FLAC: RAVE's database
stores the same 16-bit samples uncompressed anyway, and a FLAC encode here and its decode in
preprocessing cost time stock `rave preprocess` does not spend (docs/performance.md). Bad files
either fail the run, all of them
named with their reasons (`on_bad_input: fail`), or are skipped with the reason recorded (`skip`).
The report lists every file found and what became of it.

A folder often holds one recording more than once: a symlinked folder, a copy in a second folder,
the same track as FLAC and as MP3. Each copy after the first is a duplicate (the same bytes, or the
same recording by its Chromaprint fingerprint and loudness envelope), judged
like any bad file: so the corpus' length is not overstated, and a held-out file never has a copy
among the training files. The copy kept is a lossless one where there is one, else the first by name.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import soundfile as sf

from ..errors import ElectoneRaveError
from ..fileio import sha256_of
from .audio_check import WAV_16_BIT, AudioInfo, BadAudioError, decode_with_ffmpeg, read_pcm16_wav, require_ffmpeg
from .fingerprint import MATCH_BITS, SAME_ENVELOPE, envelope_correlation, fingerprint, loudness_envelope, whole_match
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
    """What recognises a kept file's recording: its bytes, how its loudness moves and the fingerprint
    of its sound (two noise-like recordings can share a fingerprint's statistics, not their envelope).
    Copies of a recording last as long as each other, so only a file with another of about its length
    is fingerprinted and enveloped (from its WAV, after every file is decoded): the others are
    compared by bytes, hashed only where another file has as many (copies do)."""
    path: Path
    fingerprint: np.ndarray | None = None
    envelope: np.ndarray | None = None

    @cached_property
    def size(self) -> int:
        return self.path.stat().st_size

    @cached_property
    def sha256(self) -> str:
        return sha256_of(self.path)

    def same_bytes(self, other: Identity) -> bool:
        return self.size == other.size and self.sha256 == other.sha256


def judge(path: Path, name: str, target: Target, wav: Path) -> tuple[Outcome, Identity | None]:
    """What to do with one file, and (if it is kept) what identifies it, from one full decode, which
    also writes the file's WAV to `wav` (removed again unless the file is kept)."""
    if path.name.startswith("."):
        return Outcome(name, "ignored", "hidden file"), None
    if path.suffix.lower() not in AUDIO_EXTENSIONS:
        return Outcome(name, "ignored", f"not an audio file extension ({path.suffix or 'none'})"), None
    try:
        info, samples = decode_and_convert(path, wav, target)
    except BadAudioError as err:
        wav.unlink(missing_ok=True)
        return Outcome(name, "skipped", err.reason), None
    found = assess(name, info, samples, target)
    if not found.kept:
        wav.unlink(missing_ok=True)
        return found, None
    return found, Identity(path)


def wav_output(dest: Path, target: Target) -> list[str]:
    """The ffmpeg output that writes a 16-bit WAV at the target rate and channels, its bytes depending
    on the audio only (bitexact, no metadata)."""
    return ["-map", "0:a:0", "-ac", str(target.channels), "-ar", str(target.sample_rate), *WAV_16_BIT,
            "-map_metadata", "-1", "-fflags", "+bitexact", "-flags:a", "+bitexact", "-y", str(dest)]


def decode_and_convert(path: Path, wav: Path, target: Target) -> tuple[AudioInfo, np.ndarray]:
    """A file's info and samples, with its WAV written, from one decode. A WAV that cannot be written
    (disk full) raises DecodeOutputError: the run stops rather than skip a good file."""
    wav.parent.mkdir(parents=True, exist_ok=True)
    plain_wav = read_pcm16_wav(path, only=(target.sample_rate, target.channels))
    if plain_wav is not None:
        sf.write(wav, plain_wav[1], target.sample_rate, format="WAV", subtype="PCM_16")
        return plain_wav
    return decode_with_ffmpeg(path, wav_output(wav, target), scratch=wav.parent)


def identify_neighbours(outcomes: list[Outcome], identities: dict[str, Identity], converted: dict[str, Path],
                        threads: int) -> None:
    """Fingerprint and envelope, from its WAV, each kept file that lasts about as long as another kept
    file (the only ones mark_duplicates compares by sound)."""
    kept = sorted((o for o in outcomes if o.kept), key=lambda o: o.seconds)
    near = sorted({o.file for a, b in zip(kept, kept[1:]) if b.seconds - a.seconds <= SAME_LENGTH_SECONDS for o in (a, b)})

    def identify(name: str) -> None:
        samples, rate = sf.read(converted[name], dtype="int16", always_2d=True)
        identities[name].envelope = loudness_envelope(samples, rate)
        identities[name].fingerprint = fingerprint(converted[name])

    with ThreadPoolExecutor(max(1, threads)) as pool:
        list(pool.map(identify, near))


def assess(name: str, info: AudioInfo, samples: np.ndarray, target: Target) -> Outcome:
    """The outcome of a decoded file: kept (accepted or converted, with warnings) or skipped, and why."""
    found = Outcome(name, "skipped", sample_rate=info.sample_rate, channels=info.channels,
                    seconds=round(info.seconds, 6))
    if not samples.any():
        found.reason = "digital silence: every sample is zero"
        return found
    if info.seconds < target.min_seconds:
        found.reason = (f"{info.seconds:.2f} s is shorter than one training chunk "
                        f"({target.min_seconds:.2f} s): RAVE would drop all of it")
        return found
    clipped = np.count_nonzero((samples >= FULL_SCALE) | (samples <= -FULL_SCALE)) / samples.size
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
    return found


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
            if mine.same_bytes(theirs):
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
    """`a/b.mp3` -> `a/b.wav`, unless two inputs would collide (`b.wav`, `b.aiff`): then `b.wav.wav`;
    names that still collide (`b.wav`, `b.mp3` and `b.wav.mp3`) are refused."""
    plain = {name: str(Path(name).with_suffix(".wav")) for name in names}
    taken = Counter(plain.values())
    outputs = {name: out if taken[out] == 1 else f"{name}.wav" for name, out in plain.items()}
    written = Counter(outputs.values())
    clashes = sorted(name for name, out in outputs.items() if written[out] > 1)
    if clashes:
        raise BadInputError(f"these files would be written under one name in the corpus; rename one of them: "
                            f"{', '.join(clashes)}")
    return outputs


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
    # Each file's WAV is written as it is decoded (<out>.decoding/<index>.wav); the kept ones move to
    # their names in <out>.partial once every file is judged, and that folder replaces out_dir.
    partial = out_dir.with_name(out_dir.name + ".partial")
    staging = out_dir.with_name(out_dir.name + ".decoding")
    for folder in (partial, staging):
        shutil.rmtree(folder, ignore_errors=True)
    partial.mkdir(parents=True)
    staged = {name: staging / f"{index}.wav" for index, name in enumerate(names)}
    try:
        with ThreadPoolExecutor(max(1, threads)) as pool:
            judged = list(pool.map(lambda p, n: judge(p, n, target, staged[n]), files, names))
        outcomes = [outcome for outcome, _ in judged]
        identities = {outcome.file: identity for outcome, identity in judged if identity is not None}
        identify_neighbours(outcomes, identities, staged, threads)
        linked = {name for path, name in zip(files, names)
                  if os.path.realpath(path) != os.path.join(os.path.realpath(source), name)}
        mark_duplicates(outcomes, identities, linked)
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
        outputs = output_names([o.file for o in kept])
        for o in kept:
            o.output = outputs[o.file]
            (partial / o.output).parent.mkdir(parents=True, exist_ok=True)
            staged[o.file].rename(partial / o.output)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)  # out_dir, from an earlier run, stays as it was
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)  # the skipped files' WAV
    shutil.rmtree(out_dir, ignore_errors=True)
    partial.rename(out_dir)

    report["files"] = [asdict(o) for o in outcomes]
    report["totals"] = {**Counter(o.status for o in outcomes),
                        "seconds_kept": round(sum(o.seconds for o in kept), 6)}
    return report
