rule reconstruct:
    """Reconstruct the held-out files of a run's corpus (RAVE's forward pass, from the checkpoint;
    an imported .ts alone through its scripted forward, its streaming delay removed)."""
    input:
        model=reconstruction_inputs,
        manifest=run_manifest,
        audio=run_audio,
        code=code("reconstruct"),
    output:
        directory("results/audio/{run}/reconstructions"),
    params:
        run=reconstruction_source,
        seed=setting("seed"),
        files=evaluation_files_flag,
    log:
        "results/logs/reconstruct/{run}.log",
    shell:
        "electone-rave reconstruct --run {params.run} --manifest {input.manifest} --out {output}"
        " --seed {params.seed} {params.files} > {log} 2>&1"


rule evaluate_reconstructions:
    """Spectral, mel, loudness, flatness, centroid and Fréchet-MFCC errors on held-out audio."""
    input:
        reconstructions=rules.reconstruct.output,
        manifest=run_manifest,
        audio=run_audio,
        code=code("evaluate-reconstructions"),
    output:
        "results/eval/{run}/reconstruction.json",
    params:
        files=evaluation_files_flag,
    log:
        "results/logs/evaluate_reconstructions/{run}.log",
    shell:
        "electone-rave evaluate-reconstructions --manifest {input.manifest} --reconstructions {input.reconstructions}"
        " --run-name {wildcards.run} --out {output} {params.files} > {log} 2>&1"


rule generate_prior:
    """Unconditional audio from the exported model's prior, chained prior -> decode as in nn~."""
    input:
        model=rules.export_with_prior.output,
        code=code("generate-prior"),
    output:
        directory("results/audio/{run}/prior"),
    params:
        examples=setting("scale.evaluation.prior_examples"),
        seconds=setting("scale.evaluation.prior_seconds"),
        seed=setting("seed"),
    log:
        "results/logs/generate_prior/{run}.log",
    shell:
        "electone-rave generate-prior --model {input.model} --out {output} --count {params.examples}"
        " --seconds {params.seconds} --seed {params.seed} > {log} 2>&1"


rule generate_prior_sweep:
    """Prior generations for the listening page: one seed, each configured temperature."""
    input:
        model=rules.export_with_prior.output,
        code=code("generate-prior-sweep"),
    output:
        directory("results/audio/{run}/prior_temperatures"),
    params:
        temperatures=prior_temperatures,
        seconds=setting("scale.evaluation.prior_seconds"),
        seed=setting("seed"),
    log:
        "results/logs/generate_prior_sweep/{run}.log",
    shell:
        "electone-rave generate-prior-sweep --model {input.model} --out {output} --temperature {params.temperatures}"
        " --seconds {params.seconds} --seed {params.seed} > {log} 2>&1"


rule evaluate_prior:
    """Feature statistics of the prior's generations against the training audio."""
    input:
        generations=rules.generate_prior.output,
        manifest=run_manifest,
        audio=run_audio,
        code=code("evaluate-prior"),
    output:
        "results/eval/{run}/prior.json",
    log:
        "results/logs/evaluate_prior/{run}.log",
    shell:
        "electone-rave evaluate-prior --manifest {input.manifest} --generations {input.generations}"
        " --run-name {wildcards.run} --out {output} > {log} 2>&1"


rule realtime:
    """Real-time factor of the exported streaming model on the CPU, one nn~ buffer at a time."""
    input:
        model=rules.export.output,
        code=code("realtime"),
    output:
        "results/eval/{run}/realtime.json",
    params:
        buffer=setting("evaluation.realtime_buffer"),
        threads=setting("evaluation.realtime_threads"),
        seconds=setting("scale.evaluation.realtime_seconds"),
    threads: all_cores  # alone on the machine, so other jobs do not disturb the timing
    log:
        "results/logs/realtime/{run}.log",
    shell:
        "electone-rave realtime --model {input.model} --buffer {params.buffer} --threads {params.threads}"
        " --seconds {params.seconds} --out {output} > {log} 2>&1"


