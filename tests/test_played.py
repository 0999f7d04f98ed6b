"""Held-out files played through an exported model as nn~ plays it: buffer after buffer at batch 1,
a fresh model per file, the delay removed, the compute time measured. Here on a scripted delay line
(a streaming model whose output is its input, late by a known number of samples); the workflow's
own exports are played on the smoke chain (test_chain_smoke)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from electone_rave.corpus.demo_corpus import generate_corpus
from electone_rave.corpus.manifest import build_manifest
from electone_rave.evaluation.played import PLAYED_RECORD, compare_exports, play_heldout, snr_db
from electone_rave.fileio import write_json

DELAY = 209 * 128  # 26,752 samples: about as late as a v2 export (26,736, test_streaming_delay)


class DelayLine(torch.nn.Module):
    """A streaming model as RAVE exports one: nn~'s attributes, a cache kept between calls."""

    def __init__(self, delay: int, gain: float = 1.0):
        super().__init__()
        self.register_buffer("encode_params", torch.tensor([1, 1, 8, 2048]))
        self.register_buffer("cache", torch.zeros(1, 1, delay))
        self.sr = 44100
        self.gain = gain

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        joined = torch.cat([self.cache, x], -1)
        self.cache.copy_(joined[..., joined.shape[-1] - self.cache.shape[-1]:])
        return self.gain * joined[..., : x.shape[-1]]


def scripted(path: Path, gain: float = 1.0) -> Path:
    torch.jit.script(DelayLine(DELAY, gain)).save(str(path))
    return path


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("played")
    generate_corpus("electone", root / "corpus", 4, 6.0, 1970)
    write_json(build_manifest(root / "corpus", heldout_files=2, seed=1), root / "manifest.json")
    return root


def test_each_file_plays_from_a_fresh_model_and_comes_back_aligned(corpus: Path, tmp_path: Path):
    record = play_heldout(scripted(tmp_path / "delay.ts"), corpus / "manifest.json", tmp_path / "played",
                          buffer=2048, threads=1, seed=1)
    assert record["delay_samples"] == DELAY and record["batch"] == 1 and record["buffer"] == 2048
    assert record["files"] == 2 and record["realtime_factor"] > 0
    assert json.loads((tmp_path / "played" / PLAYED_RECORD).read_text()) == record
    manifest = json.loads((corpus / "manifest.json").read_text())
    for row in (r for r in manifest["files"] if r["split"] == "heldout"):
        original, _ = sf.read(corpus / "corpus" / row["file"])
        played, _ = sf.read(tmp_path / "played" / Path(row["file"]).with_suffix(".wav"))
        # the same samples (16-bit WAV both ways): no tail of the previous file, no buffer lost
        np.testing.assert_allclose(played, original, atol=1.5 / 32768)


def test_a_buffer_the_model_cannot_take_is_refused(corpus: Path, tmp_path: Path):
    with pytest.raises(ValueError, match="buffer must be a multiple of the model's ratio 2048, not 1000"):
        play_heldout(scripted(tmp_path / "delay.ts"), corpus / "manifest.json", tmp_path / "out", 1000, 1, 1)


def test_two_exports_are_compared_by_snr_and_metrics(corpus: Path, tmp_path: Path):
    report = compare_exports(scripted(tmp_path / "a.ts"), scripted(tmp_path / "b.ts", gain=0.99),
                             corpus / "manifest.json", tmp_path / "weights.json", 2048, 1, 1)
    assert report["snr_db"]["min"] == pytest.approx(40.0, abs=0.1)  # 1 % off: 20 log10(1 / 0.01)
    assert report["reference"]["metrics"]["log_mel_l1"] < report["candidate"]["metrics"]["log_mel_l1"] + 0.01
    assert snr_db(np.ones(4), np.ones(4)) > 200
