# The spectrogram figure shows the first Electone-like held-out file through the runs of the
# first ablation pair, and the prior's first generation.
SPECTRO_PAIR = config["ablation"][0]
SPECTRO_PRIOR_RUN = PRIOR_RUNS[0]


rule figure_training_curves:
    """Figure: pred_real, pred_fake, both spectral distances, feature matching, adversarial, validation."""
    input:
        csv=expand(pattern(rules.metrics.output.csv), run=CURVE_RUNS, stage="train"),
        json=expand(pattern(rules.metrics.output.json), run=CURVE_RUNS, stage="train"),
        code=code("figure-training"),
    output:
        png=report("results/figures/training_curves.png", category="Training"),
        pdf="results/figures/training_curves.pdf",
    params:
        runs=lambda wildcards, input: name_path_flags(CURVE_RUNS, map(",".join, zip(input.csv, input.json))),
    log:
        "results/logs/figures/training_curves.log",
    shell:
        "electone-rave figure-training --run {params.runs} --out {output.png} > {log} 2>&1"


rule figure_spectrograms:
    """Figure: a held-out Electone-like file, its reconstructions with and without noise, a prior generation."""
    input:
        manifest=f"data/manifests/{SPECTRO_PAIR['corpus']}.json",
        audio=corpus_folders(SPECTRO_PAIR["corpus"]),
        with_noise=f"results/audio/{SPECTRO_PAIR['with_noise']}/reconstructions",
        without_noise=f"results/audio/{SPECTRO_PAIR['without_noise']}/reconstructions",
        prior=f"results/audio/{SPECTRO_PRIOR_RUN}/prior",
        code=code("figure-spectrograms"),
    output:
        png=report("results/figures/spectrograms.png", category="Audio"),
        pdf="results/figures/spectrograms.pdf",
    log:
        "results/logs/figures/spectrograms.log",
    shell:
        "electone-rave figure-spectrograms --manifest {input.manifest}"
        " --reconstruction 'with noise={input.with_noise}' 'without noise={input.without_noise}'"
        " --prior {input.prior} --out {output.png} > {log} 2>&1"


rule figure_ablation:
    """Figure: the noise ablation bar chart with per-seed points."""
    input:
        ablation=rules.ablation.output,
        code=code("figure-ablation"),
    output:
        png=report("results/figures/ablation.png", category="Ablation"),
        pdf="results/figures/ablation.pdf",
    log:
        "results/logs/figures/ablation.log",
    shell:
        "electone-rave figure-ablation --ablation {input.ablation} --out {output.png} > {log} 2>&1"


rule figure_heldout_curves:
    """Figure (H1): held-out error of every saved checkpoint against step, per ablation pair."""
    input:
        scores=expand(pattern(rules.score_checkpoints.output), run=[r for r in ABLATION_RUNS if r in TRAINED_RUNS]),
        code=code("figure-heldout-curves"),
    output:
        png=report("results/figures/heldout_curves.png", category="Training"),
        pdf="results/figures/heldout_curves.pdf",
    params:
        pairs=ablation_pairs,  # the pairs alone: the curves do not depend on the ablation's numbers
        eval_dir=lambda wildcards, input: parent(parent(input.scores[0])) if input.scores else "results/eval",
    log:
        "results/logs/figures/heldout_curves.log",
    shell:
        "electone-rave figure-heldout-curves --pair {params.pairs} --eval-dir {params.eval_dir}"
        " --out {output.png} > {log} 2>&1"