# rave train's own folder, with its snapshots: rule train's params.work (not named there, so that
# this rule's needs do not edit train.smk, which every training depends on)
TRAIN_WORK = "results/checkpoints/train/{run}"


rule score_checkpoints:
    """H1: every checkpoint the training saved (its snapshots, train.save_every, and the final one)
    scored on the held-out files as the run's checkpoint is; the best one, and phase 2's trend."""
    input:
        ckpt=rules.train.output.ckpt,
        gin=rules.train.output.gin,
        manifest=run_manifest,
        audio=run_audio,
        code=code("score-checkpoints"),
    output:
        "results/eval/{run}/checkpoints.json",
    wildcard_constraints:
        run=one_of(TRAINED_RUNS),
    params:
        run=lambda wildcards, input: parent(input.ckpt),
        work=TRAIN_WORK,
        seed=setting("seed"),
    log:
        "results/logs/score_checkpoints/{run}.log",
    benchmark:
        "results/benchmarks/score_checkpoints/{run}.tsv"
    shell:
        "electone-rave score-checkpoints --run {params.run} --work {params.work} --manifest {input.manifest}"
        " --out {output} --seed {params.seed} > {log} 2>&1"


rule play_heldout:
    """The held-out files played through the exported streaming model as nn~ plays it: batch 1,
    nn~'s buffer, a fresh model per file; its delay (from its architecture, where the run's
    config.gin is known) removed; compute time measured on these files."""
    input:
        model="results/export/{run}.ts",
        config_gin=run_config_gin,
        manifest=run_manifest,
        audio=run_audio,
        code=code("play-heldout"),
    output:
        directory("results/audio/{run}/played"),
    wildcard_constraints:
        run=one_of(RUNS),
    params:
        buffer=setting("evaluation.realtime_buffer"),
        threads=setting("evaluation.realtime_threads"),
        seed=setting("seed"),
        files=evaluation_files_flag,
        config_gin=config_gin_flag,
    threads: all_cores  # alone on the machine, so other jobs do not disturb the timing
    log:
        "results/logs/play_heldout/{run}.log",
    shell:
        "electone-rave play-heldout --model {input.model} --manifest {input.manifest} --out {output}"
        " --buffer {params.buffer} --threads {params.threads} --seed {params.seed} {params.config_gin}"
        " {params.files} > {log} 2>&1"


rule load_grid:
    """The load a musician will see: the export played by nn-host (nn~'s backend in C++) at each
    sample rate, nn~ buffer, thread count and batch of evaluation.load_grid."""
    input:
        model=rules.export.output,
        played=rules.play_heldout.output,
        host=NN_HOST_SOURCES,
        code=code("load-grid"),
    output:
        "results/eval/{run}/load_grid.json",
    params:
        sample_rates=setting("evaluation.load_grid.sample_rates"),
        buffers=setting("evaluation.load_grid.buffers"),
        threads=setting("evaluation.load_grid.threads"),
        batches=setting("evaluation.load_grid.batches"),
        seconds=setting("scale.evaluation.load_grid_seconds"),
        seed=setting("seed"),
    threads: all_cores  # alone on the machine, so other jobs do not disturb the timing
    log:
        "results/logs/load_grid/{run}.log",
    benchmark:
        "results/benchmarks/load_grid/{run}.tsv"
    shell:
        "electone-rave load-grid --model {input.model} --played {input.played}/played.json"
        " --sample-rates {params.sample_rates} --buffers {params.buffers} --threads {params.threads}"
        " --batches {params.batches} --seconds {params.seconds} --seed {params.seed} --out {output} > {log} 2>&1"


rule evaluate_played:
    """The metrics of evaluate_reconstructions, on what the exported model played."""
    input:
        reconstructions=rules.play_heldout.output,
        manifest=run_manifest,
        audio=run_audio,
        code=code("evaluate-reconstructions"),
    output:
        "results/eval/{run}/played.json",
    params:
        files=evaluation_files_flag,
    log:
        "results/logs/evaluate_played/{run}.log",
    shell:
        "electone-rave evaluate-reconstructions --manifest {input.manifest} --reconstructions {input.reconstructions}"
        " --run-name {wildcards.run} --out {output} {params.files} > {log} 2>&1"


