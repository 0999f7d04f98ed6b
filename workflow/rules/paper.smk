rule paper_numbers:
    """results/paper/numbers.json: every number the paper cites, from the result files."""
    input:
        rules.ablation.output,
        rules.replication.output,
        expand(pattern(rules.evaluate_reconstructions.output), run=RUNS),
        expand(pattern(rules.realtime.output), run=RUNS),
        expand(pattern(rules.evaluate_prior.output), run=PRIOR_RUNS),
        expand(pattern(rules.scalars.output.json), run=CURVE_RUNS, stage="train"),
        expand(pattern(rules.train.output.gin), run=CHECKPOINT_RUNS),
        expand(pattern(rules.train.output.provenance), run=RUNS),
        expand(pattern(rules.preprocess.output.report), corpus=CORPORA),
        config=rules.effective_config.output[0],
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
                 rules.figure_ablation.output.png],
    output:
        report("paper/electone-rave.pdf", category="Paper"),
    params:
        figures=lambda wildcards, input: parent(input.figures[0]),
    log:
        "results/logs/paper/paper.log",
    shell:
        "electone-rave paper --source {input.source} --numbers {input.numbers} --figures {params.figures}"
        " --out {output} > {log} 2>&1"
