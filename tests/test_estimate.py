"""The cost printed before a training: checkpoints counted as RAVE keeps them, disk refused early."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import REPO
from electone_rave.training.estimate import (BYTES_PER_PARAMETER, InsufficientDiskError, TrainingCost, checkpoints_kept,
                                    rave_parameters, require_disk)


def test_rave_keeps_every_periodic_checkpoint_plus_best_last_and_our_copy():
    assert checkpoints_kept(128, 32) == 4 + 3
    assert checkpoints_kept(10, None) == 1 + 3  # unset: the workflow asks for one snapshot, at the end


def test_parameters_are_counted_from_the_gin_stack(monkeypatch):
    monkeypatch.chdir(REPO)
    small = rave_parameters(["configs/gin/electone_v2_noise.gin"], ["CAPACITY=8", "LATENT_SIZE=16"])
    without_noise = rave_parameters(["configs/gin/electone_v2_no_noise.gin"], ["CAPACITY=8", "LATENT_SIZE=16"])
    full = rave_parameters(["configs/gin/electone_v2_noise.gin"], [])
    assert without_noise < small < full
    assert 50e6 < full < 70e6  # RAVE v2 + noise with its discriminators: about 59 M


def test_a_training_that_cannot_fit_is_refused_naming_the_place(tmp_path: Path):
    cost = TrainingCost("electone", 2_000_000, 59_000_000, 10**9, 10**18, None, None)
    with pytest.raises(InsufficientDiskError, match=rf"{tmp_path}/not/yet/made: electone: 2,000,000 steps.*GB free"):
        require_disk(cost, tmp_path / "not/yet/made")
    require_disk(TrainingCost("tiny", 1, 1, 1, BYTES_PER_PARAMETER, None, None), tmp_path)
