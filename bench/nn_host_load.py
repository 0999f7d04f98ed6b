"""Benchmark: the load a musician will see in nn~, for the full-size Electone config (v2 + noise,
seeded untrained weights: speed depends on the architecture, not on what was learned). Stock
`rave export` and the workflow's export (the weights configs/config.yaml selects) are each played by
nn-host, the package's C++ host of nn~'s backend, over the config's load grid (evaluation.load_grid:
sample rates, nn~ buffers, threads, batch 1 and mc.nn~'s 4): per cell the median and 99th-percentile
time per buffer, the share of buffers past their deadline and nn~'s delay (an untrained model's own
streaming delay is not measured: model_delay_samples is 0). Ratios to stock per cell (stock's median
time / the export's), and the headroom goals of issue #23 as measured facts.

A shared machine's speed drifts from one minute to the next, so the grids alternate (stock, the
export, stock, ...; `--repeats` of each) and each cell keeps its fastest repeat, whose figures count
(every repeat's median is kept in the JSON beside it).

`weights_floor` bounds what any export with these weights can reach on one thread: each buffer
reads every weight once, at best at the core's streaming read speed (a sum over 512 MB on one
thread), so stock's time over that floor is the largest ratio to stock the weight type allows. Beside
it, the speed at which libtorch's matrix product reads weights with 1, 2 and 8 rows (the frames a
layer sees per buffer at batch 1): what the export's layers can reach with the kernels nn~ ships.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from common import RESULTS, untrained_exports, workflow_config, workflow_export, write_result

from electone_rave.evaluation.load_grid import SUMMARY, load_grid, smallest_safe_buffers

LOGS = RESULTS / "logs" / "nn_host_load"
GOAL_BUFFER, GOAL_SPEEDUP = 2048, 3.0


def weights_floor(ts_file: Path) -> dict:
    """The export's weights and the time one thread needs to read them once at its streaming speed."""
    import torch

    weight_bytes = sum(p.numel() * p.element_size() for p in torch.jit.load(str(ts_file)).parameters())
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        block = torch.ones(2 ** 27)  # 512 MB of float32: far larger than any cache
        times = []
        for _ in range(7):
            start = time.perf_counter()
            block.sum()
            times.append(time.perf_counter() - start)
        read_bytes_per_second = block.numel() * block.element_size() / statistics.median(times)
        del block
        products = {str(rows): product_read_speed(rows) / 1e9 for rows in (1, 2, 8)}
    finally:
        torch.set_num_threads(previous)
    return {"weight_megabytes": weight_bytes / 1e6, "one_thread_read_gb_per_s": read_bytes_per_second / 1e9,
            "floor_ms": 1000 * weight_bytes / read_bytes_per_second, "product_read_gb_per_s_by_rows": products}


