"""dvc.yaml is generated from the Snakemake DAG; these tests fail when the two disagree."""

from __future__ import annotations

import contextlib

import pytest
from dvc.repo import Repo

from conftest import REPO, run
from electone_rave.workflow.dvc_stages import config_file_values, render, snakemake_jobs


@pytest.fixture(scope="module")
def jobs():
    with contextlib.chdir(REPO):
        return snakemake_jobs()


@pytest.fixture(scope="module")
def dvc_index():
    with Repo(str(REPO)) as repo:
        yield repo.index


@pytest.fixture(scope="module")
def dvc_stages(dvc_index):
    return {stage.name: stage for stage in dvc_index.stages}


def test_committed_dvc_yaml_is_what_the_snakefile_generates(jobs):
    committed = (REPO / "dvc.yaml").read_text()
    assert committed == render(jobs, config_file_values(REPO / "configs/config.yaml")), (
        "dvc.yaml is stale: run `make dvc.yaml` and commit it")


def test_every_snakemake_job_is_one_dvc_stage_with_the_same_outputs(jobs, dvc_stages):
    assert sorted(dvc_stages) == sorted(job.stage_name for job in jobs)
    for job in jobs:
        stage = dvc_stages[job.stage_name]
        assert sorted(out.def_path for out in stage.outs) == sorted(job.outputs)
        deps = {dep.def_path for dep in stage.deps}
        assert set(job.inputs) <= deps
        assert f"--allowed-rules {job.rule} --forcerun {job.rule} --" in stage.cmd


def test_every_rule_with_outputs_is_in_the_dag(jobs):
    listing = run(["snakemake", "--list-rules"], REPO).stdout.splitlines()
    rules = {line.split()[0] for line in listing if line.strip() and not line[0].isspace()}
    # The demo scale synthesizes its corpora; the download rules belong to the real-data DAG
    # (run by tests/test_real_data_path.py, and in dvc.yaml once that scale is selected).
    real_data_only = {"download_musicnet", "extract_musicnet"}
    # adopt_run stands in for training an imported arm (electone-rave import-run), adopt_scripted*
    # for exporting an imported .ts, and union_corpus merges the corpora of an arm trained on
    # several, and the dataset-size sweep's rules (H2) train on subsets and compare the sizes; the
    # paper's arms need none (the smoke chain imports a run and a .ts: test_chain_smoke;
    # test_experiments trains on a union, test_dataset_size runs the sweep).
    arms_of_experiments_only = {"adopt_run", "adopt_scripted", "adopt_scripted_prior", "union_corpus",
                                "training_subset", "dataset_size", "figure_dataset_size"}
    # export.checkpoint: best routes the prior and the exports through these (test_best_checkpoint)
    best_checkpoint_only = {"best_checkpoint", "prior_best_checkpoint", "export_best_checkpoint",
                            "export_other_weights_best_checkpoint", "export_with_prior_best_checkpoint"}
    opt_in = {"fad"}  # evaluation.fad needs weights the user supplies (test_fad)
    assert {job.rule for job in jobs} == (rules - {"all"} - real_data_only - arms_of_experiments_only
                                          - best_checkpoint_only - opt_in)


def test_dvc_dag_has_the_snakemake_edges(jobs, dvc_index, dvc_stages):
    producer = {out: job.stage_name for job in jobs for out in job.outputs}
    for job in jobs:
        upstream = {producer[i] for i in job.inputs if i in producer}
        dvc_upstream = {s.name for s in dvc_index.graph.successors(dvc_stages[job.stage_name])}
        assert dvc_upstream == upstream, job.stage_name
