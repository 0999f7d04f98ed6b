"""H2's nested training subsets: an arm with `training_subset: P` trains on part of its corpus.

The part is the shortest run of the corpus' training files, in one seeded order, that holds at
least P % of their seconds. Every size takes the same order, so a smaller subset is always inside a
larger one (nested, as the dataset-size sweep needs), and the held-out files are the corpus' own,
unchanged: each size is scored on the same audio. The arm's runs keep their corpus for everything
but training: only the database they train on (and their prior, if any) is the subset's,
`results/preprocess/<corpus>-subset<P>`.

The subset is written as a manifest whose left-out training files are marked `unused` (so the
preprocess report still lists every file and what became of it) and a copy of the corpus' ingest
report that says which subset it is. Its config checks live here rather than in
workflow/config.py, which every training's code includes: an edit here re-runs the subsets and
sweeps only, never the trainings that use neither.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import ConfigError
from ..fileio import read_json, write_json
from .manifest import read_manifest

SUBSET_MARK = "-subset"  # corpus names are [a-z0-9_]: the mark cannot occur in one
UNUSED = "unused"  # the split of a training file the subset leaves out
KEY = "training_subset"  # the arm's key: percent of its corpus' training seconds
SWEEPS = "dataset_size"  # the config's sweeps: name -> {arms: [smallest, ..., largest]}
# The gap's shape a sweep judges each run by (evaluation/dataset_size.py), with the replication's thresholds
SHAPE_THRESHOLDS = ("discriminator_gap_peak_earliness", "discriminator_gap_decay")


def subset_corpus(corpus: str, percent: int | None) -> str:
    """The name of the corpus a subset arm trains on: `electone-subset25`; the corpus itself without one."""
    return corpus if percent is None else f"{corpus}{SUBSET_MARK}{percent}"


def subset_source(name: str) -> tuple[str, int | None]:
    """(corpus, percent) of a subset's name; (name, None) for a corpus that is no subset."""
    corpus, mark, percent = name.rpartition(SUBSET_MARK)
    if not mark or not percent.isdigit():
        return name, None
    return corpus, int(percent)


def training_database(spec: dict) -> str:
    """The corpus whose database a run trains on: its subset's, or its corpus'."""
    return subset_corpus(spec["corpus"], spec.get(KEY))


def select_files(rows: list[dict], percent: int, seed: int) -> list[str]:
    """The training files a subset keeps: in the seeded order, the first ones holding >= percent %
    of the seconds. The same seed gives the same order for every percent, so subsets nest."""
    if not rows:
        raise ConfigError("no training files to take a subset of")
    order = np.random.default_rng(seed).permutation(len(rows))
    total = sum(row["seconds"] for row in rows)
    kept, seconds = [], 0.0
    for i in order:
        if kept and seconds >= total * percent / 100:
            break
        kept.append(rows[i]["file"])
        seconds += rows[i]["seconds"]
    return kept


def subset_manifest(manifest: dict, percent: int, seed: int) -> dict:
    """The corpus' manifest with the training files the subset leaves out marked `unused`."""
    training = [row for row in manifest["files"] if row["split"] == "train"]
    kept = set(select_files(training, percent, seed))
    files = [{**row, "split": UNUSED} if row["split"] == "train" and row["file"] not in kept else row
             for row in manifest["files"]]
    seconds = {split: sum(row["seconds"] for row in files if row["split"] == split) for split in ("train", UNUSED)}
    return {**manifest, "files": files,
            KEY: {"percent": percent, "order_seed": seed, "files": len(kept), "of_files": len(training),
                  "seconds": round(seconds["train"], 6), "of_seconds": round(seconds["train"] + seconds[UNUSED], 6)}}


