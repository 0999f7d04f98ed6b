"""Generate dvc.yaml from the Snakemake DAG, so the DAG is defined once (in the Snakefile).

Each DVC stage runs exactly one Snakemake job, restricted to its own rule:

    snakemake --cores all --allowed-rules R --forcerun R -- <the job's outputs>

DVC decides what is stale by content hashes (dvc.lock); Snakemake executes the rule with its
log, benchmark and threads. The stage's deps are the job's inputs, which hold its code (the package
files its command runs and its rule file: job_dependencies.py); its params are the config keys its
parameters were made from (each a job_dependencies.Setting), as they stand in configs/config.yaml.
DVC cannot parse gin, so gin files enter as inputs of the rules that read them.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import yaml

CONFIG_FILE = "configs/config.yaml"
def is_metrics(path: str) -> bool:
    """Outputs DVC shows with `dvc metrics show/diff`: training summaries and evaluation results."""
    return path.endswith("_summary.json") or (path.startswith("results/eval/") and path.endswith(".json"))
HEADER = ("# GENERATED from the Snakefile by `make dvc.yaml` (electone-rave dvc-stages): do not edit.\n"
          "# One stage per Snakemake job; tests/test_dvc_agreement.py fails if this file is stale.\n")


@dataclass(frozen=True)
class Job:
    rule: str
    wildcards: tuple[tuple[str, str], ...]
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    rule_file: str
    config_keys: tuple[str, ...] = ()  # the dotted config keys its parameters were made from

    @property
    def stage_name(self) -> str:
        # DVC stage names allow no punctuation but _ and -: a union corpus a+b is a_and_b.
        return "-".join([self.rule, *(value.replace("+", "_and_") for _, value in self.wildcards)])


def snakemake_jobs(snakefile: Path = Path("Snakefile")) -> list[Job]:
    """Every job of the full DAG (as with --forceall), in topological order, from Snakemake itself."""
    from snakemake.api import SnakemakeApi
    from snakemake.settings.enums import Quietness
    from snakemake.settings.types import DAGSettings, OutputSettings, ResourceSettings

    with SnakemakeApi(OutputSettings(quiet={Quietness.ALL})) as api:
        workflow_api = api.workflow(resource_settings=ResourceSettings(cores=1), snakefile=snakefile)
        dag_api = workflow_api.dag(DAGSettings(forceall=True))
        # Snakemake has no public job listing; these are the calls its own --d3dag/--export-cwl use.
        workflow = dag_api.workflow_api._workflow
        workflow._prepare_dag(forceall=True, ignore_incomplete=True, lock_warn_only=True)
        workflow._build_dag()
        dag = workflow.dag
        root = Path.cwd()
        jobs = []
        for job in dag.toposorted():
            for j in sorted(job, key=lambda j: str(j.output)):
                if not j.output:  # target-only rules such as `all`
                    continue
                jobs.append(Job(
                    rule=j.rule.name,
                    wildcards=tuple((k, str(v)) for k, v in j.wildcards_dict.items()),
                    inputs=tuple(sorted({str(f) for f in j.input})),
                    outputs=tuple(str(f) for f in j.output),
                    rule_file=str(Path(j.rule.snakefile).resolve().relative_to(root)),
                    config_keys=setting_keys(j.params),
                ))
        return jobs


def setting_keys(params) -> tuple[str, ...]:
    """The config keys of a job's parameters that are Settings (in lists too)."""
    from .job_dependencies import Setting

    values = [v for value in params for v in (value if isinstance(value, list) else [value])]
    return tuple(sorted({key for value in values if isinstance(value, Setting) for key in value.keys}))


def stage(job: Job, config: dict) -> dict:
    """One job's stage. Keys missing from the config file are left out (DVC refuses them); adding one
    changes the generated stage, and so re-runs it."""
    from .job_dependencies import lookup

    metrics = [path for path in job.outputs if is_metrics(path)]
    keys = [key for key in job.config_keys if lookup(config, key) is not None]
    entry = {
        "cmd": f"snakemake --cores all --allowed-rules {job.rule} --forcerun {job.rule} -- "
               + " ".join(job.outputs),
        "deps": sorted(set(job.inputs) | {job.rule_file}),
        **({"params": [{CONFIG_FILE: keys}]} if keys else {}),
        "outs": [path for path in job.outputs if path not in metrics],
    }
    if metrics:
        entry["metrics"] = metrics
    return entry


def config_file_values(config_file: Path = Path(CONFIG_FILE)) -> dict:
    """The config as the file holds it (what DVC compares), without Snakemake's overrides."""
    return yaml.safe_load(config_file.read_text())


class _NoAliasDumper(yaml.SafeDumper):
    def ignore_aliases(self, data):
        return True


def plots(jobs: list[Job]) -> list:
    """`dvc plots show`: each curve across runs (from the *_curves.csv outputs) and the figures."""
    from ..evaluation.metrics import PRIOR_TAGS, SEED_TAGS

    outputs = [path for job in jobs for path in job.outputs]
    definitions = []
    for stage_name, tags in (("train", SEED_TAGS), ("prior", PRIOR_TAGS)):
        curves = [p for p in outputs if p.endswith(f"/{stage_name}_curves.csv")]
        if curves:
            definitions += [{f"{stage_name}_{tag}": {"x": "step", "y": {c: tag for c in curves}}} for tag in tags]
    return definitions + [p for p in outputs if p.startswith("results/figures/") and p.endswith(".png")]


def render(jobs: list[Job], config: dict) -> str:
    stages = {job.stage_name: stage(job, config) for job in jobs}
    if len(stages) != len(jobs):
        raise ValueError("two Snakemake jobs map to the same DVC stage name")
    out = io.StringIO()
    out.write(HEADER)
    yaml.dump({"stages": stages, "plots": plots(jobs)}, out, Dumper=_NoAliasDumper, sort_keys=False, width=200)
    return out.getvalue()


def write_dvc_yaml(out: Path) -> None:
    out.write_text(render(snakemake_jobs(), config_file_values()))
