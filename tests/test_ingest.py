"""A folder of audio of unknown quality: every file is judged, reported, converted or refused."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from conftest import BIN, run
from electone_rave.corpus.ingest import BadInputError, Target, ingest, output_names
from electone_rave.corpus.manifest import build_manifest, reconstruction_of
from electone_rave.fileio import read_json, sha256_of, write_json
from electone_rave.preprocess.database import preprocess

N_SIGNAL = 131072
TARGET = Target(sample_rate=44100, channels=1, min_seconds=2 * N_SIGNAL / 44100)  # 5.94 s
SECONDS = 7.0


def tone(seconds: float, rate: int, channels: int = 1, amplitude: float = 0.3) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    mono = amplitude * np.sin(2 * np.pi * 220 * t) * (1 + 0.2 * np.sin(2 * np.pi * 3 * t))
    return np.repeat(mono[:, None], channels, axis=1)


# file name -> (what the package must do with it, the reason or conversion it must state)
EXPECTED = {
    "good.flac": ("accepted", ""),
    "Électone täpe 1.wav": ("accepted", ""),
    "clipping.wav": ("accepted", ""),
    "stereo.wav": ("converted", "mixed 2 -> 1 channel(s)"),
    "rate_22050.wav": ("converted", "resampled 22050 -> 44100 Hz"),
    "rate_96000.wav": ("converted", "resampled 96000 -> 44100 Hz"),
    "corrupt.wav": ("skipped", "ffmpeg cannot decode it"),
    "empty.wav": ("skipped", "file is empty (0 bytes)"),
    "truncated_header.wav": ("skipped", "ffmpeg cannot decode it"),
    "short.wav": ("skipped", "shorter than one training chunk"),
    "silence.wav": ("skipped", "digital silence"),
    "notes.txt": ("ignored", "not an audio file extension (.txt)"),
}


@pytest.fixture(scope="module")
def messy_folder(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("messy") / "raw"
    folder.mkdir()
    sf.write(folder / "good.flac", tone(SECONDS, 44100), 44100, subtype="PCM_16")
    sf.write(folder / "Électone täpe 1.wav", tone(SECONDS, 44100), 44100, subtype="PCM_16")
    sf.write(folder / "clipping.wav", np.clip(tone(SECONDS, 44100, amplitude=2.0), -1, 1), 44100, subtype="PCM_16")
    sf.write(folder / "stereo.wav", tone(SECONDS, 44100, channels=2), 44100, subtype="PCM_16")
    sf.write(folder / "rate_22050.wav", tone(SECONDS, 22050), 22050, subtype="PCM_16")
    sf.write(folder / "rate_96000.wav", tone(SECONDS, 96000), 96000, subtype="PCM_24")
    (folder / "corrupt.wav").write_bytes(np.random.default_rng(0).bytes(50_000))
    (folder / "empty.wav").write_bytes(b"")
    (folder / "truncated_header.wav").write_bytes((folder / "stereo.wav").read_bytes()[:20])
    sf.write(folder / "short.wav", tone(1.0, 44100), 44100, subtype="PCM_16")
    sf.write(folder / "silence.wav", np.zeros((int(SECONDS * 44100), 1)), 44100, subtype="PCM_16")
    (folder / "notes.txt").write_text("recorded 1974, side A\n")
    assert sorted(p.name for p in folder.iterdir()) == sorted(EXPECTED)
    return folder


@pytest.fixture(scope="module")
def skipped_run(messy_folder: Path, tmp_path_factory) -> tuple[dict, Path]:
    out = tmp_path_factory.mktemp("ingested") / "corpus"
    return ingest(messy_folder, out, TARGET, on_bad_input="skip", threads=2), out


def test_every_file_is_judged_as_documented(skipped_run):
    report, _ = skipped_run
    found = {row["file"]: row for row in report["files"]}
    assert set(found) == set(EXPECTED)
    for name, (status, reason) in EXPECTED.items():
        assert found[name]["status"] == status, (name, found[name])
        assert reason in found[name]["reason"], (name, found[name])
    assert any("clipping" in w for w in found["clipping.wav"]["warnings"])
    assert any("upsampled" in w for w in found["rate_22050.wav"]["warnings"])
    assert not found["good.flac"]["warnings"]
    assert report["totals"] == {"accepted": 3, "converted": 3, "skipped": 5, "ignored": 1,
                                "seconds_kept": pytest.approx(6 * SECONDS, abs=1e-3)}


def test_kept_files_are_mono_16_bit_wav_at_the_training_rate(skipped_run):
    report, out = skipped_run
    kept = [row for row in report["files"] if row["status"] in ("accepted", "converted")]
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) == sorted(r["output"] for r in kept)
    for row in kept:
        info = sf.info(out / row["output"])
        assert (info.samplerate, info.channels, info.subtype, info.format) == (44100, 1, "PCM_16", "WAV")
        assert info.frames / info.samplerate == pytest.approx(SECONDS, abs=1e-3)
    assert (out / "Électone täpe 1.wav").is_file() and (out / "good.wav").is_file()


def test_accepted_files_keep_their_samples_exactly(skipped_run, messy_folder: Path):
    report, out = skipped_run
    for row in report["files"]:
        if row["status"] == "accepted":  # a 16-bit WAV rewritten by libsndfile, a FLAC decoded by ffmpeg
            original, _ = sf.read(messy_folder / row["file"], dtype="int16")
            written, _ = sf.read(out / row["output"], dtype="int16")
            np.testing.assert_array_equal(written, original, err_msg=row["file"])


def test_the_corpus_carries_no_tag_of_its_sources(tmp_path: Path):
    """A private album's tags (titles, names) stay in the source folder: the WAV rewritten in-process
    and the one ffmpeg converts hold the samples alone."""
    folder = tmp_path / "raw"
    folder.mkdir()
    for name, rate in (("plain.wav", 44100), ("converted.flac", 48000)):
        with sf.SoundFile(folder / name, "w", rate, 1, subtype="PCM_16") as tagged:
            tagged.title, tagged.artist = "Secret Session 1974", "Private Player"
            tagged.write(tone(SECONDS, rate))
        assert b"Private Player" in (folder / name).read_bytes()
    report = ingest(folder, tmp_path / "corpus", TARGET, on_bad_input="fail")
    assert [row["status"] for row in report["files"]] == ["converted", "accepted"]
    for path in (tmp_path / "corpus").iterdir():
        assert b"Secret Session" not in path.read_bytes() and b"Private Player" not in path.read_bytes(), path


def test_conversion_is_byte_identical_when_repeated(skipped_run, messy_folder: Path, tmp_path: Path):
    _, first = skipped_run
    ingest(messy_folder, tmp_path / "again", TARGET, on_bad_input="skip")
    for path in first.rglob("*.wav"):
        assert (tmp_path / "again" / path.relative_to(first)).read_bytes() == path.read_bytes()


def test_fail_policy_names_every_bad_file_and_writes_nothing(messy_folder: Path, tmp_path: Path):
    with pytest.raises(BadInputError) as err:
        ingest(messy_folder, tmp_path / "corpus", TARGET, on_bad_input="fail")
    message = str(err.value)
    for name, (status, reason) in EXPECTED.items():
        assert (f"{messy_folder / name}: " in message) == (status == "skipped"), name
        if status == "skipped":
            assert reason in message
    assert not (tmp_path / "corpus").exists() and not (tmp_path / "corpus.partial").exists()
    assert not (tmp_path / "corpus.decoding").exists()


def test_a_refused_ingest_keeps_the_corpus_an_earlier_one_made(messy_folder: Path, tmp_path: Path):
    good = tmp_path / "good"
    good.mkdir()
    sf.write(good / "take.wav", tone(SECONDS, 44100), 44100, subtype="PCM_16")
    ingest(good, tmp_path / "corpus", TARGET, on_bad_input="fail")
    before = {p.name: p.read_bytes() for p in (tmp_path / "corpus").iterdir()}
    with pytest.raises(BadInputError):
        ingest(messy_folder, tmp_path / "corpus", TARGET, on_bad_input="fail")
    assert {p.name: p.read_bytes() for p in (tmp_path / "corpus").iterdir()} == before == {
        "take.wav": before["take.wav"]}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus", "good"]  # no partial or staging folder left


def test_fail_policy_from_the_command_line(messy_folder: Path, tmp_path: Path):
    done = run([str(BIN / "electone-rave"), "ingest", "--source", str(messy_folder), "--out",
                str(tmp_path / "corpus"), "--manifest", str(tmp_path / "m.json"), "--report",
                str(tmp_path / "r.json"), "--heldout", "1", "--seed", "1", "--on-bad-input", "fail",
                "--sample-rate", "44100", "--channels", "1", "--n-signal", str(N_SIGNAL)],
               tmp_path, check=False)
    assert done.returncode == 1
    assert "5 bad input file(s)" in done.stderr and "silence.wav: digital silence" in done.stderr
    assert not (tmp_path / "m.json").exists()


def test_database_seconds_add_up_over_the_accepted_files(skipped_run, tmp_path: Path):
    report, corpus = skipped_run
    write_json(report, tmp_path / "ingest.json")
    write_json(build_manifest(corpus, heldout_files=1, seed=3), tmp_path / "manifest.json")
    preprocess(tmp_path / "manifest.json", tmp_path / "db", 44100, 1, N_SIGNAL, timeout_s=600,
               ingest_report=tmp_path / "ingest.json", report_out=tmp_path / "preprocess_report.json")
    final = read_json(tmp_path / "preprocess_report.json")
    assert {row["file"] for row in final["files"]} == set(EXPECTED)  # every input, whatever became of it
    trained = [row for row in final["files"] if row.get("split") == "train"]
    assert len(trained) == 5 and sum(1 for row in final["files"] if row.get("split") == "heldout") == 1
    assert final["database_chunks"] == sum(row["chunks"] for row in trained) == 5
    assert final["database_seconds"] == pytest.approx(sum(row["seconds_in_database"] for row in trained))
    for row in trained:
        assert row["seconds_in_database"] + row["seconds_dropped"] == pytest.approx(row["seconds"])
    summary = json.loads((tmp_path / "db" / "electone_rave.json").read_text())
    assert summary["seconds"] == pytest.approx(final["database_seconds"])


def test_colliding_output_names_keep_their_extension():
    assert output_names(["a/b.wav", "a/b.aiff", "c.mp3"]) == {
        "a/b.wav": "a/b.wav.wav", "a/b.aiff": "a/b.aiff.wav", "c.mp3": "c.wav"}
    with pytest.raises(BadInputError, match=r"rename one of them: b.wav, b.wav.mp3$"):
        output_names(["b.wav", "b.mp3", "b.wav.mp3"])  # b.wav.wav twice
    manifest = {"root": "/corpus"}
    assert {reconstruction_of(manifest, Path("/corpus") / name, Path("out")).as_posix()
            for name in ("a/b.wav.wav", "a/b.aiff.wav", "c.wav")} == {"out/a/b.wav.wav", "out/a/b.aiff.wav", "out/c.wav"}


def test_a_source_is_hashed_only_where_another_has_as_many_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Same bytes means same size: only the two files of one size are hashed (and found copies)."""
    import electone_rave.corpus.ingest as ingest_module
    folder = tmp_path / "raw"
    folder.mkdir()
    for name, seconds in (("a.wav", SECONDS), ("b.wav", SECONDS + 3), ("c.wav", SECONDS + 6)):
        sf.write(folder / name, tone(seconds, 44100), 44100, subtype="PCM_16")
    (folder / "a copy.wav").write_bytes((folder / "a.wav").read_bytes())
    hashed = []
    monkeypatch.setattr(ingest_module, "sha256_of", lambda path: hashed.append(path.name) or sha256_of(path))
    report = ingest(folder, tmp_path / "corpus", TARGET, on_bad_input="skip")
    assert sorted(hashed) == ["a copy.wav", "a.wav"]
    assert {row["file"]: row["status"] for row in report["files"]} == {
        "a copy.wav": "accepted", "a.wav": "skipped", "b.wav": "accepted", "c.wav": "accepted"}


