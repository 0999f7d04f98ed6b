"""Evaluation commands: TensorBoard scalars, reconstructions (checkpoint and played export), the prior, speed, the replication and the noise ablation."""

from __future__ import annotations

from pathlib import Path

from .ablation_pairs import PAIRS_ARG
from .commands import FILES_ARG, arg, command, named


# How an export is played, as nn~ plays it (play-heldout, compare-exports).
PLAYED_AS_NN_TILDE = (
    arg("--buffer", type=int, required=True, help="nn~'s buffer: samples per forward call"),
    arg("--threads", type=int, required=True),
    arg("--seed", type=int, required=True),
    arg("--config-gin", type=Path, help="the run's config.gin: its architecture sets the delay removed "
        "(without it, for a .ts alone, the delay is estimated from the output)"),
)


@command("metrics", "export a run's TensorBoard scalars to CSV and JSON",
         arg("--tensorboard", type=Path, required=True),
         arg("--config-gin", type=Path, required=True),
         arg("--run", required=True),
         arg("--csv", type=Path, required=True),
         arg("--json", type=Path, required=True),
         arg("--require", nargs="*", default=[], help="tags that must be present"),
         arg("--curves", type=Path, help="also write the required tags as one column each (for dvc plots)"))
def cmd_metrics(a):
    from ..evaluation.metrics import export_metrics
    export_metrics(a.tensorboard, a.config_gin, a.run, a.csv, a.json, tuple(a.require), a.curves)


@command("reconstruct", "reconstruct a corpus's held-out files with a trained run",
         arg("--run", type=Path, required=True,
             help="run directory (config.gin, model.ckpt), or an exported TorchScript model (.ts)"),
         arg("--manifest", type=Path, required=True),
         arg("--out", type=Path, required=True),
         arg("--seed", type=int, required=True),
         FILES_ARG)
def cmd_reconstruct(a):
    from ..evaluation.reconstruct import reconstruct_heldout
    reconstruct_heldout(a.run, a.manifest, a.out, a.seed, a.files)


@command("score-checkpoints", "(H1) every checkpoint a training saved, scored on the held-out files",
         arg("--run", type=Path, required=True, help="the run's folder (config.gin, model.ckpt)"),
         arg("--work", type=Path, required=True, help="the training's work folder, with its snapshots"),
         arg("--manifest", type=Path, required=True),
         arg("--out", type=Path, required=True, help="results/eval/<run>/checkpoints.json"),
         arg("--seed", type=int, required=True),
         FILES_ARG)
def cmd_score_checkpoints(a):
    from ..evaluation.checkpoint_scores import score_checkpoints
    score_checkpoints(a.run, a.work, a.manifest, a.out, a.seed, a.files)


@command("play-heldout", "play held-out files through an exported .ts as nn~ plays it",
         arg("--model", type=Path, required=True, help="exported streaming TorchScript model (.ts)"),
         arg("--manifest", type=Path, required=True),
         arg("--out", type=Path, required=True, help="folder for the played files and played.json"),
         *PLAYED_AS_NN_TILDE,
         FILES_ARG)
def cmd_play_heldout(a):
    from ..evaluation.played import play_heldout
    play_heldout(a.model, a.manifest, a.out, a.buffer, a.threads, a.seed, a.files, a.config_gin)


@command("compare-exports", "two exports of one model played alike: SNR and metrics, as JSON",
         arg("--reference", type=Path, required=True, help="the float32 export"),
         arg("--candidate", type=Path, required=True, help="the bfloat16 export"),
         arg("--manifest", type=Path, required=True),
         arg("--out", type=Path, required=True),
         *PLAYED_AS_NN_TILDE,
         FILES_ARG)
def cmd_compare_exports(a):
    from ..evaluation.played import compare_exports
    compare_exports(a.reference, a.candidate, a.manifest, a.out, a.buffer, a.threads, a.seed, a.files,
                    a.config_gin)


@command("evaluate-reconstructions", "metrics of held-out reconstructions, as JSON",
         arg("--manifest", type=Path, required=True),
         arg("--reconstructions", type=Path, required=True),
         arg("--run-name", required=True),
         arg("--out", type=Path, required=True),
         FILES_ARG)
