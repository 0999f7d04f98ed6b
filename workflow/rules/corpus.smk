rule corpus:
    """Synthesize the seeded demo stand-in for one corpus, and its manifest."""
    output:
        audio=directory("data/corpora/{corpus}"),
        manifest="data/manifests/{corpus}.json",
    params:
        style=corpus_style,
        files=PROFILE["corpus"]["files"],
        seconds=PROFILE["corpus"]["seconds"],
        heldout=PROFILE["corpus"]["heldout_files"],
        seed=config["seed"],
    log:
        "results/logs/corpus/{corpus}.log",
    shell:
        "electone-rave corpus --style {params.style} --out {output.audio} --manifest {output.manifest}"
        " --files {params.files} --seconds {params.seconds} --heldout {params.heldout} --seed {params.seed}"
        " > {log} 2>&1"
