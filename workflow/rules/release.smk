# The runs released for musicians: those trained here or imported with a checkpoint, with a prior.
RELEASED_RUNS = PRIOR_TRAINED_RUNS


def release_exports(wildcards):
    """The float32 export (always), the bfloat16 one where the workflow exports with bfloat16 weights,
    and the export with its prior."""
    run = wildcards.run
    exact = [f"results/export/{run}_float32.ts", f"results/export/{run}.ts"] if release_weights() == "bfloat16" else [
        f"results/export/{run}.ts"]
    return exact + [f"results/export/{run}_prior.ts"]


def release_weights():
    """The matrix-product weights the workflow's exports carry (a stock export's are float32)."""
    export = config["export"]
    return export["matmul_weights"] if export["matmul_convolutions"] else "float32"


def release_privacy(wildcards):
    """--private when the run's training corpus (or one it unites) is private (corpora.<name>.private)."""
    corpus = RUN_SPECS[wildcards.run]["corpus"]
    return Setting("--private" if is_private(config, corpus) else "--no-private",
                   [f"corpora.{member}.private" for member in members(corpus)])


def release_checks(wildcards):
    return [f"results/nn_host_check/{Path(export).stem}.json" for export in release_exports(wildcards)]


rule release:
    """A run's bundle for musicians: its exports, each carrying a model card (also MODEL_CARD.md and
    model_card.json), generations of its prior as examples and SHA256SUMS; a folder and a zip."""
    input:
        exports=release_exports,
        checks=release_checks,
        numbers=rules.paper_numbers.output[0],
        examples=rules.generate_prior.output,
        citation=local("CITATION.cff"),
        licence=local("LICENSE"),
        private=[folder for _, folder in PRIVATE_CORPUS_FOLDERS],
        code=code("release"),
    output:
        folder=directory("results/release/{run}"),
        archive="results/release/{run}.zip",
    wildcard_constraints:
        run=one_of(RELEASED_RUNS),
    params:
        results=lambda wildcards, input: parent(parent(input.numbers)),
        private=release_privacy,
        private_folders=private_corpus_flags,
        weights=lambda wildcards: Setting(release_weights(), ["export.matmul_weights", "export.matmul_convolutions"]),
        seed=setting("seed"),
    log:
        "results/logs/release/{run}.log",
    benchmark:
        "results/benchmarks/release/{run}.tsv"
    shell:
        "electone-rave release {wildcards.run} --results {params.results} --out {output.folder}"
        " --archive {output.archive} {params.private} --weights {params.weights} --seed {params.seed}"
        " --citation {input.citation} --licence {input.licence} --private-corpus {params.private_folders} > {log} 2>&1"
