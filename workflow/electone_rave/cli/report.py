"""Report commands: figures, the comparisons across runs that the paper reports (the dataset-size
sweep, cross-corpus transfer), the opt-in FAD, the paper's numbers and the paper, the manifest, the
listening page and the publish guard."""

from __future__ import annotations

import argparse
from pathlib import Path

from .ablation_pairs import PAIRS_ARG
from .commands import FILES_ARG, arg, command, named, private_corpus_arg


@command("figure-training", "figure: the seed's training curves, runs overlaid",
         arg("--run", type=named(str), nargs="+", required=True, help="RUN=SCALARS_CSV,SUMMARY_JSON"),
         arg("--out", type=Path, required=True, help="PNG path; the PDF is written beside it"))
def cmd_figure_training(a):
    from ..report.figures.training_curves import plot
    runs = {name: tuple(map(Path, files.split(",", 1))) for name, files in a.run}
    plot(runs, a.out)


@command("figure-spectrograms", "figure: log-mel spectrograms of originals, reconstructions, prior",
         arg("--manifest", type=Path, required=True, help="the first held-out file is shown"),
         arg("--reconstruction", type=named(Path), nargs="+", required=True, help="TITLE=FOLDER of reconstructions"),
         arg("--prior", type=Path, required=True, help="folder of prior generations"),
         arg("--seconds", type=float, default=6.0),
         arg("--out", type=Path, required=True))
def cmd_figure_spectrograms(a):
    from ..report.figures.spectrograms import panels_for, plot
    plot(panels_for(a.manifest, a.reconstruction, a.prior), a.out, a.seconds)


@command("figure-ablation", "figure: the noise ablation bar chart",
         arg("--ablation", type=Path, required=True),
         arg("--out", type=Path, required=True))
def cmd_figure_ablation(a):
    from ..report.figures.ablation_bars import plot
    plot(a.ablation, a.out)


@command("figure-heldout-curves", "figure: (H1) held-out error of every saved checkpoint, per ablation pair",
         PAIRS_ARG,
         arg("--eval-dir", type=Path, required=True, help="holds <run>/checkpoints.json"),
         arg("--out", type=Path, required=True))
def cmd_figure_heldout_curves(a):
    from ..report.figures.heldout_curves import plot
    plot(a.pair, a.eval_dir, a.out)


