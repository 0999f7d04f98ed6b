# Helpers shared by the rules: config lookups only, no file I/O.
import re
import shlex
import sys
from pathlib import Path
from types import SimpleNamespace

from electone_rave.corpus.private_corpus import manifest_path
from electone_rave.corpus.training_subset import SWEEPS, check_training_subsets, subset_source, training_database
from electone_rave.evaluation.fad import check_fad
from electone_rave.evaluation.transfer_comparison import check_transfer
from electone_rave.corpus.union_corpus import members
from electone_rave.training.gin_stack import project_files
from electone_rave.workflow.config import (arm_budget, arm_overrides, arm_runs, check_semantics, expand_seeds,
                                           has_training_curves, is_imported, is_private, is_scripted,
                                           raw_corpus_folder, weights_compared_runs)
from electone_rave.workflow.guards import check_private_data
from electone_rave.workflow.job_dependencies import Setting, command_code, lookup, module_code

check_semantics(config)
check_training_subsets(config)  # H2's subset arms and dataset-size sweeps (corpus/training_subset.py)
check_transfer(config)  # H3's cross-corpus transfer (evaluation/transfer_comparison.py)
check_fad(config)  # opt-in FAD: the embedding weights the user supplies exist (evaluation/fad.py)
check_private_data(Path(workflow.basedir))  # no audio in git or the Docker build context, ever
RUN_SPECS = expand_seeds(config)  # a run is one arm trained with one seed; config["arms"] holds them

SCALE = config["scales"][config["scale"]]
RUNS = list(RUN_SPECS)
PRIOR_RUNS = [run for run, spec in RUN_SPECS.items() if spec["prior"]]
SCRIPTED_RUNS = [run for run, spec in RUN_SPECS.items() if is_scripted(spec)]  # an imported .ts: no checkpoint
IMPORTED_RUNS = [run for run, spec in RUN_SPECS.items() if is_imported(spec) and run not in SCRIPTED_RUNS]
TRAINED_RUNS = [run for run in RUNS if run not in IMPORTED_RUNS + SCRIPTED_RUNS]
CHECKPOINT_RUNS = TRAINED_RUNS + IMPORTED_RUNS  # what a prior trains on and `rave export` exports
PRIOR_TRAINED_RUNS = [run for run in PRIOR_RUNS if run in CHECKPOINT_RUNS]
# export.checkpoint: best: the trained runs whose prior, exports and measures take their best checkpoint
BEST_CHECKPOINT_RUNS = TRAINED_RUNS if config["export"]["checkpoint"] == "best" else []
SCRIPTED_PRIOR_RUNS = [run for run in PRIOR_RUNS if run in SCRIPTED_RUNS]  # their .ts carries the prior
CURVE_RUNS = [run for run, spec in RUN_SPECS.items() if has_training_curves(spec)]  # with TensorBoard scalars
CORPORA = sorted({spec["corpus"] for spec in RUN_SPECS.values()})  # what runs train on, unions included
SOURCE_CORPORA = sorted({member for corpus in CORPORA for member in members(corpus)})  # each ingested once
UNION_CORPORA = [corpus for corpus in CORPORA if corpus not in SOURCE_CORPORA]
# H2: the nested subsets some arms train on (training_subset), each a database of its own
SUBSET_CORPORA = sorted({training_database(spec) for spec in RUN_SPECS.values()} - set(CORPORA))
DATASET_SIZE_SWEEPS = list(config.get(SWEEPS, {}))


def pattern(output):
    """A rule's output path pattern (or list of them), as written in the rule, for expand().

    With a default storage provider (profiles/kubernetes) rules.<name>.output holds each file's
    storage object, which expand() refuses; Snakemake's RuleProxy means to strip it but compares
    the object's local path with the storage prefix (snakemake 9.27.1), so it never does."""
    if not isinstance(output, str):
        return [pattern(item) for item in output]
    if not output.is_storage:
        return output
    prefix = (workflow.storage_settings.default_storage_prefix or "").rstrip("/")
    query = output.storage_object.query
    return query[len(prefix) + 1:] if prefix else query


