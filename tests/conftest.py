"""Shared fixtures: a throw-away copy of the repository to run the workflow in."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent  # the venv's snakemake, dvc and electone-rave


def run(cmd: list[str], cwd: Path, check: bool = True, timeout: float = 1800) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if check and done.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stdout[-4000:]}\n{done.stderr[-8000:]}")
    return done


def source_files() -> list[str]:
    """What a fresh clone would hold: tracked files plus new, not-ignored ones."""
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
                            cwd=REPO, capture_output=True, text=True, check=True).stdout
    # dvc.lock records this checkout's own runs (uncommitted, see README); a clone has none.
    return [f for f in listed.split("\0") if f and f != "dvc.lock" and (REPO / f).is_file()]


def make_workspace(dest: Path, scale: str) -> Path:
    """Copy the repository into dest as a new git repo whose config selects `scale`."""
    for rel in source_files():
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / rel, dest / rel)
    config_file = dest / "configs" / "config.yaml"
    text = config_file.read_text()
    config_file.write_text(text.replace("\nscale: demo", f"\nscale: {scale}", 1))
    assert yaml.safe_load(config_file.read_text())["scale"] == scale
    run(["git", "init", "-q"], dest)
    run(["git", "add", "-A"], dest)
    run(["git", "-c", "user.name=test", "-c", "user.email=test@example.org", "commit", "-qm", "workspace"], dest)
    return dest


@pytest.fixture(scope="session")
def smoke_workspace(tmp_path_factory) -> Path:
    return make_workspace(tmp_path_factory.mktemp("smoke"), "smoke")


EXPERIMENT = "configs/experiments/discriminators.yaml"


def add_arms(workspace: Path, experiment: str = EXPERIMENT) -> list[str]:
    """A user's config edit: the experiment file's arms copied under `arms:` in configs/config.yaml."""
    config_file = workspace / "configs" / "config.yaml"
    config = yaml.safe_load(config_file.read_text())
    arms = yaml.safe_load((workspace / experiment).read_text())["arms"]
    config["arms"].update(arms)
    config_file.write_text(yaml.safe_dump(config, sort_keys=False))
    return list(arms)


def merge_experiment(workspace: Path, experiment: str) -> None:
    """A user's config edit: an experiment file merged into configs/config.yaml as snakemake
    --configfile merges it (so that dvc.yaml, generated from the config alone, has its stages)."""
    from snakemake.utils import update_config

    config_file = workspace / "configs" / "config.yaml"
    config = yaml.safe_load(config_file.read_text())
    update_config(config, yaml.safe_load((workspace / experiment).read_text()))
    config_file.write_text(yaml.safe_dump(config, sort_keys=False))


def seed_arms(workspace: Path, arms: tuple[str, ...], seeds: list[int]) -> None:
    """A user's config edit: train these arms once per seed."""
    config_file = workspace / "configs" / "config.yaml"
    config = yaml.safe_load(config_file.read_text())
    for arm in arms:
        config["arms"][arm]["seeds"] = seeds
    config_file.write_text(yaml.safe_dump(config, sort_keys=False))


# The chain's ten runs each get nn-host's load grid; a smaller one keeps its every axis (two sample
# rates, buffers, batches) at a third of the cells and of the time (about 1.3 s per cell).
CHAIN_LOAD_GRID = {"sample_rates": [44100, 48000], "buffers": [2048, 4096], "threads": [1], "batches": [1, 4]}


def set_load_grid(workspace: Path, grid: dict) -> None:
    """A user's config edit: the load grid's axes."""
    config_file = workspace / "configs" / "config.yaml"
    config = yaml.safe_load(config_file.read_text())
    config["evaluation"]["load_grid"] = grid
    config_file.write_text(yaml.safe_dump(config, sort_keys=False))


RELEASED = "released"  # the chain's imported arm: its own Electone run, as if downloaded
RELEASED_TS = "released_ts"  # and its Electone export with prior, imported as a .ts alone


@pytest.fixture(scope="session")
def chain(smoke_workspace: Path, tmp_path_factory) -> Path:
    """The whole chain run once at smoke size, as a user runs it, with the arms of
    configs/experiments/discriminators.yaml added to the config, the Electone ablation pair trained
    with two seeds and a smaller load grid (CHAIN_LOAD_GRID); then the Electone run's RAVE folder,
    copied elsewhere as a released model would be, imported as one more arm (electone-rave
    import-run), its exported .ts with prior imported as another, and the chain run again.
    Shared by the modules that check it."""
    add_arms(smoke_workspace)
    seed_arms(smoke_workspace, ("electone", "electone_no_noise"), [1970, 1971])
    set_load_grid(smoke_workspace, CHAIN_LOAD_GRID)
    run(["electone-rave", "dvc-stages", "--out", "dvc.yaml"], smoke_workspace)
    run(["snakemake", "--cores", "all"], smoke_workspace)

    rave_run = next((smoke_workspace / "results/checkpoints/train/electone").glob("*/config.gin")).parent
    download = tmp_path_factory.mktemp("download") / "VintageModel"
    shutil.copytree(rave_run, download)
    run(["electone-rave", "import-run", str(download), "--as", RELEASED, "--corpus", "electone"], smoke_workspace)
    scripted = download.with_name("VintageModel.ts")
    shutil.copy(smoke_workspace / "results/export/electone_prior.ts", scripted)
    run(["electone-rave", "import-run", str(scripted), "--as", RELEASED_TS, "--corpus", "electone"], smoke_workspace)
    run(["electone-rave", "dvc-stages", "--out", "dvc.yaml"], smoke_workspace)
    run(["snakemake", "--cores", "all"], smoke_workspace)
    return smoke_workspace


def flat_text(element: dict) -> str:
    """The words of an element typst.query returns."""
    if element["func"] in ("space", "linebreak"):
        return " "
    if element["func"] == "smartquote":
        return "'"
    return element.get("text", "") + "".join(flat_text(child) for child in element.get("children", []))


PAPER_FIGURES = ("training_curves", "spectrograms", "ablation", "heldout_curves", "dataset_size", "transfer")


def paper_sentences(folder: Path, label: str, **numbers) -> list[str]:
    """The paper's passages with this label, typeset from the smoke chain's reference numbers with
    `numbers` in place of theirs (placeholder figures)."""
    import json

    import typst

    folder.mkdir(parents=True)
    reference = json.loads((REPO / "tests/data/smoke_numbers.json").read_text())
    (folder / "numbers.json").write_text(json.dumps(reference | numbers))
    (folder / "figures").mkdir()
    for name in PAPER_FIGURES:
        (folder / "figures" / f"{name}.png").write_bytes((REPO / "docs/listening-page.png").read_bytes())
    inputs = {"numbers": (folder / "numbers.json").as_posix(), "figures": (folder / "figures").as_posix()}
    found = typst.query(str(REPO / "paper/electone-rave.typ"), label, root="/", sys_inputs=inputs)
    return [" ".join(flat_text(element).split()) for element in json.loads(found)]


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's chromium: skipped where absent, except in CI, which installs it (make test)."""
    from electone_rave.report.listening_page.browser_check import BrowserMissing, find_chromium
    try:
        return find_chromium()
    except BrowserMissing as err:
        if os.environ.get("CI"):
            pytest.fail(f"{err}; CI must install it (envs/system-deps.sh --browser)")
        pytest.skip(str(err))
