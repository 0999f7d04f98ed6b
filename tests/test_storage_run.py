"""The chain as profiles/kubernetes runs it: every file through a storage provider, not the workspace.

A Kubernetes pod shares no filesystem with Snakemake: it starts from the workflow's sources alone
(git ls-files), fetches its job's declared inputs from storage into .snakemake/storage/fs/<prefix>/,
runs the job there and stores its outputs. The smoke chain runs here with the profile's storage
provider (snakemake-storage-plugin-fs, a folder standing for its volume); then jobs that read
folders, manifests' audio or other rules' files are run again the way a pod runs them, each in a
fresh clone of the workspace, so a file a command reads without declaring it is missing there.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from conftest import make_workspace, run

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def stored_chain(tmp_path_factory) -> tuple[Path, Path]:
    workspace = make_workspace(tmp_path_factory.mktemp("storage_ws"), "smoke")
    store = tmp_path_factory.mktemp("volume")
    run(["snakemake", "--cores", "all", "--default-storage-provider", "fs", "--default-storage-prefix", str(store)],
        workspace, timeout=3600)
    return workspace, store


def test_every_result_lands_in_storage_and_none_in_the_workspace(stored_chain):
    workspace, store = stored_chain
    for target in ["paper/electone-rave.pdf", "results/site/index.html", "results/export/electone_prior.ts",
                   "results/eval/ablation.json", "data/manifests/electone.json"]:
        assert (store / target).is_file(), target
    # Besides the repository's own README, only RAVE's resumable checkpoints (no rule's outputs) stay.
    assert sorted(p.name for p in (workspace / "results").iterdir()) == ["README.md", "checkpoints"]
    tracked = set(run(["git", "ls-files", "data", "paper"], workspace).stdout.split())
    assert {p.relative_to(workspace).as_posix() for folder in ("data", "paper")
            for p in (workspace / folder).rglob("*") if p.is_file()} == tracked


def test_the_manifest_names_artefacts_by_their_workflow_paths(stored_chain):
    _, store = stored_chain
    manifest = json.loads((store / "results/manifest.json").read_text())
    paths = [row["path"] for row in manifest["artefacts"]]
    assert "paper/electone-rave.pdf" in paths and "results/eval/electone/reconstruction.json" in paths
    assert not [p for p in paths if ".snakemake" in p or p.startswith("/")]  # nor Snakemake's markers
    for row in manifest["artefacts"]:
        assert (store / row["path"]).stat().st_size == row["bytes"]


def test_the_paper_numbers_come_from_the_stored_results(stored_chain):
    _, store = stored_chain
    numbers = json.loads((store / "results/paper/numbers.json").read_text())
    assert {run["run"] for run in numbers["runs"]} >= {"baseline", "electone", "electone_no_noise"}
    assert numbers["ablation"]["pairs"]


# Jobs whose commands read folders or files beyond a single input: each must find everything it
# reads among its declared inputs.
POD_JOBS = ["export_with_prior:run=electone", "reconstruct:run=electone", "evaluate_reconstructions:run=electone",
            "evaluate_prior:run=electone", "figure_training_curves:", "figure_spectrograms:", "ablation:",
            "paper_numbers:", "paper:", "listening_page:", "manifest:"]


@pytest.mark.parametrize("job", POD_JOBS)
def test_a_job_runs_alone_from_the_sources_and_storage_as_in_a_pod(stored_chain, tmp_path: Path, job: str):
    workspace, store = stored_chain
    pod = tmp_path / "pod"
    run(["git", "clone", "-q", str(workspace), str(pod)], tmp_path)
    # The executor's source archive keeps each file's modification time (a clone does not): code is a
    # rule input, and code newer than the stored outputs would re-run their jobs.
    for name in run(["git", "ls-files"], workspace).stdout.split():
        mtime = (workspace / name).stat().st_mtime_ns
        os.utime(pod / name, ns=(mtime, mtime))
    # What the Kubernetes executor runs in each pod, less the source archive it unpacks first.
    rule = job.split(":")[0]
    done = run(["snakemake", "--target-jobs", job, "--allowed-rules", rule, "--mode", "remote", "--force",
                "--nolock", "--cores", "all",
                "--shared-fs-usage", "none", "--default-storage-provider", "fs", "--default-storage-prefix", str(store)],
               pod)
    ran = set(re.findall(r"^(?:local)?rule (\w+):", done.stdout + done.stderr, flags=re.M))
    assert ran == {rule}
