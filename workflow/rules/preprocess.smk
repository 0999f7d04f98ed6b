rule preprocess:
    """Check every training file with ffmpeg, then build the RAVE LMDB database (rave preprocess)."""
    input:
        audio=rules.corpus.output.audio,
        manifest=rules.corpus.output.manifest,
    output:
        db=directory("results/preprocess/{corpus}"),
    params:
        audio=audio_flags(),
    log:
        "results/logs/preprocess/{corpus}.log",
    benchmark:
        "results/benchmarks/preprocess/{corpus}.tsv"
    shell:
        "electone-rave preprocess --manifest {input.manifest} --out {output.db} {params.audio} > {log} 2>&1"