def repository_files(paths):
    """Files of this repository as inputs: under a default storage provider they travel with the
    workflow's sources (git ls-files) instead of being looked up in storage."""
    return [local(path) for path in paths]


def code(*commands, modules=()):
    """A rule's code, as inputs: the package files its `electone-rave` commands run (or, for a `run:`
    block, the modules it imports), imports followed (electone_rave/workflow/job_dependencies.py), and the
    rule's own file (the caller's). Snakemake re-runs a job whose code is newer than its outputs, DVC
    one whose code's hash changed."""
    rule_file = Path(sys._getframe(1).f_code.co_filename)
    if rule_file.is_absolute():
        rule_file = rule_file.resolve().relative_to(Path(workflow.basedir).resolve())
    package = command_code(*commands) if commands else module_code(*modules)
    return repository_files([*package, rule_file.as_posix()])


def config_key(key):
    """A dotted config key, `scale.` standing for the active scale's section."""
    return f"scales.{config['scale']}.{key[len('scale.'):]}" if key.startswith("scale.") else key


def setting(key):
    """A rule parameter that is one config value (dotted key): its text for the command, and its key
    for DVC's params (job_dependencies.Setting). A function, so Snakemake keeps the Setting."""
    key = config_key(key)
    value = lookup(config, key)
    text = " ".join(map(str, value)) if isinstance(value, list) else value  # a list: one argument per item
    return lambda wildcards: Setting(text, [key])


def whole_config(wildcards):
    """Every config value, for a job that records them all."""
    return Setting(repr(config), list(config))


def one_of(names):
    """A wildcard pattern matching exactly these names (none: a pattern that matches nothing)."""
    return "|".join(map(re.escape, names)) or "(?!)"


wildcard_constraints:
    corpus=one_of(CORPORA + SOURCE_CORPORA + SUBSET_CORPORA),
    run=one_of(RUNS),
    stage="train|prior",


def corpus_style(wildcards):
    return Setting(config["corpora"][wildcards.corpus]["demo_style"], [f"corpora.{wildcards.corpus}.demo_style"])


def corpus_demo_seed(wildcards):
    return Setting(config["corpora"][wildcards.corpus].get("demo_seed", config["seed"]),
                   [f"corpora.{wildcards.corpus}.demo_seed", "seed"])


def corpus_folders(corpus):
    """The ingested folders a corpus's manifest points into: its own, or each member's for a union
    (a training subset's are its corpus')."""
    return [f"data/corpora/{member}" for member in members(subset_source(corpus)[0])]


def member_folders(wildcards):
    return corpus_folders(wildcards.corpus)


def member_files(pattern):
    return lambda wildcards: expand(pattern, corpus=members(wildcards.corpus))


def corpus_source(wildcards):
    """The folder a corpus is ingested from: synthesized (demo) or the user's own (raw)."""
    if SCALE["corpus"]["source"] == "demo":
        return f"data/demo/{wildcards.corpus}"
    if config["corpora"][wildcards.corpus].get("musicnet"):
        return "data/raw/musicnet"  # made by the extract_musicnet rule
    return raw_corpus_folder(wildcards.corpus, data_root())


def data_root():
    """Where a private corpus folder is looked for while the DAG is built: this checkout; under a
    filesystem storage provider (profiles/kubernetes) its volume, which every pod mounts too; under
    object storage nowhere (Snakemake then reports a missing input itself)."""
    provider = workflow.storage_settings.default_storage_provider
    if provider is None:
        return Path(".")
    return Path(workflow.storage_settings.default_storage_prefix or ".") if provider == "fs" else None


def committed_corpus_manifest(wildcards):
    """data/raw/<corpus>.manifest.json when the scale reads a real corpus that has one."""
    expected = manifest_path(wildcards.corpus)
    return repository_files([expected.as_posix()]) if SCALE["corpus"]["source"] == "raw" and expected.is_file() else []


def expect_flag(wildcards):
    return " ".join(f"--expect {path}" for path in committed_corpus_manifest(wildcards))


def musicnet_source():
    """The `musicnet` block of the corpus that is MusicNet (archive URL, API, subset), or {}."""
    return next((c["musicnet"] for c in config["corpora"].values() if c.get("musicnet")), {})


