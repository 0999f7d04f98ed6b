rule preprocess:
    """Build the RAVE LMDB database of a corpus' training files (rave preprocess), verified chunk by
    chunk, and the preprocess report: every input file and its seconds in the database."""
    input:
        audio=member_folders,
        manifest="data/manifests/{corpus}.json",  # rule ingest's, or union_corpus's
        ingest_report="results/ingest/{corpus}.json",
    output:
        db=directory("results/preprocess/{corpus}"),
        report="results/preprocess/{corpus}_preprocess_report.json",
    params:
        audio=audio_flags(),
    log:
        "results/logs/preprocess/{corpus}.log",
    benchmark:
        "results/benchmarks/preprocess/{corpus}.tsv"
    shell:
        "electone-rave preprocess --manifest {input.manifest} --out {output.db} {params.audio}"
        " --ingest-report {input.ingest_report} --report {output.report} > {log} 2>&1"
