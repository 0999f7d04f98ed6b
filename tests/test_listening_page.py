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
from electone_rave.corpus.manifest import build_manifest
from electone_rave.evaluation.audio_metrics import loudness_lufs
from electone_rave.evaluation.prior_generation import inlet_value, temperature_file_name
from electone_rave.fileio import write_json
from electone_rave.report.listening_page.browser_check import check_page
from electone_rave.report.listening_page.clips import PEAK_CEILING_DB, loudest_window, match_loudness, write_clip
from electone_rave.report.listening_page.render import render
from electone_rave.workflow.config import is_private

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


def test_a_noise_floor_is_not_raised_to_the_target():
    floor = np.random.default_rng(0).normal(0, 10 ** (-85 / 20), 4 * RATE).astype(np.float32)
    matched, gain_db = match_loudness(floor, RATE, -23.0)
    assert gain_db == 0.0 and np.array_equal(matched, floor)


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
    """A page with a good clip, a missing clip, a WAV that is not audio, a clip and a download outside
    the page's folder (they would break once published), and a CDN image."""
    site = tmp_path / "site"
    site.mkdir()
    sf.write(site / "good.wav", tone(1.25, 0.1), RATE, subtype="PCM_16")
    sf.write(tmp_path / "elsewhere.wav", tone(1.0, 0.1), RATE, subtype="PCM_16")
    (tmp_path / "model.ts").write_bytes(b"not shipped with the page")
    (site / "broken.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEnot audio at all")
    page = site / "index.html"
    page.write_text('<!DOCTYPE html><html><body>'
                    '<audio src="good.wav"></audio><audio src="missing.wav"></audio><audio src="broken.wav"></audio>'
                    '<audio src="../elsewhere.wav"></audio><a href="../model.ts">model</a>'
                    '<a href="https://github.com/acids-ircam/nn_tilde">nn~</a>'
                    '<img src="https://cdn.example.org/logo.png"></body></html>')
    report = check_page(page)
    problems = "\n".join(report["problems"])
    assert "good.wav" not in problems and "nn_tilde" not in problems  # a link to another site is fine
    assert "missing.wav" in problems and "broken.wav" in problems
    assert "elsewhere.wav: outside" in problems and "model.ts: outside" in problems
    assert report["outside_requests"] == ["https://cdn.example.org/logo.png"]
    good = next(a for a in report["audio"] if a["src"].endswith("good.wav"))
    assert good["duration"] == pytest.approx(1.25, abs=1e-3)

    page.write_text('<!DOCTYPE html><html><body><audio src="good.wav"></audio></body></html>')
    assert check_page(page)["problems"] == []


def fake_numbers(runs: list[tuple[str, str, bool]]) -> dict:
    """numbers.json as paper_numbers writes it, with the fields the page reads."""
    metrics = {"multiscale_spectral_distance": 1.0, "log_mel_l1": 2.0, "loudness_error_lu": 3.0,
               "flatness_error": 0.1, "centroid_error_hz": 50.0, "frechet_mfcc_distance": 7.0}
    return {
        "scale": "smoke", "seed": 1, "git_commit": "0" * 40, "versions": {"acids-rave": "2.3.1", "torch": "2.5.0"},
        "hardware": {"machine": "x86_64", "cuda_available": False, "cpu_threads": 2}, "corpus": {"files": 2, "seconds": 3.0},
        "train": {"max_steps": 6, "batch": 2, "overrides": ["CAPACITY=4"]}, "audio": {"sample_rate": RATE},
        "corpora": [{"corpus": "électone", "files_found": 2, "files_kept": 2, "heldout_files": 1,
                     "seconds_kept": 6.0, "seconds_in_database": 2.0}],
        "runs": [{"run": run, "corpus": corpus, "noise_generator": noise, "reconstruction": metrics,
                  "realtime": {"realtime_factor": 0.5, "threads": 1, "buffer": 2048},
                  "played": {"reconstruction": metrics, "realtime_factor": 0.6, "threads": 1, "buffer": 2048},
                  "load": {"libtorch": "2.5.0", "cpu": "a test CPU", "cells": [
                      {"sample_rate": rate, "buffer": buffer, "threads": 1, "batch": 1, "median_ms": buffer / 1000,
                       "p99_ms": buffer / 500, "missed_share": 0.25 if buffer == 512 else 0.0,
                       "delay_ms": 1000 * (2 * buffer - 64) / rate}
                      for rate in (44100, 48000) for buffer in (512, 2048)]}}
                 for run, corpus, noise in runs],
    }


