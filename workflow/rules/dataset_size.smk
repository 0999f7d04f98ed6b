# H2, the dataset-size sweep (configs/experiments/dataset_size.yaml): the arms with a
# `training_subset` train on nested subsets of their corpus, and each sweep compares its sizes.
# In a file of their own so that adding them re-ran no corpus, training or evaluation rule.
from electone_rave.corpus.training_subset import write_training_subset
from electone_rave.evaluation.dataset_size import SHAPE


def subset_input(output):
    """The corpus' file a training subset is made from (its manifest or its ingest report)."""
    return lambda wildcards: expand(output, corpus=subset_source(wildcards.corpus)[0])[0]


def subset_arms(corpus):
    return [arm for arm, spec in config["arms"].items() if training_database(spec) == corpus]


def subset_percent(wildcards):
    return Setting(subset_source(wildcards.corpus)[1], [f"arms.{arm}.training_subset" for arm in subset_arms(wildcards.corpus)])


def subset_batch(wildcards):
    """The largest training batch of the arms that train on the subset: it must fill one."""
    arms = subset_arms(wildcards.corpus)
    return Setting(max(arm_budget(config, arm)["batch"] for arm in arms),
                   [f"scales.{config['scale']}.train.batch",
                    *(f"arms.{arm}.train_budget.{config['scale']}.batch" for arm in arms)])


rule training_subset:
    """A corpus' manifest with only the first training files (in the seed's order) that hold the
    subset's share of its training seconds left for training; held-out files unchanged."""
    input:
        manifest=subset_input(pattern(rules.ingest.output.manifest)),
        report=subset_input(pattern(rules.ingest.output.report)),
        code=code(modules=["electone_rave.corpus.training_subset"]),
    output:
        manifest="data/manifests/{corpus}.json",
        report="results/ingest/{corpus}.json",
    wildcard_constraints:
        corpus=one_of(SUBSET_CORPORA),
    params:
        percent=subset_percent,
        seed=setting("seed"),
        sample_rate=setting("audio.sample_rate"),
        n_signal=setting("audio.n_signal"),
        batch=subset_batch,
    log:
        "results/logs/training_subset/{corpus}.log",
    run:
        write_training_subset(Path(input.manifest), Path(input.report), int(params.percent), int(params.seed),
                              int(params.sample_rate), int(params.n_signal), int(params.batch),
                              Path(output.manifest), Path(output.report), log=Path(log[0]))


def sweep_arms(sweep):
    return config[SWEEPS][sweep]["arms"]


def sweep_runs(wildcards):
    return [run for arm in sweep_arms(wildcards.sweep) for run in arm_runs(RUN_SPECS, arm)]


def sweep_arm_flags(wildcards, input):
    """ARM:RUNS:SEEDS:PREPROCESS_REPORT per size, smallest first."""
    flags = []
    for arm, report in zip(sweep_arms(wildcards.sweep), input.reports):
        runs = arm_runs(RUN_SPECS, arm)
        flags.append(f"{arm}:{','.join(runs)}:{','.join(str(RUN_SPECS[run]['seed']) for run in runs)}:{report}")
    return " ".join(flags)


def sweep_keys(wildcards):
    """The config keys the sweep's command reads: its arms, their seeds, the shape's thresholds."""
    return Setting(wildcards.sweep, [f"{SWEEPS}.{wildcards.sweep}", *map(seed_key, sweep_runs(wildcards)),
                                     *(f"replication.thresholds.{name}" for name in SHAPE)])


def shape_thresholds(wildcards):
    thresholds = config["replication"]["thresholds"]
    return " ".join(f"{name}={thresholds[name]}" for name in SHAPE)


def sweep_corpus(wildcards):
    return RUN_SPECS[sweep_runs(wildcards)[0]]["corpus"]


rule dataset_size:
    """H2: per size of a sweep, the held-out errors and the phase-2 discriminator gap's shape; the verdict."""
    input:
        evaluations=lambda wildcards: expand(pattern(rules.evaluate_reconstructions.output), run=sweep_runs(wildcards)),
        scalars=lambda wildcards: expand(pattern(rules.metrics.output.csv), run=sweep_runs(wildcards), stage="train"),
        summaries=lambda wildcards: expand(pattern(rules.metrics.output.json), run=sweep_runs(wildcards), stage="train"),
        reports=lambda wildcards: [expand(pattern(rules.preprocess.output.report),
                                          corpus=training_database(RUN_SPECS[arm_runs(RUN_SPECS, arm)[0]]))[0]
                                   for arm in sweep_arms(wildcards.sweep)],
        code=code("dataset-size"),
    output:
        "results/eval/dataset_size/{sweep}.json",
    wildcard_constraints:
        sweep=one_of(DATASET_SIZE_SWEEPS),
    params:
        sweep=sweep_keys,
        corpus=sweep_corpus,
        arms=sweep_arm_flags,
        thresholds=shape_thresholds,
        eval_dir=lambda wildcards, input: parent(parent(input.evaluations[0])),  # holds <run>/reconstruction.json
        metrics_dir=lambda wildcards, input: parent(parent(input.scalars[0])),  # holds <run>/train_scalars.csv
    log:
        "results/logs/dataset_size/{sweep}.log",
    shell:
        "electone-rave dataset-size --sweep {params.sweep} --corpus {params.corpus} --arm {params.arms}"
        " --eval-dir {params.eval_dir} --metrics-dir {params.metrics_dir} --threshold {params.thresholds}"
        " --out {output} > {log} 2>&1"


rule figure_dataset_size:
    """Figure (H2): held-out error against training seconds, and each size's phase-2 gap, per sweep."""
    input:
        sweeps=expand(pattern(rules.dataset_size.output), sweep=DATASET_SIZE_SWEEPS),
        code=code("figure-dataset-size"),
    output:
        png=report("results/figures/dataset_size.png", category="Dataset size"),
        pdf="results/figures/dataset_size.pdf",
    log:
        "results/logs/figures/dataset_size.log",
    shell:
        "electone-rave figure-dataset-size --sweep {input.sweeps} --out {output.png} > {log} 2>&1"
