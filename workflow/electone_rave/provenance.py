"""What produced an artefact: versions, commit, host and the exact command."""

from __future__ import annotations

import datetime as dt
import importlib.metadata as md
import os
import platform
import subprocess
from pathlib import Path

PACKAGES = ("acids-rave", "torch", "torchaudio", "pytorch-lightning", "nn-tilde", "cached-conv",
            "gin-config", "numpy", "snakemake", "dvc")


def git_commit(workflow_dir: Path = Path(".")) -> str:
    """The commit of the workflow checkout (the current directory when rules run)."""
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=workflow_dir, capture_output=True,
                             text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=workflow_dir,
                               capture_output=True, text=True).stdout.strip()
        return out + ("-dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return os.environ.get("ELECTONE_RAVE_COMMIT", "unknown")  # set by the Docker image's build


def versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            found[name] = md.version(name)
        except md.PackageNotFoundError:
            found[name] = "not installed"
    return found


def cpu_model() -> str:
    """The CPU's model name, as /proc/cpuinfo gives it (what a timing describes)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def hardware() -> dict:
    import torch
    info = {"machine": platform.machine(), "processor": platform.processor() or platform.machine(),
            "cpu_threads": torch.get_num_threads(), "cuda_available": torch.cuda.is_available(),
            "torch_cuda": torch.version.cuda}
    if torch.cuda.is_available():
        info["gpus"] = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
        info["cudnn"] = torch.backends.cudnn.version()
        info["nvidia_driver"] = nvidia_driver()
    return info


def container() -> dict | str:
    """The image this ran in ("no container" outside one). A container cannot see its own image
    digest: pass it in with `docker run -e ELECTONE_RAVE_IMAGE=<image@sha256:...>`."""
    if os.environ.get("APPTAINER_CONTAINER") or os.environ.get("SINGULARITY_CONTAINER"):
        return {"image": os.environ.get("APPTAINER_CONTAINER") or os.environ["SINGULARITY_CONTAINER"],
                "runtime": "apptainer"}
    if not (Path("/.dockerenv").exists() or Path("/run/.containerenv").exists()):
        return "no container"
    return {"image": os.environ.get("ELECTONE_RAVE_IMAGE", "unknown (set ELECTONE_RAVE_IMAGE)"),
            "built_from_commit": os.environ.get("ELECTONE_RAVE_COMMIT", "unknown")}


def nvidia_driver() -> str | None:
    try:
        done = subprocess.run(["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
                              capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip().splitlines()[0] if done.returncode == 0 and done.stdout.strip() else None


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def describe(command: list[str], **extra) -> dict:
    return {"command": command, "git_commit": git_commit(), "versions": versions(),
            "hardware": hardware(), "container": container(), "finished_utc": now(), **extra}
