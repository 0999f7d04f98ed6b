from electone_rave.export.nn_host import source_files as nn_host_sources


def export_flags(weights):
    """The export command's flags for this weight type; a function of the job, as Settings are."""
    flags = (f"--fidelity {config['export']['fidelity']} --seed {config['seed']} "
             + ("--streaming" if config["export"]["streaming"] else "--no-streaming")
             + (f" --matmul-convolutions --matmul-weights {weights}"
                if config["export"]["matmul_convolutions"] else " --no-matmul-convolutions"))
    keys = ["export.fidelity", "seed", "export.streaming", "export.matmul_convolutions", "export.matmul_weights"]
    return lambda wildcards: Setting(flags, keys)


EXPORT_FLAGS = export_flags(config["export"]["matmul_weights"])
# The study's model is also exported with the other weight type, so what bfloat16 weights change is
# measured on a trained model (rule compare_weights); only where they apply (a streaming,
# matrix-product export).
OTHER_WEIGHTS = "float32" if config["export"]["matmul_weights"] == "bfloat16" else "bfloat16"
WEIGHTS_COMPARED_RUNS = weights_compared_runs(config, RUN_SPECS)


def weights_export(run, weights):
    """A run's export with these matrix-product weights: its export, or the one of the other type."""
    return f"results/export/{run}.ts" if weights == config["export"]["matmul_weights"] else f"results/export/{run}_{weights}.ts"


def float32_export(wildcards):
    return weights_export(wildcards.run, "float32")


def bfloat16_export(wildcards):
    return weights_export(wildcards.run, "bfloat16")


rule export:
    """Export a run to TorchScript for nn~ (rave export --streaming)."""
    input:
        ckpt=rules.train.output.ckpt,
        gin=rules.train.output.gin,
        code=code("export"),
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


rule export_other_weights:
    """The run exported with the other matrix-product weight type than export.matmul_weights."""
    input:
        ckpt=rules.train.output.ckpt,
        gin=rules.train.output.gin,
        code=code("export"),
    output:
        f"results/export/{{run}}_{OTHER_WEIGHTS}.ts",
    wildcard_constraints:
        run=one_of(WEIGHTS_COMPARED_RUNS),
    params:
        run=lambda wildcards, input: parent(input.ckpt),
        flags=export_flags(OTHER_WEIGHTS),
    log:
        "results/logs/export_other_weights/{run}.log",
    shell:
        "electone-rave export --run {params.run} --out {output} {params.flags} > {log} 2>&1"


rule export_with_prior:
    """Export a run with its prior (`prior` method for nn~), with the batch-safe prior fix."""
    input:
        ckpt=rules.train.output.ckpt,
        gin=rules.train.output.gin,
        prior=rules.prior.output.ckpt,
        prior_gin=rules.prior.output.gin,  # rave export reads it beside the checkpoint
        code=code("export"),
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
        imported=imported_folder,
        code=code("adopt-scripted"),
    output:
        export="results/export/{run}.ts",
        provenance="results/train/{run}/provenance.json",
    wildcard_constraints:
        run=one_of(SCRIPTED_RUNS),
    params:
        sample_rate=setting("audio.sample_rate"),
    log:
        "results/logs/adopt_scripted/{run}.log",
    shell:
        "electone-rave adopt-scripted --source {input.imported} --export {output.export} --provenance {output.provenance}"
        " --sample-rate {params.sample_rate} > {log} 2>&1"


rule adopt_scripted_prior:
    """An imported .ts that carries a prior is also the model the prior's generations come from."""
    input:
        imported=imported_folder,
        code=code("adopt-scripted"),
    output:
        "results/export/{run}_prior.ts",
    wildcard_constraints:
        run=one_of(SCRIPTED_PRIOR_RUNS),
    params:
        sample_rate=setting("audio.sample_rate"),
    log:
        "results/logs/adopt_scripted_prior/{run}.log",
    shell:
        "electone-rave adopt-scripted --source {input.imported} --export {output} --sample-rate {params.sample_rate} > {log} 2>&1"


# Every .ts the workflow leaves, by name (results/export/<name>.ts), those imported as they are too.
EXPORTS = (CHECKPOINT_RUNS + SCRIPTED_RUNS + [f"{run}_prior" for run in PRIOR_RUNS]
           + [f"{run}_{OTHER_WEIGHTS}" for run in WEIGHTS_COMPARED_RUNS])
NN_HOST_SOURCES = repository_files(
    path.relative_to(workflow.basedir).as_posix() for path in nn_host_sources(Path(workflow.basedir, "workflow/nn_host")))


rule nn_host_check:
    """An export played by nn-host (workflow/nn_host: nn~'s backend and buffering, in C++ against the
    venv's libtorch) and by Python's torch: every method at batch 1 and 4, equal within float tolerance."""
    input:
        export="results/export/{export}.ts",
        host=NN_HOST_SOURCES,
        code=code("nn-host-check"),
    output:
        "results/nn_host_check/{export}.json",
    wildcard_constraints:
        export=one_of(EXPORTS),
    params:
        seed=setting("seed"),
    log:
        "results/logs/nn_host_check/{export}.log",
    benchmark:
        "results/benchmarks/nn_host_check/{export}.tsv"
    shell:
        "electone-rave nn-host-check --export {input.export} --out {output} --seed {params.seed}"
        " > {log} 2>&1"
