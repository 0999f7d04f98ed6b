from electone_rave.fileio import write_json


rule effective_config:
    """results/config.json: the configuration this run used, command-line --config overrides included."""
    input:
        code=code(modules=["electone_rave.corpus.manifest"]),
    output:
        "results/config.json",
    params:
        config=config,  # a changed value reruns this rule, and what reads it
        every_key=whole_config,  # for DVC: every key
    log:
        "results/logs/effective_config.log",
    run:
        write_json(dict(params.config), output[0])
