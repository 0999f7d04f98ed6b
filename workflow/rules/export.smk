EXPORT_FLAGS = (
    f"--fidelity {config['export']['fidelity']} --seed {config['seed']} "
    + ("--streaming" if config["export"]["streaming"] else "--no-streaming")
    + (f" --matmul-convolutions --matmul-weights {config['export']['matmul_weights']}"
       if config["export"]["matmul_convolutions"] else " --no-matmul-convolutions")
)


rule export:
    """Export a run to TorchScript for nn~ (rave export --streaming)."""
    input:
        ckpt=rules.train.output.ckpt,
        gin=rules.train.output.gin,
    output:
        "results/export/{run}.ts",
    wildcard_constraints:
        run=one_of(CHECKPOINT_RUNS),
    params:
        run=lambda wildcards, input: parent(input.ckpt),
        flags=EXPORT_FLAGS,
    log:
        "results/logs/export/{run}.log",
    benchmark:
        "results/benchmarks/export/{run}.tsv"
    shell:
        "electone-rave export --run {params.run} --out {output} {params.flags} > {log} 2>&1"


rule export_with_prior:
    """Export a run with its prior (`prior` method for nn~), with the batch-safe prior fix."""
    input:
        ckpt=rules.train.output.ckpt,
        gin=rules.train.output.gin,
        prior=rules.prior.output.ckpt,
        prior_gin=rules.prior.output.gin,  # rave export reads it beside the checkpoint
    output:
        "results/export/{run}_prior.ts",
    wildcard_constraints:
        run=one_of(PRIOR_TRAINED_RUNS),
    params:
        run=lambda wildcards, input: parent(input.ckpt),
        prior=lambda wildcards, input: parent(input.prior),
        flags=EXPORT_FLAGS,
    log:
        "results/logs/export_with_prior/{run}.log",
    benchmark:
        "results/benchmarks/export_with_prior/{run}.tsv"
    shell:
        "electone-rave export --run {params.run} --prior {params.prior} --out {output} {params.flags} > {log} 2>&1"


rule adopt_scripted:
    """An imported .ts alone (electone-rave import-run MODEL.ts) stands in for the export: checked,
    then copied where an export leaves its model, with the model's provenance."""
    input:
        imported_folder,
    output:
        export="results/export/{run}.ts",
        provenance="results/train/{run}/provenance.json",
    wildcard_constraints:
        run=one_of(SCRIPTED_RUNS),
    params:
        sample_rate=config["audio"]["sample_rate"],
    log:
        "results/logs/adopt_scripted/{run}.log",
    shell:
        "electone-rave adopt-scripted --source {input} --export {output.export} --provenance {output.provenance}"
        " --sample-rate {params.sample_rate} > {log} 2>&1"


rule adopt_scripted_prior:
    """An imported .ts that carries a prior is also the model the prior's generations come from."""
    input:
        imported_folder,
    output:
        "results/export/{run}_prior.ts",
    wildcard_constraints:
        run=one_of(SCRIPTED_PRIOR_RUNS),
    params:
        sample_rate=config["audio"]["sample_rate"],
    log:
        "results/logs/adopt_scripted_prior/{run}.log",
    shell:
        "electone-rave adopt-scripted --source {input} --export {output} --sample-rate {params.sample_rate} > {log} 2>&1"
