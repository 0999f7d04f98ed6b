rule preprocess:
    """Build the RAVE LMDB database of a corpus' training files (decoded in-process, or by stock
    rave preprocess), and the preprocess report: every input file and its seconds in the database."""
    input:
        audio=member_folders,
        manifest="data/manifests/{corpus}.json",  # rule ingest's, or union_corpus's
        ingest_report="results/ingest/{corpus}.json",
        code=code("preprocess"),
    output:
        db=directory("results/preprocess/{corpus}"),
        report="results/preprocess/{corpus}_preprocess_report.json",
    params:
        audio=audio_flags,
        writer=setting("preprocess.writer"),
    threads: all_cores  # decoding workers (writer direct)
    log:
        "results/logs/preprocess/{corpus}.log",
    benchmark:
        "results/benchmarks/preprocess/{corpus}.tsv"
    shell:
        "electone-rave preprocess --manifest {input.manifest} --out {output.db} {params.audio}"
        " --ingest-report {input.ingest_report} --report {output.report} --writer {params.writer}"
        " --workers {threads} > {log} 2>&1"
