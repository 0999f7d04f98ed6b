"""The chain as profiles/kubernetes runs it: every file through a storage provider, not the workspace.

A Kubernetes pod shares no filesystem with Snakemake, so each job sees its inputs and outputs under
the storage's local folder (.snakemake/storage/fs/<prefix>/...), never at results/... . Running the
smoke chain here with the same storage provider (snakemake-storage-plugin-fs, a folder standing for
the profile's volume) checks that every command takes its paths from its inputs and outputs and that
the workflow's own files travel with its sources.
"""

from __future__ import annotations

import json
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
    assert not (workspace / "paper" / "electone-rave.pdf").exists()


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
