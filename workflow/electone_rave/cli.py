"""`electone-rave <command>`: the entry points Snakemake rules (and users) call.

Paths are given on the command line so each rule's shell command shows its data flow.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from .audio_check import BadAudioError
from .config import ConfigError
from .export import ExportError
from .paper import PaperError
from .preprocess import PreprocessError
from .runs import IncompleteRunError
from .tb_metrics import MissingScalarsError

KNOWN_ERRORS = (BadAudioError, ConfigError, ExportError, PreprocessError, IncompleteRunError,
                MissingScalarsError, PaperError, FileNotFoundError)


def add_budget(p: argparse.ArgumentParser) -> None:
    p.add_argument("--gin", nargs="+", required=True, help="gin files, composed in order")
    p.add_argument("--override", nargs="*", default=[], help="gin bindings, NAME=VALUE")
    p.add_argument("--max-steps", type=int, required=True)
    p.add_argument("--val-every", type=int, required=True)
    p.add_argument("--save-every", type=int)
    p.add_argument("--batch", type=int, required=True)
    p.add_argument("--workers", type=int, default=0)
    p.add_argument("--log-every", type=int, default=50)
    p.add_argument("--gpu", type=int, nargs="*", help="GPU indices; -1 for CPU; default: auto")
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--work", type=Path, required=True, help="RAVE run directory kept for resuming")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--db", type=Path, required=True, help="preprocessed LMDB database")
    p.add_argument("--name", required=True)


def budget_of(a: argparse.Namespace):
    from .training import StepBudget
    return StepBudget(max_steps=a.max_steps, val_every=a.val_every, batch=a.batch, workers=a.workers,
                      log_every_n_steps=a.log_every, save_every=a.save_every, overrides=a.override)


def cmd_corpus(a):
    from .demo_corpus import generate_corpus
    from .manifest import build_manifest, write_json
    generate_corpus(a.style, a.out, a.files, a.seconds, a.seed)
    write_json(build_manifest(a.out, a.heldout, a.seed), a.manifest)


def cmd_preprocess(a):
    from .preprocess import preprocess
    preprocess(a.manifest, a.out, a.sample_rate, a.channels, a.n_signal, a.timeout)


def cmd_train(a):
    from .training import rave_train_flags, run_training
    budget = budget_of(a)
    flags = rave_train_flags(a.name, a.db, a.work, a.gin, budget, a.sample_rate, a.channels, a.n_signal, a.gpu)
    run_training("train", flags, a.gin, a.seed, budget, a.work, a.out, [str(a.db / "data.mdb")])


def cmd_train_prior(a):
    from .training import rave_train_prior_flags, run_training
    budget = budget_of(a)
    flags = rave_train_prior_flags(a.name, a.model, a.db, a.work, a.gin, budget, a.n_signal, a.fidelity, a.gpu)
    run_training("train_prior", flags, a.gin, a.seed, budget, a.work, a.out,
                 [str(a.db / "data.mdb"), str(a.model / "model.ckpt")])


def cmd_export(a):
    from .export import export
    export(a.run, a.out, a.streaming, a.fidelity, a.seed, a.prior)


def cmd_metrics(a):
    from .tb_metrics import export_metrics
    export_metrics(a.tensorboard, a.config_gin, a.run, a.csv, a.json, tuple(a.require), a.curves)


def cmd_manifest(a):
    from .artifacts import build
    artefacts: dict[str, list[str]] = {}
    for item in a.artefact:
        rule, _, path = item.partition("=")
        artefacts.setdefault(rule, []).append(path)
    build(artefacts, a.profile, a.seed, a.out)


def cmd_reconstruct(a):
    from .evaluation.reconstruct import reconstruct_heldout
    reconstruct_heldout(a.run, a.manifest, a.out, a.seed)


def cmd_evaluate_reconstructions(a):
    from .evaluation.evaluate import evaluate_reconstructions
    evaluate_reconstructions(a.manifest, a.reconstructions, a.run_name, a.out)


def cmd_generate_prior(a):
    from .evaluation.prior_generation import write_generations
    write_generations(a.model, a.out, a.count, a.seconds, a.seed)


def cmd_evaluate_prior(a):
    from .evaluation.evaluate import evaluate_generations
    evaluate_generations(a.manifest, a.generations, a.run_name, a.out)


def cmd_realtime(a):
    from .evaluation.realtime import realtime_factor
    from .manifest import write_json
    write_json(realtime_factor(a.model, a.buffer, a.threads, a.seconds), a.out)


def cmd_ablation(a):
    from .evaluation.ablation import compare
    pairs = [dict(zip(("corpus", "with_noise", "without_noise"), item.split(":"))) for item in a.pair]
    compare(pairs, a.eval_dir, a.seeds, a.out)


def cmd_figure_training(a):
    from .figures.training_curves import plot
    runs = {}
    for item in a.run:
        name, csv_path, summary = item.split("=", 1)[0], *item.split("=", 1)[1].split(",")
        runs[name] = (Path(csv_path), Path(summary))
    plot(runs, a.out)


def cmd_figure_spectrograms(a):
    from .figures.spectrograms import panels_for, plot
    folders = [(item.split("=", 1)[0], Path(item.split("=", 1)[1])) for item in a.reconstruction]
    plot(panels_for(a.manifest, folders, a.prior), a.out, a.seconds)


def cmd_figure_ablation(a):
    from .figures.ablation_bars import plot
    plot(a.ablation, a.out)


def cmd_paper_numbers(a):
    from .config import load
    from .paper_numbers import gather
    gather(load(a.config, {"profile": a.profile}), a.results, a.out)


def cmd_paper(a):
    from .paper import build
    build(a.source, a.numbers, a.figures, a.out)


def cmd_dvc_stages(a):
    from .dvc_stages import write_dvc_yaml
    write_dvc_yaml(a.out)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="electone-rave", description=__doc__)
    sub = top.add_subparsers(dest="command", required=True)

    p = sub.add_parser("corpus", help="generate a seeded demo corpus and its manifest")
    p.add_argument("--style", required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--manifest", type=Path, required=True)
    p.add_argument("--files", type=int, required=True)
    p.add_argument("--seconds", type=float, required=True)
    p.add_argument("--heldout", type=int, required=True)
    p.add_argument("--seed", type=int, required=True)
    p.set_defaults(func=cmd_corpus)

    p = sub.add_parser("preprocess", help="check a corpus and build its RAVE database")
    p.add_argument("--manifest", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--sample-rate", type=int, required=True)
    p.add_argument("--channels", type=int, required=True)
    p.add_argument("--n-signal", type=int, required=True)
    p.add_argument("--timeout", type=float, default=3600.0, help="seconds before giving up on rave preprocess")
    p.set_defaults(func=cmd_preprocess)

    p = sub.add_parser("train", help="train RAVE (rave train), resuming an interrupted run")
    add_budget(p)
    p.add_argument("--sample-rate", type=int, required=True)
    p.add_argument("--channels", type=int, required=True)
    p.add_argument("--n-signal", type=int, required=True)
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("train-prior", help="train RAVE's prior on a trained run (rave train_prior)")
    add_budget(p)
    p.add_argument("--model", type=Path, required=True, help="trained RAVE run directory")
    p.add_argument("--n-signal", type=int, required=True, help="training window in samples")
    p.add_argument("--fidelity", type=float, required=True,
                   help="the export fidelity: the prior models the latent dimensions it keeps")
    p.set_defaults(func=cmd_train_prior)

    p = sub.add_parser("export", help="export a run to TorchScript for nn~ (rave export)")
    p.add_argument("--run", type=Path, required=True)
    p.add_argument("--prior", type=Path)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--fidelity", type=float, required=True)
    p.add_argument("--streaming", action=argparse.BooleanOptionalAction, default=True)
    p.add_argument("--seed", type=int, required=True)
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("metrics", help="export a run's TensorBoard scalars to CSV and JSON")
    p.add_argument("--tensorboard", type=Path, required=True)
    p.add_argument("--config-gin", type=Path, required=True)
    p.add_argument("--run", required=True)
    p.add_argument("--csv", type=Path, required=True)
    p.add_argument("--json", type=Path, required=True)
    p.add_argument("--require", nargs="*", default=[], help="tags that must be present")
    p.add_argument("--curves", type=Path, help="also write the required tags as one column each (for dvc plots)")
    p.set_defaults(func=cmd_metrics)

    p = sub.add_parser("manifest", help="write results/manifest.json")
    p.add_argument("--profile", required=True)
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--artefact", nargs="+", required=True, help="RULE=PATH")
    p.set_defaults(func=cmd_manifest)

    p = sub.add_parser("reconstruct", help="reconstruct a corpus's held-out files with a trained run")
    p.add_argument("--run", type=Path, required=True, help="run directory (config.gin, model.ckpt)")
    p.add_argument("--manifest", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--seed", type=int, required=True)
    p.set_defaults(func=cmd_reconstruct)

    p = sub.add_parser("evaluate-reconstructions", help="metrics of held-out reconstructions, as JSON")
    p.add_argument("--manifest", type=Path, required=True)
    p.add_argument("--reconstructions", type=Path, required=True)
    p.add_argument("--run-name", required=True)
    p.add_argument("--out", type=Path, required=True)
    p.set_defaults(func=cmd_evaluate_reconstructions)

    p = sub.add_parser("generate-prior", help="unconditional audio from an exported model's prior")
    p.add_argument("--model", type=Path, required=True, help="exported .ts with a prior method")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--seconds", type=float, required=True)
    p.add_argument("--seed", type=int, required=True)
    p.set_defaults(func=cmd_generate_prior)

    p = sub.add_parser("evaluate-prior", help="feature statistics of prior generations vs the training audio")
    p.add_argument("--manifest", type=Path, required=True)
    p.add_argument("--generations", type=Path, required=True)
    p.add_argument("--run-name", required=True)
    p.add_argument("--out", type=Path, required=True)
    p.set_defaults(func=cmd_evaluate_prior)

    p = sub.add_parser("realtime", help="real-time factor of an exported streaming model on the CPU")
    p.add_argument("--model", type=Path, required=True)
    p.add_argument("--buffer", type=int, required=True)
    p.add_argument("--threads", type=int, required=True)
    p.add_argument("--seconds", type=float, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.set_defaults(func=cmd_realtime)

    p = sub.add_parser("ablation", help="compare the noise-ablation pairs of runs")
    p.add_argument("--pair", nargs="+", required=True, help="CORPUS:RUN_WITH_NOISE:RUN_WITHOUT_NOISE")
    p.add_argument("--seeds", type=int, nargs="+", required=True)
    p.add_argument("--eval-dir", type=Path, required=True, help="holds <run>/reconstruction.json")
    p.add_argument("--out", type=Path, required=True)
    p.set_defaults(func=cmd_ablation)

    p = sub.add_parser("figure-training", help="figure: the seed's training curves, runs overlaid")
    p.add_argument("--run", nargs="+", required=True, help="RUN=SCALARS_CSV,SUMMARY_JSON")
    p.add_argument("--out", type=Path, required=True, help="PNG path; the PDF is written beside it")
    p.set_defaults(func=cmd_figure_training)

    p = sub.add_parser("figure-spectrograms", help="figure: log-mel spectrograms of originals, reconstructions, prior")
    p.add_argument("--manifest", type=Path, required=True, help="the first held-out file is shown")
    p.add_argument("--reconstruction", nargs="+", required=True, help="TITLE=FOLDER of reconstructions")
    p.add_argument("--prior", type=Path, required=True, help="folder of prior generations")
    p.add_argument("--seconds", type=float, default=6.0)
    p.add_argument("--out", type=Path, required=True)
    p.set_defaults(func=cmd_figure_spectrograms)

    p = sub.add_parser("figure-ablation", help="figure: the noise ablation bar chart")
    p.add_argument("--ablation", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.set_defaults(func=cmd_figure_ablation)

    p = sub.add_parser("paper-numbers", help="gather every number the paper cites into one JSON")
    p.add_argument("--config", type=Path, required=True)
    p.add_argument("--profile", required=True)
    p.add_argument("--results", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.set_defaults(func=cmd_paper_numbers)

    p = sub.add_parser("paper", help="typeset the paper (Typst) from the numbers and figures")
    p.add_argument("--source", type=Path, required=True)
    p.add_argument("--numbers", type=Path, required=True)
    p.add_argument("--figures", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.set_defaults(func=cmd_paper)

    p = sub.add_parser("dvc-stages", help="write dvc.yaml from the Snakemake DAG")
    p.add_argument("--out", type=Path, default=Path("dvc.yaml"))
    p.set_defaults(func=cmd_dvc_stages)
    return top


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s: %(message)s")
    args = parser().parse_args(argv)
    try:
        args.func(args)
    except KNOWN_ERRORS as err:
        print(f"electone-rave {args.command}: error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
