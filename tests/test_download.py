"""Downloading and extracting MusicNet, against a local HTTP server and a tiny archive of the same layout."""

from __future__ import annotations

import hashlib
import logging
import re
import socket
import tarfile
from pathlib import Path

import pytest
import soundfile as sf

from conftest import REPO
from electone_rave.corpus import download as dl
from electone_rave.corpus import musicnet
from local_zenodo import add_member, publish_record, serving, wav_bytes, write_archive, write_metadata

RECORD = 5120004
SAMPLE_RATE = 44100
# id: (split, ensemble)
RECORDINGS = {
    "1727": ("train", "Solo Piano"),
    "1729": ("train", "String Quartet"),
    "1733": ("train", "Solo Piano"),
    "2191": ("train", "Piano Trio"),
    "2303": ("test", "Solo Piano"),
    "2382": ("test", "String Quartet"),
}


def musicnet_config() -> dict:
    import yaml
    return yaml.safe_load((REPO / "configs/config.yaml").read_text())["corpora"]["musicnet"]["musicnet"]


@pytest.fixture
def server():
    with serving() as httpd:
        yield httpd


@pytest.fixture(autouse=True)
def no_retry_pause(monkeypatch):
    monkeypatch.setattr(dl, "RETRY_PAUSE_S", 0.0)


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    (tmp_path / "source").mkdir(exist_ok=True)
    return write_archive(tmp_path / "source" / "musicnet.tar.gz", RECORDINGS)


@pytest.fixture
def metadata(tmp_path: Path) -> Path:
    (tmp_path / "source").mkdir(exist_ok=True)
    return write_metadata(tmp_path / "source" / "musicnet_metadata.csv", RECORDINGS)


@pytest.fixture
def served(server, archive: Path):
    """(url, bytes, md5) of the archive as the server offers it."""
    body = archive.read_bytes()
    server.state.files["/files/musicnet.tar.gz"] = body
    return f"{server.base}/files/musicnet.tar.gz", body, hashlib.md5(body).hexdigest()


# --- download ---

def test_download_puts_the_verified_file_in_place(server, served, tmp_path: Path):
    url, body, md5 = served
    dest = tmp_path / "raw" / "musicnet.tar.gz"
    assert dl.download(url, dest, md5, size=len(body)) == dest
    assert dest.read_bytes() == body and dl.md5_of(dest) == md5
    assert not dl.partial_path(dest).exists()
    assert [r["range"] for r in server.state.requests] == [None]


def test_a_cut_connection_resumes_without_fetching_any_byte_twice(server, served, tmp_path: Path):
    url, body, md5 = served
    cut = len(body) // 3
    server.state.cut_first_request_after = cut
    dest = tmp_path / "musicnet.tar.gz"
    dl.download(url, dest, md5, size=len(body))
    assert dest.read_bytes() == body
    assert [r["range"] for r in server.state.requests] == [None, f"bytes={cut}-"]
    assert server.state.bytes_sent == len(body)


def test_a_server_that_ignores_range_makes_the_download_start_over(server, served, tmp_path: Path):
    url, body, md5 = served
    server.state.cut_first_request_after = len(body) // 3
    server.state.ignore_range = True
    dest = tmp_path / "musicnet.tar.gz"
    dl.download(url, dest, md5, size=len(body))
    assert dest.read_bytes() == body
    assert server.state.requests[1]["range"] == f"bytes={len(body) // 3}-"  # asked, answered with 200


def test_a_complete_partial_left_behind_is_verified_without_new_bytes(server, served, tmp_path: Path):
    url, body, md5 = served
    dest = tmp_path / "musicnet.tar.gz"
    dl.partial_path(dest).write_bytes(body)  # the connection broke after the last byte
    dl.download(url, dest, md5)  # size unknown: the server answers 416 to the resume
    assert dest.read_bytes() == body and server.state.bytes_sent == 0


def test_a_file_truncated_on_every_try_fails_after_the_retries(server, served, tmp_path: Path):
    url, body, md5 = served
    server.state.never_send_past = len(body) // 2
    dest = tmp_path / "musicnet.tar.gz"
    with pytest.raises(dl.DownloadError, match="gave up after 3 attempts") as err:
        dl.download(url, dest, md5, size=len(body), retries=2)
    assert url in str(err.value)
    assert len(server.state.requests) == 3
    assert not dest.exists()
    assert dl.partial_path(dest).stat().st_size == len(body) // 2  # kept for the next run to resume


def test_a_wrong_pin_rejects_the_download(server, served, tmp_path: Path):
    url, body, md5 = served
    wrong = "0" * 32
    dest = tmp_path / "musicnet.tar.gz"
    with pytest.raises(dl.DownloadError) as err:
        dl.download(url, dest, wrong, size=len(body))
    message = str(err.value)
    assert all(part in message for part in (url, "musicnet.tar.gz", wrong, md5, "musicnet.tar.gz.rejected"))
    assert not dest.exists() and not dl.partial_path(dest).exists()
    assert dl.rejected_path(dest).read_bytes() == body


