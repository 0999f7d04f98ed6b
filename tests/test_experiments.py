"""Arms as configuration: gin stacks that name RAVE's shipped configs, per-arm overrides, and an
experiment file that adds arms to the paper's. The arms' own training, evaluation, figure and paper
rows are checked on the smoke chain, whose config gains them (test_chain_smoke)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import EXPERIMENT, REPO, make_workspace, run
from electone_rave.config import ConfigError, load
from electone_rave.gin_stack import resolve



def test_a_gin_stack_names_repository_files_and_configs_rave_ships(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(REPO)
    assert resolve("configs/gin/electone_v2_noise.gin") == Path("configs/gin/electone_v2_noise.gin")
    assert resolve("v3").as_posix().endswith("rave/configs/v3.gin")
    assert resolve("mute") == resolve("augmentations/mute")  # rave train's search path
    with pytest.raises(ConfigError, match=r"'v9' is neither a .gin file nor a config acids-rave ships; shipped: .*\bv3\b"):
        resolve("v9")
    with pytest.raises(ConfigError, match="configs/gin/missing.gin does not exist"):
        resolve("configs/gin/missing.gin")


def test_an_unknown_shipped_config_is_refused_before_anything_runs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.chdir(REPO)
    bad = tmp_path / "bad.yaml"
    bad.write_text("runs:\n  electone_v9:\n    corpus: electone\n    gin: [v9]\n    prior: false\n")
    with pytest.raises(ConfigError, match="runs/electone_v9: 'v9' is neither"):
        load(configfiles=(bad,))


def test_arm_overrides_follow_the_profiles_and_apply_to_that_arm_only(monkeypatch: pytest.MonkeyPatch):
    from electone_rave.config import arm_overrides
    monkeypatch.chdir(REPO)
    config = load(overrides={"profile": "smoke"}, configfiles=(REPO / EXPERIMENT,))
    shared = config["profiles"]["smoke"]["train"]["overrides"]
    assert arm_overrides(config, "electone_v3")[:len(shared)] == shared
    assert "DescriptDiscriminator.periods=[2]" in arm_overrides(config, "electone_v3")
    assert arm_overrides(config, "electone") == shared
    assert arm_overrides(config, "electone_v3", "prior") == config["profiles"]["smoke"]["prior"]["overrides"]
    full = load(overrides={"profile": "full"}, configfiles=(REPO / EXPERIMENT,))
    assert arm_overrides(full, "electone_v3") == []  # full size: v3 as RAVE ships it


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    return make_workspace(tmp_path_factory.mktemp("experiments"), "smoke")


def test_an_experiment_file_adds_arms_to_the_papers(workspace: Path):
    done = run(["snakemake", "-n", "-p", "--configfile", EXPERIMENT], workspace)
    commands = [line.split("electone-rave train ", 1)[1] for line in (done.stdout + done.stderr).splitlines()
                if "electone-rave train " in line]
    assert len(commands) == 6  # the paper's four arms stay
    v3 = next(c for c in commands if c.startswith("--name electone_v3 "))
    assert " --gin v3 noise " in v3 and "'DescriptDiscriminator.periods=[2]'" in v3
    spectral = next(c for c in commands if c.startswith("--name electone_spectral "))
    assert " --gin configs/gin/electone_v2_noise.gin spectral_discriminator " in spectral
    assert "Descript" not in spectral
    estimate = run(["electone-rave", "estimate", "--configfile", EXPERIMENT, "--profile", "full"], workspace).stdout
    assert "electone_v3: 2,000,000 steps" in estimate and "needs about 32 GB of GPU memory" in estimate
