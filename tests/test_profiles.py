"""Each execution profile (one machine, one GPU, SLURM, Kubernetes) plans the whole chain: dry runs."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from conftest import BIN, make_workspace, run


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    """A fresh workspace: the session's smoke workspace may already hold a finished chain."""
    return make_workspace(tmp_path_factory.mktemp("profiles"), "smoke")


@pytest.mark.parametrize("profile", ["profiles/default", "profiles/gpu", "profiles/slurm", "profiles/kubernetes"])
def test_the_profile_plans_the_chain_with_a_gpu_per_training(workspace: Path, profile: str, tmp_path: Path):
    # The Kubernetes profile keeps every file on a volume mounted at its storage prefix; here, a folder.
    storage = ["--default-storage-prefix", str(tmp_path)] if profile == "profiles/kubernetes" else []
    planned = run(["snakemake", "-n", "--profile", profile, *storage], workspace).stdout
    assert "rule paper:" in planned
    train_jobs = [job.split("\n[")[0] for job in planned.split("rule train:")[1:]]  # up to the next job's date
    assert len(train_jobs) == 4 and all("gpu=1" in block for block in train_jobs)
    if profile in ("profiles/slurm", "profiles/kubernetes"):  # the cluster's cores, not this machine's
        assert all("threads: 8" in block for block in train_jobs)
    if storage:
        assert all("gpu_manufacturer=nvidia" in block for block in train_jobs)  # the plugin's nvidia.com/gpu
        assert f"{tmp_path}/results/train/electone/model.ckpt (send to storage)" in planned
        assert "configs/gin/electone_v2_noise.gin" in planned  # travels with the sources, not from storage
        assert f"{tmp_path}/configs" not in planned


def test_a_container_image_is_a_config_value(workspace: Path):
    image = "docker://ghcr.io/example/electone-rave@sha256:" + "0" * 64
    run(["snakemake", "-n", "--config", f"container={image}"], workspace)
    bad = run(["snakemake", "-n", "--config", "container=electone-rave:latest"], workspace, check=False)
    assert bad.returncode != 0 and "container" in bad.stdout + bad.stderr


def test_a_real_kubernetes_run_gets_as_far_as_asking_for_the_cluster(workspace: Path, tmp_path: Path):
    """Not a dry run and no --cores, as a user starts it: the workflow must parse under the executor's
    own settings; it stops only where it needs a cluster (none is configured, none is reachable)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("KUBERNETES_")}
    env.update(PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}", KUBECONFIG=str(tmp_path / "no-such-kubeconfig"))
    done = subprocess.run(["snakemake", "--profile", "profiles/kubernetes", "--default-storage-prefix", str(tmp_path)],
                          cwd=workspace, env=env, capture_output=True, text=True, timeout=600)
    out = done.stdout + done.stderr
    assert done.returncode != 0
    assert "kubernetes.config.config_exception.ConfigException" in out, out[-3000:]


def test_on_kubernetes_the_private_corpus_is_read_from_the_volume(workspace: Path, tmp_path: Path):
    """The full scale's Electone folder is looked for on the storage volume, which every pod mounts,
    not in the checkout; missing there, the error names the path on the volume."""
    command = ["snakemake", "-n", "--profile", "profiles/kubernetes", "--default-storage-prefix", str(tmp_path),
               "--config", "scale=full"]
    missing = run(command, workspace, check=False)
    assert missing.returncode != 0 and f"{tmp_path}/data/raw/electone: no audio folder" in missing.stdout + missing.stderr
    (tmp_path / "data/raw/electone").mkdir(parents=True)
    planned = run(command, workspace).stdout
    assert f"input: {tmp_path}/data/raw/electone (retrieve from storage)" in planned
