"""The image recipe: lint-clean, installs the lock file, copies the workflow and nothing else.
Building and running it is docker/test-image.sh (opt-in here: ELECTONE_RAVE_IMAGE_TEST=1)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest

from conftest import BIN, REPO

DOCKERFILE = REPO / "docker/Dockerfile"


def test_the_dockerfile_is_hadolint_clean():
    done = subprocess.run([str(BIN / "hadolint"), str(DOCKERFILE)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_image_gets_the_lock_file_with_hashes_and_runs_as_a_user():
    text = DOCKERFILE.read_text()
    assert "COPY envs/requirements.lock" in text and "--require-hashes -r /opt/requirements.lock" in text
    users = re.findall(r"^USER (\S+)", text, flags=re.M)
    assert users and users[-1].split(":")[0] not in ("root", "0")


def test_the_image_copies_only_workflow_files():
    sources = []
    for line in DOCKERFILE.read_text().splitlines():
        if line.startswith("COPY ") and "--from" not in line:
            sources += [s for s in line.split()[1:-1] if not s.startswith("--")]
    assert sources, "no COPY in the Dockerfile"
    for source in sources:
        assert (REPO / source).exists(), source
        assert not source.startswith(("data", "results", ".dvc", "docker/wheelhouse")), source


@pytest.mark.skipif(os.environ.get("ELECTONE_RAVE_IMAGE_TEST") != "1" or shutil.which("podman") is None,
                    reason="builds a ~10 GB image and runs the smoke chain in it (about 25 min); "
                           "set ELECTONE_RAVE_IMAGE_TEST=1 on a machine with podman")
def test_the_image_builds_and_runs_the_smoke_chain_as_non_root():
    done = subprocess.run([str(REPO / "docker/test-image.sh")], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0 and "test-image: OK" in done.stdout, done.stdout[-3000:] + done.stderr[-3000:]
