REQUIRED_TAGS = {
    # The seed's six curves and validation: both RAVE phases must have run.
    "train": "pred_real pred_fake multiband_spectral_distance fullband_spectral_distance"
    " feature_matching adversarial validation",
    "prior": "latent_prediction validation",
}


def required_tags(wildcards):
    return REQUIRED_TAGS[wildcards.stage]


rule scalars:
    """Export a run's TensorBoard scalars to a tidy CSV and a JSON summary."""
    input:
        tensorboard="results/{stage}/{run}/tensorboard",
        gin="results/{stage}/{run}/config.gin",
    output:
        csv="results/metrics/{run}/{stage}_scalars.csv",
        json="results/metrics/{run}/{stage}_summary.json",
    params:
        require=required_tags,
    log:
        "results/logs/scalars/{run}_{stage}.log",
    shell:
        "electone-rave metrics --tensorboard {input.tensorboard} --config-gin {input.gin}"
        " --run {wildcards.run} --csv {output.csv} --json {output.json} --require {params.require} > {log} 2>&1"
