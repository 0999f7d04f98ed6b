from electone_rave.evaluation.metrics import PRIOR_TAGS, SEED_TAGS

REQUIRED_TAGS = {
    # The seed's six curves and validation: both RAVE phases must have run.
    "train": " ".join(SEED_TAGS),
    "prior": " ".join(PRIOR_TAGS),
}


def required_tags(wildcards):
    return REQUIRED_TAGS[wildcards.stage]


rule metrics:
    """Export a run's TensorBoard scalars: tidy CSV, JSON summary, and the required curves for dvc plots."""
    input:
        tensorboard="results/{stage}/{run}/tensorboard",
        gin="results/{stage}/{run}/config.gin",
        code=code("metrics"),
    output:
        csv="results/metrics/{run}/{stage}_scalars.csv",
        json="results/metrics/{run}/{stage}_summary.json",
        curves="results/metrics/{run}/{stage}_curves.csv",
    params:
        require=required_tags,
    log:
        "results/logs/metrics/{run}_{stage}.log",
    shell:
        "electone-rave metrics --tensorboard {input.tensorboard} --config-gin {input.gin}"
        " --run {wildcards.run} --csv {output.csv} --json {output.json} --require {params.require}"
        " --curves {output.curves} > {log} 2>&1"
