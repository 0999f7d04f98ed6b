"""Workflow commands: what a re-run would do, dvc.yaml from the DAG, the private-data guard, and which
saved checkpoint a trained run hands on to its prior and exports (export.checkpoint)."""

from __future__ import annotations

from pathlib import Path

from .commands import arg, command


@command("plan", "what snakemake (or dvc repro) would re-run here, and the trainings' estimated hours",
         arg("--engine", choices=["snakemake", "dvc"], default="snakemake"),
         arg("--config", type=Path, default=Path("configs/config.yaml"), help="for the estimate"))
def cmd_plan(a):
    from collections import Counter

    from ..training.estimate import run_costs, total_hours
    from ..workflow.config import load
    from ..workflow.rerun_plan import PRIOR_RULES, dvc_plan, snakemake_plan, trained_run
    jobs = dvc_plan(Path(".")) if a.engine == "dvc" else snakemake_plan(Path("."))
    if not jobs:
        print(f"{a.engine}: nothing to re-run")
        return
    counts = Counter(job.rule for job in jobs)
    print(f"{a.engine} would run {len(jobs)} jobs: " + ", ".join(f"{rule} {n}" for rule, n in counts.items()))
    runs = sorted({trained_run(job) for job in jobs if job.rule == "train"})
    priors = sorted({trained_run(job) for job in jobs if job.rule in PRIOR_RULES})
    if runs:
        costs = run_costs(load(a.config), runs)
        for cost in costs:
            print("  train " + cost.describe())
        print(f"{len(costs)} RAVE trainings planned: {total_hours(costs)} estimated")
    if priors:
        print(f"{len(priors)} prior trainings planned ({', '.join(priors)}): not estimated")


@command("dvc-stages", "write dvc.yaml from the Snakemake DAG",
         arg("--out", type=Path, default=Path("dvc.yaml")))
def cmd_dvc_stages(a):
    from ..workflow.dvc_stages import write_dvc_yaml
    write_dvc_yaml(a.out)


@command("best-checkpoint", "(rule best_checkpoint; export.checkpoint: best) the run's saved checkpoint with the "
         "lowest held-out error, copied with its config.gin where its prior and exports take it",
         arg("--run", type=Path, required=True, help="results/train/<run>"),
         arg("--work", type=Path, required=True, help="the training's work folder, with its snapshots"),
         arg("--scores", type=Path, required=True, help="results/eval/<run>/checkpoints.json (score_checkpoints)"),
         arg("--out", type=Path, required=True, help="results/best_checkpoint/<run>"))
def cmd_best_checkpoint(a):
    from ..training.best_checkpoint import copy_best_checkpoint
    choice = copy_best_checkpoint(a.run, a.work, a.scores, a.out)
    print(f"{a.out}: step {choice['step']} of {choice['last_step']}, held-out {choice['metric']} "
          f"{choice['held_out']:.4f} (the last: {choice['last_held_out']:.4f})")


@command("check-private-data", "fail if audio is tracked by git or would enter the image",
         arg("--repo", type=Path, default=Path(".")))
def cmd_check_private_data(a):
    from ..workflow.guards import check_private_data
    check_private_data(a.repo)
    print(f"{a.repo}: no audio tracked by git or reaching the Docker build context")