@pytest.mark.parametrize("writer", ["direct", "rave"])
def test_the_database_is_keyed_in_manifest_order_and_identical_when_rebuilt(skipped_run, tmp_path: Path,
                                                                          monkeypatch, writer: str):
    import lmdb
    from electone_rave.corpus.manifest import files_in_split
    from electone_rave.fileio import sha256_of
    from electone_rave.preprocess.database_order import audio_chunks, waveform
    _, corpus = skipped_run
    manifest = build_manifest(corpus, heldout_files=1, seed=3)
    write_json(manifest, tmp_path / "manifest.json")
    digests = []
    monkeypatch.chdir(tmp_path)
    for out in (tmp_path / "first", Path("second")):  # a bare relative name works too
        preprocess(tmp_path / "manifest.json", out, 44100, 1, N_SIGNAL, timeout_s=600, writer=writer, workers=2)
        digests.append(sha256_of(tmp_path / out / "data.mdb"))
    assert digests[0] == digests[1]  # rave preprocess's own order depends on its worker pool
    expected = [chunk for path in files_in_split(manifest, "train") for chunk in audio_chunks(path, N_SIGNAL)]
    env = lmdb.open(str(tmp_path / "first"), readonly=True, lock=False)
    with env.begin() as txn:
        stored = [(key.decode(), waveform(value)) for key, value in txn.cursor()]
    env.close()
    assert [key for key, _ in stored] == [f"{i:08d}" for i in range(len(expected))]
    assert [data for _, data in stored] == expected