rule compare_weights:
    """float32 and bfloat16 exports of the study's trained model played alike over its held-out files:
    the bfloat16 output's SNR against the float32 one's, each one's metrics and real-time factor."""
    input:
        reference=float32_export,
        candidate=bfloat16_export,
        config_gin=run_config_gin,
        manifest=run_manifest,
        audio=run_audio,
        code=code("compare-exports"),
    output:
        "results/eval/{run}/weights.json",
    wildcard_constraints:
        run=one_of(WEIGHTS_COMPARED_RUNS),
    params:
        buffer=setting("evaluation.realtime_buffer"),
        threads=setting("evaluation.realtime_threads"),
        seed=setting("seed"),
        config_gin=config_gin_flag,
    threads: all_cores  # alone on the machine, so other jobs do not disturb the timing
    log:
        "results/logs/compare_weights/{run}.log",
    shell:
        "electone-rave compare-exports --reference {input.reference} --candidate {input.candidate}"
        " --manifest {input.manifest} --out {output} --buffer {params.buffer} --threads {params.threads}"
        " --seed {params.seed} {params.config_gin} > {log} 2>&1"


def replication_thresholds(wildcards):
    thresholds = config["replication"]["thresholds"]
    return Setting(" ".join(f"{name}={value}" for name, value in thresholds.items()), ["replication.thresholds"])


rule replication:
    """The baseline replication as a check: RAVE's reference training behaviour, pass or fail."""
    input:
        scalars=expand(pattern(rules.metrics.output.csv), run=config["replication"]["run"], stage="train"),
        summary=expand(pattern(rules.metrics.output.json), run=config["replication"]["run"], stage="train"),
        code=code("replication"),
    output:
        "results/eval/replication.json",
    params:
        run=setting("replication.run"),
        thresholds=replication_thresholds,
    log:
        "results/logs/replication.log",
    shell:
        "electone-rave replication --run {params.run} --scalars {input.scalars} --summary {input.summary}"
        " --threshold {params.thresholds} --out {output} > {log} 2>&1"


ABLATION_RUNS = sorted({run for pair in config["ablation"] for role in ("with_noise", "without_noise")
                        for run in arm_runs(RUN_SPECS, pair[role])})


def ablation_pair(pair):
    """CORPUS:WITH_RUNS:WITHOUT_RUNS:SEEDS, runs and seeds in seed order (the arms share their seeds)."""
    with_noise, without = arm_runs(RUN_SPECS, pair["with_noise"]), arm_runs(RUN_SPECS, pair["without_noise"])
    seeds = [RUN_SPECS[run]["seed"] for run in with_noise]
    return f"{pair['corpus']}:{','.join(with_noise)}:{','.join(without)}:{','.join(map(str, seeds))}"


def ablation_pairs(wildcards):
    """Every pair of `ablation:` as the ablation command takes it, with its runs' seeds."""
    return Setting(" ".join(ablation_pair(p) for p in config["ablation"]), ["ablation", *map(seed_key, ABLATION_RUNS)])


rule ablation:
    """The noise ablation: each pair's reconstruction metrics with and without the noise generator."""
    input:
        evaluations=expand(pattern(rules.evaluate_reconstructions.output), run=ABLATION_RUNS),
        code=code("ablation"),
    output:
        "results/eval/ablation.json",
    params:
        pairs=ablation_pairs,
        eval_dir=lambda wildcards, input: parent(parent(input.evaluations[0])),  # holds <run>/reconstruction.json
    log:
        "results/logs/ablation.log",
    shell:
        "electone-rave ablation --pair {params.pairs} --eval-dir {params.eval_dir} --out {output} > {log} 2>&1"
