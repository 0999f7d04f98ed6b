"""Benchmark 4: how quickly the workflow answers when nothing changed: `snakemake -n` and
`dvc status` on a finished run of this checkout (`make demo` first). Target: under 5 s each."""

from __future__ import annotations

import argparse
import subprocess

from common import REPO, env, median_wall, write_result


def says(cmd: list[str], expected: str) -> bool:
    done = subprocess.run(cmd, cwd=REPO, env=env(), capture_output=True, text=True)
    return expected in done.stdout + done.stderr


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    if not (REPO / "results" / "manifest.json").is_file() or not (REPO / "dvc.lock").is_file():
        raise SystemExit("workflow_overhead: no finished run here (results/manifest.json and dvc.lock): "
                         "run `make demo` first")
    if not says(["snakemake", "-n"], "Nothing to be done") or not says(["dvc", "status"], "up to date"):
        raise SystemExit("workflow_overhead: the run here is not up to date (snakemake -n or dvc status has "
                         "work to do), so a rerun would not be a no-op: run `make demo` first")
    figures = {"repeats": args.repeats, "target_s": 5.0,
               "snakemake_dry_run_s": median_wall(["snakemake", "-n", "--quiet"], args.repeats),
               "dvc_status_s": median_wall(["dvc", "status"], args.repeats)}
    path = write_result("workflow_overhead", figures)
    print(f"no-op: snakemake -n {figures['snakemake_dry_run_s']:.2f} s, dvc status {figures['dvc_status_s']:.2f} s "
          f"(median of {args.repeats}) -> {path}")
    return figures


if __name__ == "__main__":
    main()
