"""Benchmark 2: the exported streaming model on the CPU, as nn~ runs it (one buffer at a time):
real-time factor with 1 and 2 threads, for the full-size Electone config (v2 + noise, no overrides).

The weights are untrained (seeded): speed depends on the architecture, not on what was learned."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from common import RESULTS, measure, workflow_config, write_result

LOGS = RESULTS / "logs" / "export_realtime"  # kept: a failed step says which log to read


def untrained_run(gin_files: list[str], overrides: list[str], out: Path, seed: int = 0) -> Path:
    # gin_files: a run's stack from the config (repository files, or configs RAVE ships by name)
    """A run folder as `rave train` leaves it (config.gin + a checkpoint), with fresh weights."""
    import gin
    import rave
    import torch

    from electone_rave.gin_stack import resolve
    from electone_rave.rave_launcher import drop_cwd_from_path

    gin_paths = [str(resolve(g).resolve()) for g in gin_files]  # run from the repository, as make bench does
    drop_cwd_from_path()
    torch.manual_seed(seed)
    gin.clear_config()
    gin.parse_config_files_and_bindings(gin_paths, [*overrides, "RAVE.n_channels = 1"])
    model = rave.RAVE(n_channels=1)
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.gin").write_text(gin.operative_config_str())
    torch.save({"state_dict": model.state_dict(), "callbacks": {}}, out / "model.ckpt")
    gin.clear_config()
    return out


def main(argv: list[str] | None = None) -> dict:
    config = workflow_config()
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--gin", nargs="+", default=config["runs"]["electone"]["gin"])
    parser.add_argument("--override", nargs="*", default=[], help="gin bindings (the default is full size)")
    parser.add_argument("--seconds", type=float, default=10.0, help="audio per measurement")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--larger-buffers", type=int, nargs="*", default=[4096, 8192],
                        help="nn~ buffer sizes also measured, on one thread: the live fallback when "
                             "the default buffer is not real time")
    args = parser.parse_args(argv)
    from electone_rave.evaluation.realtime import realtime_factor

    buffer = config["evaluation"]["realtime_buffer"]
    with tempfile.TemporaryDirectory(prefix="bench-export-") as tmp:
        work = Path(tmp)
        run = untrained_run(args.gin, args.override, work / "run")
        ts = work / "electone.ts"
        export = measure(["electone-rave", "export", "--run", str(run), "--out", str(ts), "--streaming",
                          "--fidelity", str(config["export"]["fidelity"]), "--seed", "0"], LOGS / "export.log")
        rtf = {str(t): realtime_factor(ts, buffer=buffer, threads=t, seconds=args.seconds)["realtime_factor"]
               for t in args.threads}
        rtf_by_buffer = {str(b): realtime_factor(ts, buffer=b, threads=1, seconds=args.seconds)["realtime_factor"]
                         for b in args.larger_buffers}
        size_mb = ts.stat().st_size / 1e6

    figures = {"gin": args.gin, "overrides": args.override, "buffer": buffer, "audio_seconds": args.seconds, "model_mb": size_mb,
               "export_wall_s": export.wall_s,
               "stock_export_realtime_factor": rtf,
               "stock_export_realtime_factor_1_thread_by_buffer": rtf_by_buffer,
               "target_realtime_factor_1_thread": 0.35}
    path = write_result("export_realtime", figures)
    print("streaming export, buffer %d: RTF %s (stock rave export); one thread, buffer %s -> %s"
          % (buffer, ", ".join(f"{v:.3f} on {k} thread(s)" for k, v in rtf.items()),
             ", ".join(f"{b}: {v:.3f}" for b, v in rtf_by_buffer.items()), path))
    return figures


if __name__ == "__main__":
    main()
