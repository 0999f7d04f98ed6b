rule demo_corpus:
    """Synthesize the seeded demo stand-in for one corpus (scales with corpus source `demo`)."""
    input:
        code=code("demo-corpus"),
    output:
        audio=directory("data/demo/{corpus}"),
    params:
        style=corpus_style,
        files=setting("scale.corpus.files"),
        seconds=setting("scale.corpus.seconds"),
        seed=corpus_demo_seed,
    log:
        "results/logs/demo_corpus/{corpus}.log",
    shell:
        "electone-rave demo-corpus --style {params.style} --out {output.audio}"
        " --files {params.files} --seconds {params.seconds} --seed {params.seed} > {log} 2>&1"


rule ingest:
    """Check every file of a corpus folder, convert the usable ones to 16-bit WAV at the training
    rate, fix the held-out split in a manifest, and report what became of each file."""
    input:
        source=corpus_source,
        expected=committed_corpus_manifest,
        code=code("ingest"),
    output:
        audio=directory("data/corpora/{corpus}"),
        manifest="data/manifests/{corpus}.json",
        report="results/ingest/{corpus}.json",
    wildcard_constraints:
        corpus=one_of(SOURCE_CORPORA),
    params:
        heldout=setting("scale.corpus.heldout_files"),
        seed=setting("seed"),
        on_bad_input=setting("ingest.on_bad_input"),
        audio=audio_flags,
        expect=expect_flag,
    threads: all_cores  # decoding threads
    log:
        "results/logs/ingest/{corpus}.log",
    benchmark:
        "results/benchmarks/ingest/{corpus}.tsv"
    shell:
        "electone-rave ingest --source {input.source} --out {output.audio} --manifest {output.manifest}"
        " --report {output.report} --heldout {params.heldout} --seed {params.seed}"
        " --on-bad-input {params.on_bad_input} {params.audio} {params.expect} --threads {threads} > {log} 2>&1"


rule union_corpus:
    """Several corpora as one training corpus (an arm with `corpus: [a, b]`): the members' manifests
    and ingest reports merged, each file under its member's folder and keeping its split."""
    input:
        manifests=member_files(pattern(rules.ingest.output.manifest)),
        reports=member_files(pattern(rules.ingest.output.report)),
        code=code("union-corpus"),
    output:
        manifest="data/manifests/{corpus}.json",
        report="results/ingest/{corpus}.json",
    wildcard_constraints:
        corpus=one_of(UNION_CORPORA),
    params:
        members=lambda wildcards: " ".join(members(wildcards.corpus)),
    log:
        "results/logs/union_corpus/{corpus}.log",
    shell:
        "electone-rave union-corpus --corpus {params.members} --manifest {input.manifests} --report {input.reports}"
        " --out-manifest {output.manifest} --out-report {output.report} > {log} 2>&1"
