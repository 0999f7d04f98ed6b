EXPORT_FLAGS = (
    f"--fidelity {config['export']['fidelity']} --seed {config['seed']} "
    + ("--streaming" if config["export"]["streaming"] else "--no-streaming")
)


rule export:
    """Export a run to TorchScript for nn~ (rave export --streaming)."""
    input:
        ckpt=rules.train.output.ckpt,
        gin=rules.train.output.gin,
    output:
        "results/export/{run}.ts",
    params:
        run=rules.train.params.out,
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
    output:
        "results/export/{run}_prior.ts",
    params:
        run=rules.train.params.out,
        prior=rules.prior.params.out,
        flags=EXPORT_FLAGS,
    log:
        "results/logs/export_with_prior/{run}.log",
    benchmark:
        "results/benchmarks/export_with_prior/{run}.tsv"
    shell:
        "electone-rave export --run {params.run} --prior {params.prior} --out {output} {params.flags} > {log} 2>&1"
