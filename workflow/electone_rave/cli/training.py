"""Training commands: RAVE and its prior, the estimate before training, importing a run trained elsewhere."""

from __future__ import annotations

import logging
from pathlib import Path

from .commands import arg, command

# A training's step budget and run folders (train, train-prior).
BUDGET_ARGS = (
    arg("--gin", nargs="+", required=True, help="gin files, composed in order"),
    arg("--override", nargs="*", default=[], help="gin bindings, NAME=VALUE"),
    arg("--max-steps", type=int, required=True),
    arg("--val-every", type=int, required=True),
    arg("--save-every", type=int),
    arg("--batch", type=int, required=True),
    arg("--workers", type=int, default=0),
    arg("--log-every", type=int, default=50),
    arg("--gpu", type=int, nargs="*", help="GPU indices; -1 for CPU; default: auto"),
    arg("--steps-per-second", type=float, help="measured speed, for the estimate before training"),
    arg("--deterministic", action="store_true", help="Lightning's deterministic mode (slower on GPU)"),
    arg("--precision", choices=["32", "16", "bf16"], default="32",
        help="Lightning's Trainer precision: 16/bf16 train in mixed precision (GPU)"),
    arg("--seed", type=int, required=True),
    arg("--work", type=Path, required=True, help="RAVE run directory kept for resuming"),
    arg("--out", type=Path, required=True),
    arg("--db", type=Path, required=True, help="preprocessed LMDB database"),
    arg("--name", required=True),
)


def budget_of(a):
    from ..training.train import StepBudget
    return StepBudget(max_steps=a.max_steps, val_every=a.val_every, batch=a.batch, workers=a.workers,
                      log_every_n_steps=a.log_every, save_every=a.save_every, overrides=a.override,
                      deterministic=a.deterministic, precision=a.precision)


@command("train", "train RAVE (rave train), resuming an interrupted run",
         *BUDGET_ARGS,
         arg("--sample-rate", type=int, required=True),
         arg("--channels", type=int, required=True),
         arg("--n-signal", type=int, required=True))
def cmd_train(a):
    from ..training.estimate import require_disk, training_cost
    from ..training.train import rave_train_flags, run_training
    budget = budget_of(a)
    cost = training_cost(a.name, a.gin, a.override, a.max_steps, a.save_every, a.steps_per_second)
    logging.getLogger("electone_rave.training.estimate").info("estimate: %s", cost.describe())
    require_disk(cost, a.work)
    flags = rave_train_flags(a.name, a.db, a.work, a.gin, budget, a.sample_rate, a.channels, a.n_signal, a.gpu)
    run_training("train", flags, a.gin, a.seed, budget, a.work, a.out, [str(a.db / "data.mdb")])


@command("train-prior", "train RAVE's prior on a trained run (rave train_prior)",
         *BUDGET_ARGS,
         arg("--model", type=Path, required=True, help="trained RAVE run directory"),
         arg("--n-signal", type=int, required=True, help="training window in samples"),
         arg("--fidelity", type=float, required=True,
             help="the export fidelity: the prior models the latent dimensions it keeps"))
def cmd_train_prior(a):
    from ..training.train import rave_train_prior_flags, run_training
    budget = budget_of(a)
    flags = rave_train_prior_flags(a.name, a.model, a.db, a.work, a.gin, budget, a.n_signal, a.fidelity, a.gpu)
    run_training("train_prior", flags, a.gin, a.seed, budget, a.work, a.out,
                 [str(a.db / "data.mdb"), str(a.model / "model.ckpt")])


@command("estimate", "steps, hours and checkpoint disk of a scale's trainings",
         arg("--config", type=Path, default=Path("configs/config.yaml")),
         arg("--configfile", type=Path, nargs="*", default=[],
             help="merged over --config, as snakemake --configfile does (e.g. an experiment's arms)"),
         arg("--scale", help="default: the config's scale"))
def cmd_estimate(a):
    from ..training.estimate import free_bytes, run_costs, total_hours
    from ..workflow.config import load
    config = load(a.config, {"scale": a.scale} if a.scale else None, tuple(a.configfile))
    costs = run_costs(config)  # one training per arm and seed
    for cost in costs:
        print(cost.describe())
    print(f"scale {config['scale']}: {len(costs)} trainings, {total_hours(costs)} in all, "
          f"{sum(c.disk_bytes for c in costs) / 1e9:.1f} GB of checkpoints; "
          f"{free_bytes(Path('results')) / 1e9:.1f} GB free under results/")


@command("import-run", "evaluate a RAVE run trained elsewhere: add it as an arm that skips training",
         arg("source", type=Path, help="RAVE run folder (config.gin and its checkpoints, *.ckpt), "
             "or an exported TorchScript model (.ts) alone"),
         arg("--as", dest="arm", required=True, help="the arm's name in configs/config.yaml (runs/<arm>)"),
         arg("--corpus", required=True, help="corpus its held-out audio comes from (e.g. electone)"),
         arg("--no-prior", action="store_true",
             help="do not train a prior on it (a .ts: do not generate with the prior it carries)"),
         arg("--no-dvc", action="store_true", help="do not run `dvc add` on data/imported/<arm>"),
         arg("--unseen-file", action="append", metavar="NAME",
             help="a file of the corpus the model never trained on (its name in data/manifests/<corpus>.json); "
             "repeat for each. Without any, the model is evaluated on the held-out split and its rows say "
             "it may have trained on those files"),
         arg("--trust-checkpoint", action="store_true",
             help="load checkpoints that name code beyond tensors and numbers (loading runs that code: "
             "only for a source you trust); by default they are refused"),
         arg("--config", type=Path, default=Path("configs/config.yaml")))
def cmd_import_run(a):
    from ..training.imported_run import import_run
    from ..workflow.config import IMPORTED_RUNS
    record = import_run(a.source, a.arm, a.corpus, prior=not a.no_prior, dvc=not a.no_dvc, config_file=a.config,
                        trust=a.trust_checkpoint, unseen_files=a.unseen_file)
    folder = IMPORTED_RUNS / a.arm
    what = "the exported model" if record["global_step"] is None else f"step {record['global_step']}"
    print(f"{folder}: {what} of {a.source}, arm {a.arm!r} added to {a.config}.\n"
          f"Run `snakemake --cores all` to evaluate it. Commit the pointer and the config (and `make dvc.yaml`\n"
          f"for DVC's stages); push the model to your own DVC remote:\n"
          f"  git add {folder}.dvc {a.config}\n  dvc push {folder}.dvc")


@command("adopt-run", "(rule adopt_run) an imported run's files where a training leaves its own",
         arg("--source", type=Path, required=True, help="data/imported/<arm>"),
         arg("--out", type=Path, required=True),
         arg("--sample-rate", type=int, required=True))
def cmd_adopt_run(a):
    from ..training.imported_run import adopt
    adopt(a.source, a.out, a.sample_rate)
