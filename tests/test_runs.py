"""Which checkpoint a resumed training starts from, and which one a finished run hands on."""

import os
from pathlib import Path

import pytest
import torch

from electone_rave.training import runs


def save_checkpoint(path: Path, step: int, mtime: float) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"global_step": step, "state_dict": {}}, path)
    os.utime(path, (mtime, mtime))
    return path


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    """A RAVE run whose newest file is neither the furthest nor readable."""
    run = tmp_path / "electone_abc"
    (run / "config.gin").parent.mkdir(parents=True)
    (run / "config.gin").write_text("")
    ckpts = run / "version_0/checkpoints"
    save_checkpoint(ckpts / "epoch_2.ckpt", 2, 1000)
    save_checkpoint(ckpts / "epoch_4.ckpt", 4, 1001)
    save_checkpoint(ckpts / "best.ckpt", 1, 1002)  # validation improved late, at an early step
    cut = save_checkpoint(ckpts / "epoch_6.ckpt", 6, 1003)
    cut.write_bytes(cut.read_bytes()[:40])  # the kill landed while this one was written
    return run


def test_resume_starts_from_the_furthest_readable_checkpoint(run_dir: Path):
    key = "same command"
    (run_dir.parent / runs.KEY_FILE).write_text(f'{{"key": "{key}"}}\n')
    assert runs.prepare(run_dir.parent, key) == run_dir
    ckpts = run_dir / "version_0/checkpoints"
    assert (ckpts / "epoch_6.ckpt.partial").exists() and not (ckpts / "epoch_6.ckpt").exists()
    assert runs.checkpoints(run_dir)[-1] == ckpts / "epoch_4.ckpt"  # what RAVE will pick


def test_a_changed_command_starts_afresh(run_dir: Path):
    (run_dir.parent / runs.KEY_FILE).write_text('{"key": "old command"}\n')
    assert runs.prepare(run_dir.parent, "new command") is None
    assert not run_dir.exists()


def test_collect_hands_on_the_furthest_checkpoint(run_dir: Path, tmp_path: Path):
    done = runs.collect(run_dir.parent, tmp_path / "out", expected_step=4)
    assert done["global_step"] == 4 and done["checkpoint"].endswith("epoch_4.ckpt")
    with pytest.raises(runs.IncompleteRunError, match="step 4 of 8"):
        runs.collect(run_dir.parent, tmp_path / "out2", expected_step=8)
