"""Both engines re-run exactly what an edit can change: a table of edits, each applied alone to a
finished smoke chain, and what `dvc status` calls changed and what `snakemake --dry-run` plans.

For each edit the table names the jobs whose own code, parameters or inputs changed. DVC must call
exactly those stages changed; Snakemake must plan exactly those and everything downstream of them
(what `dvc repro` runs too, once their outputs change). Nothing is run: dry runs only.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

import pytest
import yaml

from conftest import run
from electone_rave.workflow.rerun_plan import downstream, dvc_stages, dvc_stale, snakemake_plan, stage_outputs, stage_rule

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def settled(chain: Path, tmp_path_factory) -> Path:
    """A copy of the finished chain recorded in dvc.lock and in Snakemake's order, as `make demo`
    leaves it: nothing to do for either engine."""
    copy = tmp_path_factory.mktemp("rerun") / "chain"
    shutil.copytree(chain, copy, symlinks=True)
    run(["dvc", "commit", "--force", "--quiet"], copy)
    run(["snakemake", "--cores", "all", "--touch", "--quiet"], copy)
    assert planned(copy) == set() and dvc_stale(copy) == set()
    return copy


def planned(workdir: Path) -> set[str]:
    """Snakemake's dry run, as DVC stage names (a job is the stage with its outputs)."""
    by_output = {stage_outputs(stage)[0]: name for name, stage in dvc_stages(workdir).items()}
    return {by_output[job.outputs[0]] for job in snakemake_plan(workdir)}


def stages_of(workdir: Path, names: set[str]) -> set[str]:
    """Stage names from rule names (every job of the rule) and stage names."""
    stages = dvc_stages(workdir)
    rule = {name: stage_rule(stage) for name, stage in stages.items()}
    found = {stage for stage in stages if rule[stage] in names} | (names & set(stages))
    unknown = names - set(rule.values()) - set(stages)
    assert not unknown, f"neither rules nor stages: {unknown}"
    return found


@contextlib.contextmanager
def edited(path: Path, change):
    """The file changed by `change` (text -> text), then put back with its bytes and its mtime."""
    before, stat = path.read_bytes(), path.stat()
    path.unlink()  # a new file: nothing shared with the chain it was copied from
    path.write_text(change(before.decode()))
    try:
        yield
    finally:
        path.unlink()
        path.write_bytes(before)
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def append_line(line: str):
    return lambda text: text + line + "\n"


def set_config(key: str, value):
    def change(text: str) -> str:
        config = yaml.safe_load(text)
        *parents, last = key.split(".")
        section = config
        for part in parents:
            section = section[part]
        assert last in section, key
        section[last] = value
        return yaml.safe_dump(config, sort_keys=False)
    return change


TRAINING_AND_DATA = ("demo_corpus", "ingest", "preprocess", "train", "prior")
EVALUATION_OF_AUDIO = {"evaluate_reconstructions", "evaluate_played", "evaluate_prior", "compare_weights",
                       "play_heldout", "score_checkpoints", "evaluate_transfer", "figure_spectrograms", "listening_page"}