def musicnet_key():
    """The config key of the `musicnet` block (of the corpus that is MusicNet)."""
    return next((f"corpora.{name}.musicnet" for name, c in config["corpora"].items() if c.get("musicnet")), "corpora")


def musicnet_setting(field):
    return lambda wildcards: Setting(musicnet_source().get(field), [f"{musicnet_key()}.{field}"])


def musicnet_pin_flags(wildcards):
    pins = musicnet_source().get("files", {})
    return Setting("--pin " + " ".join(f"{name}:{pin['size']}:{pin['md5']}" for name, pin in pins.items()),
                   [f"{musicnet_key()}.files"])


def musicnet_subset_flags(wildcards):
    subset = musicnet_source()
    flags = f"--split {subset.get('split')}"
    if subset.get("ensembles"):
        flags += " --ensemble " + " ".join(shlex.quote(e) for e in subset["ensembles"])
    return Setting(flags, [f"{musicnet_key()}.split", f"{musicnet_key()}.ensembles"])


def imported_folder(wildcards):
    return RUN_SPECS[wildcards.run]["imported"]


def run_corpus(wildcards):
    return RUN_SPECS[wildcards.run]["corpus"]


def reconstruction_inputs(wildcards):
    """A run reconstructs from its checkpoint (the one its exports hold: with export.checkpoint: best,
    a trained run's best one, rules/best_checkpoint.smk); an imported .ts alone, from itself."""
    if wildcards.run in SCRIPTED_RUNS:
        return [f"results/export/{wildcards.run}.ts"]
    folder = "best_checkpoint" if wildcards.run in BEST_CHECKPOINT_RUNS else "train"
    return [f"results/{folder}/{wildcards.run}/model.ckpt", f"results/{folder}/{wildcards.run}/config.gin"]


def reconstruction_source(wildcards, input):
    """What `electone-rave reconstruct --run` takes: the imported .ts, or the run's folder."""
    model = input.model[0]
    return model if wildcards.run in SCRIPTED_RUNS else parent(model)


def run_config_gin(wildcards):
    """A run's config.gin, whose architecture sets its streaming export's delay; none for a .ts alone,
    or where the workflow exports without streaming (no delay to know)."""
    if wildcards.run in SCRIPTED_RUNS or not config["export"]["streaming"]:
        return []
    return [f"results/train/{wildcards.run}/config.gin"]


def config_gin_flag(wildcards, input):
    return f"--config-gin {input.config_gin}" if input.config_gin else ""


def run_db(wildcards):
    """The database a run trains on (its prior too): its corpus', or its training subset's."""
    return f"results/preprocess/{training_database(RUN_SPECS[wildcards.run])}"


def run_audio(wildcards):
    """The ingested folders a run's manifest points into (its held-out and training audio)."""
    return corpus_folders(run_corpus(wildcards))


def run_manifest(wildcards):
    return f"data/manifests/{run_corpus(wildcards)}.json"


def run_gin_files(wildcards):
    """The run's gin files of this repository (inputs); configs RAVE ships are named in the command."""
    return repository_files(project_files(RUN_SPECS[wildcards.run]["gin"]))


def run_gin_stack(wildcards):
    return Setting(" ".join(RUN_SPECS[wildcards.run]["gin"]), [f"arms.{RUN_SPECS[wildcards.run]['arm']}.gin"])


def budget_flags(section, run=None):
    """electone-rave train/train-prior flags for one step budget of the active scale (and arm)."""
    b = arm_budget(config, RUN_SPECS[run]["arm"]) if run and section == "train" else SCALE[section]
    overrides = arm_overrides(config, RUN_SPECS[run]["arm"], section) if run else b["overrides"]
    seed = RUN_SPECS[run]["seed"] if run else config["seed"]
    flags = [f"--max-steps {b['max_steps']}", f"--val-every {b['val_every']}", f"--batch {b['batch']}",
             f"--workers {b['workers']}", f"--log-every {b['log_every_n_steps']}", f"--seed {seed}"]
    if b.get("save_every"):
        flags.append(f"--save-every {b['save_every']}")
    if b.get("gpu") is not None:
        flags.append("--gpu " + " ".join(map(str, b["gpu"])))
    if b.get("deterministic"):
        flags.append("--deterministic")
    if b.get("precision", "32") != "32":
        flags.append(f"--precision {b['precision']}")
    if b.get("steps_per_second"):
        flags.append(f"--steps-per-second {b['steps_per_second']}")
    if overrides:
        flags.append("--override " + " ".join(map(shlex.quote, overrides)))  # [2] is a shell glob
    return Setting(" ".join(flags), budget_keys(section, run))


