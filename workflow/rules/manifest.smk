rule manifest:
    """results/manifest.json: every artefact with its sha256, the scale, commit and versions."""
    input:
        artefacts=artefact_paths(),
        code=code("manifest"),
    output:
        "results/manifest.json",
    params:
        artefacts=artefact_flags(),
        root=lambda wildcards, input: job_root(input.artefacts[0], artefact_paths()[0]),
        scale=setting("scale"),
        seed=setting("seed"),
    log:
        "results/logs/manifest.log",
    shell:
        "electone-rave manifest --scale {params.scale} --seed {params.seed} --root {params.root} --out {output}"
        " --artefact {params.artefacts} > {log} 2>&1"