EDITS = {
    # code
    "a line in the module that draws the training curves":
        ("workflow/electone_rave/report/figures/training_curves.py", append_line("# edited"), {"figure_training_curves"}),
    "a line in the module that computes the reconstruction metrics":
        ("workflow/electone_rave/evaluation/audio_metrics.py", append_line("# edited"), EVALUATION_OF_AUDIO),
    "a line in the export's code":
        ("workflow/electone_rave/export/rave_export.py", append_line("# edited"), {"export", "export_other_weights", "export_with_prior"}),
    "a line in nn-host's C++ source":
        ("workflow/nn_host/backend.cpp", append_line("// edited"), {"nn_host_check", "load_grid", "listening_page"}),
    "the listening page's style sheet":
        ("workflow/electone_rave/report/listening_page/templates/style.css", append_line("/* edited */"), {"listening_page"}),
    "a rule file's comment":
        ("workflow/rules/figures.smk", append_line("# edited"),
         {"figure_training_curves", "figure_spectrograms", "figure_ablation", "figure_heldout_curves"}),
    "the paper's text":
        ("paper/electone-rave.typ", append_line("// edited"), {"paper"}),
    "a comment in the rules' shared helpers":
        ("workflow/rules/common.smk", append_line("# edited"), set()),
    "the README":
        ("README.md", append_line("edited"), set()),
    "one arm's gin file":
        ("configs/gin/electone_v2_noise.gin", append_line("# edited"),
         {"train-electone", "train-electone_seed1971", "train-electone_spectral"}),
    # parameters
    "export.fidelity":
        ("configs/config.yaml", set_config("export.fidelity", 0.9),
         {"export", "export_other_weights", "export_with_prior", "prior", "effective_config"}),
    "evaluation.realtime_buffer":
        ("configs/config.yaml", set_config("evaluation.realtime_buffer", 1024),
         {"realtime", "play_heldout", "compare_weights", "listening_page", "effective_config"}),
    "site.clip_seconds":
        ("configs/config.yaml", set_config("site.clip_seconds", 6.0), {"listening_page", "effective_config"}),
    "the scale's training steps":
        ("configs/config.yaml", set_config("scales.smoke.train.max_steps", 8), {"train", "effective_config"}),
}


@pytest.mark.parametrize("edit", list(EDITS))
def test_each_engine_reruns_exactly_what_the_edit_changes(settled: Path, edit: str):
    path, change, changed = EDITS[edit]
    expected = stages_of(settled, changed)
    with edited(settled / path, change):
        stale, plan = dvc_stale(settled), planned(settled)
    assert stale == expected, f"dvc status: {sorted(stale ^ expected)} differ"
    assert plan == downstream(dvc_stages(settled), expected), (
        f"snakemake: {sorted(plan ^ downstream(dvc_stages(settled), expected))} differ")
    if not any(name.split("-")[0] in TRAINING_AND_DATA for name in changed):
        assert not [stage for stage in plan if stage.split("-")[0] in TRAINING_AND_DATA]


def test_the_plan_prices_the_trainings_an_edit_would_rerun(settled: Path):
    with edited(settled / "configs/gin/electone_v2_noise.gin", append_line("# edited")):
        printed = run(["electone-rave", "plan"], settled).stdout
        dvc_printed = run(["electone-rave", "plan", "--engine", "dvc"], settled).stdout
    for output in (printed, dvc_printed):
        assert "3 RAVE trainings planned" in output
        assert all(f"train {run_name}:" in output for run_name in ("electone", "electone_seed1971", "electone_spectral"))
    assert "nothing to re-run" in run(["electone-rave", "plan"], settled).stdout


def test_a_seed_added_to_an_arm_trains_that_seed_alone_in_both_engines(settled: Path):
    """Both arms of the Electone ablation pair get a third seed. A structural edit: dvc.yaml is
    regenerated (`make dvc.yaml`), as after any change to the arms."""
    config, dvc_yaml = settled / "configs/config.yaml", settled / "dvc.yaml"
    seeds = [1970, 1971, 1972]
    add_seed = lambda text: set_config("arms.electone_no_noise.seeds", seeds)(set_config("arms.electone.seeds", seeds)(text))
    with edited(config, add_seed), edited(dvc_yaml, lambda text: text):
        run(["electone-rave", "dvc-stages", "--out", "dvc.yaml"], settled)
        stale, plan = dvc_stale(settled), planned(settled)
        stages = dvc_stages(settled)
    trainings = {"train-electone_seed1972", "train-electone_no_noise_seed1972"}
    assert {s for s in stale if s.startswith(("train-", "prior-"))} == trainings
    assert {s for s in plan if s.startswith(("train-", "prior-"))} == trainings
    assert plan == downstream(stages, stale)
