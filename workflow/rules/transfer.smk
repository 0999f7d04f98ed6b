# H3, cross-corpus transfer (the config's `transfer`): each noise-ablation pair's runs reconstruct
# another corpus' held-out files; how much of that input they keep, with and without noise.
# In a file of their own so that adding them re-ran no training or evaluation rule.
from electone_rave.evaluation.transfer_comparison import KEY as TRANSFER

TRANSFER_PAIRS = [pair for pair in config["ablation"] if pair["corpus"] in config.get(TRANSFER, {})]
TRANSFER_RUNS = sorted({run for pair in TRANSFER_PAIRS for role in ("with_noise", "without_noise")
                        for run in arm_runs(RUN_SPECS, pair[role])})


def transfer_source(wildcards):
    """The corpus whose held-out files the run plays: the config's `transfer` for its corpus."""
    corpus = RUN_SPECS[wildcards.run]["corpus"]
    return Setting(config[TRANSFER][corpus], [f"{TRANSFER}.{corpus}"])


def transfer_manifest(wildcards):
    return f"data/manifests/{transfer_source(wildcards)}.json"


def transfer_audio(wildcards):
    return corpus_folders(transfer_source(wildcards))


rule transfer:
    """H3: a run reconstructs another corpus' held-out files, as it reconstructs its own."""
    input:
        model=reconstruction_inputs,
        manifest=transfer_manifest,
        audio=transfer_audio,
        code=code("reconstruct"),
    output:
        directory("results/audio/{run}/transfer"),
    wildcard_constraints:
        run=one_of(TRANSFER_RUNS),
    params:
        run=reconstruction_source,
        seed=setting("seed"),
        source=transfer_source,  # for DVC's params: the key that picks the corpus
    log:
        "results/logs/transfer/{run}.log",
    shell:
        "electone-rave reconstruct --run {params.run} --manifest {input.manifest} --out {output}"
        " --seed {params.seed} > {log} 2>&1"


rule evaluate_transfer:
    """H3: the content the run's transfer keeps (chroma, loudness envelope) and its timbre's
    distance to the run's training audio."""
    input:
        outputs=rules.transfer.output,
        manifest=transfer_manifest,
        audio=transfer_audio,
        training_manifest=lambda wildcards: f"data/manifests/{training_database(RUN_SPECS[wildcards.run])}.json",
        training_audio=run_audio,
        code=code("evaluate-transfer"),
    output:
        "results/eval/{run}/transfer.json",
    wildcard_constraints:
        run=one_of(TRANSFER_RUNS),
    log:
        "results/logs/evaluate_transfer/{run}.log",
    shell:
        "electone-rave evaluate-transfer --manifest {input.manifest} --outputs {input.outputs}"
        " --training-manifest {input.training_manifest} --run-name {wildcards.run} --out {output} > {log} 2>&1"


def transfer_pairs(wildcards):
    """The pairs with a transfer, as the ablation command takes them."""
    return Setting(" ".join(ablation_pair(p) for p in TRANSFER_PAIRS),
                   ["ablation", TRANSFER, *map(seed_key, TRANSFER_RUNS)])


rule compare_transfer:
    """H3: per ablation pair, the content kept with and without the noise generator; the verdict."""
    input:
        evaluations=expand(pattern(rules.evaluate_transfer.output), run=TRANSFER_RUNS),
        code=code("compare-transfer"),
    output:
        "results/eval/transfer.json",
    params:
        pairs=transfer_pairs,
        eval_dir=lambda wildcards, input: parent(parent(input.evaluations[0])),  # holds <run>/transfer.json
    log:
        "results/logs/compare_transfer.log",
    shell:
        "electone-rave compare-transfer --pair {params.pairs} --eval-dir {params.eval_dir} --out {output} > {log} 2>&1"


rule figure_transfer:
    """Figure (H3): content kept and timbre distance on another corpus, with and without noise."""
    input:
        transfer=rules.compare_transfer.output,
        code=code("figure-transfer"),
    output:
        png=report("results/figures/transfer.png", category="Ablation"),
        pdf="results/figures/transfer.pdf",
    log:
        "results/logs/figures/transfer.log",
    shell:
        "electone-rave figure-transfer --transfer {input.transfer} --out {output.png} > {log} 2>&1"
