rule prior:
    """Train RAVE's VariationalPrior on a trained run (rave train_prior, configs/gin/prior_v1.gin)."""
    input:
        model=rules.train.output.ckpt,
        model_gin=rules.train.output.gin,
        db=run_db,
        gin=repository_files(config["prior"]["gin"]),
        code=code("train-prior"),
    output:
        ckpt="results/prior/{run}/model.ckpt",
        gin="results/prior/{run}/config.gin",
        tensorboard=directory("results/prior/{run}/tensorboard"),
        provenance="results/prior/{run}/provenance.json",
    wildcard_constraints:
        run=one_of(PRIOR_TRAINED_RUNS),
    params:
        model=lambda wildcards, input: parent(input.model),
        out=lambda wildcards, output: parent(output.ckpt),
        work="results/checkpoints/prior/{run}",
        budget=lambda wildcards: budget_flags("prior"),
        n_signal=setting("audio.n_signal"),
        fidelity=setting("export.fidelity"),
    threads: all_cores
    resources:
        gpu=1,  # one GPU per training where the profile counts GPUs (profiles/gpu, profiles/slurm)
    log:
        "results/logs/prior/{run}.log",
    benchmark:
        "results/benchmarks/prior/{run}.tsv"
    shell:
        "electone-rave train-prior --name {wildcards.run}_prior --model {params.model} --db {input.db}"
        " --gin {input.gin} --out {params.out} --work {params.work} {params.budget} --n-signal {params.n_signal}"
        " --fidelity {params.fidelity} > {log} 2>&1"