def test_a_file_already_in_place_is_not_downloaded_again(server, served, tmp_path: Path):
    url, body, md5 = served
    dest = tmp_path / "musicnet.tar.gz"
    dl.download(url, dest, md5, size=len(body))
    server.state.requests.clear()
    dl.download(url, dest, md5, size=len(body))
    assert server.state.requests == []


def test_a_different_file_in_place_is_reported_and_left_alone(server, served, tmp_path: Path):
    url, body, md5 = served
    dest = tmp_path / "musicnet.tar.gz"
    dest.write_bytes(b"the user's own file")
    with pytest.raises(dl.DownloadError, match="already exists"):
        dl.download(url, dest, md5)
    assert dest.read_bytes() == b"the user's own file"
    assert server.state.requests == []


@pytest.mark.parametrize("url", ["http://zenodo.org/records/5120004/files/musicnet.tar.gz",
                                 "ftp://127.0.0.1/musicnet.tar.gz", "file:///etc/passwd"])
def test_only_https_urls_are_fetched(url: str, tmp_path: Path):
    with pytest.raises(ValueError, match=re.escape(url)):
        dl.download(url, tmp_path / "x", "0" * 32)
    assert list(tmp_path.iterdir()) == []


# --- Zenodo cross-check ---

def zenodo_record(server, files: dict[str, bytes], md5_override: dict[str, str] | None = None) -> None:
    publish_record(server, RECORD, files, md5_override)


def pins_of(files: dict[str, bytes]) -> dict[str, dict]:
    return {name: {"size": len(body), "md5": hashlib.md5(body).hexdigest()} for name, body in files.items()}


def test_zenodo_files_lists_size_md5_and_url(server, archive: Path):
    files = {"musicnet.tar.gz": archive.read_bytes()}
    zenodo_record(server, files)
    listed = dl.zenodo_files(RECORD, f"{server.base}/api")
    assert listed == {"musicnet.tar.gz": {
        "size": len(files["musicnet.tar.gz"]), "md5": hashlib.md5(files["musicnet.tar.gz"]).hexdigest(),
        "url": f"{server.base}/api/records/{RECORD}/files/musicnet.tar.gz/content"}}


def test_crosscheck_passes_when_the_record_agrees(server, archive: Path, metadata: Path):
    files = {"musicnet.tar.gz": archive.read_bytes(), "musicnet_metadata.csv": metadata.read_bytes()}
    zenodo_record(server, files)
    dl.crosscheck(pins_of(files), RECORD, f"{server.base}/api")


def test_crosscheck_fails_when_the_record_lists_another_md5(server, archive: Path, metadata: Path):
    files = {"musicnet.tar.gz": archive.read_bytes(), "musicnet_metadata.csv": metadata.read_bytes()}
    zenodo_record(server, files, md5_override={"musicnet_metadata.csv": "f" * 32})
    with pytest.raises(dl.DownloadError, match="musicnet_metadata.csv md5") as err:
        dl.crosscheck(pins_of(files), RECORD, f"{server.base}/api")
    assert "musicnet.tar.gz" not in str(err.value)


def test_crosscheck_only_warns_when_zenodo_is_unreachable(caplog):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again below: nothing listens there
    with caplog.at_level(logging.WARNING, logger=dl.__name__):
        dl.crosscheck(musicnet_config()["files"], RECORD, f"http://127.0.0.1:{port}/api")
    assert "could not be read" in caplog.text


def test_download_musicnet_checks_the_record_then_fetches_each_pin(server, archive: Path, metadata: Path,
                                                                  tmp_path: Path):
    files = {"musicnet.tar.gz": archive.read_bytes(), "musicnet_metadata.csv": metadata.read_bytes()}
    zenodo_record(server, files)
    for name, body in files.items():
        server.state.files[f"/records/{RECORD}/files/{name}"] = body
    paths = musicnet.download_musicnet(tmp_path / "raw", pins_of(files), RECORD,
                                       base=f"{server.base}/records/{RECORD}/files",
                                       api_base=f"{server.base}/api")
    assert {name: p.read_bytes() for name, p in paths.items()} == files


def test_the_configured_musicnet_pins_are_the_zenodo_record_s():
    source = musicnet_config()
    assert source["record"] == RECORD
    assert musicnet.download_url("musicnet.tar.gz", source["url"]) == \
        "https://zenodo.org/records/5120004/files/musicnet.tar.gz?download=1"
    assert source["files"] == {
        "musicnet.tar.gz": {"size": 11_097_394_998, "md5": "844764911fa0d5b97c97da944a057590"},
        "musicnet_metadata.csv": {"size": 43_775, "md5": "1caef62cee9c875235e62aac368b49d8"}}


# --- extraction ---

