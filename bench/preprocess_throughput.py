"""Benchmark 1: preprocessing throughput, in seconds of audio per wall second, of the workflow's
ingest + preprocess against stock `rave preprocess` on the same generated corpus."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from common import RESULTS, measure, workflow_config, workflow_database, write_result
from electone_rave.preprocess.database import count_entries

LOGS = RESULTS / "logs" / "preprocess_throughput"  # kept: a failed step says which log to read


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30.0, help="per file")
    parser.add_argument("--threads", type=int, default=2, help="ingest's decoding threads and preprocess's workers")
    args = parser.parse_args(argv)
    audio = workflow_config()["audio"]
    rate, channels, n_signal = str(audio["sample_rate"]), str(audio["channels"]), str(audio["n_signal"])

    with tempfile.TemporaryDirectory(prefix="bench-preprocess-") as tmp:
        work = Path(tmp)
        corpus = work / "corpus"
        measure(["electone-rave", "demo-corpus", "--style", "electone", "--out", str(corpus), "--files",
                 str(args.files), "--seconds", str(args.seconds), "--seed", "1970"], LOGS / "demo.log")
        audio_seconds = args.files * args.seconds

        stock = measure(["rave", "preprocess", f"--input_path={corpus}", f"--output_path={work / 'stock_db'}",
                         f"--channels={channels}", f"--sampling_rate={rate}", f"--num_signal={n_signal}"],
                        LOGS / "stock.log", cwd=work)
        ingest, ours = workflow_database(corpus, work, audio, LOGS, threads=args.threads)
        chunks = {"stock": count_entries(work / "stock_db"), "workflow": count_entries(work / "db")}
        if chunks["stock"] != chunks["workflow"]:
            raise RuntimeError(f"the databases differ: {chunks} chunks; a faster side that dropped audio "
                               "would not be faster")

    ours_wall = ingest.wall_s + ours.wall_s
    figures = {
        "corpus": {"files": args.files, "seconds_per_file": args.seconds, "audio_seconds": audio_seconds,
                   "database_chunks": chunks["workflow"]},
        "stock_rave_preprocess": {"wall_s": stock.wall_s, "peak_rss_mb": stock.peak_rss_mb,
                                  "x_realtime": audio_seconds / stock.wall_s},
        "workflow": {"ingest_wall_s": ingest.wall_s, "preprocess_wall_s": ours.wall_s, "wall_s": ours_wall,
                     "peak_rss_mb": max(ingest.peak_rss_mb, ours.peak_rss_mb),
                     "x_realtime": audio_seconds / ours_wall,
                     # the stage that does what rave preprocess does (ingest checks and converts first)
                     "preprocess_x_realtime": audio_seconds / ours.wall_s},
        "speed_ratio_workflow_to_stock": stock.wall_s / ours_wall,
        "speed_ratio_preprocess_stage_to_stock": stock.wall_s / ours.wall_s,
        "target_x_realtime": 150,
    }
    path = write_result("preprocess_throughput", figures)
    print(f"preprocessing {audio_seconds:.0f} s of audio: stock rave preprocess {figures['stock_rave_preprocess']['x_realtime']:.1f}x "
          f"real time, workflow (ingest + preprocess) {figures['workflow']['x_realtime']:.1f}x, "
          f"ratio {figures['speed_ratio_workflow_to_stock']:.2f}; the preprocess stage alone "
          f"{figures['workflow']['preprocess_x_realtime']:.1f}x, ratio "
          f"{figures['speed_ratio_preprocess_stage_to_stock']:.2f} -> {path}")
    return figures


if __name__ == "__main__":
    main()
