"""MusicNet (Thickstun et al., Zenodo record 5120004, CC BY 4.0): download and audio extraction.

The archive holds musicnet/{train,test}_{data,labels}/<id>.wav|csv: 330 recordings (320 train,
10 test), mono 44.1 kHz WAV. The metadata CSV gives each id's composer, work and ensemble.
"""

from __future__ import annotations

import copy
import csv
import logging
import shutil
import tarfile
from pathlib import Path, PurePosixPath

from electone_rave.corpus.download import ZENODO_API, crosscheck, download

from ..errors import ElectoneRaveError

log = logging.getLogger(__name__)

ARCHIVE_ROOT = "musicnet"
SPLITS = ("train", "test")
METADATA_COLUMNS = ("id", "composer", "composition", "movement", "ensemble", "source", "transcriber",
                    "catalog_name", "seconds")


EXTRACT_FILTER = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}


class ArchiveError(ElectoneRaveError, RuntimeError):
    """The archive does not hold what the metadata promises, or holds something unsafe."""


def download_url(name: str, base: str) -> str:
    return f"{base}/{name}?download=1"


def download_musicnet(raw_dir: Path, pinned: dict[str, dict], record: int, base: str,
                      api_base: str = ZENODO_API) -> dict[str, Path]:
    """Check the pins against the Zenodo record (when reachable), then fetch each pinned file into raw_dir.

    The pins (size, md5 of each file) live in configs/config.yaml: corpora/musicnet/musicnet/files."""
    crosscheck(pinned, record, api_base)
    return {name: download(download_url(name, base), Path(raw_dir) / name, pin["md5"], pin["size"])
            for name, pin in pinned.items()}


def read_ensembles(metadata_csv: Path) -> dict[str, str]:
    """{recording id: ensemble} from the metadata CSV."""
    with open(metadata_csv, newline="") as f:
        reader = csv.DictReader(f)
        missing = {"id", "ensemble"} - set(reader.fieldnames or ())
        if missing:
            raise ValueError(f"{metadata_csv}: no {', '.join(sorted(missing))} column "
                             f"(expected {', '.join(METADATA_COLUMNS)})")
        return {row["id"].strip(): row["ensemble"].strip() for row in reader}


def select_ids(ensemble_of: dict[str, str], ensembles: list[str] | None, metadata_csv: Path) -> set[str]:
    if ensembles is None:
        return set(ensemble_of)
    unknown = set(ensembles) - set(ensemble_of.values())
    if unknown:
        raise ValueError(f"{metadata_csv}: no recording of ensemble {', '.join(sorted(unknown))}; "
                         f"known ensembles: {', '.join(sorted(set(ensemble_of.values())))}")
    return {rid for rid, ensemble in ensemble_of.items() if ensemble in ensembles}


def audio_member(name: str) -> tuple[str, str] | None:
    """(split, id) for a member named musicnet/<split>_data/<id>.wav, else None."""
    parts = PurePosixPath(name.removeprefix("./")).parts
    if len(parts) != 3 or parts[0] != ARCHIVE_ROOT or not parts[2].endswith(".wav"):
        return None
    split, _, kind = parts[1].partition("_")
    if split not in SPLITS or kind != "data":
        return None
    return split, parts[2].removesuffix(".wav")


def extract_audio(archive: Path, metadata_csv: Path, out_dir: Path, split: str = "train",
                  ensembles: list[str] | None = None) -> list[str]:
    """Extract the split's recordings of the given ensembles (None: all) as out_dir/<id>.wav; one pass."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(SPLITS)}, not {split!r}")
    out_dir = Path(out_dir)
    if out_dir.exists():
        raise FileExistsError(f"{out_dir} already exists; remove it to extract again")
    ensemble_of = read_ensembles(metadata_csv)
    selected = select_ids(ensemble_of, ensembles, metadata_csv)
    partial = out_dir.with_name(out_dir.name + ".partial")
    if partial.exists():
        shutil.rmtree(partial)  # left by an extraction that was cut short
    partial.mkdir(parents=True)
    try:
        extracted, seen = stream_extract(archive, partial, split, selected, ensemble_of)
        check_complete(archive, split, ensembles, selected, extracted, seen)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    partial.rename(out_dir)
    log.info("%s: extracted %d %s recordings into %s", archive, len(extracted), split, out_dir)
    return sorted(extracted)


def stream_extract(archive: Path, dest: Path, split: str, selected: set[str],
                   ensemble_of: dict[str, str]) -> tuple[list[str], set[str]]:
    """Extract the selected recordings of split flat into dest; return (file names, ids seen in any split)."""
    extracted, seen = [], set()
    # "r|gz" reads the archive front to back once, without seeking: the real one is 11 GB
    with tarfile.open(archive, mode="r|gz") as tar:
        for member in tar:
            reject_if_unsafe(archive, member, dest)
            found = audio_member(member.name)
            if found is None:
                continue
            member_split, rid = found
            if rid not in ensemble_of:
                log.warning("%s: %s has no row in the metadata; skipped", archive, member.name)
                continue
            seen.add(rid)
            if member_split != split or rid not in selected:
                continue
            if not member.isfile():
                raise ArchiveError(f"{archive}: {member.name} is not a regular file")
            flat = copy.copy(member)
            flat.name = f"{rid}.wav"  # a fixed name in dest: nothing in the archive chooses the path
            tar.extract(flat, dest, **EXTRACT_FILTER)
            extracted.append(f"{rid}.wav")
    return extracted, seen


def reject_if_unsafe(archive: Path, member: tarfile.TarInfo, dest: Path) -> None:
    # Every member, extracted or not, must pass: an archive with one traversal or link out is not trusted.
    if hasattr(tarfile, "data_filter"):  # Python >= 3.11.4
        try:
            tarfile.data_filter(member, str(dest))
        except tarfile.FilterError as err:
            raise ArchiveError(f"{archive}: unsafe member rejected by the tar 'data' filter: {err}") from err
        return
    # Debian bookworm's Python 3.11.2 has no filters: the same refusals for what this archive can hold.
    parts = PurePosixPath(member.name).parts
    if member.name.startswith("/") or ".." in parts or member.issym() or member.islnk() or member.isdev():
        raise ArchiveError(f"{archive}: unsafe member rejected: {member.name}")


def check_complete(archive: Path, split: str, ensembles: list[str] | None, selected: set[str],
                   extracted: list[str], seen: set[str]) -> None:
    never_seen = sorted(selected - seen)
    if never_seen:
        raise ArchiveError(f"{archive}: {len(never_seen)} recordings listed in the metadata are not in the "
                           f"archive (e.g. {', '.join(never_seen[:5])}); is it the pinned MusicNet archive?")
    if not extracted:
        which = "any ensemble" if ensembles is None else ", ".join(ensembles)
        raise ArchiveError(f"{archive}: no {split} recordings of {which}")
