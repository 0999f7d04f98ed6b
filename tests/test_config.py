"""Config validation: schema errors and RAVE's known traps fail fast, naming the key."""

from __future__ import annotations

import copy

import pytest
import yaml

from conftest import REPO, run
from electone_rave.workflow.config import ConfigError, validate


@pytest.fixture
def config(monkeypatch) -> dict:
    monkeypatch.chdir(REPO)  # gin paths are relative to the workflow directory
    return yaml.safe_load((REPO / "configs/config.yaml").read_text())


def test_shipped_config_is_valid_for_every_scale(config):
    for name in config["scales"]:
        validate({**config, "scale": name})


def broken(config: dict, edit) -> dict:
    config = copy.deepcopy(config)
    edit(config)
    return config


@pytest.mark.parametrize("edit, message", [
    (lambda c: c.update(scale="huge"), "scale 'huge' is not defined"),
    (lambda c: c["audio"].update(channels=0), "audio/channels"),
    (lambda c: c["audio"].update(n_signal=65536), "audio/n_signal"),
    (lambda c: c["arms"]["electone"].update(corpus="nope"), "arms/electone/corpus: unknown corpus 'nope'"),
    (lambda c: c["arms"]["electone"].update(gin=["configs/gin/missing.gin"]), "configs/gin/missing.gin does not exist"),
    (lambda c: c["scales"]["demo"]["train"].update(val_every=500), "val_every (500) must be smaller than PHASE_1_DURATION (80)"),
    (lambda c: c["scales"]["demo"]["corpus"].update(files=2, heldout_files=2), "heldout_files must be < files"),
    (lambda c: c["scales"]["demo"]["corpus"].update(seconds=3.0), "at least 2 are needed"),
    (lambda c: c["scales"]["demo"]["train"].update(overrides=["PHASE_1_DURATION=180"]), "LATENT_SIZE is 128"),
    (lambda c: c["scales"]["demo"]["corpus"].pop("files"), "'files' is a required property"),
    (lambda c: c["scales"]["demo"]["corpus"].update(source="raw"), "scales/demo/corpus: files and seconds size synthesized corpora"),
    (lambda c: c["ingest"].update(on_bad_input="ignore"), "ingest/on_bad_input: 'ignore' is not one of"),
    (lambda c: c["scales"]["demo"]["train"].update(save_every=30), "scales/demo/train/save_every: 30 must divide max_steps (128)"),
    (lambda c: c["scales"]["full"]["train"].update(precision="fp8"), "scales/full/train/precision: 'fp8' is not one of"),
    (lambda c: c["arms"]["electone"].update(train_budget={"demo": {"max_steps": 100}}),
     "arms/electone/train_budget/demo/save_every: 32 must divide max_steps (100)"),
    (lambda c: c["arms"]["electone"].update(train_budget={"ful": {"max_steps": 8}}),
     "arms/electone/train_budget: no scale named 'ful'"),
    (lambda c: c["arms"]["electone"].update(train_budget={"demo": {"val_every": 96}}),
     "arms/electone/train_budget/demo: val_every (96) must be smaller than PHASE_1_DURATION (80)"),
    (lambda c: c["arms"]["electone"].update(train_budget={"demo": {"steps": 100}}),
     "arms/electone/train_budget/demo: Additional properties are not allowed ('steps' was unexpected)"),
    (lambda c: c["export"].update(matmul_weights="float16"), "export/matmul_weights: 'float16' is not one of"),
    (lambda c: c["export"].update(matmul_weights="bfloat16", matmul_convolutions=False),
     "export/matmul_weights: bfloat16 weights are for the matrix-product layers of a streaming export"),
    (lambda c: c["export"].update(matmul_weights="bfloat16", streaming=False),
     "export/matmul_weights: bfloat16 weights are for the matrix-product layers of a streaming export"),
])
def test_bad_config_is_rejected_with_the_key_and_reason(config, edit, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        validate(broken(config, edit))


@pytest.mark.parametrize("edit, message", [
    (lambda c: c["ablation"][0].update(without_noise="ghost"), "ablation/0/without_noise: unknown run 'ghost'"),
    (lambda c: c["ablation"][0].update(with_noise="baseline"), "run 'baseline' trains on 'musicnet', not 'electone'"),
    (lambda c: c["arms"]["electone"].update(seeds=[1, 2]), "'electone' and 'electone_no_noise' must train with the same seeds"),
    (lambda c: c["arms"]["electone"].update(overrides=["CAPACITY=16"]),
     "'electone' and 'electone_no_noise' must differ only in the noise generator; .* also differ in \\(first vs second\\) CAPACITY = 16 vs 8"),
    (lambda c: c["arms"]["electone_no_noise"].update(gin=["v3"]),
     r"must differ only in the noise generator; .* also differ in \(first vs second\) ACTIVATION = \(unbound\) "
     r"vs '@blocks.Snake'; .* and \d+ more"),
    (lambda c: c["arms"]["electone_no_noise"].update(gin=["configs/gin/electone_v2_noise.gin"]),
     "the first must include RAVE's `noise` config and the second must not"),
    (lambda c: c["arms"]["electone_no_noise"].update(train_budget={"demo": {"max_steps": 64}}),
     "must train with the same step budget; they differ in max_steps: 128 vs 64"),
    (lambda c: c["arms"]["baseline"].update(scale_overrides={"demo": ["LATENT_SIZE=8"]}),
     "'baseline_noise' and 'baseline' must differ only in .* LATENT_SIZE = 16 vs 8"),
])
def test_ablation_pairs_must_name_runs_on_their_corpus_differing_only_in_noise(config, edit, message):
    with pytest.raises(ConfigError, match=message):
        validate(broken(config, edit))


def test_an_ablation_pair_may_share_any_other_setting(config):
    """Overrides and a longer budget given to both arms alike keep the pair valid."""
    for arm in ("electone", "electone_no_noise"):
        config["arms"][arm].update(overrides=["CAPACITY=16"], train_budget={"demo": {"max_steps": 256}})
    validate(config)


def test_a_missing_raw_corpus_folder_says_how_to_provide_it(tmp_path, monkeypatch):
    from electone_rave.workflow.config import raw_corpus_folder
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match=r"data/raw/electone: no audio folder.*import-corpus.*dvc pull"):
        raw_corpus_folder("electone")
    (tmp_path / "data/raw/electone").mkdir(parents=True)
    assert raw_corpus_folder("electone") == "data/raw/electone"