def product_read_speed(rows: int, inputs: int = 2304, outputs: int = 768, calls: int = 60) -> float:
    """Bytes of weights per second that torch.nn.functional.linear reads with `rows` input rows (a v2
    layer's shape), each call on another copy of the weights so none is served from a cache."""
    import torch

    weights = [torch.randn(outputs, inputs) for _ in range(int(512e6 // (4 * inputs * outputs)))]
    x = torch.randn(rows, inputs)
    times = []
    for i in range(calls):
        start = time.perf_counter()
        torch.nn.functional.linear(x, weights[i % len(weights)])
        times.append(time.perf_counter() - start)
    return 4 * inputs * outputs / statistics.median(times[10:])


def cell_key(cell: dict) -> tuple:
    return cell["sample_rate"], cell["buffer"], cell["threads"], cell["batch"]


def fastest_cells(records: list[dict]) -> list[dict]:
    """Per cell, the repeat with the lowest median (its figures whole), with every repeat's median."""
    repeats = [{cell_key(c): c for c in record["cells"]} for record in records]
    return [{**min((r[cell_key(c)] for r in repeats), key=lambda cell: cell["median_ms"]),
             "median_ms_each_repeat": [r[cell_key(c)]["median_ms"] for r in repeats]}
            for c in records[0]["cells"]]


def main(argv: list[str] | None = None) -> dict:
    config = workflow_config()
    grid = config["evaluation"]["load_grid"]
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--gin", nargs="+", default=config["arms"]["electone"]["gin"])
    parser.add_argument("--override", nargs="*", default=[], help="gin bindings (the default is full size)")
    parser.add_argument("--seconds", type=float, default=2.0, help="audio per cell")
    parser.add_argument("--repeats", type=int, default=3, help="grids of each export, alternating; a cell's fastest counts")
    for axis in ("sample_rates", "buffers", "threads", "batches"):
        parser.add_argument(f"--{axis.replace('_', '-')}", type=int, nargs="+", default=grid[axis])
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error(f"--repeats {args.repeats}: at least one grid of each export is needed")
    chosen = workflow_export(config)
    exports = ["stock"] + ([chosen] if chosen != "stock" else [])
    figures = {"gin": args.gin, "overrides": args.override, "audio_seconds_per_cell": args.seconds,
               "workflow_export": chosen, "repeats": args.repeats}
    with tempfile.TemporaryDirectory(prefix="bench-nn-host-") as tmp:
        made = {name: ts for name, ts, _ in untrained_exports(args.gin, args.override, exports, Path(tmp), LOGS)}
        records = {name: [] for name in made}
        for repeat in range(args.repeats):
            for name, ts in made.items():
                records[name].append(load_grid(ts, None, Path(tmp) / f"{name}_{repeat}.json", args.sample_rates,
                                               args.buffers, args.threads, args.batches, args.seconds, seed=0))
        for name, ts in made.items():
            cells = fastest_cells(records[name])
            figures[name] = {"libtorch": records[name][0]["libtorch"],
                             "summary": next((c for c in cells if cell_key(c) == cell_key(SUMMARY)), None),
                             "smallest_buffer_without_misses": smallest_safe_buffers(cells), "cells": cells,
                             "weights_floor": weights_floor(ts)}
    stock = {cell_key(c): c for c in figures["stock"]["cells"]}
    cells = figures[chosen]["cells"]
    figures["speedup_vs_stock"] = [{"sample_rate": c["sample_rate"], "buffer": c["buffer"], "threads": c["threads"],
                                    "batch": c["batch"], "median": stock[cell_key(c)]["median_ms"] / c["median_ms"]}
                                   for c in cells]
    by_key = {cell_key(c): c for c in cells}
    goal_cells = [r for r in figures["speedup_vs_stock"]
                  if (r["buffer"], r["threads"], r["batch"]) == (GOAL_BUFFER, 1, 1)]
    goal_stock = [c["median_ms"] for c in figures["stock"]["cells"] if (c["buffer"], c["threads"], c["batch"]) == (GOAL_BUFFER, 1, 1)]
    floor = figures[chosen]["weights_floor"]
    floor["largest_ratio_to_stock_at_goal"] = min(goal_stock) / floor["floor_ms"] if goal_stock else None
    figures["goals"] = {
        f"{chosen}_at_least_{GOAL_SPEEDUP:g}x_stock_1_thread_buffer_{GOAL_BUFFER}":
            bool(goal_cells) and all(r["median"] >= GOAL_SPEEDUP for r in goal_cells),
        "two_threads_never_slower_than_one": all(
            c["median_ms"] <= by_key[(c["sample_rate"], c["buffer"], 1, c["batch"])]["median_ms"]
            for c in cells if c["threads"] == 2 and (c["sample_rate"], c["buffer"], 1, c["batch"]) in by_key),
    }

    path = write_result("nn_host_load", figures)
    for name in exports:
        for c in figures[name]["cells"]:
            if c["sample_rate"] == args.sample_rates[0]:
                print(f"{name}: buffer {c['buffer']}, {c['threads']} thread(s), batch {c['batch']}: median "
                      f"{c['median_ms']:.1f} ms, p99 {c['p99_ms']:.1f} ms of {c['deadline_ms']:.1f}, missed "
                      f"{100 * c['missed_share']:.0f} %")
    for r in figures["speedup_vs_stock"]:
        if r["sample_rate"] == args.sample_rates[0]:
            print(f"{chosen} vs stock, buffer {r['buffer']}, {r['threads']} thread(s), batch {r['batch']}: "
                  f"{r['median']:.2f}x")
    print(f"{chosen}: {floor['weight_megabytes']:.0f} MB of weights, read at {floor['one_thread_read_gb_per_s']:.1f} GB/s "
          f"by one thread: at least {floor['floor_ms']:.1f} ms per buffer, at most "
          f"{floor['largest_ratio_to_stock_at_goal'] or float('nan'):.2f}x stock at buffer {GOAL_BUFFER}")
    print(f"goals: {figures['goals']} -> {path}")
    return figures


if __name__ == "__main__":
    main()
