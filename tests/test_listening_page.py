"""The listening page: clips cut and loudness-matched as the page says, and the page itself checked in
headless Chromium (every audio source plays its file's duration, nothing leaves file://)."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import unquote

import numpy as np
import pytest
import soundfile as sf

from conftest import run
from electone_rave.evaluation.audio_metrics import loudness_lufs
from electone_rave.listening_page.browser_check import check_page
from electone_rave.listening_page.clips import PEAK_CEILING_DB, loudest_window, match_loudness, write_clip

RATE = 44100


def tone(seconds: float, amplitude: float, freq: float = 440.0) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def test_the_excerpt_is_the_loudest_window():
    audio = np.concatenate([tone(3.0, 0.01), tone(2.0, 0.5), tone(4.0, 0.01)])
    start = loudest_window(audio, RATE, 2.0)
    assert abs(start / RATE - 3.0) <= 0.1
    assert loudest_window(audio[: RATE], RATE, 2.0) == 0  # shorter than the window: from the start


def test_clips_are_matched_to_the_target_loudness():
    quiet = tone(4.0, 0.02)
    matched, gain_db = match_loudness(quiet, RATE, -23.0)
    assert abs(loudness_lufs(matched, RATE) - -23.0) < 0.1
    assert gain_db > 10


def test_matching_never_lifts_a_peak_above_the_ceiling():
    # A quiet tone with one full-scale click: reaching -14 LUFS would clip, so the gain stops at the ceiling.
    peaky = tone(4.0, 0.01)
    peaky[RATE] = 0.9
    matched, _ = match_loudness(peaky, RATE, -14.0)
    assert 20 * np.log10(np.max(np.abs(matched))) == pytest.approx(PEAK_CEILING_DB, abs=0.01)
    assert loudness_lufs(matched, RATE) < -14.0
    silence = np.zeros(RATE, dtype=np.float32)
    assert match_loudness(silence, RATE, -23.0)[1] == 0.0


def test_a_clip_is_the_same_span_of_its_source(tmp_path: Path):
    source = tmp_path / "source.wav"
    audio = np.concatenate([tone(1.0, 0.1, 220.0), tone(2.0, 0.1, 880.0)])
    sf.write(source, audio, RATE, subtype="FLOAT")
    clip = write_clip(source, RATE, 1.5, -20.0, tmp_path / "clip.wav")
    written, rate = sf.read(clip.path, dtype="float32")
    assert rate == RATE and len(written) == int(1.5 * RATE) and clip.seconds == pytest.approx(1.5)
    expected = audio[RATE: RATE + len(written)] * 10 ** (clip.gain_db / 20)
    assert np.max(np.abs(written - expected)) < 1e-3  # 16-bit rounding
    assert clip.loudness_lufs == pytest.approx(-20.0, abs=0.2)


@pytest.mark.browser
def test_the_browser_check_catches_what_a_reader_would_hit(tmp_path: Path, chromium: str):
    """A page with a good clip, a missing clip, a WAV whose header lies, and a CDN image."""
    sf.write(tmp_path / "good.wav", tone(1.25, 0.1), RATE, subtype="PCM_16")
    (tmp_path / "broken.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEnot audio at all")
    page = tmp_path / "index.html"
    page.write_text('<!DOCTYPE html><html><body>'
                    '<audio src="good.wav"></audio><audio src="missing.wav"></audio><audio src="broken.wav"></audio>'
                    '<img src="https://cdn.example.org/logo.png"></body></html>')
    report = check_page(page)
    problems = "\n".join(report["problems"])
    assert "good.wav" not in problems
    assert "missing.wav" in problems and "broken.wav" in problems
    assert report["outside_requests"] == ["https://cdn.example.org/logo.png"]
    good = next(a for a in report["audio"] if a["src"].endswith("good.wav"))
    assert good["duration"] == pytest.approx(1.25, abs=1e-3)

    page.write_text('<!DOCTYPE html><html><body><audio src="good.wav"></audio></body></html>')
    assert check_page(page)["problems"] == []


@pytest.mark.slow
@pytest.mark.browser
def test_the_chain_renders_a_page_that_plays_in_chromium(chain: Path, chromium: str):
    page = chain / "results/site/index.html"
    screenshot = chain / "results/site/screenshot.png"
    run(["electone-rave", "check-listening-page", str(page), "--screenshot", str(screenshot),
         "--report", str(chain / "results/site/check.json")], chain)
    report = json.loads((chain / "results/site/check.json").read_text())
    numbers = json.loads((chain / "results/paper/numbers.json").read_text())
    config = json.loads((chain / "results/config.json").read_text())

    # Every held-out file of each corpus: the original and one reconstruction per run on that corpus;
    # then one prior generation per temperature.
    expected = 0
    for corpus in {r["corpus"] for r in numbers["runs"]}:
        manifest = json.loads((chain / f"data/manifests/{corpus}.json").read_text())
        heldout = sum(row["split"] == "heldout" for row in manifest["files"])
        expected += heldout * (1 + sum(r["corpus"] == corpus for r in numbers["runs"]))
    expected += len(config["site"]["prior_temperatures"]) * sum(r["prior"] for r in numbers["runs"])
    assert len(report["audio"]) == expected
    assert len(report["images"]) == expected + 3  # a spectrogram per clip, and the three figures

    # Clips play at the configured loudness, or as close as the peak ceiling lets them.
    for audio in report["audio"]:
        clip, rate = sf.read(unquote(audio["src"].removeprefix("file://")))
        at_target = abs(loudness_lufs(clip, rate) - config["site"]["loudness_lufs"]) < 0.5
        at_ceiling = 20 * np.log10(np.max(np.abs(clip))) > PEAK_CEILING_DB - 0.1
        assert at_target or at_ceiling, audio["src"]
    assert screenshot.read_bytes().startswith(b"\x89PNG")

    html = page.read_text()
    assert numbers["git_commit"] in html and f"profile <strong>{numbers['profile']}</strong>" in html
    for model in ("baseline.ts", "electone.ts", "electone_prior.ts"):
        assert (chain / "results/site/media/models" / model).read_bytes() == (chain / "results/export" / model).read_bytes()
        assert f"[nn~ {model} forward " in html
    assert "[nn~ electone_prior.ts prior " in html
    listed = {row["path"] for row in json.loads((chain / "results/manifest.json").read_text())["artefacts"]}
    assert "results/site/index.html" in listed and "paper/electone-rave.pdf" in listed
