# Opt-in Fréchet Audio Distance (config evaluation.fad): the embedding weights are the user's, so
# nothing here runs unless they are named (evaluation/fad.py).

FAD = config["evaluation"].get("fad")
FAD_RUNS = RUNS if FAD else []


def fad_weights(wildcards):
    """The user's weights: a data file like the corpora, not a repository file (under a storage
    profile it is read from the storage)."""
    return FAD["weights"]


def fad_generations(wildcards):
    """The prior's generations, for a run with a prior."""
    return expand(pattern(rules.generate_prior.output), run=wildcards.run) if wildcards.run in PRIOR_RUNS else []


def fad_flags(wildcards, input):
    generations = f" --generations {input.generations}" if input.generations else ""
    return Setting(f"--embedding {FAD['embedding']} --method {FAD.get('method', 'encode')}{generations}",
                   [f"evaluation.fad.{key}" for key in ("embedding", "method") if key in FAD])


rule fad:
    """FAD of the held-out files played through the export, and of the prior's generations, in the
    embedding the user supplied weights for."""
    input:
        played=rules.play_heldout.output,
        generations=fad_generations,
        weights=fad_weights,
        manifest=run_manifest,
        audio=run_audio,
        code=code("fad"),
    output:
        "results/eval/{run}/fad.json",
    wildcard_constraints:
        run=one_of(FAD_RUNS),
    params:
        flags=fad_flags,
        files=evaluation_files_flag,
        seed=setting("seed"),
    log:
        "results/logs/fad/{run}.log",
    shell:
        "electone-rave fad --weights {input.weights} {params.flags} --manifest {input.manifest}"
        " --played {input.played} --run-name {wildcards.run} --out {output} --seed {params.seed} {params.files} > {log} 2>&1"
