"""The publish guard: a private corpus' audio is recognised by content in whatever is to be
published (an excerpt resampled and re-encoded, renamed, archived, or a byte copy of its files),
and a listening page leaves the private corpus out unless it is a page marked local-only.

The whole chain with the private Electone stand-in: test_chain_smoke.test_no_private_audio_is_published."""

from __future__ import annotations

import subprocess
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from conftest import run
from electone_rave.corpus.demo_corpus import generate_corpus
from electone_rave.report.publish_guard import check_against, guard_outputs
from electone_rave.workflow.guards import PrivateDataError


@pytest.fixture(scope="module")
def corpora(tmp_path_factory) -> tuple[Path, Path]:
    """The demo's private Electone stand-in and its public MusicNet stand-in, 3 files of 12 s each."""
    root = tmp_path_factory.mktemp("corpora")
    generate_corpus("electone", root / "electone", 3, 12.0, 1970)
    generate_corpus("chamber", root / "musicnet", 3, 12.0, 1970)
    return root / "electone", root / "musicnet"


def excerpt(source: Path, out: Path, start: float = 2.0, seconds: float = 8.0, *extra: str) -> Path:
    """An excerpt as a page would carry it: cut, at 48 kHz stereo, 6 dB quieter, re-encoded."""
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-ss", str(start), "-t", str(seconds),
                    "-i", str(source), "-ar", "48000", "-ac", "2", "-af", "volume=-6dB", *extra, str(out)], check=True)
    return out


def private(corpora) -> list[tuple[str, Path]]:
    return [("electone", corpora[0])]


@pytest.mark.parametrize("make", ["renamed mp3", "ogg", "zip", "tar.gz", "byte copy"])
def test_private_audio_is_found_by_content_naming_the_file(corpora, tmp_path: Path, make: str):
    electone = sorted(corpora[0].glob("*.wav"))
    site = tmp_path / "site"
    (site / "media").mkdir(parents=True)
    (site / "index.html").write_text("<html></html>")
    if make == "renamed mp3":
        planted = excerpt(electone[1], tmp_path / "clip.mp3").rename(site / "media/clip.bin")
    elif make == "ogg":
        planted = excerpt(electone[2], site / "media/clip.ogg", 3.0, 8.0, "-c:a", "libvorbis")
    elif make == "zip":
        planted = site / "media/clips.zip"
        with zipfile.ZipFile(planted, "w") as archive:
            archive.write(excerpt(electone[0], tmp_path / "a.flac"), "inner/a.flac")
    elif make == "tar.gz":
        planted = site / "media/clips.tar.gz"
        with tarfile.open(planted, "w:gz") as archive:
            archive.add(excerpt(electone[0], tmp_path / "a.wav"), "a.wav")
    else:
        planted = site / "data.mdb"
        planted.write_bytes(electone[2].read_bytes())
    with pytest.raises(PrivateDataError, match=rf"{planted}\S*: (audio of|the same bytes as) electone: "):
        check_against([site], private(corpora))


def test_public_audio_silence_and_other_files_pass(corpora, tmp_path: Path):
    site = tmp_path / "site"
    site.mkdir()
    excerpt(sorted(corpora[1].glob("*.wav"))[0], site / "musicnet.mp3")
    sf.write(site / "silence.wav", np.zeros(44100 * 8), 44100)
    rng = np.random.default_rng(0)
    sf.write(site / "noise.wav", 0.1 * rng.standard_normal(44100 * 8), 44100)
    (site / "figure.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    judged = check_against([site], private(corpora))
    assert len(judged) == 4


def test_a_leaking_output_is_removed_and_the_command_fails(corpora, tmp_path: Path):
    site = tmp_path / "site"
    site.mkdir()
    excerpt(sorted(corpora[0].glob("*.wav"))[0], site / "clip.wav")
    with pytest.raises(PrivateDataError, match="clip.wav: audio of electone"):
        guard_outputs([site], private(corpora))
    assert not site.exists()

    site.mkdir()
    excerpt(sorted(corpora[0].glob("*.wav"))[0], site / "clip.wav")
    done = run(["electone-rave", "check-publishable", str(site), "--private-corpus", f"electone={corpora[0]}"],
               tmp_path, check=False)
    assert done.returncode != 0 and f"{site / 'clip.wav'}: audio of electone: " in done.stderr
    assert (site / "clip.wav").exists()  # the check alone removes nothing


def test_small_files_identify_nothing(corpora, tmp_path: Path):
    """An empty marker beside a private corpus' database (Snakemake's timestamp, LMDB's lock) must not
    make every empty file published look like a copy of it."""
    private_folder = tmp_path / "db"
    private_folder.mkdir()
    (private_folder / ".snakemake_timestamp").write_bytes(b"")
    (private_folder / "lock.mdb").write_bytes(bytes(1024))
    site = tmp_path / "site"
    site.mkdir()
    (site / "empty.txt").write_bytes(b"")
    (site / "zeros.bin").write_bytes(bytes(1024))
    assert len(check_against([site], [("electone", private_folder)])) == 2
