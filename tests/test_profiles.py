"""Each execution profile (one machine, one GPU, SLURM) plans the whole chain: dry runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import make_workspace, run


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    """A fresh workspace: the session's smoke workspace may already hold a finished chain."""
    return make_workspace(tmp_path_factory.mktemp("profiles"), "smoke")


@pytest.mark.parametrize("profile", ["profiles/default", "profiles/gpu", "profiles/slurm"])
def test_the_profile_plans_the_chain_with_a_gpu_per_training(workspace: Path, profile: str):
    planned = run(["snakemake", "-n", "--profile", profile], workspace).stdout
    assert "rule paper:" in planned
    train_jobs = [job.split("\n[")[0] for job in planned.split("rule train:")[1:]]  # up to the next job's date
    assert len(train_jobs) == 4 and all("gpu=1" in block for block in train_jobs)


def test_a_container_image_is_a_config_value(workspace: Path):
    image = "docker://ghcr.io/example/electone-rave@sha256:" + "0" * 64
    run(["snakemake", "-n", "--config", f"container={image}"], workspace)
    bad = run(["snakemake", "-n", "--config", "container=electone-rave:latest"], workspace, check=False)
    assert bad.returncode != 0 and "container" in bad.stdout + bad.stderr