def with_seed_spread(config: dict) -> dict:
    """The config with configs/experiments/seed_spread.yaml merged over it, as --configfile merges."""
    from electone_rave.workflow.config import load
    spread = load(REPO / "configs/config.yaml", configfiles=(REPO / "configs/experiments/seed_spread.yaml",))
    config["scales"]["demo"]["seeds"] = spread["scales"]["demo"]["seeds"]
    return config


def test_the_demo_trains_one_seed_and_the_seed_spread_experiment_two(config):
    from electone_rave.workflow.config import arm_runs, expand_seeds
    assert arm_runs(expand_seeds({**config, "scale": "demo"}), "baseline") == ["baseline"]
    assert arm_runs(expand_seeds({**with_seed_spread(config), "scale": "demo"}), "baseline") == \
        ["baseline", "baseline_seed1971"]


def test_each_arm_trains_once_per_seed_and_the_first_seed_keeps_its_name(config):
    from electone_rave.workflow.config import arm_runs, expand_seeds
    config = with_seed_spread(config)
    config["arms"]["electone"]["seeds"] = [7, 8, 9]
    runs = expand_seeds({**config, "scale": "demo"})  # seed_spread: every other arm trains with 1970 and 1971
    assert arm_runs(runs, "electone") == ["electone", "electone_seed8", "electone_seed9"]
    assert [runs[r]["seed"] for r in arm_runs(runs, "electone")] == [7, 8, 9]
    assert [runs[r]["prior"] for r in arm_runs(runs, "electone")] == [True, False, False]  # one prior per arm
    assert arm_runs(runs, "baseline") == ["baseline", "baseline_seed1971"]
    assert arm_runs(expand_seeds({**config, "scale": "full"}), "baseline") == ["baseline"]


def test_a_seed_run_may_not_take_another_arms_name(config):
    from electone_rave.workflow.config import expand_seeds
    config = with_seed_spread(config)
    config["arms"]["electone_seed1971"] = dict(config["arms"]["electone_no_noise"])
    with pytest.raises(ConfigError, match="arms/electone: seed 1971 makes the run 'electone_seed1971'"):
        expand_seeds({**config, "scale": "demo"})


def test_a_run_may_not_be_named_like_another_runs_prior_export(config):
    from electone_rave.workflow.config import expand_seeds
    config["arms"]["electone_prior"] = dict(config["arms"]["electone_no_noise"])
    with pytest.raises(ConfigError, match=r"arms/electone_prior: the run electone_prior would export to "
                                          r"results/export/electone_prior.ts, where run electone's"):
        expand_seeds({**config, "scale": "smoke"})


def test_an_arm_may_train_longer_than_its_scale_under_one_scale_only(config):
    from electone_rave.workflow.config import arm_budget
    for arm in ("electone", "electone_no_noise"):  # an ablation pair trains alike
        config["arms"][arm]["train_budget"] = {"full": {"max_steps": 3_000_000}}
    validate({**config, "scale": "full"})
    full = arm_budget({**config, "scale": "full"}, "electone")
    assert full["max_steps"] == 3_000_000
    assert full["batch"] == config["scales"]["full"]["train"]["batch"]  # the rest stays the scale's
    assert arm_budget({**config, "scale": "full"}, "baseline") == config["scales"]["full"]["train"]
    assert arm_budget({**config, "scale": "demo"}, "electone") == config["scales"]["demo"]["train"]


@pytest.mark.parametrize("edit, message", [
    (lambda c: c.update(profile=c.pop("scale")), "`profile` is now `scale`"),
    (lambda c: c.update(profiles=c.pop("scales")), "`profiles` is now `scales`"),
    (lambda c: c.update(runs=c.pop("arms")), "`runs` is now `arms`"),
    (lambda c: c["arms"]["electone"].update(profile_overrides={"demo": []}), "arms/electone: `profile_overrides` is now `scale_overrides`"),
])
def test_an_old_key_name_is_refused_with_its_new_one(config, edit, message):
    with pytest.raises(ConfigError, match=message):
        validate(broken(config, edit))


def test_an_old_key_on_snakemakes_command_line_is_refused_with_its_new_one():
    done = run(["snakemake", "-n", "--config", "profile=smoke"], REPO, check=False)
    assert done.returncode != 0 and "`profile` is now `scale` (on the command line: --config scale=NAME)" in done.stderr + done.stdout