def sweep_arm(text: str) -> dict:
    """ARM:RUNS:SEEDS:PREPROCESS_REPORT of a dataset-size sweep, runs and seeds comma-separated."""
    parts = text.split(":", 3)
    if len(parts) != 4 or not all(parts):
        raise argparse.ArgumentTypeError(f"{text!r}: expected ARM:RUNS:SEEDS:PREPROCESS_REPORT")
    arm, runs, seeds, report = parts
    try:
        seed_list = [int(seed) for seed in seeds.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: seeds must be integers") from None
    return {"arm": arm, "runs": runs.split(","), "seeds": seed_list, "preprocess_report": Path(report)}


# In the report stage, as paper-numbers' H1 verdicts: it reads the runs' evaluations and scalars,
# and adding it re-ran none of the evaluation's jobs (nor did the transfer's commands below).
@command("dataset-size", "H2: a dataset-size sweep's held-out errors and discriminator curves per size",
         arg("--sweep", required=True, help="the sweep's name in the config's dataset_size"),
         arg("--corpus", required=True),
         arg("--arm", type=sweep_arm, nargs="+", required=True,
             help="ARM:RUNS:SEEDS:PREPROCESS_REPORT per size, smallest first; runs and seeds comma-separated"),
         arg("--eval-dir", type=Path, required=True, help="holds <run>/reconstruction.json"),
         arg("--metrics-dir", type=Path, required=True, help="holds <run>/train_scalars.csv and train_summary.json"),
         arg("--threshold", type=named(float), nargs="+", required=True, metavar="CRITERION=VALUE",
             help="the replication's thresholds for the gap's shape"),
         arg("--out", type=Path, required=True))
def cmd_dataset_size(a):
    from ..evaluation.dataset_size import sweep
    sweep(a.sweep, a.corpus, a.arm, a.eval_dir, a.metrics_dir, dict(a.threshold), a.out)


# Beside its comparison, so that adding it re-ran none of the evaluation's jobs.
@command("evaluate-transfer", "(H3) how much of another corpus' held-out audio a run's reconstructions keep",
         arg("--manifest", type=Path, required=True, help="the manifest of the corpus played through the run"),
         arg("--outputs", type=Path, required=True, help="the run's reconstructions of its held-out files"),
         arg("--training-manifest", type=Path, required=True, help="the run's own corpus (its training files)"),
         arg("--run-name", required=True),
         arg("--out", type=Path, required=True))
def cmd_evaluate_transfer(a):
    from ..evaluation.transfer import evaluate_transfer
    evaluate_transfer(a.manifest, a.outputs, a.training_manifest, a.run_name, a.out)


@command("fad", "(opt-in, evaluation.fad) Fréchet Audio Distance of the played held-out files and the "
         "prior's generations, in an embedding whose weights you supply",
         arg("--embedding", choices=["vggish", "torchscript"], required=True),
         arg("--weights", type=Path, required=True, help="the embedding model's weights (never downloaded)"),
         arg("--method", default="encode", help="torchscript: the method mapping audio to [1, dims, frames]"),
         arg("--manifest", type=Path, required=True),
         arg("--played", type=Path, required=True, help="results/audio/<run>/played"),
         arg("--generations", type=Path, help="results/audio/<run>/prior, for a run with a prior"),
         arg("--run-name", required=True),
         arg("--out", type=Path, required=True),
         arg("--seed", type=int, default=0, help="the training audio's sample for the prior's FAD"),
         FILES_ARG)
def cmd_fad(a):
    from ..evaluation.fad import evaluate_fad
    record = evaluate_fad(a.embedding, a.weights, a.method, a.manifest, a.played, a.generations, a.run_name,
                          a.out, a.files, a.seed)
    print(f"{a.out}: played FAD {record['played']['fad']:.4f}"
          + (f", prior FAD {record['prior']['fad']:.4f}" if record["prior"] else ""))


@command("compare-transfer", "H3: each ablation pair's content kept on another corpus, with and without noise",
         PAIRS_ARG,
         arg("--eval-dir", type=Path, required=True, help="holds <run>/transfer.json"),
         arg("--out", type=Path, required=True))
def cmd_compare_transfer(a):
    from ..evaluation.transfer_comparison import compare
    compare(a.pair, a.eval_dir, a.out)


@command("figure-transfer", "figure: (H3) content kept and timbre distance on another corpus, per ablation pair",
         arg("--transfer", type=Path, required=True, help="results/eval/transfer.json"),
         arg("--out", type=Path, required=True))
def cmd_figure_transfer(a):
    from ..report.figures.transfer import plot
    plot(a.transfer, a.out)


@command("figure-dataset-size", "figure: (H2) held-out error and discriminator gap per size of each sweep",
         arg("--sweep", type=Path, nargs="+", required=True, help="each sweep's results/eval/dataset_size/<name>.json"),
         arg("--out", type=Path, required=True))
def cmd_figure_dataset_size(a):
    from ..report.figures.dataset_size import plot
    plot(a.sweep, a.out)


@command("paper-numbers", "gather every number the paper cites into one JSON",
         arg("--config", type=Path, required=True, help="the run's effective config (results/config.json)"),
         arg("--results", type=Path, required=True),
         arg("--out", type=Path, required=True))
def cmd_paper_numbers(a):
    from ..fileio import read_json
    from ..report.paper_numbers import gather
    gather(read_json(a.config), a.results, a.out)


@command("paper", "typeset the paper (Typst) from the numbers and figures",
         arg("--source", type=Path, required=True),
         arg("--numbers", type=Path, required=True),
         arg("--figures", type=Path, required=True),
         arg("--out", type=Path, required=True),
         private_corpus_arg())
def cmd_paper(a):
    from ..report.paper import build
    from ..report.publish_guard import guard_outputs
    build(a.source, a.numbers, a.figures, a.out)
    guard_outputs([a.out], a.private_corpus)


@command("manifest", "write results/manifest.json",
         arg("--scale", required=True),
         arg("--seed", type=int, required=True),
         arg("--out", type=Path, required=True),
         arg("--artefact", type=named(str), nargs="+", required=True, help="RULE=PATH, PATH relative to --root"),
         arg("--root", type=Path, default=Path("."),
             help="the workflow's folder as the job sees it (a storage provider's local folder)"))
def cmd_manifest(a):
    from ..report.artifacts import build
    artefacts: dict[str, list[str]] = {}
    for rule, path in a.artefact:
        artefacts.setdefault(rule, []).append(path)
    build(artefacts, a.scale, a.seed, a.out, a.root)


@command("listening-page", "render the companion listening page (results/site/)",
         arg("--numbers", type=Path, required=True, help="results/paper/numbers.json"),
         arg("--manifest", type=named(Path), nargs="+", required=True,
             help="CORPUS=data/manifests/<corpus>.json"),
         arg("--reconstructions", type=named(Path), nargs="+", required=True,
             help="RUN=folder of held-out reconstructions"),
         arg("--prior", type=named(Path), nargs="*", default=[], help="RUN=folder of the temperature sweep"),
         arg("--temperature", type=float, nargs="*", default=[]),
         arg("--figure", type=Path, nargs="*", default=[]),
         arg("--model", type=Path, nargs="*", default=[], help="exported .ts files offered for download"),
         arg("--release", type=Path, nargs="*", default=[], help="release bundles (results/release/<run>.zip)"),
         arg("--transfer", type=named(Path), nargs="*", default=[],
             help="RUN=folder of its reconstructions of another corpus' held-out files (H3)"),
         arg("--paper", type=Path, required=True),
         arg("--clip-seconds", type=float, required=True),
         arg("--loudness", type=float, required=True, help="LUFS every clip is matched to"),
         arg("--buffer", type=int, required=True, help="nn~ buffer size in the snippets"),
         arg("--out", type=Path, required=True, help="the page (index.html)"),
         arg("--media", type=Path, required=True, help="folder for its clips, images and models"),
         private_corpus_arg(),
         arg("--local-only", action="store_true",
             help="include the private corpora's clips: a page for this machine, marked as not to be "
             "published, and not guarded"))
def cmd_listening_page(a):
    from ..report.listening_page.render import render
    from ..report.publish_guard import guard_outputs
    render(numbers_file=a.numbers, manifests=dict(a.manifest), reconstructions=dict(a.reconstructions),
           priors=dict(a.prior), temperatures=a.temperature, figures=a.figure, models=a.model,
           releases=a.release, paper=a.paper, transfers=dict(a.transfer),
           clip_seconds=a.clip_seconds, lufs=a.loudness, buffer=a.buffer, html=a.out, media_folder=a.media,
           private={corpus for corpus, _ in a.private_corpus}, local_only=a.local_only)
    if not a.local_only:
        guard_outputs([a.out, a.media], a.private_corpus)


@command("release", "a run's bundle for musicians (results/release/<run>/ and .zip): its float32 export and "
         "the export with its prior, each carrying a model card, MODEL_CARD.md, examples of the prior, SHA256SUMS",
         arg("run"),
         arg("--results", type=Path, default=Path("results"), help="the workflow's results folder"),
         arg("--out", type=Path, help="the bundle's folder (default: <results>/release/<run>)"),
         arg("--archive", type=Path, help="its zip archive (default: <out>.zip)"),
         arg("--private", action=argparse.BooleanOptionalAction, required=True,
             help="whether the run's training data is private (the card says so; examples stay prior generations)"),
         arg("--weights", choices=("float32", "bfloat16"), required=True,
             help="the matrix-product weights the workflow exports with (export.matmul_weights; float32 for stock)"),
         private_corpus_arg(),
         arg("--citation", type=Path, default=Path("CITATION.cff")),
         arg("--licence", type=Path, default=Path("LICENSE")),
         arg("--seed", type=int, default=0, help="seed of nn-host's check of each bundled .ts"))
def cmd_release(a):
    from ..report.release import release
    out = a.out or a.results / "release" / a.run
    release(a.run, a.results, out, a.archive or out.with_name(out.name + ".zip"), a.private, a.weights,
            a.private_corpus, a.seed, a.citation, a.licence)


@command("check-publishable", "refuse files that hold a private corpus' audio, judged by content",
         arg("paths", type=Path, nargs="+", help="files or folders to be published"),
         private_corpus_arg(required=True))
def cmd_check_publishable(a):
    from ..report.publish_guard import check_against
    judged = check_against(a.paths, a.private_corpus)
    print(f"{len(judged)} files judged: no audio of {', '.join(sorted({c for c, _ in a.private_corpus}))} "
          f"in {', '.join(map(str, a.paths))}")


@command("check-listening-page", "open the page in headless Chromium and check it",
         arg("page", type=Path),
         arg("--screenshot", type=Path),
         arg("--report", type=Path, help="JSON of every audio element, image and request seen"))
def cmd_check_listening_page(a):
    from ..fileio import write_json
    from ..report.listening_page import ListeningPageError
    from ..report.listening_page.browser_check import check_page
    report = check_page(a.page, a.screenshot)
    if a.report:
        write_json(report, a.report)
    print(f"{a.page}: {len(report['audio'])} audio element(s), {len(report['images'])} image(s), "
          f"{len(report['outside_requests'])} request(s) leaving the page's files")
    if report["problems"]:
        raise ListeningPageError(f"{a.page}: " + "; ".join(report["problems"]))
