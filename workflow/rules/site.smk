rule listening_page:
    """results/site/index.html: held-out clips beside their reconstructions, prior generations,
    figures, metrics and the exported models, from the numbers the paper is typeset from."""
    input:
        numbers=rules.paper_numbers.output,
        paper=rules.paper.output,
        manifests=expand(pattern(rules.ingest.output.manifest), corpus=CORPORA),
        audio=[folder for corpus in SOURCE_CORPORA for folder in corpus_folders(corpus)],
        reconstructions=expand(pattern(rules.play_heldout.output), run=RUNS),  # what nn~ plays
        transfers=expand(pattern(rules.transfer.output), run=TRANSFER_RUNS),  # H3
        priors=expand(pattern(rules.generate_prior_sweep.output), run=PRIOR_RUNS),
        figures=[rules.figure_training_curves.output.png, rules.figure_spectrograms.output.png,
                 rules.figure_ablation.output.png],
        models=expand(pattern(rules.export.output), run=RUNS) + expand(pattern(rules.export_with_prior.output), run=PRIOR_RUNS),
        releases=expand(pattern(rules.release.output.archive), run=RELEASED_RUNS),
        private=[folder for _, folder in PRIVATE_CORPUS_FOLDERS],
        host=NN_HOST_SOURCES,  # the models are described as nn~ finds them
        code=code("listening-page"),
    output:
        page="results/site/index.html",
        media=directory("results/site/media"),
    params:
        manifests=lambda wildcards, input: name_path_flags(CORPORA, input.manifests),
        reconstructions=lambda wildcards, input: name_path_flags(RUNS, input.reconstructions),
        priors=lambda wildcards, input: name_path_flags(PRIOR_RUNS, input.priors),
        transfers=lambda wildcards, input: name_path_flags(TRANSFER_RUNS, input.transfers),
        temperatures=prior_temperatures,
        clip_seconds=setting("site.clip_seconds"),
        loudness=setting("site.loudness_lufs"),
        buffer=setting("evaluation.realtime_buffer"),
        private=private_corpus_flags,
    log:
        "results/logs/listening_page.log",
    shell:
        "electone-rave listening-page --numbers {input.numbers} --paper {input.paper}"
        " --manifest {params.manifests} --reconstructions {params.reconstructions}"
        " --prior {params.priors} --temperature {params.temperatures} --figure {input.figures}"
        " --model {input.models} --release {input.releases} --transfer {params.transfers} --clip-seconds {params.clip_seconds} --loudness {params.loudness}"
        " --buffer {params.buffer} --out {output.page} --media {output.media} --private-corpus {params.private}"
        " > {log} 2>&1"
