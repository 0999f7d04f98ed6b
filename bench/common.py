"""Shared by the benchmarks: the machine they ran on, commands measured in wall time and peak memory,
and results written as JSON under results/bench/."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "results" / "bench"
BIN = Path(sys.executable).parent  # the venv's electone-rave, rave, snakemake and dvc

# Runs a command and reports its wall time and the peak resident memory (MiB) of its largest process
# (getrusage: the largest single descendant, not the sum of a process tree). With BENCH_GPU_MEMORY set
# (measure(gpu_memory=True)), it also polls nvidia-smi twice a second for the GPU memory in use: the
# CUDA context and PyTorch's cached blocks included, so an upper bound of what training needs (the
# machine is assumed to be otherwise idle).
MEASURE = """
import json, os, resource, subprocess, sys, threading, time
gpu_peak, done = [0.0], threading.Event()
def poll_gpu_memory():
    query = ["nvidia-smi", "--query-gpu=memory.used", "--format=csv,noheader,nounits"]
    while not done.wait(0.5):
        used = subprocess.run(query, capture_output=True, text=True).stdout.split()
        gpu_peak[0] = max([gpu_peak[0], *map(float, used)])
if os.environ.get("BENCH_GPU_MEMORY"):
    threading.Thread(target=poll_gpu_memory, daemon=True).start()
start = time.perf_counter()
code = subprocess.call(sys.argv[2:])
wall = time.perf_counter() - start
done.set()
peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
json.dump({"returncode": code, "wall_s": wall, "peak_rss_mb": peak_kb / 1024,
           "peak_gpu_memory_mb": gpu_peak[0] or None}, open(sys.argv[1], "w"))
"""


@dataclass(frozen=True)
class Measured:
    wall_s: float
    peak_rss_mb: float
    peak_gpu_memory_mb: float | None = None


def env(**extra: str) -> dict[str, str]:
    return {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", **extra}


def measure(cmd: list[str], log: Path, cwd: Path = REPO, gpu_memory: bool = False, **extra_env: str) -> Measured:
    """Run `cmd` to completion (output to `log`); fail, pointing at the log, if it fails."""
    if gpu_memory:
        extra_env["BENCH_GPU_MEMORY"] = "1"
    log.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(suffix=".json") as out, log.open("w") as sink:
        subprocess.run([sys.executable, "-c", MEASURE, out.name, *cmd], cwd=cwd, env=env(**extra_env),
                       stdout=sink, stderr=subprocess.STDOUT, check=True)
        result = json.loads(Path(out.name).read_text())
    if result["returncode"] != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))} failed ({result['returncode']}); see {log}")
    return Measured(result["wall_s"], result["peak_rss_mb"], result["peak_gpu_memory_mb"])


def workflow_database(corpus: Path, work: Path, audio: dict, logs: Path, heldout: int = 0, seed: int = 1970,
                      threads: int | None = None) -> tuple[Measured, Measured]:
    """The workflow's `ingest` then `preprocess` of the audio folder `corpus` into work/db, measured
    (`threads`: ingest's threads and preprocess's decoding workers, as the rules give them)."""
    flags = ["--sample-rate", str(audio["sample_rate"]), "--channels", str(audio["channels"]),
             "--n-signal", str(audio["n_signal"])]
    ingest = measure(["electone-rave", "ingest", "--source", str(corpus), "--out", str(work / "corpus_ingested"),
                      "--manifest", str(work / "manifest.json"), "--report", str(work / "ingest.json"),
                      "--heldout", str(heldout), "--seed", str(seed), "--on-bad-input", "fail", *flags,
                      *(["--threads", str(threads)] if threads else [])], logs / "ingest.log")
    preprocess = measure(["electone-rave", "preprocess", "--manifest", str(work / "manifest.json"),
                          "--out", str(work / "db"), *flags, *(["--workers", str(threads)] if threads else [])],
                         logs / "preprocess.log")
    return ingest, preprocess


def median_wall(cmd: list[str], repeats: int, cwd: Path = REPO) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(cmd, cwd=cwd, env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def workflow_config() -> dict:
    return yaml.safe_load((REPO / "configs" / "config.yaml").read_text())


def machine() -> dict:
    from electone_rave import provenance
    return {"cpu": provenance.cpu_model(), "cores_usable": len(os.sched_getaffinity(0)), **provenance.hardware(),
            "git_commit": provenance.git_commit(REPO), "versions": provenance.versions()}


def write_result(name: str, figures: dict) -> Path:
    from electone_rave.fileio import write_json
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    write_json({"benchmark": name, "machine": machine(), "created_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                **figures}, path)
    return path


# The export flavours the benchmarks compare: stock `rave export`, and the workflow's (matmul_convs.py)
# with each weight type.
EXPORT_FLAGS = {"stock": ["--no-matmul-convolutions"],
                "float32": ["--matmul-convolutions", "--matmul-weights", "float32"],
                "bfloat16": ["--matmul-convolutions", "--matmul-weights", "bfloat16"]}


def workflow_export(config: dict) -> str:
    """The flavour configs/config.yaml selects."""
    return config["export"]["matmul_weights"] if config["export"]["matmul_convolutions"] else "stock"


def untrained_exports(gin: list[str], overrides: list[str], flavours: list[str], work: Path, logs: Path):
    """One seeded untrained model (speed depends on the architecture, not on what was learned) exported
    by `electone-rave export --streaming` in each flavour: yields (flavour, .ts, the export's measure)."""
    from electone_rave.training.untrained_run import untrained_run

    fidelity = workflow_config()["export"]["fidelity"]
    run = untrained_run(gin, overrides, work / "run")
    for flavour in flavours:
        ts = work / f"{flavour}.ts"
        yield flavour, ts, measure(["electone-rave", "export", "--run", str(run), "--out", str(ts), "--streaming",
                                    *EXPORT_FLAGS[flavour], "--fidelity", str(fidelity), "--seed", "0"],
                                   logs / f"export_{flavour}.log")
