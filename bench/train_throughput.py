"""Benchmark 3: training throughput (steps per second once training runs, and peak memory) of the
workflow's `electone-rave train` against stock `rave train` with the same flags, at demo size on
the CPU; with --device cuda, at full size (v2 + noise, batch 8) on the GPU. From the measured
speed, the hours the full scale's training budget costs."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from common import RESULTS, measure, workflow_config, workflow_database, write_result

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
    """The demo scale's Electone corpus, ingested and preprocessed (not timed)."""
    audio, corpus = config["audio"], config["scales"]["demo"]["corpus"]
    measure(["electone-rave", "demo-corpus", "--style", "electone", "--out", str(work / "demo"),
             "--files", str(corpus["files"]), "--seconds", str(corpus["seconds"]), "--seed", str(config["seed"])],
            LOGS / "demo.log")
    workflow_database(work / "demo", work, audio, LOGS, heldout=corpus["heldout_files"], seed=config["seed"])
    return work / "db"


def final_losses(tensorboard_dir: Path, tags=("multiband_spectral_distance", "fullband_spectral_distance")) -> dict:
    """Each reconstruction loss at the last logged step: how mixed precision moves the metrics."""
    from electone_rave.evaluation.metrics import read_scalars
    last = {}
    for row in read_scalars(tensorboard_dir):  # sorted by tag, then step
        if row["tag"] in tags:
            last[row["tag"]] = row["value"]
    return last


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=40, help="measured: those before the last")
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    parser.add_argument("--db", type=Path, help="an existing preprocessed database (default: the demo corpus, made here)")
    parser.add_argument("--precision", nargs="+", choices=["32", "16", "bf16"],
                        help="workflow runs, one per Lightning precision (default: 32; on cuda: 32 and bf16)")
    args = parser.parse_args(argv)
    from electone_rave.training.gin_stack import resolve
    from electone_rave.training.train import StepBudget, rave_train_flags

    config = workflow_config()
    on_gpu = args.device == "cuda"
    if on_gpu:
        import torch
        if not torch.cuda.is_available():
            raise SystemExit("train_throughput: --device cuda, but torch sees no CUDA device")
        scale, gpus, overrides = "full", [0], []
    else:
        scale, gpus, overrides = "demo", [-1], config["scales"]["demo"]["train"]["overrides"]
    precisions = args.precision or (["32", "bf16"] if on_gpu else ["32"])
    train = config["scales"][scale]["train"]
    gin = config["arms"]["electone"]["gin"]
    # No validation inside the measured steps; one checkpoint at the end, which the workflow collects.
    budget = StepBudget(max_steps=args.steps, val_every=10 * args.steps, save_every=args.steps,
                        batch=train["batch"], workers=0, log_every_n_steps=2, overrides=overrides)
    audio = config["audio"]

    with tempfile.TemporaryDirectory(prefix="bench-train-") as tmp:
        work = Path(tmp)
        db = args.db.resolve() if args.db else demo_database(work, config)
        stock_flags = rave_train_flags("stock", db, work / "stock", ["v2", "noise"], budget, audio["sample_rate"],
                                       audio["channels"], audio["n_signal"], gpus)
        # Lightning reads its Trainer defaults from PL_TRAINER_*: how the workflow sets the logging
        # interval without touching RAVE, and how a stock user would.
        stock = measure(["rave", "train", *stock_flags], LOGS / "stock.log", cwd=work, gpu_memory=on_gpu,
                        PL_TRAINER_LOG_EVERY_N_STEPS=str(budget.log_every_n_steps))
        stock_speed = steady_steps_per_second(work / "stock", args.steps)

        workflow = {}
        for precision in precisions:
            out = work / f"out_{precision}"
            ours = measure(["electone-rave", "train", "--name", "ours", "--db", str(db),
                            "--gin", *(str(resolve(g).resolve()) for g in gin),
                            "--out", str(out), "--work", str(work / f"ours_{precision}"),
                            "--max-steps", str(args.steps), "--precision", precision,
                            "--val-every", str(budget.val_every), "--batch", str(budget.batch), "--workers", "0",
                            "--log-every", "2", "--save-every", str(args.steps), "--seed", str(config["seed"]),
                            "--gpu", *map(str, gpus),
                            *(["--override", *overrides] if overrides else []),
                            "--sample-rate", str(audio["sample_rate"]), "--channels", str(audio["channels"]),
                            "--n-signal", str(audio["n_signal"])], LOGS / f"ours_{precision}.log", gpu_memory=on_gpu)
            speed = steady_steps_per_second(out / "tensorboard", args.steps)
            workflow[precision] = {"steps_per_second": speed, "speed_ratio_to_stock": speed / stock_speed,
                                   "wall_s": ours.wall_s, "peak_rss_mb": ours.peak_rss_mb,
                                   "peak_gpu_memory_mb": ours.peak_gpu_memory_mb,
                                   "final_losses": final_losses(out / "tensorboard")}

    full = config["scales"]["full"]["train"]
    figures = {
        "device": args.device, "scale": scale, "steps": args.steps, "batch": budget.batch,
        "overrides": overrides, "database": str(db) if args.db else "demo corpus, made by the benchmark",
        "stock_rave_train": {"steps_per_second": stock_speed, "wall_s": stock.wall_s, "peak_rss_mb": stock.peak_rss_mb,
                             "peak_gpu_memory_mb": stock.peak_gpu_memory_mb},
        "workflow": workflow["32"] if "32" in workflow else None,
        "workflow_by_precision": workflow,
    }
    if on_gpu:
        import torch
        figures["cudnn_allow_tf32"] = torch.backends.cudnn.allow_tf32  # PyTorch's default: convolutions in TF32
        # Phase 1 only (full size keeps PHASE_1_DURATION): the adversarial phase 2 is slower (25-35 %
        # at demo size on the CPU), so this is a lower bound for one training of the full scale.
        figures["one_full_training_gpu_hours_at_phase_1_speed"] = {
            precision: full["max_steps"] / w["steps_per_second"] / 3600 for precision, w in workflow.items()}
    path = write_result(f"train_throughput_{args.device}", figures)
    for precision, w in workflow.items():
        gpu = f", GPU memory {w['peak_gpu_memory_mb']:.0f} MB" if w["peak_gpu_memory_mb"] else ""
        print(f"training at {scale} size on {args.device}, precision {precision}: stock {stock_speed:.2f} steps/s, "
              f"workflow {w['steps_per_second']:.2f} steps/s (ratio {w['speed_ratio_to_stock']:.2f}), peak "
              f"{w['peak_rss_mb']:.0f} MB{gpu}")
    print(f"-> {path}")
    return figures


if __name__ == "__main__":
    main()
