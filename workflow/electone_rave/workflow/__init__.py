"""The workflow itself: the config, each job's dependencies, dvc.yaml, re-run plans, guards."""
