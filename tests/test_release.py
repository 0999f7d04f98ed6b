"""A run's release bundle (electone-rave release): the exports carrying their model card, the card,
examples, checksums, a reproducible zip; never a private corpus' audio, and a refused release keeps
the earlier bundle. Here on small scripted models (test_nn_host's); the chain's own bundle is checked
in test_chain_smoke."""

from __future__ import annotations

import hashlib
import json
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from electone_rave.export import nn_host
from electone_rave.export.nn_host_check import check_export
from electone_rave.export.rave_export import record_torch_version
from electone_rave.fileio import write_json
from electone_rave.report.release import ReleaseError, release
from electone_rave.workflow.guards import PrivateDataError
from test_nn_host import SR, scripted

RUN = "toy"


def numbers() -> dict:
    """numbers.json with the fields a model card reads."""
    metrics = {"log_mel_l1": 1.5, "multiscale_spectral_distance": 4.0, "mel_distance": 2.0, "si_sdr_db": -20.0,
               "visqol_moslqo": 2.25}
    cells = [{"sample_rate": rate, "buffer": buffer, "threads": 1, "batch": 1, "median_ms": 1.0, "p99_ms": 2.0,
              "deadline_ms": 1000 * buffer / rate, "missed_share": 0.0, "delay_ms": 1000 * (2 * buffer - 64) / rate}
             for rate in (44100, 48000) for buffer in (512, 2048)]
    return {"git_commit": "0" * 40, "scale": "smoke", "audio": {"sample_rate": SR}, "hardware": {"machine": "x86_64"},
            "versions": {"torch": "2.5.0"}, "export": {"fidelity": 0.95},
            "corpora": [{"corpus": "private_album", "files_kept": 3, "heldout_files": 1, "seconds_kept": 90.0}],
            "runs": [{"run": RUN, "corpus": "private_album", "arm": "toy", "gin": ["configs/gin/toy.gin"], "seed": 7,
                      "steps": 100, "exported_checkpoint": {"choice": "best", "step": 80, "saved": 4}, "phase_1_duration": 60,
                      "noise_generator": True, "imported": None,
                      "evaluated_on": "held-out files", "heldout_files": 1, "latent_dims_for_fidelity": {"0.95": 2},
                      "played": {"reconstruction": metrics},
                      "load": {"cpu": "a test CPU", "libtorch": "2.5.0", "cells": cells}}]}


def sound(seconds: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SR)) / SR
    return (0.3 * np.sin(2 * np.pi * rng.uniform(200, 800) * t) * (0.5 + 0.5 * np.sin(2 * np.pi * 0.7 * t))
            + 0.05 * rng.standard_normal(len(t))).astype(np.float32)


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> Path:
    """A results folder as the workflow leaves it for one run, and a private corpus' folder."""
    root = tmp_path_factory.mktemp("release")
    results = root / "results"
    write_json(numbers(), results / "paper/numbers.json")
    (results / "export").mkdir()
    for name in (RUN, f"{RUN}_prior"):
        record_torch_version(scripted(results / f"export/{name}.ts"))  # as the workflow's export does
        check_export(results / f"export/{name}.ts", results / f"nn_host_check/{name}.json", seed=1)
    (results / f"audio/{RUN}/prior").mkdir(parents=True)
    sf.write(results / f"audio/{RUN}/prior/prior_00.wav", sound(3.0, 1), SR, subtype="PCM_16")
    (root / "album").mkdir()
    sf.write(root / "album/side_a.wav", sound(8.0, 2), SR, subtype="PCM_16")
    return root


@pytest.fixture
def workspace(made: Path, tmp_path: Path) -> Path:
    shutil.copytree(made, tmp_path, dirs_exist_ok=True)
    return tmp_path


def make_release(workspace: Path) -> Path:
    return release(RUN, workspace / "results", workspace / f"results/release/{RUN}",
                   workspace / f"results/release/{RUN}.zip", private=True, weights="float32",
                   private_folders=[("private_album", workspace / "album")], seed=1)


def test_a_release_bundles_the_exports_with_their_card_examples_and_checksums(workspace: Path):
    bundle = make_release(workspace)
    files = sorted(p.relative_to(bundle).as_posix() for p in bundle.rglob("*") if p.is_file())
    assert files == ["MODEL_CARD.md", "SHA256SUMS", "examples/prior_00.wav", "model_card.json",
                     f"{RUN}.ts", f"{RUN}_prior.ts"]
    for line in (bundle / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split("  ")
        assert hashlib.sha256((bundle / name).read_bytes()).hexdigest() == digest
    card = json.loads((bundle / "model_card.json").read_text())
    assert card["training_data"] == {"corpus": "private_album", "private": True, "files": 3, "heldout_files": 1,
                                     "seconds": 90.0}
    assert [e["weights"] for e in card["exports"]] == ["float32", "float32"]
    # A host reads the card inside the .ts (nn-host, C++); what nn~ calls is unchanged.
    described = nn_host.describe(bundle / f"{RUN}.ts")
    embedded = json.loads(described["model_card"])
    assert embedded["name"] == RUN and embedded["training_data"]["private"] is True
    assert described["methods"] == nn_host.describe(workspace / f"results/export/{RUN}.ts")["methods"]
    assert described["made_with_torch"] == torch.__version__  # the export's record, kept
    text = (bundle / "MODEL_CARD.md").read_text()
    assert f"Made with torch {torch.__version__}: nn~ " in text
    assert "The training audio is private" in text and f"[nn~ {RUN}.ts forward 2048]" in text
    assert "SI-SDR -20.0 dB; ViSQOL (audio mode, MOS-LQO 1 to 5, higher is better) 2.25." in text
    assert "100 steps (60 in RAVE's phase 1)" in text and "The exports hold the checkpoint of step 80, the one with " in text
    assert "of the 4 the training saved; it was chosen on the held-out files the quality below is measured on" in text
    assert card["training"]["exported_checkpoint"] == {"choice": "best", "step": 80, "saved": 4}
    assert "| 48000 | 2048 | 1 | 1 | 1.00 ms | 2.00 ms |" in text and "| 512 |" not in text  # common buffers only
    archive = workspace / f"results/release/{RUN}.zip"
    first = archive.read_bytes()
    assert sorted(zipfile.ZipFile(archive).namelist()) == sorted(f"{RUN}/{f}" for f in files)
    make_release(workspace)
    assert archive.read_bytes() == first  # the same files make the same archive


def test_private_audio_in_a_release_is_refused_and_the_earlier_bundle_kept(workspace: Path):
    bundle = make_release(workspace)
    sums = (bundle / "SHA256SUMS").read_text()
    # An "example" that is the private album itself, re-encoded at another rate.
    album, _ = sf.read(workspace / "album/side_a.wav", dtype="float32")
    sf.write(workspace / f"results/audio/{RUN}/prior/prior_01.flac", album[::2], SR // 2)
    shutil.move(workspace / f"results/audio/{RUN}/prior/prior_01.flac", workspace / f"results/audio/{RUN}/prior/prior_01.wav")
    with pytest.raises(PrivateDataError, match="examples/prior_01.wav"):
        make_release(workspace)
    assert (bundle / "SHA256SUMS").read_text() == sums and not (bundle / "examples/prior_01.wav").exists()
    assert not bundle.with_name(f"{RUN}.partial").exists()


def test_a_release_without_the_prior_export_names_it(workspace: Path):
    (workspace / f"results/export/{RUN}_prior.ts").unlink()
    with pytest.raises(ReleaseError, match=rf"{RUN}: no .*export/{RUN}_prior\.ts to release"):
        make_release(workspace)
