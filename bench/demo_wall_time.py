"""Benchmark 5: how long a newcomer's `make demo` takes after `make setup`, on a fresh clone of this
checkout's commit (with this checkout's venv), and where the time goes:
the seconds of each rule that has a `benchmark:` file (the heavy ones). A whole demo run (about 6
minutes on 2 cores), so `make bench` leaves it out: `python bench/run_all.py --only demo_wall_time`.
Target: 20 minutes."""

from __future__ import annotations

import argparse
import csv
import subprocess
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from common import REPO, env, write_result

LOG = REPO / "results" / "bench" / "logs" / "demo_wall_time.log"


def fresh_clone(dest: Path) -> Path:
    """A clone of this checkout's commit (no dvc.lock, no results), with this checkout's venv linked in."""
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(dest)], check=True)
    (dest / ".venv").symlink_to(REPO / ".venv")
    return dest


def seconds_by_rule(benchmarks: Path) -> dict[str, float]:
    """Wall seconds per rule, summed over its jobs (Snakemake's benchmark files)."""
    totals: dict[str, float] = defaultdict(float)
    for tsv in benchmarks.rglob("*.tsv"):
        rule = tsv.relative_to(benchmarks).parts[0]
        with tsv.open() as rows:
            totals[rule] += sum(float(row["s"]) for row in csv.DictReader(rows, delimiter="\t"))
    return dict(sorted(totals.items(), key=lambda item: -item[1]))


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.parse_args(argv)
    LOG.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bench-demo-") as tmp, LOG.open("w") as log:
        work = fresh_clone(Path(tmp) / "clone")
        start = time.perf_counter()
        # `make demo` as a user runs it once `make setup` is done (its venv is this checkout's).
        done = subprocess.run(["make", "-o", ".venv/.installed", "-o", ".venv/bin/nn-host", "-o", "system-deps", "demo"],
                              cwd=work, env=env(), stdout=log, stderr=subprocess.STDOUT)
        wall = time.perf_counter() - start
        if done.returncode != 0:
            raise RuntimeError(f"make demo failed ({done.returncode}); see {LOG}")
        by_rule = seconds_by_rule(work / "results" / "benchmarks")
        trainings = len(list((work / "results" / "benchmarks" / "train").glob("*.tsv")))
        releases = sorted(p.name for p in (work / "results" / "release").glob("*.zip"))
    figures = {"make_demo_wall_s": wall, "make_demo_minutes": wall / 60, "target_minutes": 20.0,
               "trainings": trainings, "release_bundles": releases, "rule_seconds": by_rule,
               "train_share_of_wall_time": by_rule.get("train", 0.0) / wall}
    path = write_result("demo_wall_time", figures)
    print(f"make demo after setup: {figures['make_demo_minutes']:.1f} min ({trainings} trainings, "
          f"{figures['train_share_of_wall_time']:.0%} of it training; release bundles: {', '.join(releases)}) -> {path}")
    return figures


if __name__ == "__main__":
    main()