def test_extract_audio_selects_by_split_and_ensemble(archive: Path, metadata: Path, tmp_path: Path):
    out = tmp_path / "audio"
    stale = tmp_path / "audio.partial"
    stale.mkdir()
    (stale / "9999.wav").write_bytes(b"left by a cut extraction")
    assert musicnet.extract_audio(archive, metadata, out, "train", ["Solo Piano"]) == ["1727.wav", "1733.wav"]
    assert sorted(p.name for p in out.iterdir()) == ["1727.wav", "1733.wav"]
    assert not stale.exists()
    info = sf.info(str(out / "1727.wav"))
    assert (info.samplerate, info.channels) == (SAMPLE_RATE, 1)


def test_extract_audio_takes_every_ensemble_by_default(archive: Path, metadata: Path, tmp_path: Path):
    assert musicnet.extract_audio(archive, metadata, tmp_path / "test", "test") == ["2303.wav", "2382.wav"]


def test_extract_audio_fails_when_nothing_matches(archive: Path, metadata: Path, tmp_path: Path):
    with pytest.raises(musicnet.ArchiveError, match=f"{archive}: no test recordings of Piano Trio"):
        musicnet.extract_audio(archive, metadata, tmp_path / "out", "test", ["Piano Trio"])
    assert not (tmp_path / "out").exists() and not (tmp_path / "out.partial").exists()


def test_extract_audio_fails_when_the_metadata_lists_a_recording_the_archive_lacks(archive: Path, tmp_path: Path):
    metadata = write_metadata(tmp_path / "meta.csv", {**RECORDINGS, "2555": ("train", "Solo Piano")})
    with pytest.raises(musicnet.ArchiveError, match=f"{archive}: 1 recordings .* 2555"):
        musicnet.extract_audio(archive, metadata, tmp_path / "out", "train", ["Solo Piano"])
    assert not (tmp_path / "out").exists()


def test_extract_audio_rejects_an_unknown_ensemble_name(archive: Path, metadata: Path, tmp_path: Path):
    with pytest.raises(ValueError, match="Solo piano"):
        musicnet.extract_audio(archive, metadata, tmp_path / "out", "train", ["Solo piano"])


def path_traversal(tar: tarfile.TarFile) -> None:
    add_member(tar, "../evil.wav", b"outside")


def absolute_symlink(tar: tarfile.TarFile) -> None:
    link = tarfile.TarInfo("musicnet/train_data/1733.wav")
    link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
    tar.addfile(link)


@pytest.mark.parametrize("add_unsafe", [path_traversal, absolute_symlink])
def test_the_data_filter_rejects_unsafe_members(add_unsafe, metadata: Path, tmp_path: Path):
    archive = tmp_path / "evil.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        add_member(tar, "musicnet/train_data/1727.wav", wav_bytes(0))
        add_unsafe(tar)
    out = tmp_path / "extract" / "audio"
    with pytest.raises(musicnet.ArchiveError, match="unsafe member") as err:
        musicnet.extract_audio(archive, metadata, out, "train")
    if hasattr(tarfile, "FilterError"):  # Python >= 3.11.4: the refusal is the stdlib 'data' filter's
        assert isinstance(err.value.__cause__, tarfile.FilterError)
    assert not (tmp_path / "extract" / "evil.wav").exists()
    assert not out.exists() and not out.with_name("audio.partial").exists()


def test_crosscheck_fails_when_zenodo_answers_that_the_record_does_not_exist(server):
    with pytest.raises(dl.DownloadError, match="Zenodo record 999"):
        dl.crosscheck(musicnet_config()["files"], 999, f"{server.base}/api")  # the server answers 404


@pytest.fixture
def python_without_tar_filters(monkeypatch):
    """Debian bookworm's Python 3.11.2 (the image's) predates tarfile's extraction filters; on a later
    Python they are removed for the test (on 3.11.2 there is nothing to remove)."""
    monkeypatch.delattr(tarfile, "data_filter", raising=False)
    monkeypatch.setattr(musicnet, "EXTRACT_FILTER", {})


@pytest.mark.parametrize("add_unsafe", [path_traversal, absolute_symlink])
def test_without_tar_filters_unsafe_members_are_still_refused(python_without_tar_filters, add_unsafe,
                                                            metadata: Path, tmp_path: Path):
    archive = tmp_path / "evil.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        add_member(tar, "musicnet/train_data/1727.wav", wav_bytes(0))
        add_unsafe(tar)
    with pytest.raises(musicnet.ArchiveError, match="unsafe member rejected"):
        musicnet.extract_audio(archive, metadata, tmp_path / "out", "train")
    assert not (tmp_path / "evil.wav").exists() and not (tmp_path / "out").exists()


def test_without_tar_filters_the_subset_is_extracted(python_without_tar_filters, archive: Path, metadata: Path,
                                                     tmp_path: Path):
    assert musicnet.extract_audio(archive, metadata, tmp_path / "out", "train", ["Solo Piano"]) == ["1727.wav", "1733.wav"]
    assert sf.info(tmp_path / "out/1727.wav").samplerate == 44100
