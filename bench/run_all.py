"""Every benchmark, one after the other (they share the machine's cores, so never in parallel):
results/bench/<benchmark>.json each, and one line per figure on the terminal.

    make bench                                   # or: python bench/run_all.py
    python bench/run_all.py --only export_realtime
    python bench/run_all.py --only demo_wall_time  # a whole `make demo` (about 6 minutes): not in the default set
"""

from __future__ import annotations

import argparse

import demo_wall_time
import export_realtime
import nn_host_load
import preprocess_throughput
import train_throughput
import workflow_overhead

BENCHMARKS = {
    "preprocess_throughput": preprocess_throughput.main,
    "export_realtime": export_realtime.main,
    "nn_host_load": nn_host_load.main,
    "train_throughput": train_throughput.main,
    "workflow_overhead": workflow_overhead.main,
    "demo_wall_time": demo_wall_time.main,
}
DEFAULT = [name for name in BENCHMARKS if name != "demo_wall_time"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="+", choices=sorted(BENCHMARKS), default=DEFAULT)
    args = parser.parse_args()
    import torch

    runs = [(name, []) for name in args.only]
    if "train_throughput" in args.only and torch.cuda.is_available():
        runs.append(("train_throughput", ["--device", "cuda"]))
    for name, flags in runs:
        print(f"== {name} {' '.join(flags)}", flush=True)
        try:
            BENCHMARKS[name](flags)
        except SystemExit as skipped:  # a benchmark that cannot run here says why and the rest go on
            print(f"   skipped: {skipped}", flush=True)


if __name__ == "__main__":
    main()
