"""Trainer settings RAVE has no flag for reach Lightning through its PL_TRAINER_* environment."""

from __future__ import annotations

import pytest
import torch

from electone_rave.training.train import StepBudget, common_flags, trainer_env
from electone_rave.workflow.config import ConfigError


def lightning_trainer_under(env: dict[str, str], monkeypatch: pytest.MonkeyPatch):
    import pytorch_lightning as pl
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return pl.Trainer(accelerator="cpu", devices=1, logger=False, enable_checkpointing=False)


def budget(**settings) -> StepBudget:
    return StepBudget(max_steps=1, val_every=1, batch=1, workers=0, log_every_n_steps=7, **settings)


def test_rave_defaults_leave_lightning_in_full_precision(monkeypatch: pytest.MonkeyPatch):
    env = trainer_env(budget())
    assert set(env) == {"PL_TRAINER_LOG_EVERY_N_STEPS"}
    trainer = lightning_trainer_under(env, monkeypatch)
    assert trainer.log_every_n_steps == 7 and str(trainer.precision) == "32"


def test_bf16_mixed_precision_is_lightnings_own(monkeypatch: pytest.MonkeyPatch):
    trainer = lightning_trainer_under(trainer_env(budget(precision="bf16")), monkeypatch)
    assert str(trainer.precision) == "bf16"


def test_deterministic_mode_switches_torch_to_deterministic_algorithms(monkeypatch: pytest.MonkeyPatch):
    try:
        lightning_trainer_under(trainer_env(budget(deterministic=True)), monkeypatch)
        assert torch.are_deterministic_algorithms_enabled()
    finally:
        torch.use_deterministic_algorithms(False)


def test_every_run_asks_rave_for_a_checkpoint_of_its_last_step():
    assert "--save_every=128" in common_flags(StepBudget(128, 20, 2, 0, 4), ["v2.gin"], [-1])
    assert "--save_every=32" in common_flags(StepBudget(128, 20, 2, 0, 4, save_every=32), ["v2.gin"], [-1])
    with pytest.raises(ConfigError, match=r"save_every \(30\) must divide max_steps \(128\)"):
        StepBudget(128, 20, 2, 0, 4, save_every=30)