def test_a_killed_preprocessing_leaves_no_database_that_looks_complete(skipped_run, tmp_path: Path):
    import os
    import signal
    import subprocess
    import time
    from electone_rave.preprocess.database import count_entries
    _, corpus = skipped_run
    write_json(build_manifest(corpus, heldout_files=1, seed=3), tmp_path / "manifest.json")
    # Stock rave preprocess: slow enough to be caught mid-way on five chunks (the direct writer
    # shares the same partial-then-rename steps, preprocess.database.preprocess).
    command = [str(BIN / "electone-rave"), "preprocess", "--manifest", str(tmp_path / "manifest.json"),
               "--out", str(tmp_path / "db"), "--sample-rate", "44100", "--channels", "1", "--n-signal", str(N_SIGNAL),
               "--writer", "rave"]
    job = subprocess.Popen(command, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while not (tmp_path / "db.partial/data.mdb").exists() and job.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert job.poll() is None, "preprocessing finished before it could be killed"
    os.killpg(job.pid, signal.SIGKILL)  # rave preprocess and its ffmpeg workers with it
    job.wait()
    assert (tmp_path / "db.partial").exists() and not (tmp_path / "db").exists()
    assert run(command, tmp_path).returncode == 0  # the same command again starts clean and finishes
    assert count_entries(tmp_path / "db") == 5 and not (tmp_path / "db.partial").exists()


def database_contents(db: Path) -> list[tuple[bytes, bytes]]:
    import lmdb
    env = lmdb.open(str(db), readonly=True, lock=False)
    try:
        with env.begin() as txn:
            return list(txn.cursor())
    finally:
        env.close()


def test_the_direct_writer_stores_what_rave_preprocess_stores(skipped_run, tmp_path: Path):
    """Same keys, same AudioExample bytes, same metadata.yaml and summary: the training sees no difference."""
    _, corpus = skipped_run
    write_json(build_manifest(corpus, heldout_files=1, seed=3), tmp_path / "manifest.json")
    for writer in ("direct", "rave"):
        preprocess(tmp_path / "manifest.json", tmp_path / writer, 44100, 1, N_SIGNAL, timeout_s=600, writer=writer,
                   workers=2)
    direct, stock = database_contents(tmp_path / "direct"), database_contents(tmp_path / "rave")
    assert len(direct) == 5 and direct == stock
    for name in ("metadata.yaml", "electone_rave.json"):
        assert (tmp_path / "direct" / name).read_text() == (tmp_path / "rave" / name).read_text()
    assert sorted(p.name for p in (tmp_path / "direct").iterdir()) == sorted(p.name for p in (tmp_path / "rave").iterdir())


def test_the_direct_writer_refuses_a_file_at_another_rate_naming_it(tmp_path: Path):
    from electone_rave.preprocess.database_order import DatabaseMismatchError
    from electone_rave.preprocess.database_writer import write_database
    sf.write(tmp_path / "fine.flac", tone(SECONDS, 44100), 44100, subtype="PCM_16")
    sf.write(tmp_path / "slow.flac", tone(SECONDS, 22050), 22050, subtype="PCM_16")
    with pytest.raises(DatabaseMismatchError, match=r"slow.flac: 22050 Hz; the ingested training files are at 44100"):
        write_database([tmp_path / "fine.flac", tmp_path / "slow.flac"], tmp_path / "db", N_SIGNAL, 44100, workers=2)


@pytest.fixture(scope="module")
def album_with_copies(tmp_path_factory) -> Path:
    """Four recordings (the demo's Electone stand-in, 8 s each) and the copies a real folder gathers:
    a symlinked folder, a plain copy in a second folder, and one track also as MP3 at 48 kHz."""
    from electone_rave.corpus.demo_corpus import generate_corpus
    import subprocess

    folder = tmp_path_factory.mktemp("album") / "raw"
    generate_corpus("electone", folder / "side A", 4, 8.0, 1970)
    (folder / "side A (link)").symlink_to("side A", target_is_directory=True)
    (folder / "side A/back to the album").symlink_to("..", target_is_directory=True)  # a cycle: not entered
    (folder / "to sort").mkdir()
    (folder / "to sort/electone_001.wav").write_bytes((folder / "side A/electone_001.wav").read_bytes())
    subprocess.run(["ffmpeg", "-loglevel", "error", "-i", str(folder / "side A/electone_002.wav"), "-ar", "48000",
                    "-b:a", "192k", str(folder / "electone_002 (web).mp3")], check=True)
    return folder


def test_each_recording_is_kept_once_and_its_copies_named_as_duplicates(album_with_copies: Path, tmp_path: Path):
    target = Target(sample_rate=44100, channels=1, min_seconds=2.0)
    report = ingest(album_with_copies, tmp_path / "corpus", target, on_bad_input="skip", threads=2)
    rows = {row["file"]: row for row in report["files"]}
    kept = sorted(name for name, row in rows.items() if row["status"] in ("accepted", "converted"))
    assert kept == [f"side A/electone_00{i}.wav" for i in range(4)]  # the lossless originals
    duplicates = {name: row["duplicate_of"] for name, row in rows.items() if row["duplicate_of"]}
    assert duplicates == {**{f"side A (link)/electone_00{i}.wav": f"side A/electone_00{i}.wav" for i in range(4)},
                          "to sort/electone_001.wav": "side A/electone_001.wav",
                          "electone_002 (web).mp3": "side A/electone_002.wav"}
    assert "the same bytes" in rows["to sort/electone_001.wav"]["reason"]
    assert "the same recording (fingerprints differ by" in rows["electone_002 (web).mp3"]["reason"]
    assert report["totals"]["seconds_kept"] == pytest.approx(4 * 8.0, abs=1e-3)  # the length is not overstated

    manifest = build_manifest(tmp_path / "corpus", heldout_files=2, seed=1)  # no copy can straddle the split
    assert sorted(row["file"] for row in manifest["files"]) == [f"side A/electone_00{i}.wav" for i in range(4)]

    with pytest.raises(BadInputError, match=r"electone_002 \(web\).mp3: duplicate of side A/electone_002.wav"):
        ingest(album_with_copies, tmp_path / "strict", target, on_bad_input="fail")


def test_different_noise_like_recordings_are_not_duplicates(tmp_path: Path):
    """Two takes of white noise share a fingerprint's statistics (measured: 5.2 of 32 bits apart) but
    not how their level moves: both are kept."""
    folder = tmp_path / "raw"
    folder.mkdir()
    for seed in (1, 2):
        rng = np.random.default_rng(seed)
        sf.write(folder / f"noise_{seed}.wav", rng.uniform(-0.5, 0.5, 44100 * 8), 44100, subtype="PCM_16")
    report = ingest(folder, tmp_path / "corpus", Target(44100, 1, 2.0), on_bad_input="fail")
    assert [row["status"] for row in report["files"]] == ["accepted", "accepted"]


def test_each_file_is_decoded_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The decode that judges a file also writes its WAV: one ffmpeg run reads a compressed or
    converted file (no ffprobe), none reads a 16-bit WAV already in the training format. Only files
    that last about as long as another (possible copies) are fingerprinted, from their WAV."""
    import os
    import shutil
    import subprocess

    folder = tmp_path / "raw"
    folder.mkdir()
    sf.write(folder / "plain.wav", tone(SECONDS, 44100), 44100, subtype="PCM_16")
    sf.write(folder / "rate_22050.wav", tone(SECONDS + 1, 22050), 22050, subtype="PCM_16")
    sf.write(folder / "longer.wav", tone(SECONDS + 9, 44100), 44100, subtype="PCM_16")  # no other within 2 s
    sf.write(tmp_path / "stereo.wav", tone(SECONDS + 4, 48000, channels=2), 48000, subtype="PCM_16")
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(tmp_path / "stereo.wav"), str(folder / "album.mp3")],
                   check=True)  # 11 s: none within 2 s
    shims, calls = tmp_path / "bin", tmp_path / "calls.log"
    shims.mkdir()
    for tool in ("ffmpeg", "ffprobe"):
        (shims / tool).write_text(f'#!/bin/sh\nprintf "%s\\n" "{tool} $*" >> {calls}\nexec {shutil.which(tool)} "$@"\n')
        (shims / tool).chmod(0o755)
    monkeypatch.setenv("PATH", f"{shims}{os.pathsep}{os.environ['PATH']}")

    report = ingest(folder, tmp_path / "corpus", TARGET, "fail", threads=2)
    assert {f["file"]: f["output"] for f in report["files"]} == {
        "plain.wav": "plain.wav", "rate_22050.wav": "rate_22050.wav", "longer.wav": "longer.wav",
        "album.mp3": "album.wav"}
    assert not any(line.startswith("ffprobe ") for line in calls.read_text().splitlines())
    ffmpeg_runs = [line for line in calls.read_text().splitlines() if line.startswith("ffmpeg ")]
    for name, runs in (("album.mp3", 1), ("rate_22050.wav", 1), ("plain.wav", 0), ("longer.wav", 0)):
        assert sum(f"-i {folder / name} " in line for line in ffmpeg_runs) == runs, (name, ffmpeg_runs)
    fingerprinted = [line for line in ffmpeg_runs if "-f chromaprint" in line]
    assert len(fingerprinted) == 2 and all("corpus.decoding/" in line for line in fingerprinted)  # plain and rate_22050
    assert len(ffmpeg_runs) == 4
    assert all(info.samplerate == 44100 and info.channels == 1 and info.subtype == "PCM_16"
               for info in map(sf.info, sorted((tmp_path / "corpus").glob("*.wav"))))
