# What identifies each private corpus to the publish guard, which the paper and listening page rules
# run on what they write: its source audio, the ingested WAV and RAVE's database.
PRIVATE_CORPUS_FOLDERS = [
    (corpus, folder)
    for corpus in sorted(set(CORPORA) | set(SOURCE_CORPORA)) if is_private(config, corpus)
    for folder in ([corpus_source(SimpleNamespace(corpus=corpus)), expand(pattern(rules.ingest.output.audio), corpus=corpus)[0]]
                   if corpus in SOURCE_CORPORA else [])
    + ([expand(pattern(rules.preprocess.output.db), corpus=corpus)[0]] if corpus in CORPORA else [])
]


def private_corpus_flags(wildcards, input):
    return name_path_flags([corpus for corpus, _ in PRIVATE_CORPUS_FOLDERS], input.private)


rule paper_numbers:
    """results/paper/numbers.json: every number the paper cites, from the result files."""
    input:
        rules.ablation.output,
        rules.replication.output,
        expand(pattern(rules.evaluate_reconstructions.output), run=RUNS),
        expand(pattern(rules.score_checkpoints.output), run=TRAINED_RUNS),
        expand(pattern(rules.dataset_size.output), sweep=DATASET_SIZE_SWEEPS),
        rules.compare_transfer.output if TRANSFER_RUNS else [],
        expand(pattern(rules.fad.output), run=FAD_RUNS),
        expand(pattern(rules.realtime.output), run=RUNS),
        expand(pattern(rules.load_grid.output), run=RUNS),
        expand(pattern(rules.evaluate_played.output), run=RUNS),
        expand(pattern(rules.play_heldout.output), run=RUNS),
        expand(pattern(rules.compare_weights.output), run=WEIGHTS_COMPARED_RUNS),
        expand(pattern(rules.evaluate_prior.output), run=PRIOR_RUNS),
        expand(pattern(rules.metrics.output.json), run=CURVE_RUNS, stage="train"),
        expand(pattern(rules.train.output.gin), run=CHECKPOINT_RUNS),
        expand(pattern(rules.train.output.provenance), run=RUNS),
        expand(pattern(rules.preprocess.output.report), corpus=CORPORA),
        config=rules.effective_config.output[0],
        code=code("paper-numbers"),
    output:
        "results/paper/numbers.json",
    params:
        results=lambda wildcards, input: parent(input.config),
    log:
        "results/logs/paper/numbers.log",
    shell:
        "electone-rave paper-numbers --config {input.config} --results {params.results} --out {output} > {log} 2>&1"


rule paper:
    """The paper, typeset with Typst from the numbers and the figures: the last target."""
    input:
        source=local("paper/electone-rave.typ"),
        bib=local("paper/references.bib"),
        numbers=rules.paper_numbers.output,
        figures=[rules.figure_training_curves.output.png, rules.figure_spectrograms.output.png,
                 rules.figure_ablation.output.png, rules.figure_heldout_curves.output.png]
        + ([rules.figure_dataset_size.output.png] if DATASET_SIZE_SWEEPS else [])
        + ([rules.figure_transfer.output.png] if TRANSFER_RUNS else []),
        private=[folder for _, folder in PRIVATE_CORPUS_FOLDERS],
        code=code("paper"),
    output:
        report("paper/electone-rave.pdf", category="Paper"),
    params:
        figures=lambda wildcards, input: parent(input.figures[0]),
        private=private_corpus_flags,
    log:
        "results/logs/paper/paper.log",
    shell:
        "electone-rave paper --source {input.source} --numbers {input.numbers} --figures {params.figures}"
        " --out {output} --private-corpus {params.private} > {log} 2>&1"
