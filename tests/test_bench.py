"""The benchmark scripts run and write their figures (at toy sizes: the figures themselves are for
`make bench`, never asserted as speeds here)."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from conftest import REPO, make_workspace, run

sys.path.insert(0, str(REPO / "bench"))
from nn_host_load import fastest_cells, main as nn_host_load  # noqa: E402
from train_throughput import steady_steps_per_second  # noqa: E402


def test_steady_speed_leaves_out_start_up_and_the_final_checkpoint(tmp_path: Path):
    """Steps logged every 0.5 s after a slow start, and a last step that waited for a checkpoint."""
    from torch.utils.tensorboard import SummaryWriter
    writer = SummaryWriter(str(tmp_path))
    for step in range(2, 11):
        delay = 60.0 if step == 10 else 0.0
        writer.add_scalar("loss", 1.0 / step, step, walltime=1000.0 + 0.5 * step + delay)
    writer.close()
    assert steady_steps_per_second(tmp_path, last_step=10) == pytest.approx(2.0)
    with pytest.raises(RuntimeError, match="fewer than two logged steps"):
        steady_steps_per_second(tmp_path, last_step=4)


def test_each_cell_keeps_its_fastest_repeat_whole():
    def cell(buffer, median, p99):
        return {"sample_rate": 44100, "buffer": buffer, "threads": 1, "batch": 1, "median_ms": median, "p99_ms": p99}
    repeats = [{"cells": [cell(2048, 20.0, 30.0), cell(4096, 40.0, 41.0)]},
               {"cells": [cell(4096, 35.0, 60.0), cell(2048, 25.0, 26.0)]}]  # another order, as a grid may write
    assert fastest_cells(repeats) == [{**cell(2048, 20.0, 30.0), "median_ms_each_repeat": [20.0, 25.0]},
                                      {**cell(4096, 35.0, 60.0), "median_ms_each_repeat": [40.0, 35.0]}]


def test_a_grid_without_repeats_is_refused_before_anything_runs(capsys):
    with pytest.raises(SystemExit):
        nn_host_load(["--repeats", "0"])
    assert "--repeats 0: at least one grid of each export is needed" in capsys.readouterr().err


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    return make_workspace(tmp_path_factory.mktemp("bench"), "smoke")


def bench(workspace: Path, script: str, *args: str, result: str | None = None) -> dict:
    run([sys.executable, f"bench/{script}.py", *args], workspace)
    return json.loads((workspace / "results/bench" / f"{result or script}.json").read_text())


@pytest.mark.slow
def test_preprocess_throughput_compares_the_workflow_with_stock_rave(workspace: Path):
    figures = bench(workspace, "preprocess_throughput", "--files", "3", "--seconds", "12",
                    "--formats", "wav_pcm16_mono_44k", "mp3_stereo_48k", "--repeats", "2")
    assert figures["corpus"]["seconds_per_file"] == [7, 10, 12] and figures["corpus"]["audio_seconds"] == 29.0
    assert set(figures["formats"]) == {"wav_pcm16_mono_44k", "mp3_stereo_48k"}
    for row in figures["formats"].values():
        assert row["database_chunks"] == 4  # 5.9 s RAVE chunks: 1 + 1 + 2, the same on both sides
        stock, ours = row["stock_rave_preprocess"], row["workflow"]
        assert ours["wall_s"] == pytest.approx(ours["ingest_wall_s"] + ours["preprocess_wall_s"])
        assert len(stock["wall_s_each_run"]) == len(ours["wall_s_each_run"]) == 2  # alternating, the fastest counts
        assert stock["wall_s"] == min(stock["wall_s_each_run"]) and ours["wall_s"] == pytest.approx(min(ours["wall_s_each_run"]))
        assert row["speed_ratio_workflow_to_stock"] == pytest.approx(stock["wall_s"] / ours["wall_s"])
        assert stock["peak_rss_mb"] > 50 and ours["peak_rss_mb"] > 50  # a Python process with torch, at least
    assert figures["slowest_speed_ratio_workflow_to_stock"] == min(
        row["speed_ratio_workflow_to_stock"] for row in figures["formats"].values())
    assert figures["machine"]["cores_usable"] >= 1 and figures["machine"]["versions"]["acids-rave"] == "2.3.1"


@pytest.mark.slow
def test_nn_host_load_times_the_grid_of_both_exports_and_their_ratio(workspace: Path):
    figures = bench(workspace, "nn_host_load", "--override", "CAPACITY=4", "LATENT_SIZE=8", "--seconds", "0.5",
                    "--sample-rates", "44100", "--buffers", "2048", "4096", "--threads", "1", "2", "--batches", "1",
                    "--repeats", "2")
    assert figures["workflow_export"] == "float32" and figures["repeats"] == 2
    for export in ("stock", "float32"):
        cells = figures[export]["cells"]
        assert {(c["buffer"], c["threads"]) for c in cells} == {(2048, 1), (2048, 2), (4096, 1), (4096, 2)}
        assert all(0 < c["median_ms"] <= c["p99_ms"] for c in cells)
        assert all(len(c["median_ms_each_repeat"]) == 2 and c["median_ms"] == min(c["median_ms_each_repeat"])
                   for c in cells)
        assert figures[export]["summary"]["buffer"] == 2048
    assert len(figures["speedup_vs_stock"]) == 4 and all(r["median"] > 0 for r in figures["speedup_vs_stock"])
    assert set(figures["goals"]) == {"float32_at_least_3x_stock_1_thread_buffer_2048", "two_threads_never_slower_than_one"}


@pytest.mark.slow
def test_export_realtime_measures_each_thread_count_and_buffer(workspace: Path):
    figures = bench(workspace, "export_realtime", "--override", "CAPACITY=4", "LATENT_SIZE=8",
                    "--seconds", "1", "--threads", "1", "2", "--larger-buffers", "4096")
    for export in ("stock", "float32", "bfloat16"):
        assert set(figures[f"{export}_export_realtime_factor"]) == {"1", "2"}
        assert all(v > 0 for v in figures[f"{export}_export_realtime_factor"].values())
        assert list(figures[f"{export}_export_realtime_factor_1_thread_by_buffer"]) == ["4096"]
        assert figures[f"{export}_export_realtime_factor_1_thread_by_buffer"]["4096"] > 0
        assert figures[f"{export}_model_mb"] > 0
    assert {name: set(ratios) for name, ratios in figures["speedup_vs_stock"].items()} == {
        "float32": {"1", "2"}, "bfloat16": {"1", "2"}}
    assert figures["buffer"] == 2048 and figures["workflow_export"] == "float32"  # the config's choice
    logs = workspace / "results/bench/logs/export_realtime"
    for weights in ("float32", "bfloat16"):  # the matrix-product exports are the converted ones
        log = (logs / f"export_{weights}.log").read_text()
        converted = re.search(r"streaming convolutions as matrix products, (\d+) of them with bfloat16 weights", log)
        assert (int(converted.group(1)) > 0) == (weights == "bfloat16")
    assert "matrix products" not in (logs / "export_stock.log").read_text()


@pytest.mark.slow
def test_train_throughput_compares_the_workflow_with_stock_rave(workspace: Path):
    figures = bench(workspace, "train_throughput", "--steps", "8", result="train_throughput_cpu")
    assert figures["device"] == "cpu" and figures["scale"] == "demo"
    for side in ("stock_rave_train", "workflow"):
        assert figures[side]["steps_per_second"] > 0 and figures[side]["peak_rss_mb"] > 100
    assert set(figures["workflow_by_precision"]) == {"32"} and figures["workflow"]["final_losses"]
    assert figures["stock_rave_train"]["peak_gpu_memory_mb"] is None  # no GPU polled on the CPU
    assert not any("gpu_hours" in key for key in figures)  # only a GPU measurement gives GPU-hours


@pytest.mark.slow
def test_workflow_overhead_needs_a_finished_run(workspace: Path):
    done = run([sys.executable, "bench/workflow_overhead.py"], workspace, check=False)
    assert done.returncode != 0 and "make demo" in done.stderr