def cmd_evaluate_reconstructions(a):
    from ..evaluation.evaluate import evaluate_reconstructions
    evaluate_reconstructions(a.manifest, a.reconstructions, a.run_name, a.out, a.files)


@command("generate-prior", "unconditional audio from an exported model's prior",
         arg("--model", type=Path, required=True, help="exported .ts with a prior method"),
         arg("--out", type=Path, required=True),
         arg("--count", type=int, required=True),
         arg("--seconds", type=float, required=True),
         arg("--seed", type=int, required=True))
def cmd_generate_prior(a):
    from ..evaluation.prior_generation import write_generations
    write_generations(a.model, a.out, a.count, a.seconds, a.seed)


@command("generate-prior-sweep", "one prior generation per temperature, same seed",
         arg("--model", type=Path, required=True, help="exported .ts with a prior method"),
         arg("--out", type=Path, required=True),
         arg("--temperature", type=float, nargs="+", required=True),
         arg("--seconds", type=float, required=True),
         arg("--seed", type=int, required=True))
def cmd_generate_prior_sweep(a):
    from ..evaluation.prior_generation import write_temperature_sweep
    write_temperature_sweep(a.model, a.out, a.temperature, a.seconds, a.seed)


@command("evaluate-prior", "feature statistics of prior generations vs the training audio",
         arg("--manifest", type=Path, required=True),
         arg("--generations", type=Path, required=True),
         arg("--run-name", required=True),
         arg("--out", type=Path, required=True))
def cmd_evaluate_prior(a):
    from ..evaluation.evaluate import evaluate_generations
    evaluate_generations(a.manifest, a.generations, a.run_name, a.out)


@command("realtime", "real-time factor of an exported streaming model on the CPU",
         arg("--model", type=Path, required=True),
         arg("--buffer", type=int, required=True),
         arg("--threads", type=int, required=True),
         arg("--seconds", type=float, required=True),
         arg("--out", type=Path, required=True))
def cmd_realtime(a):
    from ..evaluation.realtime import realtime_factor
    from ..fileio import write_json
    write_json(realtime_factor(a.model, a.buffer, a.threads, a.seconds), a.out)


@command("load-grid", "the load a musician will see: an export played by nn-host at each sample rate, nn~ "
         "buffer, thread count and batch (median and p99 time per buffer, missed deadlines, delay heard)",
         arg("--model", type=Path, required=True),
         arg("--played", type=Path, help="its played.json (play_heldout): the model's own streaming delay"),
         arg("--sample-rates", type=int, nargs="+", required=True),
         arg("--buffers", type=int, nargs="+", required=True),
         arg("--threads", type=int, nargs="+", required=True),
         arg("--batches", type=int, nargs="+", required=True),
         arg("--seconds", type=float, required=True, help="audio played per cell"),
         arg("--seed", type=int, required=True),
         arg("--out", type=Path, required=True))
def cmd_load_grid(a):
    from ..evaluation.load_grid import load_grid
    load_grid(a.model, a.played, a.out, a.sample_rates, a.buffers, a.threads, a.batches, a.seconds, a.seed)


@command("replication", "the baseline replication: reference training behaviour, pass/fail",
         arg("--run", required=True),
         arg("--scalars", type=Path, required=True, help="the run's train_scalars.csv"),
         arg("--summary", type=Path, required=True, help="the run's train_summary.json"),
         arg("--threshold", type=named(float), nargs="+", required=True, metavar="CRITERION=VALUE"),
         arg("--out", type=Path, required=True))
def cmd_replication(a):
    from ..evaluation.replication import check
    check(a.run, a.scalars, a.summary, dict(a.threshold), a.out)


@command("ablation", "compare the noise-ablation pairs of runs",
         PAIRS_ARG,
         arg("--eval-dir", type=Path, required=True, help="holds <run>/reconstruction.json"),
         arg("--out", type=Path, required=True))
def cmd_ablation(a):
    from ..evaluation.ablation import compare
    compare(a.pair, a.eval_dir, a.out)