def check_trainable(subset: dict, manifest: Path, sample_rate: int, n_signal: int, batch: int) -> None:
    """Refuse a subset too small for `rave train`: RAVE keeps 98 % of the database's chunks for
    training (at least one) and the rest for validation, and drops a last partial batch, so a
    subset needs a full batch of training chunks and one validation chunk (RAVE itself would stop
    with a ZeroDivisionError)."""
    from ..workflow.config import TRAIN_PERCENT, chunk_samples

    kept = [row for row in subset["files"] if row["split"] == "train"]
    chunks = sum(int(row["seconds"] * sample_rate) // chunk_samples(n_signal) for row in kept)
    training = max(TRAIN_PERCENT * chunks // 100, 1)
    if training < batch or chunks - training < 1:
        info = subset[KEY]
        raise ConfigError(
            f"{manifest}: the {info['percent']} % subset holds {info['files']} of {info['of_files']} training files "
            f"({info['seconds']:.1f} s): {chunks} RAVE chunks of {chunk_samples(n_signal)} samples, {training} for "
            f"training, fewer than a batch of {batch} and one for validation; raise the arm's {KEY} or add audio")


def write_training_subset(manifest: Path, ingest_report: Path, percent: int, seed: int, sample_rate: int,
                          n_signal: int, batch: int, out_manifest: Path, out_report: Path, log: Path | None = None) -> dict:
    """Rule training_subset: the subset's manifest, and the corpus' ingest report marked with it;
    nothing is written for a subset too small to train on. `log` gets what it kept."""
    subset = subset_manifest(read_manifest(manifest), percent, seed)
    info = subset[KEY]
    if log is not None:
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(f"{manifest}: the {percent} % subset keeps {info['files']} of {info['of_files']} training files, "
                       f"{info['seconds']:.1f} of {info['of_seconds']:.1f} s (order seed {seed})\n")
    check_trainable(subset, manifest, sample_rate, n_signal, batch)
    write_json(subset, out_manifest)
    write_json({**read_json(ingest_report), KEY: subset[KEY]}, out_report)
    return subset


def check_training_subsets(config: dict) -> None:
    """What the schema cannot say about subset arms and the dataset-size sweeps."""
    arms = config["arms"]
    for arm, spec in arms.items():
        if KEY not in spec:
            continue
        if "imported" in spec:
            raise ConfigError(f"configs: arms/{arm}/{KEY}: an imported arm was trained elsewhere, on data "
                              "of its own; a training subset is for an arm the workflow trains")
        if spec["prior"]:
            raise ConfigError(f"configs: arms/{arm}/{KEY}: a subset arm trains no prior (set prior: false): its "
                              "release and model card would describe the whole corpus as its training data")
        if not isinstance(spec["corpus"], str):
            raise ConfigError(f"configs: arms/{arm}/{KEY}: a subset of a union of corpora is not supported; "
                              "name one corpus")
    for i, pair in enumerate(config["ablation"]):
        subsets = {arms[pair[role]].get(KEY) for role in ("with_noise", "without_noise")}
        if len(subsets) > 1:
            raise ConfigError(f"configs: ablation/{i}: {pair['with_noise']!r} and {pair['without_noise']!r} "
                              f"train on different subsets ({KEY}); the ablation compares the same data")
    sweeps = config.get(SWEEPS, {})
    missing = [name for name in SHAPE_THRESHOLDS if name not in config["replication"]["thresholds"]]
    if sweeps and missing:
        raise ConfigError(f"configs: {SWEEPS}: a sweep judges the discriminator gap's shape by the replication's "
                          f"thresholds; add {', '.join(missing)} to replication/thresholds")
    for name, sweep in sweeps.items():
        check_sweep(config, name, sweep["arms"])


def check_sweep(config: dict, name: str, sweep_arms: list[str]) -> None:
    """A sweep's arms: known, trained here on one corpus, smallest first, alike but for their subset."""
    from ..workflow.config import arm_budget, arm_overrides, arm_seeds

    where = f"configs: {SWEEPS}/{name}/arms"
    unknown = [arm for arm in sweep_arms if arm not in config["arms"]]
    if unknown:
        raise ConfigError(f"{where}: unknown arm(s) {', '.join(map(repr, unknown))}")
    specs = {arm: config["arms"][arm] for arm in sweep_arms}
    if any("imported" in spec for spec in specs.values()):
        raise ConfigError(f"{where}: a sweep compares arms the workflow trains; an imported arm has no subset")
    if len({str(spec["corpus"]) for spec in specs.values()}) > 1:
        raise ConfigError(f"{where}: the arms must train on subsets of one corpus (held-out files in common)")
    sizes = [specs[arm].get(KEY, 100) for arm in sweep_arms]
    if sizes != sorted(set(sizes)):
        raise ConfigError(f"{where}: list the arms from the smallest subset to the largest, each size once "
                          f"(their {KEY}: {', '.join(map(str, sizes))}; no {KEY} is all, 100)")
    first = sweep_arms[0]
    for arm in sweep_arms[1:]:
        for what, read in (("gin", lambda a: specs[a]["gin"]), ("gin overrides", lambda a: arm_overrides(config, a)),
                           ("seeds", lambda a: arm_seeds(config, a)), ("step budget", lambda a: arm_budget(config, a))):
            if read(arm) != read(first):
                raise ConfigError(f"{where}: {first!r} and {arm!r} differ in their {what}; a sweep's arms may "
                                  f"differ only in their {KEY}")
