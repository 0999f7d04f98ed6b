"""A union corpus: two corpora whose files share names stay apart, from the manifest to the metrics.

The DAG half (each member ingested, the union's database holding both) runs in
test_experiments.test_an_arm_trains_on_the_union_of_two_corpora."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from electone_rave.corpus.manifest import build_manifest, files_in_split, reconstruction_of
from electone_rave.corpus.union_corpus import UnionCorpusError, merge_manifests, write_union
from electone_rave.evaluation.evaluate import evaluate_reconstructions
from electone_rave.fileio import write_json

RATE = 44100


def corpus(folder: Path, frequencies: list[float]) -> Path:
    folder.mkdir(parents=True)
    t = np.arange(RATE * 2) / RATE
    for i, f in enumerate(frequencies):
        sf.write(folder / f"take_{i}.flac", 0.3 * np.sin(2 * np.pi * f * t), RATE, subtype="PCM_16")
    return folder


def ingest_report(names: list[str]) -> dict:
    return {"totals": {"accepted": len(names), "seconds_kept": 2.0 * len(names)},
            "files": [{"file": n.replace(".flac", ".wav"), "status": "accepted", "output": n} for n in names]}


@pytest.fixture
def union(tmp_path: Path) -> tuple[Path, dict]:
    manifests, reports = [], []
    for name, freqs in (("album", [220.0, 330.0]), ("more", [440.0, 550.0])):
        folder = corpus(tmp_path / "data/corpora" / name, freqs)
        manifest = build_manifest(folder, heldout_files=1, seed=3)
        write_json(manifest, tmp_path / f"{name}.json")
        write_json(ingest_report([row["file"] for row in manifest["files"]]), tmp_path / f"{name}_ingest.json")
        manifests.append(tmp_path / f"{name}.json")
        reports.append(tmp_path / f"{name}_ingest.json")
    merged = write_union(["album", "more"], manifests, reports, tmp_path / "union.json", tmp_path / "union_ingest.json")
    return tmp_path, merged


def test_files_of_the_same_name_in_two_corpora_stay_apart(union):
    tmp_path, merged = union
    assert merged["root"] == (tmp_path / "data/corpora").as_posix()
    heldout = files_in_split(merged, "heldout")
    assert [p.parent.name for p in heldout] == ["album", "more"] and heldout[0].name == heldout[1].name
    assert all(p.is_file() for p in files_in_split(merged, "train") + heldout)
    targets = {reconstruction_of(merged, p, tmp_path / "rec") for p in heldout}
    assert len(targets) == 2
    report = json.loads((tmp_path / "union_ingest.json").read_text())
    assert report["totals"] == {"accepted": 4, "seconds_kept": 8.0}
    assert {row["output"] for row in report["files"]} == {row["file"] for row in merged["files"]}


def test_each_held_out_file_is_scored_against_its_own_reconstruction(union):
    tmp_path, merged = union
    for original in files_in_split(merged, "heldout"):  # a perfect model: each reconstruction is its original
        target = reconstruction_of(merged, original, tmp_path / "rec")
        target.parent.mkdir(parents=True, exist_ok=True)
        data, rate = sf.read(original)
        sf.write(target, data, rate, subtype="PCM_16")
    result = evaluate_reconstructions(tmp_path / "union.json", tmp_path / "rec", "union_run", tmp_path / "eval.json")
    assert [row["file"].split("/")[0] for row in result["files"]] == ["album", "more"]
    assert result["mean"]["log_mel_l1"] == pytest.approx(0.0, abs=1e-3)

    swapped = [reconstruction_of(merged, p, tmp_path / "rec") for p in files_in_split(merged, "heldout")]
    shutil.copy(swapped[1], swapped[0])  # album's reconstruction now holds the other corpus' take
    worse = evaluate_reconstructions(tmp_path / "union.json", tmp_path / "rec", "union_run", tmp_path / "eval.json")
    assert worse["files"][0]["log_mel_l1"] > 0.5 and worse["files"][1]["log_mel_l1"] == pytest.approx(0.0, abs=1e-3)


def test_corpora_in_different_parent_folders_are_refused_naming_them(tmp_path: Path):
    for name, parent in (("album", "data/corpora"), ("more", "elsewhere")):
        write_json(build_manifest(corpus(tmp_path / parent / name, [220.0, 330.0]), 1, 3), tmp_path / f"{name}.json")
    with pytest.raises(UnionCorpusError, match=r"album.json, .*more.json: the corpora do not share one parent folder"):
        merge_manifests({"album": tmp_path / "album.json", "more": tmp_path / "more.json"})
