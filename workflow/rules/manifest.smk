rule manifest:
    """results/manifest.json: every artefact with its sha256, the profile, commit and versions."""
    input:
        [path for paths in artefacts().values() for path in paths],
    output:
        "results/manifest.json",
    params:
        artefacts=artefact_flags(),
        profile=config["profile"],
        seed=config["seed"],
    log:
        "results/logs/manifest.log",
    shell:
        "electone-rave manifest --profile {params.profile} --seed {params.seed} --out {output}"
        " --artefact {params.artefacts} > {log} 2>&1"
