"""The real-data scale's front half, run by Snakemake: MusicNet downloaded from a local stand-in
for Zenodo and extracted, the private album imported with one command, both ingested and
preprocessed into RAVE databases and recorded in dvc.lock. Then one file is added to the album:
exactly that corpus' jobs are planned again by Snakemake and run again by `dvc repro`."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest
import yaml

from conftest import BIN, make_workspace, run
from electone_rave.corpus.demo_corpus import generate_corpus
from local_zenodo import publish_record, serving, write_archive, write_metadata

RECORD = 5120004
RECORDINGS = {  # id: (split, ensemble)
    "1727": ("train", "Solo Piano"),
    "1728": ("train", "Solo Piano"),
    "1729": ("train", "String Quartet"),
    "1733": ("train", "Solo Piano"),
    "2303": ("test", "Solo Piano"),
}
SECONDS = 7.0  # longer than one RAVE chunk (5.94 s at n_signal 131072)
TARGETS = ["results/preprocess/musicnet_preprocess_report.json", "results/preprocess/electone_preprocess_report.json"]
STAGES = ["preprocess-musicnet", "preprocess-electone"]


@pytest.fixture(scope="module")
def zenodo(tmp_path_factory):
    source = tmp_path_factory.mktemp("zenodo")
    files = {"musicnet.tar.gz": write_archive(source / "musicnet.tar.gz", RECORDINGS, SECONDS).read_bytes(),
             "musicnet_metadata.csv": write_metadata(source / "musicnet_metadata.csv", RECORDINGS).read_bytes()}
    with serving() as server:
        for name, body in files.items():
            server.state.files[f"/records/{RECORD}/files/{name}"] = body
        publish_record(server, RECORD, files)
        server.pins = {name: {"size": len(body), "md5": hashlib.md5(body).hexdigest()} for name, body in files.items()}
        yield server


@pytest.fixture(scope="module")
def workspace(tmp_path_factory, zenodo) -> Path:
    ws = make_workspace(tmp_path_factory.mktemp("real"), "smoke")
    config_file = ws / "configs/config.yaml"
    config = yaml.safe_load(config_file.read_text())
    config["scales"]["smoke"]["corpus"] = {"source": "raw", "heldout_files": 1}
    config["corpora"]["musicnet"]["musicnet"].update(
        ensembles=["Solo Piano"], url=f"{zenodo.base}/records/{RECORD}/files", api=f"{zenodo.base}/api",
        files=zenodo.pins)
    config_file.write_text(yaml.safe_dump(config, sort_keys=False))

    album = tmp_path_factory.mktemp("album")
    generate_corpus("electone", album, files=3, seconds=SECONDS, seed=11)
    run([str(BIN / "electone-rave"), "import-corpus", str(album), "--corpus", "electone"], ws)
    run([str(BIN / "electone-rave"), "dvc-stages", "--out", "dvc.yaml"], ws)  # what `make dvc.yaml` runs
    run(["git", "add", "-A"], ws)
    run(["git", "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", "real data"], ws)
    run(["snakemake", "--cores", "2", *TARGETS], ws)
    # As `make demo` records its run; --no-relink keeps the files (and the mtimes Snakemake reads).
    run(["dvc", "commit", "--force", "--with-deps", "--no-relink", "--quiet", *STAGES], ws)
    return ws


def test_musicnet_is_downloaded_checked_and_the_configured_subset_extracted(workspace: Path, zenodo):
    archive = workspace / "data/downloads/musicnet/musicnet.tar.gz"
    assert hashlib.md5(archive.read_bytes()).hexdigest() == zenodo.pins["musicnet.tar.gz"]["md5"]
    assert sorted(p.name for p in (workspace / "data/raw/musicnet").glob("*.wav")) == ["1727.wav", "1728.wav", "1733.wav"]
    assert "agrees with the pinned checksums" in (workspace / "results/logs/download_musicnet.log").read_text()


def test_both_corpora_reach_a_database_with_every_file_accounted_for(workspace: Path):
    for corpus, count in (("musicnet", 3), ("electone", 3)):
        report = json.loads((workspace / f"results/preprocess/{corpus}_preprocess_report.json").read_text())
        assert len(report["files"]) == count and all(r["status"] in ("accepted", "converted") for r in report["files"])
        assert [r["split"] for r in report["files"]].count("heldout") == 1
        assert report["database_chunks"] == 2  # two training files of one chunk each
    musicnet = json.loads((workspace / "results/ingest/musicnet.json").read_text())
    assert {r["reason"] for r in musicnet["files"]} == {""}  # float WAV at 44.1 kHz mono: nothing to convert


def test_the_album_is_checked_against_its_committed_manifest(workspace: Path):
    swapped = workspace / "data/raw/electone/electone_000.wav"
    original = swapped.read_bytes()
    swapped.write_bytes((workspace / "data/raw/electone/electone_001.wav").read_bytes())
    try:
        done = run(["snakemake", "--cores", "2", "--forcerun", "ingest", "--", TARGETS[1]], workspace, check=False)
        assert done.returncode != 0
        assert "different content: electone_000.wav" in (workspace / "results/logs/ingest/electone.log").read_text()
    finally:
        swapped.write_bytes(original)


def test_adding_a_recording_reruns_exactly_that_corpus(workspace: Path, tmp_path: Path):
    generate_corpus("electone", tmp_path / "more", files=4, seconds=SECONDS, seed=12)
    (tmp_path / "bonus").mkdir()
    (tmp_path / "more/electone_003.wav").rename(tmp_path / "bonus/bonus track.wav")
    run([str(BIN / "electone-rave"), "import-corpus", str(tmp_path / "bonus"), "--corpus", "electone"], workspace)
    planned = run(["snakemake", "-n", *TARGETS], workspace).stdout
    assert job_counts(planned) == {"ingest": 1, "preprocess": 1}, planned
    assert "corpus=electone" in planned and "corpus=musicnet" not in planned

    repro = run(["dvc", "repro", *STAGES], workspace).stdout
    ran = set(re.findall(r"Running stage '([^']+)'", repro))
    assert ran == {"ingest-electone", "preprocess-electone"}, repro
    assert {"extract_musicnet", "ingest-musicnet", "preprocess-musicnet"} <= set(re.findall(r"Stage '([^']+)' didn't change", repro))
    report = json.loads((workspace / "results/preprocess/electone_preprocess_report.json").read_text())
    assert "bonus track.wav" in {Path(r["file"]).name for r in report["files"]}
    after = run(["snakemake", "-n", *TARGETS], workspace)
    assert "Nothing to be done" in after.stdout + after.stderr
    # Downstream, the baseline's training reads only MusicNet's stages: nothing of the album.
    baseline_inputs = run(["dvc", "dag", "--dot", "train-baseline"], workspace).stdout
    assert "preprocess-musicnet" in baseline_inputs and "electone" not in baseline_inputs
    assert "ingest-electone" in run(["dvc", "dag", "--dot", "train-electone"], workspace).stdout


def job_counts(snakemake_output: str) -> dict[str, int]:
    table = snakemake_output.split("Job stats:")[1].split("\n\n")[0].splitlines()[3:]
    return {name: int(count) for name, count in (line.split() for line in table) if name != "total"}