def budget_keys(section, run=None):
    """The config keys budget_flags reads."""
    p = f"scales.{config['scale']}"
    if not run:
        return [f"{p}.{section}", "seed"]
    arm = RUN_SPECS[run]["arm"]
    return [f"{p}.train", f"arms.{arm}.train_budget.{config['scale']}", f"arms.{arm}.overrides",
            f"arms.{arm}.scale_overrides.{config['scale']}", seed_key(run)]


def seed_key(run):
    """The config key a run's seed comes from: its place in its arm's `seeds`, else in the scale's,
    else `seed` (so adding a seed to a list changes no other run's key)."""
    spec = RUN_SPECS[run]
    for key in (f"arms.{spec['arm']}.seeds", f"scales.{config['scale']}.seeds"):
        seeds = lookup(config, key)
        if seeds:
            return f"{key}.{seeds.index(spec['seed'])}"
    return "seed"


def audio_flags(wildcards=None):
    a = config["audio"]
    return Setting(f"--sample-rate {a['sample_rate']} --channels {a['channels']} --n-signal {a['n_signal']}",
                   ["audio.sample_rate", "audio.channels", "audio.n_signal"])


def artefacts():
    """Every final output, by the rule that makes it (for results/manifest.json).

    Called from manifest.smk, after the rules it names are defined."""
    demo = SCALE["corpus"]["source"] == "demo"
    return {
        "demo_corpus": expand(pattern(rules.demo_corpus.output), corpus=SOURCE_CORPORA) if demo else [],
        "ingest": expand(pattern(rules.ingest.output), corpus=SOURCE_CORPORA),
        "union_corpus": expand(pattern(rules.union_corpus.output), corpus=UNION_CORPORA),
        "training_subset": expand(pattern(rules.training_subset.output), corpus=SUBSET_CORPORA),
        "preprocess": expand(pattern(rules.preprocess.output), corpus=CORPORA + SUBSET_CORPORA),
        "train": expand(pattern(rules.train.output), run=TRAINED_RUNS),
        "adopt_run": expand(pattern(rules.adopt_run.output), run=IMPORTED_RUNS),
        "prior": expand(pattern(rules.prior.output), run=PRIOR_TRAINED_RUNS),
        "export": expand(pattern(rules.export.output), run=CHECKPOINT_RUNS),
        "export_with_prior": expand(pattern(rules.export_with_prior.output), run=PRIOR_TRAINED_RUNS),
        "adopt_scripted": expand(pattern(rules.adopt_scripted.output), run=SCRIPTED_RUNS),
        "adopt_scripted_prior": expand(pattern(rules.adopt_scripted_prior.output), run=SCRIPTED_PRIOR_RUNS),
        "metrics": expand(pattern(rules.metrics.output), run=CURVE_RUNS, stage="train")
        + expand(pattern(rules.metrics.output), run=PRIOR_TRAINED_RUNS, stage="prior"),
        "reconstruct": expand(pattern(rules.reconstruct.output), run=RUNS),
        "evaluate_reconstructions": expand(pattern(rules.evaluate_reconstructions.output), run=RUNS),
        "score_checkpoints": expand(pattern(rules.score_checkpoints.output), run=TRAINED_RUNS),
        "best_checkpoint": expand(pattern(rules.best_checkpoint.output), run=BEST_CHECKPOINT_RUNS),
        "fad": expand(pattern(rules.fad.output), run=FAD_RUNS),
        "generate_prior": expand(pattern(rules.generate_prior.output), run=PRIOR_RUNS),
        "evaluate_prior": expand(pattern(rules.evaluate_prior.output), run=PRIOR_RUNS),
        "realtime": expand(pattern(rules.realtime.output), run=RUNS),
        "load_grid": expand(pattern(rules.load_grid.output), run=RUNS),
        "play_heldout": expand(pattern(rules.play_heldout.output), run=RUNS),
        "evaluate_played": expand(pattern(rules.evaluate_played.output), run=RUNS),
        "export_other_weights": expand(pattern(rules.export_other_weights.output), run=WEIGHTS_COMPARED_RUNS),
        "compare_weights": expand(pattern(rules.compare_weights.output), run=WEIGHTS_COMPARED_RUNS),
        "nn_host_check": expand(pattern(rules.nn_host_check.output), export=EXPORTS),
        "ablation": pattern(rules.ablation.output),
        "replication": pattern(rules.replication.output),
        "effective_config": pattern(rules.effective_config.output),
        "figure_training_curves": pattern(rules.figure_training_curves.output),
        "figure_spectrograms": pattern(rules.figure_spectrograms.output),
        "figure_ablation": pattern(rules.figure_ablation.output),
        "figure_heldout_curves": pattern(rules.figure_heldout_curves.output),
        "dataset_size": expand(pattern(rules.dataset_size.output), sweep=DATASET_SIZE_SWEEPS),
        "figure_dataset_size": pattern(rules.figure_dataset_size.output) if DATASET_SIZE_SWEEPS else [],
        "transfer": expand(pattern(rules.transfer.output), run=TRANSFER_RUNS),
        "evaluate_transfer": expand(pattern(rules.evaluate_transfer.output), run=TRANSFER_RUNS),
        "compare_transfer": pattern(rules.compare_transfer.output) if TRANSFER_RUNS else [],
        "figure_transfer": pattern(rules.figure_transfer.output) if TRANSFER_RUNS else [],
        "paper_numbers": pattern(rules.paper_numbers.output),
        "paper": pattern(rules.paper.output),
        "generate_prior_sweep": expand(pattern(rules.generate_prior_sweep.output), run=PRIOR_RUNS),
        "listening_page": pattern(rules.listening_page.output),
        "release": expand(pattern(rules.release.output), run=RELEASED_RUNS),
    }