def small_page(tmp_path: Path) -> dict:
    """render()'s arguments for a page of small files: one corpus (named with an accent), a held-out
    file named with spaces, accents and '#', two runs and a prior sweep at two temperatures."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in ("Électone #2 side A.wav", "train.wav"):
        sf.write(corpus / name, tone(3.0, 0.2), RATE, subtype="PCM_16")
    manifest = build_manifest(corpus, heldout_files=1, seed=1)
    heldout = next(row["file"] for row in manifest["files"] if row["split"] == "heldout")
    write_json(manifest, tmp_path / "manifest.json")
    reconstructions = {}
    for run in ("quiet_run", "noisy_run"):
        reconstructions[run] = tmp_path / run
        reconstructions[run].mkdir()
        sf.write(reconstructions[run] / f"{Path(heldout).stem}.wav", tone(3.0, 0.05), RATE, subtype="PCM_16")
    prior = tmp_path / "prior"
    prior.mkdir()
    for temperature in (0.5, 1.0):
        sf.write(prior / temperature_file_name(temperature), tone(1.5, 0.1), RATE, subtype="PCM_16")
    write_json(fake_numbers([("quiet_run", "électone", False), ("noisy_run", "électone", True)]),
               tmp_path / "numbers.json")
    (tmp_path / "paper.pdf").write_bytes(b"%PDF-1.7 stand-in")
    site = tmp_path / "site"
    return dict(numbers_file=tmp_path / "numbers.json", manifests={"électone": tmp_path / "manifest.json"},
                reconstructions=reconstructions, priors={"quiet_run": prior}, temperatures=[0.5, 1.0],
                figures=[], models=[], paper=tmp_path / "paper.pdf", clip_seconds=2.0, lufs=-20.0,
                buffer=2048, html=site / "index.html", media_folder=site / "media")


def test_the_load_grid_is_a_table_per_run(tmp_path: Path):
    """Rows by sample rate, threads and batch, a column per buffer, the delay heard per sample rate."""
    html = render(**small_page(tmp_path)).read_text()
    section = html[html.index('id="load"'):html.index('id="provenance"')]
    assert section.count("<details") == 2 and "<code>quiet_run</code>" in section and "a test CPU" in section
    assert "<th>buffer 512</th><th>buffer 2048</th>" in section
    assert "0.51 / 1.02 ms, 25 %" in section and "2.05 / 4.10 ms, 0 %" in section
    assert section.count("delay heard") == 4 and f"{1000 * (2 * 2048 - 64) / 48000:.0f} ms" in section


def test_a_private_corpus_has_no_clips_unless_the_page_is_local_only(tmp_path: Path):
    arguments = small_page(tmp_path)
    site = arguments["html"].parent
    render(**arguments, private={"électone"})
    html = (site / "index.html").read_text()
    assert "électone is private" in html and "Local only" not in html
    clips = sorted(p.relative_to(site / "media/audio").as_posix() for p in (site / "media/audio").rglob("*.wav"))
    assert clips == ["prior/quiet_run/temperature_0.5.wav", "prior/quiet_run/temperature_1.wav"]  # generations stay

    render(**arguments, private={"électone"}, local_only=True)
    html = (site / "index.html").read_text()
    assert html.index("Local only: do not publish this page.") < html.index("<h1>")
    assert "électone is private" not in html and len(list((site / "media/audio/électone").rglob("*.wav"))) == 3


@pytest.mark.browser
def test_the_page_holds_every_clip_and_names_with_spaces_and_accents_play(tmp_path: Path, chromium: str):
    """Rendered from small files: the row per held-out file, noise-on runs first, the prior per
    temperature; a corpus file named with spaces, accents and '#' still plays from the page."""
    arguments = small_page(tmp_path)
    site = arguments["html"].parent
    render(**arguments)

    report = check_page(site / "index.html")
    assert report["problems"] == []
    durations = sorted(round(a["duration"], 3) for a in report["audio"])
    assert durations == [1.5, 1.5, 2.0, 2.0, 2.0]  # two prior clips; original + two runs, 2 s each
    html = (site / "index.html").read_text()
    # effective temperatures, each with the value a user sends the prior's inlet in nn~
    assert "temperature 0.5 (nn~ inlet -0.88)" in html and "temperature 1 (nn~ inlet 0.00)" in html
    assert html.index("noisy_run (noise on)") < html.index("quiet_run (noise off)")

    next(arguments["reconstructions"]["noisy_run"].glob("*.wav")).unlink()
    with pytest.raises(FileNotFoundError, match="noisy_run has no reconstruction"):
        render(**arguments)


@pytest.mark.slow
@pytest.mark.browser
def test_the_chain_renders_a_page_that_plays_in_chromium(chromium: str, chain: Path):
    """On the smoke chain, after test_chain_smoke has reworked parts of it: the page is checked
    against what the run that made it recorded (its manifest), not against later files."""
    page = chain / "results/site/index.html"
    screenshot = chain / "results/site/screenshot.png"
    run(["electone-rave", "check-listening-page", str(page), "--screenshot", str(screenshot),
         "--report", str(chain / "results/site/check.json")], chain)
    report = json.loads((chain / "results/site/check.json").read_text())
    numbers = json.loads((chain / "results/paper/numbers.json").read_text())
    config = json.loads((chain / "results/config.json").read_text())

    # Every held-out file of each public corpus: the original and one reconstruction per run on that
    # corpus (a private corpus has none: test_chain_smoke.test_no_private_audio_is_published); then one
    # prior generation per temperature; then the transfers.
    expected = 0
    for corpus in {r["corpus"] for r in numbers["runs"]} - {c for c in config["corpora"] if is_private(config, c)}:
        manifest = json.loads((chain / f"data/manifests/{corpus}.json").read_text())
        heldout = sum(row["split"] == "heldout" for row in manifest["files"])
        expected += heldout * (1 + sum(r["corpus"] == corpus for r in numbers["runs"]))
    expected += len(config["site"]["prior_temperatures"]) * sum(r["prior"] for r in numbers["runs"])
    # H3: each public corpus played through the other corpus' ablation pair, the original and each run.
    for pair in numbers["transfer"]["pairs"]:
        if not is_private(config, pair["source"]):
            manifest = json.loads((chain / f"data/manifests/{pair['source']}.json").read_text())
            heldout = sum(row["split"] == "heldout" for row in manifest["files"])
            expected += heldout * (1 + len(pair["with_noise"]) + len(pair["without_noise"]))
    assert len(report["audio"]) == expected
    assert len(report["images"]) == expected + 3  # a spectrogram per clip, and the three figures

    # Clips play at the configured loudness, or as close as the peak ceiling lets them; excerpts
    # last site.clip_seconds (the smoke files are longer), generations evaluation.prior_seconds.
    prior_seconds = config["scales"]["smoke"]["evaluation"]["prior_seconds"]
    for audio in report["audio"]:
        clip, rate = sf.read(unquote(audio["src"].removeprefix("file://")))
        at_target = abs(loudness_lufs(clip, rate) - config["site"]["loudness_lufs"]) < 0.5
        at_ceiling = 20 * np.log10(np.max(np.abs(clip))) > PEAK_CEILING_DB - 0.1
        assert at_target or at_ceiling, audio["src"]
        expected = prior_seconds if "/prior/" in audio["src"] else config["site"]["clip_seconds"]
        assert audio["duration"] == pytest.approx(expected, abs=1e-3), audio["src"]
    assert screenshot.read_bytes().startswith(b"\x89PNG")

    html = page.read_text()
    assert numbers["git_commit"] in html and f"scale <strong>{numbers['scale']}</strong>" in html
    assert html.index("acids-rave 2.3.1") < html.index('id="data"')  # versions stated at the top
    assert html.index("baseline_noise (noise on)") < html.index("baseline (noise off)")
    reconstructions, transfers = html[html.index('id="reconstructions"'):html.index('id="transfer"')], \
        html[html.index('id="transfer"'):]
    assert "electone (noise on)" not in reconstructions  # private: its runs have no clips of its files
    assert "electone (noise on)" in transfers  # but its models play the public corpus (H3)
    for model in ("baseline.ts", "electone.ts", "electone_prior.ts"):
        assert f"[nn~ {model} forward " in html
    assert "[nn~ electone_prior.ts prior " in html
    sweep = json.loads((chain / "results/audio/electone/prior_temperatures/temperatures.json").read_text())
    assert [(row["effective_temperature"], row["nn_tilde_inlet"]) for row in sweep] == \
        [(t, round(inlet_value(t), 4)) for t in config["site"]["prior_temperatures"]]
    assert numbers["site"]["prior_inlet_values"] == [round(inlet_value(t), 2) for t in config["site"]["prior_temperatures"]]

    manifest = json.loads((chain / "results/manifest.json").read_text())
    sha = {row["path"]: row["sha256"] for row in manifest["artefacts"]}
    assert "results/site/index.html" in sha and "paper/electone-rave.pdf" in sha
    for model in ("baseline.ts", "electone.ts", "electone_prior.ts"):
        assert sha[f"results/site/media/models/{model}"] == sha[f"results/export/{model}"]
