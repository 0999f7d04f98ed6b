# export.checkpoint: best. A trained run's prior and exports take the checkpoint with the lowest
# held-out error (H1, rule score_checkpoints) instead of the training's last one: rule best_checkpoint
# copies it into a run folder of its own, and each rule that takes a run's checkpoint has a twin here
# (`use rule`) reading that folder instead. With export.checkpoint: last (the default) no run is
# chosen (BEST_CHECKPOINT_RUNS, common.smk) and the rules in prior.smk and export.smk run as they are.

BEST_CHECKPOINT = "results/best_checkpoint/{run}"


def twin_code(command, rule_file):
    """A twin's code: its command's, this file and the file of the rule it is the twin of."""
    return code(command) + repository_files([f"workflow/rules/{rule_file}"])


rule best_checkpoint:
    """The run's checkpoint with the lowest held-out error, with its config.gin and provenance."""
    input:
        ckpt=rules.train.output.ckpt,
        gin=rules.train.output.gin,
        provenance=rules.train.output.provenance,
        scores=rules.score_checkpoints.output[0],
        code=code("best-checkpoint"),
    output:
        ckpt=f"{BEST_CHECKPOINT}/model.ckpt",
        gin=f"{BEST_CHECKPOINT}/config.gin",
        provenance=f"{BEST_CHECKPOINT}/provenance.json",
    wildcard_constraints:
        run=one_of(BEST_CHECKPOINT_RUNS),
    params:
        run=lambda wildcards, input: parent(input.ckpt),
        out=lambda wildcards, output: parent(output.ckpt),
        work=TRAIN_WORK,
    log:
        "results/logs/best_checkpoint/{run}.log",
    shell:
        "electone-rave best-checkpoint --run {params.run} --work {params.work} --scores {input.scores}"
        " --out {params.out} > {log} 2>&1"


use rule prior as prior_best_checkpoint with:
    input:
        model=rules.best_checkpoint.output.ckpt,
        model_gin=rules.best_checkpoint.output.gin,
        db=run_db,
        gin=repository_files(config["prior"]["gin"]),
        code=twin_code("train-prior", "prior.smk"),
    wildcard_constraints:
        run=one_of([run for run in PRIOR_TRAINED_RUNS if run in BEST_CHECKPOINT_RUNS]),


use rule export as export_best_checkpoint with:
    input:
        ckpt=rules.best_checkpoint.output.ckpt,
        gin=rules.best_checkpoint.output.gin,
        code=twin_code("export", "export.smk"),
    wildcard_constraints:
        run=one_of(BEST_CHECKPOINT_RUNS),


use rule export_other_weights as export_other_weights_best_checkpoint with:
    input:
        ckpt=rules.best_checkpoint.output.ckpt,
        gin=rules.best_checkpoint.output.gin,
        code=twin_code("export", "export.smk"),
    wildcard_constraints:
        run=one_of([run for run in WEIGHTS_COMPARED_RUNS if run in BEST_CHECKPOINT_RUNS]),


use rule export_with_prior as export_with_prior_best_checkpoint with:
    input:
        ckpt=rules.best_checkpoint.output.ckpt,
        gin=rules.best_checkpoint.output.gin,
        prior=rules.prior.output.ckpt,
        prior_gin=rules.prior.output.gin,
        code=twin_code("export", "export.smk"),
    wildcard_constraints:
        run=one_of([run for run in PRIOR_TRAINED_RUNS if run in BEST_CHECKPOINT_RUNS]),


ruleorder: prior_best_checkpoint > prior
ruleorder: export_best_checkpoint > export
ruleorder: export_other_weights_best_checkpoint > export_other_weights
ruleorder: export_with_prior_best_checkpoint > export_with_prior
