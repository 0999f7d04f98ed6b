rule train:
    """Train RAVE on one corpus (rave train). A killed job resumes from params.work when re-run."""
    input:
        db=run_db,
        gin=run_gin_files,
        code=code("train"),
    output:
        ckpt="results/train/{run}/model.ckpt",
        gin="results/train/{run}/config.gin",
        tensorboard=directory("results/train/{run}/tensorboard"),
        provenance="results/train/{run}/provenance.json",
    params:
        out=lambda wildcards, output: parent(output.ckpt),
        work="results/checkpoints/train/{run}",
        gin=run_gin_stack,
        budget=lambda wildcards: budget_flags("train", wildcards.run),
        audio=audio_flags,
    wildcard_constraints:
        run=one_of(TRAINED_RUNS),
    threads: all_cores
    resources:
        gpu=1,  # one GPU per training where the profile counts GPUs (profiles/gpu, profiles/slurm)
    log:
        "results/logs/train/{run}.log",
    benchmark:
        "results/benchmarks/train/{run}.tsv"
    shell:
        "electone-rave train --name {wildcards.run} --db {input.db} --gin {params.gin}"
        " --out {params.out} --work {params.work} {params.budget} {params.audio} > {log} 2>&1"


rule adopt_run:
    """An imported run (electone-rave import-run) stands in for training: checked, then copied where
    a training leaves its model, so every later rule takes it like a trained run."""
    input:
        imported=imported_folder,
        code=code("adopt-run"),
    output:
        ckpt="results/train/{run}/model.ckpt",
        gin="results/train/{run}/config.gin",
        tensorboard=directory("results/train/{run}/tensorboard"),
        provenance="results/train/{run}/provenance.json",
    wildcard_constraints:
        run=one_of(IMPORTED_RUNS),
    params:
        out=lambda wildcards, output: parent(output.ckpt),
        sample_rate=setting("audio.sample_rate"),
    log:
        "results/logs/adopt_run/{run}.log",
    shell:
        "electone-rave adopt-run --source {input.imported} --out {params.out} --sample-rate {params.sample_rate} > {log} 2>&1"
