rule paper_numbers:
    """results/paper/numbers.json: every number the paper cites, from the result files."""
    input:
        rules.ablation.output,
        rules.replication.output,
        expand(rules.evaluate_reconstructions.output, run=RUNS),
        expand(rules.realtime.output, run=RUNS),
        expand(rules.evaluate_prior.output, run=PRIOR_RUNS),
        expand(rules.scalars.output.json, run=CURVE_RUNS, stage="train"),
        expand(rules.train.output.gin, run=CHECKPOINT_RUNS),
        expand(rules.train.output.provenance, run=RUNS),
        expand(rules.preprocess.output.report, corpus=CORPORA),
        config=rules.effective_config.output,
    output:
        "results/paper/numbers.json",
    log:
        "results/logs/paper/numbers.log",
    shell:
        "electone-rave paper-numbers --config {input.config} --results results --out {output} > {log} 2>&1"


rule paper:
    """The paper, typeset with Typst from the numbers and the figures: the last target."""
    input:
        source="paper/electone-rave.typ",
        bib="paper/references.bib",
        numbers=rules.paper_numbers.output,
        figures=[rules.figure_training_curves.output.png, rules.figure_spectrograms.output.png,
                 rules.figure_ablation.output.png],
    output:
        report("paper/electone-rave.pdf", category="Paper"),
    log:
        "results/logs/paper/paper.log",
    shell:
        "electone-rave paper --source {input.source} --numbers {input.numbers} --figures results/figures"
        " --out {output} > {log} 2>&1"
