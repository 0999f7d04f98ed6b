"""What an edit would re-run, asked before running it: the jobs each engine would run, and the
estimated hours of the trainings among them (`electone-rave plan`).

Snakemake's plan is its dry run (`snakemake --dry-run`), which lists every job it would run,
downstream ones included. DVC's is `dvc status`, which names the stages whose own dependencies
changed; `dvc repro` then runs those and whatever their new outputs change downstream, so the plan
given for DVC is those stages and everything downstream of them (what it runs at most).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

PRIOR_RULES = ("prior", "prior_best_checkpoint")  # the latter trains on the best checkpoint (export.checkpoint)
TRAINING_RULES = ("train", *PRIOR_RULES)  # the jobs that cost GPU-hours at full size


@dataclass(frozen=True)
class PlannedJob:
    rule: str
    outputs: tuple[str, ...]
    wildcards: dict[str, str] = field(default_factory=dict, compare=False, hash=False)


def parse_dry_run(text: str) -> list[PlannedJob]:
    """The jobs in `snakemake --dry-run`'s output: each `rule NAME:` block's output and wildcards."""
    jobs, rule, details = [], None, {}
    for line in text.splitlines() + ["<end>"]:
        header = re.match(r"^(?:local)?(?:rule|checkpoint) (\w+):$", line)
        if (header or not line.startswith("    ")) and rule is not None:
            outputs = tuple(o.strip() for o in details.get("output", "").split(",") if o.strip())
            wildcards = dict(w.strip().split("=", 1) for w in details.get("wildcards", "").split(",") if "=" in w)
            jobs.append(PlannedJob(rule, outputs, wildcards))
            rule, details = None, {}
        if header:
            rule = header.group(1)
        elif rule is not None and line.startswith("    ") and ":" in line:
            name, value = line.strip().split(":", 1)
            details[name] = value.strip()
    return jobs


def snakemake_plan(workdir: Path) -> list[PlannedJob]:
    """The jobs `snakemake` would run in workdir (its dry run), `all` left out."""
    done = subprocess.run([sys.executable, "-m", "snakemake", "--dry-run"], cwd=workdir, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"snakemake --dry-run failed in {workdir}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return [job for job in parse_dry_run(done.stdout) if job.outputs]


def dvc_stages(workdir: Path) -> dict[str, dict]:
    return yaml.safe_load((workdir / "dvc.yaml").read_text())["stages"]


def dvc_stale(workdir: Path) -> set[str]:
    """The stages `dvc status` calls changed (their own dependencies, parameters or outputs)."""
    done = subprocess.run([sys.executable, "-m", "dvc", "status", "--json"], cwd=workdir, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"dvc status failed in {workdir}:\n{done.stderr[-3000:]}")
    return {name.split(":")[-1] for name in json.loads(done.stdout or "{}")}


def downstream(stages: dict[str, dict], names: set[str]) -> set[str]:
    """These stages and every stage that depends on their outputs, transitively."""
    producer = {out: name for name, stage in stages.items() for out in stage_outputs(stage)}
    consumers: dict[str, set[str]] = {}
    for name, stage in stages.items():
        for dep in stage.get("deps", []):
            if dep in producer:
                consumers.setdefault(producer[dep], set()).add(name)
    found, pending = set(), list(names)
    while pending:
        name = pending.pop()
        if name not in found:
            found.add(name)
            pending += consumers.get(name, set())
    return found


def stage_rule(stage: dict) -> str:
    """The Snakemake rule a generated DVC stage runs (its command restricts Snakemake to it)."""
    return re.search(r"--allowed-rules (\S+)", stage["cmd"]).group(1)


def stage_outputs(stage: dict) -> tuple[str, ...]:
    return tuple(stage.get("outs", []) + stage.get("metrics", []))


def stage_jobs(stages: dict[str, dict], names: set[str]) -> list[PlannedJob]:
    """DVC stages as the Snakemake jobs they run."""
    return [PlannedJob(stage_rule(stages[name]), stage_outputs(stages[name])) for name in sorted(names)]


def dvc_plan(workdir: Path) -> list[PlannedJob]:
    """What `dvc repro` would run at most: the changed stages and everything downstream of them."""
    stages = dvc_stages(workdir)
    return stage_jobs(stages, downstream(stages, dvc_stale(workdir)))


def trained_run(job: PlannedJob) -> str | None:
    """The run a planned training job trains (train: results/train/<run>/...; prior: results/prior/<run>/...)."""
    if job.rule not in TRAINING_RULES:
        return None
    return Path(job.outputs[0]).parent.name
