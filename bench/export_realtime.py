"""Benchmark 2: the exported streaming model on the CPU, as nn~ runs it (one buffer at a time):
real-time factor with 1 and 2 threads, for the full-size Electone config (v2 + noise, no overrides),
of stock `rave export` and of the workflow's export (matmul_convs.py) with float32 and with bfloat16
weights, and the ratios to stock. `workflow_export` names the one configs/config.yaml selects.

The weights are untrained (seeded): speed depends on the architecture, not on what was learned."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import torch
from common import EXPORT_FLAGS, RESULTS, untrained_exports, workflow_config, workflow_export, write_result

LOGS = RESULTS / "logs" / "export_realtime"  # kept: a failed step says which log to read


def main(argv: list[str] | None = None) -> dict:
    config = workflow_config()
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--gin", nargs="+", default=config["arms"]["electone"]["gin"])
    parser.add_argument("--override", nargs="*", default=[], help="gin bindings (the default is full size)")
    parser.add_argument("--seconds", type=float, default=10.0, help="audio per measurement")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--larger-buffers", type=int, nargs="*", default=[4096, 8192],
                        help="nn~ buffer sizes also measured, on one thread: the live fallback when "
                             "the default buffer is not real time")
    args = parser.parse_args(argv)
    from electone_rave.evaluation.realtime import realtime_factor

    buffer = config["evaluation"]["realtime_buffer"]
    figures = {"gin": args.gin, "overrides": args.override, "buffer": buffer, "audio_seconds": args.seconds,
               "target_realtime_factor_1_thread": 0.35, "workflow_export": workflow_export(config),
               "cpu_native_bfloat16": torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported()}
    with tempfile.TemporaryDirectory(prefix="bench-export-") as tmp:
        for name, ts, export in untrained_exports(args.gin, args.override, list(EXPORT_FLAGS), Path(tmp), LOGS):
            figures[f"{name}_export_wall_s"] = export.wall_s
            figures[f"{name}_model_mb"] = ts.stat().st_size / 1e6
            figures[f"{name}_export_realtime_factor"] = {
                str(t): realtime_factor(ts, buffer=buffer, threads=t, seconds=args.seconds)["realtime_factor"]
                for t in args.threads}
            figures[f"{name}_export_realtime_factor_1_thread_by_buffer"] = {
                str(b): realtime_factor(ts, buffer=b, threads=1, seconds=args.seconds)["realtime_factor"]
                for b in args.larger_buffers}
    figures["speedup_vs_stock"] = {name: {t: figures["stock_export_realtime_factor"][t] / rtf
                                          for t, rtf in figures[f"{name}_export_realtime_factor"].items()}
                                   for name in ("float32", "bfloat16")}

    path = write_result("export_realtime", figures)
    for name in EXPORT_FLAGS:
        print("%s export, buffer %d: RTF %s; one thread, buffer %s" % (
            name, buffer, ", ".join(f"{v:.3f} on {k} thread(s)" for k, v in figures[f"{name}_export_realtime_factor"].items()),
            ", ".join(f"{b}: {v:.3f}" for b, v in figures[f"{name}_export_realtime_factor_1_thread_by_buffer"].items())))
    for name, ratios in figures["speedup_vs_stock"].items():
        print("%s export vs stock: %s" % (name, ", ".join(f"{v:.2f}x on {k} thread(s)" for k, v in ratios.items())))
    print(f"the workflow's export (configs/config.yaml): {figures['workflow_export']} -> {path}")
    return figures


if __name__ == "__main__":
    main()