def artefact_paths():
    return [path for paths in artefacts().values() for path in paths]


def artefact_flags():
    return " ".join(f"{rule}={path}" for rule, paths in artefacts().items() for path in paths)


def prior_temperatures(wildcards):
    """The prior's effective temperatures of the sweep (site.prior_temperatures), for its command."""
    return Setting(" ".join(str(t) for t in config["site"]["prior_temperatures"]), ["site.prior_temperatures"])


def evaluation_files_flag(wildcards):
    """An imported run evaluated on the files its importer named as never seen (arms.<arm>.unseen_files)."""
    named = RUN_SPECS[wildcards.run].get("unseen_files")
    return Setting("--files " + " ".join(map(shlex.quote, named)) if named else "",
                   [f"arms.{RUN_SPECS[wildcards.run]['arm']}.unseen_files"])


def name_path_flags(names, paths):
    """NAME=PATH arguments for a command that needs to know which input is whose."""
    names, paths = list(names), list(paths)
    assert len(names) == len(paths), (names, paths)
    return " ".join(f"{name}={path}" for name, path in zip(names, paths))


def parent(path):
    """The folder of an input or output file. Commands take folders this way, never as literal
    paths: under a default storage provider a job sees its files under the storage's local folder."""
    return Path(path).parent.as_posix()


def job_root(local_path, logical_path):
    """Where a job sees the workflow's folder: "." on a shared filesystem, the storage's local folder
    (.snakemake/storage/<provider>/<prefix>) under a default storage provider."""
    local_path, logical_path = str(local_path), str(logical_path)
    assert local_path.endswith(logical_path), (local_path, logical_path)
    return local_path[: len(local_path) - len(logical_path)] or "."


def all_cores(wildcards):
    """Training takes every core Snakemake was given (a function, so that commands which build no
    jobs, such as `snakemake --unlock`, need no --cores)."""
    return workflow.cores
