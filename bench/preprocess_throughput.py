"""Benchmark 1: preprocessing throughput, in seconds of audio per wall second, of the workflow's
ingest + preprocess against stock `rave preprocess` on the same corpus, for corpora made like real
ones: an album's worth of generated tracks of different lengths (3 to 5 minutes by default), as
16-bit mono WAV, as float32 WAV (as MusicNet ships) and as stereo 48 kHz FLAC, OGG and MP3 (as
albums come)."""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
from pathlib import Path

from common import RESULTS, measure, workflow_config, workflow_database, write_result
from electone_rave.preprocess.database import count_entries

LOGS = RESULTS / "logs" / "preprocess_throughput"  # kept: a failed step says which log to read
# How each corpus is made from the generated WAV files: (file extension, ffmpeg output options).
FORMATS = {
    "wav_pcm16_mono_44k": (".wav", ["-c:a", "pcm_s16le"]),  # the generated format
    "wav_float32_stereo_48k": (".wav", ["-ac", "2", "-ar", "48000", "-c:a", "pcm_f32le"]),
    "flac_stereo_48k": (".flac", ["-ac", "2", "-ar", "48000", "-c:a", "flac"]),
    "ogg_stereo_48k": (".ogg", ["-ac", "2", "-ar", "48000", "-c:a", "libvorbis", "-q:a", "5"]),
    "mp3_stereo_48k": (".mp3", ["-ac", "2", "-ar", "48000", "-c:a", "libmp3lame", "-b:a", "192k"]),
}


def track_lengths(files: int, longest: float) -> list[int]:
    """Whole seconds from 60 % of the longest to all of it, evenly spread: tracks of an album differ
    in length (ingest compares by sound only files within 2 s of each other's length)."""
    return [round(longest * (0.6 + 0.4 * i / max(1, files - 1))) for i in range(files)]


def encode(generated: Path, out: Path, kind: str, lengths: list[int]) -> Path:
    """The generated corpus cut to `lengths` and encoded as one of FORMATS (not timed)."""
    suffix, options = FORMATS[kind]
    out.mkdir()
    for wav, seconds in zip(sorted(generated.glob("*.wav")), lengths, strict=True):
        subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(wav), "-t", str(seconds), *options,
                        str(out / (wav.stem + suffix))], check=True)
    return out


def compare(corpus: Path, work: Path, audio: dict, audio_seconds: float, threads: int, kind: str,
            repeats: int) -> dict:
    """Stock `rave preprocess` and the workflow's ingest + preprocess on one corpus, as figures: each
    side `repeats` times, the two alternating (and which goes first) so that a slower spell of the
    machine falls on both, and each side's fastest run compared (the others are kept in the JSON)."""
    logs = LOGS / kind
    stock_runs, our_runs = [], []

    def stock() -> None:
        shutil.rmtree(work / "stock_db", ignore_errors=True)
        stock_runs.append(measure(["rave", "preprocess", f"--input_path={corpus}", f"--output_path={work / 'stock_db'}",
                                   f"--channels={audio['channels']}", f"--sampling_rate={audio['sample_rate']}",
                                   f"--num_signal={audio['n_signal']}"], logs / "stock.log", cwd=work))

    def ours() -> None:
        for folder in ("corpus_ingested", "db"):  # each run starts from nothing, as stock's does
            shutil.rmtree(work / folder, ignore_errors=True)
        our_runs.append(workflow_database(corpus, work, audio, logs, threads=threads))

    for repeat in range(repeats):  # stock first, then the workflow first, ...
        for side in (stock, ours) if repeat % 2 == 0 else (ours, stock):
            side()
    chunks = {"stock": count_entries(work / "stock_db"), "workflow": count_entries(work / "db")}
    if chunks["stock"] != chunks["workflow"]:
        raise RuntimeError(f"{kind}: the databases differ: {chunks} chunks; a faster side that dropped audio "
                           "would not be faster")
    stock = min(stock_runs, key=lambda run: run.wall_s)
    ingest, ours = min(our_runs, key=lambda runs: runs[0].wall_s + runs[1].wall_s)
    ours_wall = ingest.wall_s + ours.wall_s
    return {
        "database_chunks": chunks["workflow"],
        "stock_rave_preprocess": {"wall_s": stock.wall_s, "peak_rss_mb": stock.peak_rss_mb,
                                  "x_realtime": audio_seconds / stock.wall_s,
                                  "wall_s_each_run": [run.wall_s for run in stock_runs]},
        "workflow": {"ingest_wall_s": ingest.wall_s, "preprocess_wall_s": ours.wall_s, "wall_s": ours_wall,
                     "peak_rss_mb": max(ingest.peak_rss_mb, ours.peak_rss_mb),
                     "x_realtime": audio_seconds / ours_wall,
                     # the stage that does what rave preprocess does (ingest checks and converts first)
                     "preprocess_x_realtime": audio_seconds / ours.wall_s,
                     "wall_s_each_run": [a.wall_s + b.wall_s for a, b in our_runs]},
        "speed_ratio_workflow_to_stock": stock.wall_s / ours_wall,
        "speed_ratio_preprocess_stage_to_stock": stock.wall_s / ours.wall_s,
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=12)
    parser.add_argument("--seconds", type=float, default=300.0, help="the longest file; the others down to 60 %% of it")
    parser.add_argument("--threads", type=int, default=2, help="ingest's decoding threads and preprocess's workers")
    parser.add_argument("--formats", nargs="+", choices=FORMATS, default=list(FORMATS))
    parser.add_argument("--repeats", type=int, default=3, help="runs of each side per format; the fastest counts")
    args = parser.parse_args(argv)
    audio = workflow_config()["audio"]
    lengths = track_lengths(args.files, args.seconds)
    audio_seconds = float(sum(lengths))

    formats = {}
    with tempfile.TemporaryDirectory(prefix="bench-preprocess-") as tmp:
        generated = Path(tmp) / "generated"
        measure(["electone-rave", "demo-corpus", "--style", "electone", "--out", str(generated), "--files",
                 str(args.files), "--seconds", str(args.seconds), "--seed", "1970"], LOGS / "demo.log")
        for kind in args.formats:
            work = Path(tmp) / kind
            work.mkdir()
            corpus = encode(generated, work / "corpus", kind, lengths)
            formats[kind] = compare(corpus, work, audio, audio_seconds, args.threads, kind, args.repeats)
            row = formats[kind]
            print(f"{kind}: stock rave preprocess {row['stock_rave_preprocess']['x_realtime']:.0f}x real time, "
                  f"workflow (ingest + preprocess) {row['workflow']['x_realtime']:.0f}x, "
                  f"ratio {row['speed_ratio_workflow_to_stock']:.2f}")

    figures = {
        "corpus": {"files": args.files, "seconds_per_file": lengths, "audio_seconds": audio_seconds,
                   "threads": args.threads},
        "repeats": args.repeats,
        "formats": formats,
        "slowest_speed_ratio_workflow_to_stock": min(f["speed_ratio_workflow_to_stock"] for f in formats.values()),
        "slowest_workflow_x_realtime": min(f["workflow"]["x_realtime"] for f in formats.values()),
        "target_x_realtime": 150,
        "target_speed_ratio_to_stock": 1.0,
    }
    path = write_result("preprocess_throughput", figures)
    print(f"preprocessing {audio_seconds:.0f} s of audio in each format: slowest ratio to stock "
          f"{figures['slowest_speed_ratio_workflow_to_stock']:.2f}, slowest workflow "
          f"{figures['slowest_workflow_x_realtime']:.0f}x real time -> {path}")
    return figures


if __name__ == "__main__":
    main()
