"""Benchmark 3: training throughput (steps per second once training runs, and peak memory) of the
workflow's `electone-rave train` against stock `rave train` with the same flags, at demo size on
the CPU; with --device cuda, at full size (v2 + noise, batch 8) on the GPU. From the measured
speed, the hours the full profile's training budget costs."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from common import REPO, RESULTS, measure, workflow_config, write_result

ELECTONE_GIN = "configs/gin/electone_v2_noise.gin"

LOGS = RESULTS / "logs" / "train_throughput"  # kept: a failed step says which log to read


def steady_steps_per_second(tensorboard_dir: Path, last_step: int) -> float:
    """Steps per second between the first logged step and the one before `last_step`: start-up
    (building the model, the sanity validation) and the checkpoint saved at the last step, which
    Lightning logs after saving, are not counted."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    points = []
    for events in sorted({p.parent for p in tensorboard_dir.rglob("events.out.tfevents.*")}):
        acc = EventAccumulator(str(events), size_guidance={"scalars": 0})
        acc.Reload()
        for tag in acc.Tags()["scalars"]:
            points += [(e.step, e.wall_time) for e in acc.Scalars(tag) if e.step < last_step - 1]
    if len({step for step, _ in points}) < 2:
        raise RuntimeError(f"{tensorboard_dir}: fewer than two logged steps before the last; raise --steps")
    (first_step, first_time), (final_step, final_time) = min(points), max(points)
    return (final_step - first_step) / (final_time - first_time)


def demo_database(work: Path, config: dict) -> Path:
    """The demo profile's Electone corpus, ingested and preprocessed (not timed)."""
    audio, corpus = config["audio"], config["profiles"]["demo"]["corpus"]
    flags = ["--sample-rate", str(audio["sample_rate"]), "--channels", str(audio["channels"]),
             "--n-signal", str(audio["n_signal"])]
    measure(["electone-rave", "demo-corpus", "--style", "electone", "--out", str(work / "demo"),
             "--files", str(corpus["files"]), "--seconds", str(corpus["seconds"]), "--seed", str(config["seed"])],
            LOGS / "demo.log")
    measure(["electone-rave", "ingest", "--source", str(work / "demo"), "--out", str(work / "flac"),
             "--manifest", str(work / "manifest.json"), "--report", str(work / "ingest.json"),
             "--heldout", str(corpus["heldout_files"]), "--seed", str(config["seed"]), "--on-bad-input", "fail",
             *flags], LOGS / "ingest.log")
    measure(["electone-rave", "preprocess", "--manifest", str(work / "manifest.json"), "--out", str(work / "db"),
             *flags], LOGS / "preprocess.log")
    return work / "db"


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=40, help="measured: those before the last")
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    args = parser.parse_args(argv)
    from electone_rave.training import StepBudget, rave_train_flags

    config = workflow_config()
    if args.device == "cuda":
        import torch
        if not torch.cuda.is_available():
            raise SystemExit("train_throughput: --device cuda, but torch sees no CUDA device")
        profile, gpus, overrides = "full", [0], []
    else:
        profile, gpus, overrides = "demo", [-1], config["profiles"]["demo"]["train"]["overrides"]
    train = config["profiles"][profile]["train"]
    # No validation inside the measured steps; one checkpoint at the end, which the workflow collects.
    budget = StepBudget(max_steps=args.steps, val_every=10 * args.steps, save_every=args.steps,
                        batch=train["batch"], workers=0, log_every_n_steps=2, overrides=overrides)
    audio = config["audio"]

    with tempfile.TemporaryDirectory(prefix="bench-train-") as tmp:
        work = Path(tmp)
        db = demo_database(work, config)
        stock_flags = rave_train_flags("stock", db, work / "stock", ["v2", "noise"], budget, audio["sample_rate"],
                                       audio["channels"], audio["n_signal"], gpus)
        # Lightning reads its Trainer defaults from PL_TRAINER_*: how the workflow sets the logging
        # interval without touching RAVE, and how a stock user would.
        stock = measure(["rave", "train", *stock_flags], LOGS / "stock.log", cwd=work,
                        PL_TRAINER_LOG_EVERY_N_STEPS=str(budget.log_every_n_steps))
        stock_speed = steady_steps_per_second(work / "stock", args.steps)

        ours = measure(["electone-rave", "train", "--name", "ours", "--db", str(db), "--gin", str(REPO / ELECTONE_GIN),
                        "--out", str(work / "out"), "--work", str(work / "ours"), "--max-steps", str(args.steps),
                        "--val-every", str(budget.val_every), "--batch", str(budget.batch), "--workers", "0",
                        "--log-every", "2", "--save-every", str(args.steps), "--seed", str(config["seed"]),
                        "--gpu", *map(str, gpus),
                        *(["--override", *overrides] if overrides else []),
                        "--sample-rate", str(audio["sample_rate"]), "--channels", str(audio["channels"]),
                        "--n-signal", str(audio["n_signal"])], LOGS / "ours.log")
        ours_speed = steady_steps_per_second(work / "out" / "tensorboard", args.steps)

    full = config["profiles"]["full"]["train"]
    figures = {
        "device": args.device, "profile_size": profile, "steps": args.steps, "batch": budget.batch,
        "overrides": overrides,
        "stock_rave_train": {"steps_per_second": stock_speed, "wall_s": stock.wall_s, "peak_rss_mb": stock.peak_rss_mb},
        "workflow": {"steps_per_second": ours_speed, "wall_s": ours.wall_s, "peak_rss_mb": ours.peak_rss_mb},
        "speed_ratio_workflow_to_stock": ours_speed / stock_speed,
    }
    if args.device == "cuda":
        # Phase 1 only (full size keeps PHASE_1_DURATION): the adversarial phase 2 is slower (25-35 %
        # at demo size on the CPU), so this is a lower bound for one training of the full profile.
        figures["one_full_training_gpu_hours_at_phase_1_speed"] = full["max_steps"] / ours_speed / 3600
    path = write_result(f"train_throughput_{args.device}", figures)
    print(f"training at {profile} size on {args.device}: stock {stock_speed:.2f} steps/s, workflow "
          f"{ours_speed:.2f} steps/s (ratio {figures['speed_ratio_workflow_to_stock']:.2f}), peak "
          f"{ours.peak_rss_mb:.0f} MB -> {path}")
    return figures


if __name__ == "__main__":
    main()
