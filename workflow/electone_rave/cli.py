"""`electone-rave <command>`: the entry points Snakemake rules (and users) call.

Paths are given on the command line so each rule's shell command shows its data flow.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from .errors import ElectoneRaveError
from .export_options import MATMUL_WEIGHTS

KNOWN_ERRORS = (ElectoneRaveError, FileExistsError, FileNotFoundError)


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
    p.add_argument("--steps-per-second", type=float, help="measured speed, for the estimate before training")
    p.add_argument("--deterministic", action="store_true", help="Lightning's deterministic mode (slower on GPU)")
    p.add_argument("--precision", choices=["32", "16", "bf16"], default="32",
                   help="Lightning's Trainer precision: 16/bf16 train in mixed precision (GPU)")
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--work", type=Path, required=True, help="RAVE run directory kept for resuming")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--db", type=Path, required=True, help="preprocessed LMDB database")
    p.add_argument("--name", required=True)


def budget_of(a: argparse.Namespace):
    from .training import StepBudget
    return StepBudget(max_steps=a.max_steps, val_every=a.val_every, batch=a.batch, workers=a.workers,
                      log_every_n_steps=a.log_every, save_every=a.save_every, overrides=a.override,
                      deterministic=a.deterministic, precision=a.precision)


def cmd_demo_corpus(a):
    from .demo_corpus import generate_corpus
    generate_corpus(a.style, a.out, a.files, a.seconds, a.seed)


def cmd_ingest(a):
    from .ingest import Target, ingest
    from .manifest import build_manifest, write_json
    from .private_corpus import check_against_manifest
    if a.expect:
        check_against_manifest(a.source, a.expect)
    from .config import chunk_samples
    target = Target(a.sample_rate, a.channels, min_seconds=chunk_samples(a.n_signal) / a.sample_rate)
    report = ingest(a.source, a.out, target, a.on_bad_input, a.threads)
    write_json(build_manifest(a.out, a.heldout, a.seed), a.manifest)
    write_json(report, a.report)


def cmd_download_musicnet(a):
    from .musicnet import download_musicnet
    pins = {}
    for item in a.pin:
        name, size, md5 = item.rsplit(":", 2)
        pins[name] = {"size": int(size), "md5": md5}
    download_musicnet(a.out, pins, a.record, base=a.url, api_base=a.api)


def cmd_extract_musicnet(a):
    from .musicnet import extract_audio
    extract_audio(a.archive, a.metadata, a.out, a.split, a.ensemble)


def cmd_import_corpus(a):
    from .config import RAW_DATA
    from .private_corpus import import_corpus, manifest_path
    manifest = import_corpus(a.source, a.corpus, link=a.link, dvc=not a.no_dvc)
    folder = RAW_DATA / a.corpus
    print(f"{len(manifest['files'])} files in {folder}. Commit the pointers (never the audio):\n"
          f"  git add {folder}.dvc {manifest_path(a.corpus)}\n"
          f"and push the audio to your own DVC remote: dvc push {folder}.dvc")


def cmd_import_run(a):
    from .config import IMPORTED_RUNS
    from .imported_run import import_run
    record = import_run(a.source, a.arm, a.corpus, prior=not a.no_prior, dvc=not a.no_dvc, config_file=a.config,
                        trust=a.trust_checkpoint, unseen_files=a.unseen_file)
    folder = IMPORTED_RUNS / a.arm
    what = "the exported model" if record["global_step"] is None else f"step {record['global_step']}"
    print(f"{folder}: {what} of {a.source}, arm {a.arm!r} added to {a.config}.\n"
          f"Run `snakemake --cores all` to evaluate it. Commit the pointer and the config (and `make dvc.yaml`\n"
          f"for DVC's stages); push the model to your own DVC remote:\n"
          f"  git add {folder}.dvc {a.config}\n  dvc push {folder}.dvc")


def cmd_adopt_run(a):
    from .imported_run import adopt
    adopt(a.source, a.out, a.sample_rate)


def cmd_adopt_scripted(a):
    from .scripted_model import adopt_scripted
    adopt_scripted(a.source, a.export, a.sample_rate, a.provenance)


def cmd_union_corpus(a):
    from .union_corpus import UnionCorpusError, write_union
    if not len(a.corpus) == len(a.manifest) == len(a.report):
        raise UnionCorpusError("union-corpus: give one --manifest and one --report per --corpus, in the same order")
    manifest = write_union(a.corpus, a.manifest, a.report, a.out_manifest, a.out_report)
    print(f"{a.out_manifest}: {len(manifest['files'])} files of {', '.join(a.corpus)}")


def cmd_check_private_data(a):
    from .guards import check_private_data
    check_private_data(a.repo)
    print(f"{a.repo}: no audio tracked by git or reaching the Docker build context")


def cmd_preprocess(a):
    from .preprocess import preprocess
    preprocess(a.manifest, a.out, a.sample_rate, a.channels, a.n_signal, a.timeout, a.ingest_report, a.report,
               a.writer, a.workers)


def cmd_train(a):
    from .estimate import require_disk, training_cost
    from .training import rave_train_flags, run_training
    budget = budget_of(a)
    cost = training_cost(a.name, a.gin, a.override, a.max_steps, a.save_every, a.steps_per_second)
    logging.getLogger("electone_rave.estimate").info("estimate: %s", cost.describe())
    require_disk(cost, a.work)
    flags = rave_train_flags(a.name, a.db, a.work, a.gin, budget, a.sample_rate, a.channels, a.n_signal, a.gpu)
    run_training("train", flags, a.gin, a.seed, budget, a.work, a.out, [str(a.db / "data.mdb")])


def cmd_estimate(a):
    from .config import load
    from .estimate import free_bytes, run_costs, total_hours
    config = load(a.config, {"scale": a.scale} if a.scale else None, tuple(a.configfile))
    costs = run_costs(config)  # one training per arm and seed
    for cost in costs:
        print(cost.describe())
    print(f"scale {config['scale']}: {len(costs)} trainings, {total_hours(costs)} in all, "
          f"{sum(c.disk_bytes for c in costs) / 1e9:.1f} GB of checkpoints; "
          f"{free_bytes(Path('results')) / 1e9:.1f} GB free under results/")


def cmd_plan(a):
    from collections import Counter

    from .config import load
    from .estimate import run_costs, total_hours
    from .rerun_plan import dvc_plan, snakemake_plan, trained_run
    jobs = dvc_plan(Path(".")) if a.engine == "dvc" else snakemake_plan(Path("."))
    if not jobs:
        print(f"{a.engine}: nothing to re-run")
        return
    counts = Counter(job.rule for job in jobs)
    print(f"{a.engine} would run {len(jobs)} jobs: " + ", ".join(f"{rule} {n}" for rule, n in counts.items()))
    runs = sorted({trained_run(job) for job in jobs if job.rule == "train"})
    priors = sorted({trained_run(job) for job in jobs if job.rule == "prior"})
    if runs:
        costs = run_costs(load(a.config), runs)
        for cost in costs:
            print("  train " + cost.describe())
        print(f"{len(costs)} RAVE trainings planned: {total_hours(costs)} estimated")
    if priors:
        print(f"{len(priors)} prior trainings planned ({', '.join(priors)}): not estimated")


def cmd_train_prior(a):
    from .training import rave_train_prior_flags, run_training
    budget = budget_of(a)
    flags = rave_train_prior_flags(a.name, a.model, a.db, a.work, a.gin, budget, a.n_signal, a.fidelity, a.gpu)
    run_training("train_prior", flags, a.gin, a.seed, budget, a.work, a.out,
                 [str(a.db / "data.mdb"), str(a.model / "model.ckpt")])


def cmd_export(a):
    from .export import export
    export(a.run, a.out, a.streaming, a.fidelity, a.seed, a.prior, a.matmul_convolutions, a.matmul_weights)


def cmd_metrics(a):
    from .tb_metrics import export_metrics
    export_metrics(a.tensorboard, a.config_gin, a.run, a.csv, a.json, tuple(a.require), a.curves)


def cmd_manifest(a):
    from .artifacts import build
    artefacts: dict[str, list[str]] = {}
    for item in a.artefact:
        rule, _, path = item.partition("=")
        artefacts.setdefault(rule, []).append(path)
    build(artefacts, a.scale, a.seed, a.out, a.root)


def cmd_reconstruct(a):
    from .evaluation.reconstruct import reconstruct_heldout
    reconstruct_heldout(a.run, a.manifest, a.out, a.seed, a.files)


def cmd_play_heldout(a):
    from .evaluation.played import play_heldout
    play_heldout(a.model, a.manifest, a.out, a.buffer, a.threads, a.seed, a.files)


def cmd_compare_exports(a):
    from .evaluation.played import compare_exports
    compare_exports(a.reference, a.candidate, a.manifest, a.out, a.buffer, a.threads, a.seed, a.files)


def cmd_evaluate_reconstructions(a):
    from .evaluation.evaluate import evaluate_reconstructions
    evaluate_reconstructions(a.manifest, a.reconstructions, a.run_name, a.out, a.files)


def cmd_generate_prior(a):
    from .evaluation.prior_generation import write_generations
    write_generations(a.model, a.out, a.count, a.seconds, a.seed)


def cmd_generate_prior_sweep(a):
    from .evaluation.prior_generation import write_temperature_sweep
    write_temperature_sweep(a.model, a.out, a.temperature, a.seconds, a.seed)


def cmd_evaluate_prior(a):
    from .evaluation.evaluate import evaluate_generations
    evaluate_generations(a.manifest, a.generations, a.run_name, a.out)


def cmd_realtime(a):
    from .evaluation.realtime import realtime_factor
    from .manifest import write_json
    write_json(realtime_factor(a.model, a.buffer, a.threads, a.seconds), a.out)


def cmd_ablation(a):
    from .evaluation.ablation import compare
    pairs = []
    for item in a.pair:
        corpus, with_noise, without, seeds = item.split(":")
        pairs.append({"corpus": corpus, "with_noise": with_noise.split(","), "without_noise": without.split(","),
                      "seeds": [int(seed) for seed in seeds.split(",")]})
    compare(pairs, a.eval_dir, a.out)


def cmd_replication(a):
    from .evaluation.replication import check
    thresholds = {name: float(value) for name, value in (item.split("=", 1) for item in a.threshold)}
    check(a.run, a.scalars, a.summary, thresholds, a.out)


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
    from .manifest import read_json
    from .paper_numbers import gather
    gather(read_json(a.config), a.results, a.out)


def cmd_paper(a):
    from .paper import build
    from .publish_guard import guard_outputs
    build(a.source, a.numbers, a.figures, a.out)
    guard_outputs([a.out], a.private_corpus)


def name_and_path(value: str) -> tuple[str, Path]:
    """A NAME=PATH argument."""
    name, sep, path = value.partition("=")
    if not sep or not name or not path:
        raise argparse.ArgumentTypeError(f"{value!r}: expected NAME=PATH")
    return name, Path(path)


def add_files_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument("--files", nargs="*", default=None, metavar="NAME",
                   help="evaluate these manifest files instead of the held-out split (an imported run's "
                   "files named as never seen)")


def add_private_corpus_argument(p: argparse.ArgumentParser, required: bool = False) -> None:
    p.add_argument("--private-corpus", type=name_and_path, nargs="+" if required else "*", required=required,
                   default=None if required else [],
                   help="CORPUS=FOLDER: a private corpus and a folder of its files (source audio, ingested "
                   "FLAC, RAVE database); repeat for each folder")


def cmd_listening_page(a):
    from .listening_page.render import render
    from .publish_guard import guard_outputs
    render(numbers_file=a.numbers, manifests=dict(a.manifest), reconstructions=dict(a.reconstructions),
           priors=dict(a.prior), temperatures=a.temperature, figures=a.figure, models=a.model, paper=a.paper,
           clip_seconds=a.clip_seconds, lufs=a.loudness, buffer=a.buffer, html=a.out, media_folder=a.media,
           private={corpus for corpus, _ in a.private_corpus}, local_only=a.local_only)
    if not a.local_only:
        guard_outputs([a.out, a.media], a.private_corpus)


def cmd_check_publishable(a):
    from .publish_guard import check_against
    judged = check_against(a.paths, a.private_corpus)
    print(f"{len(judged)} files judged: no audio of {', '.join(sorted({c for c, _ in a.private_corpus}))} "
          f"in {', '.join(map(str, a.paths))}")


def cmd_check_listening_page(a):
    from .listening_page.browser_check import check_page
    from .manifest import write_json
    report = check_page(a.page, a.screenshot)
    if a.report:
        write_json(report, a.report)
    print(f"{a.page}: {len(report['audio'])} audio element(s), {len(report['images'])} image(s), "
          f"{len(report['outside_requests'])} request(s) leaving the page's files")
    if report["problems"]:
        raise ListeningPageError(f"{a.page}: " + "; ".join(report["problems"]))


def cmd_dvc_stages(a):
    from .dvc_stages import write_dvc_yaml
    write_dvc_yaml(a.out)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="electone-rave", description=__doc__)
    sub = top.add_subparsers(dest="command", required=True)

    p = sub.add_parser("demo-corpus", help="synthesize a seeded demo corpus (stand-in for real data)")
    p.add_argument("--style", required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--files", type=int, required=True)
    p.add_argument("--seconds", type=float, required=True)
    p.add_argument("--seed", type=int, required=True)
    p.set_defaults(func=cmd_demo_corpus)

    p = sub.add_parser("download-musicnet", help="fetch MusicNet's pinned files (resumable, md5-checked)")
    p.add_argument("--out", type=Path, required=True, help="folder for musicnet.tar.gz and the metadata CSV")
    p.add_argument("--url", required=True, help="base URL of the files (Zenodo record or a mirror)")
    p.add_argument("--api", required=True, help="Zenodo API base, to cross-check the pinned md5s")
    p.add_argument("--record", type=int, required=True, help="Zenodo record id")
    p.add_argument("--pin", nargs="+", required=True, metavar="NAME:BYTES:MD5", help="the files to fetch")
    p.set_defaults(func=cmd_download_musicnet)

    p = sub.add_parser("extract-musicnet", help="extract MusicNet recordings of one split and some ensembles")
    p.add_argument("--archive", type=Path, required=True)
    p.add_argument("--metadata", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--split", choices=["train", "test"], required=True)
    p.add_argument("--ensemble", nargs="+", help="ensembles to keep, as named in the metadata (default: all)")
    p.set_defaults(func=cmd_extract_musicnet)

    p = sub.add_parser("ingest", help="check a folder of audio, convert the usable files, write the manifest")
    p.add_argument("--source", type=Path, required=True, help="folder of audio files (searched recursively)")
    p.add_argument("--out", type=Path, required=True, help="corpus folder to write (16-bit FLAC)")
    p.add_argument("--manifest", type=Path, required=True)
    p.add_argument("--report", type=Path, required=True, help="every input file and what became of it")
    p.add_argument("--heldout", type=int, required=True, help="files held out of training")
    p.add_argument("--seed", type=int, required=True, help="fixes the held-out split")
    p.add_argument("--on-bad-input", choices=["fail", "skip"], required=True)
    p.add_argument("--sample-rate", type=int, required=True)
    p.add_argument("--channels", type=int, required=True)
    p.add_argument("--n-signal", type=int, required=True, help="files shorter than 2 x n_signal are bad input")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--expect", type=Path, help="committed manifest the source folder must match (private corpora)")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("import-corpus", help="bring your own copy of a corpus into data/raw/<corpus> (DVC-tracked)")
    p.add_argument("source", type=Path, help="folder of audio files (searched recursively)")
    p.add_argument("--corpus", required=True, help="corpus name, as in configs/config.yaml (e.g. electone)")
    p.add_argument("--link", action="store_true", help="hard-link instead of copying (same file system)")
    p.add_argument("--no-dvc", action="store_true", help="do not run `dvc add` on the folder")
    p.set_defaults(func=cmd_import_corpus)

    p = sub.add_parser("import-run", help="evaluate a RAVE run trained elsewhere: add it as an arm that skips training")
    p.add_argument("source", type=Path, help="RAVE run folder (config.gin and its checkpoints, *.ckpt), "
                   "or an exported TorchScript model (.ts) alone")
    p.add_argument("--as", dest="arm", required=True, help="the arm's name in configs/config.yaml (runs/<arm>)")
    p.add_argument("--corpus", required=True, help="corpus its held-out audio comes from (e.g. electone)")
    p.add_argument("--no-prior", action="store_true",
                   help="do not train a prior on it (a .ts: do not generate with the prior it carries)")
    p.add_argument("--no-dvc", action="store_true", help="do not run `dvc add` on data/imported/<arm>")
    p.add_argument("--unseen-file", action="append", metavar="NAME",
                   help="a file of the corpus the model never trained on (its name in data/manifests/<corpus>.json); "
                   "repeat for each. Without any, the model is evaluated on the held-out split and its rows say "
                   "it may have trained on those files")
    p.add_argument("--trust-checkpoint", action="store_true",
                   help="load checkpoints that name code beyond tensors and numbers (loading runs that code: "
                   "only for a source you trust); by default they are refused")
    p.add_argument("--config", type=Path, default=Path("configs/config.yaml"))
    p.set_defaults(func=cmd_import_run)

    p = sub.add_parser("adopt-run", help="(rule adopt_run) an imported run's files where a training leaves its own")
    p.add_argument("--source", type=Path, required=True, help="data/imported/<arm>")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--sample-rate", type=int, required=True)
    p.set_defaults(func=cmd_adopt_run)

    p = sub.add_parser("adopt-scripted", help="(rules adopt_scripted*) an imported .ts where an export leaves its model")
    p.add_argument("--source", type=Path, required=True, help="data/imported/<arm>")
    p.add_argument("--export", type=Path, required=True)
    p.add_argument("--provenance", type=Path, help="where to write the model's provenance.json")
    p.add_argument("--sample-rate", type=int, required=True)
    p.set_defaults(func=cmd_adopt_scripted)

    p = sub.add_parser("union-corpus", help="several ingested corpora as one training corpus (manifest and report)")
    p.add_argument("--corpus", nargs="+", required=True, help="the member corpora, in order")
    p.add_argument("--manifest", type=Path, nargs="+", required=True, help="each member's data/manifests/<corpus>.json")
    p.add_argument("--report", type=Path, nargs="+", required=True, help="each member's results/ingest/<corpus>.json")
    p.add_argument("--out-manifest", type=Path, required=True)
    p.add_argument("--out-report", type=Path, required=True)
    p.set_defaults(func=cmd_union_corpus)

    p = sub.add_parser("check-private-data", help="fail if audio is tracked by git or would enter the image")
    p.add_argument("--repo", type=Path, default=Path("."))
    p.set_defaults(func=cmd_check_private_data)

    p = sub.add_parser("preprocess", help="check a corpus and build its RAVE database")
    p.add_argument("--manifest", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--sample-rate", type=int, required=True)
    p.add_argument("--channels", type=int, required=True)
    p.add_argument("--n-signal", type=int, required=True)
    p.add_argument("--timeout", type=float, default=3600.0,
                   help="seconds before giving up on rave preprocess (writer rave; it can hang on bad input)")
    p.add_argument("--ingest-report", type=Path, help="the ingest report to extend with database seconds")
    p.add_argument("--report", type=Path, help="where to write the preprocess report")
    p.add_argument("--writer", choices=("direct", "rave"), default="direct",
                   help="direct: decode the ingested files in-process; rave: stock `rave preprocess` (same database)")
    p.add_argument("--workers", type=int, default=1, help="decoding processes (writer direct)")
    p.set_defaults(func=cmd_preprocess)

    p = sub.add_parser("estimate", help="steps, hours and checkpoint disk of a scale's trainings")
    p.add_argument("--config", type=Path, default=Path("configs/config.yaml"))
    p.add_argument("--configfile", type=Path, nargs="*", default=[],
                   help="merged over --config, as snakemake --configfile does (e.g. an experiment's arms)")
    p.add_argument("--scale", help="default: the config's scale")
    p.set_defaults(func=cmd_estimate)

    p = sub.add_parser("plan", help="what snakemake (or dvc repro) would re-run here, and the trainings' estimated hours")
    p.add_argument("--engine", choices=["snakemake", "dvc"], default="snakemake")
    p.add_argument("--config", type=Path, default=Path("configs/config.yaml"), help="for the estimate")
    p.set_defaults(func=cmd_plan)

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
    p.add_argument("--matmul-convolutions", action=argparse.BooleanOptionalAction, default=True,
                   help="streaming layers as matrix products: same outputs within 1e-5, about 2x "
                        "faster on one CPU thread (--no-matmul-convolutions: stock rave export)")
    p.add_argument("--matmul-weights", choices=MATMUL_WEIGHTS, default="float32",
                   help="weight type of the matrix-product layers: bfloat16 was faster on a CPU with native "
                        "bfloat16 products (AVX512-BF16), within the stated tolerance (docs/performance.md), not equal to stock; "
                        "elsewhere unmeasured")
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
    p.add_argument("--scale", required=True)
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--artefact", nargs="+", required=True, help="RULE=PATH, PATH relative to --root")
    p.add_argument("--root", type=Path, default=Path("."),
                   help="the workflow's folder as the job sees it (a storage provider's local folder)")
    p.set_defaults(func=cmd_manifest)

    p = sub.add_parser("reconstruct", help="reconstruct a corpus's held-out files with a trained run")
    p.add_argument("--run", type=Path, required=True,
                   help="run directory (config.gin, model.ckpt), or an exported TorchScript model (.ts)")
    p.add_argument("--manifest", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--seed", type=int, required=True)
    add_files_argument(p)
    p.set_defaults(func=cmd_reconstruct)

    p = sub.add_parser("play-heldout", help="play held-out files through an exported .ts as nn~ plays it")
    p.add_argument("--model", type=Path, required=True, help="exported streaming TorchScript model (.ts)")
    p.add_argument("--manifest", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True, help="folder for the played files and played.json")
    p.add_argument("--buffer", type=int, required=True, help="nn~'s buffer: samples per forward call")
    p.add_argument("--threads", type=int, required=True)
    p.add_argument("--seed", type=int, required=True)
    add_files_argument(p)
    p.set_defaults(func=cmd_play_heldout)

    p = sub.add_parser("compare-exports", help="two exports of one model played alike: SNR and metrics, as JSON")
    p.add_argument("--reference", type=Path, required=True, help="the float32 export")
    p.add_argument("--candidate", type=Path, required=True, help="the bfloat16 export")
    p.add_argument("--manifest", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--buffer", type=int, required=True)
    p.add_argument("--threads", type=int, required=True)
    p.add_argument("--seed", type=int, required=True)
    add_files_argument(p)
    p.set_defaults(func=cmd_compare_exports)

    p = sub.add_parser("evaluate-reconstructions", help="metrics of held-out reconstructions, as JSON")
    p.add_argument("--manifest", type=Path, required=True)
    p.add_argument("--reconstructions", type=Path, required=True)
    p.add_argument("--run-name", required=True)
    p.add_argument("--out", type=Path, required=True)
    add_files_argument(p)
    p.set_defaults(func=cmd_evaluate_reconstructions)

    p = sub.add_parser("generate-prior", help="unconditional audio from an exported model's prior")
    p.add_argument("--model", type=Path, required=True, help="exported .ts with a prior method")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--seconds", type=float, required=True)
    p.add_argument("--seed", type=int, required=True)
    p.set_defaults(func=cmd_generate_prior)

    p = sub.add_parser("generate-prior-sweep", help="one prior generation per temperature, same seed")
    p.add_argument("--model", type=Path, required=True, help="exported .ts with a prior method")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--temperature", type=float, nargs="+", required=True)
    p.add_argument("--seconds", type=float, required=True)
    p.add_argument("--seed", type=int, required=True)
    p.set_defaults(func=cmd_generate_prior_sweep)

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

    p = sub.add_parser("replication", help="the baseline replication: reference training behaviour, pass/fail")
    p.add_argument("--run", required=True)
    p.add_argument("--scalars", type=Path, required=True, help="the run's train_scalars.csv")
    p.add_argument("--summary", type=Path, required=True, help="the run's train_summary.json")
    p.add_argument("--threshold", nargs="+", required=True, metavar="CRITERION=VALUE")
    p.add_argument("--out", type=Path, required=True)
    p.set_defaults(func=cmd_replication)

    p = sub.add_parser("ablation", help="compare the noise-ablation pairs of runs")
    p.add_argument("--pair", nargs="+", required=True,
                   help="CORPUS:RUNS_WITH_NOISE:RUNS_WITHOUT_NOISE:SEEDS, each list comma-separated in seed order")
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
    p.add_argument("--config", type=Path, required=True, help="the run's effective config (results/config.json)")
    p.add_argument("--results", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.set_defaults(func=cmd_paper_numbers)

    p = sub.add_parser("paper", help="typeset the paper (Typst) from the numbers and figures")
    p.add_argument("--source", type=Path, required=True)
    p.add_argument("--numbers", type=Path, required=True)
    p.add_argument("--figures", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    add_private_corpus_argument(p)
    p.set_defaults(func=cmd_paper)

    p = sub.add_parser("check-publishable", help="refuse files that hold a private corpus' audio, judged by content")
    p.add_argument("paths", type=Path, nargs="+", help="files or folders to be published")
    add_private_corpus_argument(p, required=True)
    p.set_defaults(func=cmd_check_publishable)

    p = sub.add_parser("listening-page", help="render the companion listening page (results/site/)")
    p.add_argument("--numbers", type=Path, required=True, help="results/paper/numbers.json")
    p.add_argument("--manifest", type=name_and_path, nargs="+", required=True,
                   help="CORPUS=data/manifests/<corpus>.json")
    p.add_argument("--reconstructions", type=name_and_path, nargs="+", required=True,
                   help="RUN=folder of held-out reconstructions")
    p.add_argument("--prior", type=name_and_path, nargs="*", default=[], help="RUN=folder of the temperature sweep")
    p.add_argument("--temperature", type=float, nargs="*", default=[])
    p.add_argument("--figure", type=Path, nargs="*", default=[])
    p.add_argument("--model", type=Path, nargs="*", default=[], help="exported .ts files offered for download")
    p.add_argument("--paper", type=Path, required=True)
    p.add_argument("--clip-seconds", type=float, required=True)
    p.add_argument("--loudness", type=float, required=True, help="LUFS every clip is matched to")
    p.add_argument("--buffer", type=int, required=True, help="nn~ buffer size in the snippets")
    p.add_argument("--out", type=Path, required=True, help="the page (index.html)")
    p.add_argument("--media", type=Path, required=True, help="folder for its clips, images and models")
    add_private_corpus_argument(p)
    p.add_argument("--local-only", action="store_true",
                   help="include the private corpora's clips: a page for this machine, marked as not to be "
                   "published, and not guarded")
    p.set_defaults(func=cmd_listening_page)

    p = sub.add_parser("check-listening-page", help="open the page in headless Chromium and check it")
    p.add_argument("page", type=Path)
    p.add_argument("--screenshot", type=Path)
    p.add_argument("--report", type=Path, help="JSON of every audio element, image and request seen")
    p.set_defaults(func=cmd_check_listening_page)

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
