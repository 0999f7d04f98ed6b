"""A RAVE run trained elsewhere (the author's released VintageModel, say), evaluated without retraining.

`import_run` copies a RAVE run folder's operative config.gin, its furthest checkpoint and any
TensorBoard events into data/imported/<arm>/ (DVC-tracked; checkpoints never enter git), and adds
the arm to configs/config.yaml as `imported: data/imported/<arm>`. In the DAG, rule adopt_run
then stands in for training (`adopt`), so evaluation, the prior, export, figures and the paper
take the arm like any trained one. An exported .ts alone is imported the same way
(scripted_model.py) and stands in for the export instead.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import subprocess
from pathlib import Path

import yaml

from .. import provenance
from ..errors import ConfigError, ImportRunError
from ..fileio import sha256_of
from ..workflow.config import DEFAULT_CONFIG, IMPORTED_RUNS, SOURCE_RECORD
from .checkpoint import UnsafeCheckpointError, load_checkpoint
from .runs import copy_events

log = logging.getLogger(__name__)
ARM_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def checkpoint_step(ckpt: Path, trust: bool = False) -> int:
    try:
        return int(load_checkpoint(ckpt, trust)["global_step"])
    except UnsafeCheckpointError as err:
        raise ImportRunError(str(err)) from None
    except Exception as err:  # torch raises many kinds on a foreign or truncated file
        raise ImportRunError(f"{ckpt}: not a readable Lightning checkpoint ({type(err).__name__}: {err})") from None


def find_run(source: Path, trust: bool = False) -> tuple[Path, Path, int]:
    """config.gin and the furthest checkpoint (highest global step, newest on a tie) of a run folder."""
    if not source.is_dir():
        raise ImportRunError(f"{source}: not a folder; a RAVE run folder holds config.gin and its checkpoints")
    gins = sorted(source.rglob("config.gin"))
    if len(gins) != 1:
        raise ImportRunError(f"{source}: {len(gins)} config.gin files found; point at the folder of one RAVE run")
    ckpts = sorted(source.rglob("*.ckpt"))
    if not ckpts:
        raise ImportRunError(f"{source}: no .ckpt file; to evaluate an exported model alone, import its .ts file")
    steps = {ckpt: checkpoint_step(ckpt, trust) for ckpt in ckpts}
    furthest = max(steps, key=lambda ckpt: (steps[ckpt], os.path.getmtime(ckpt)))
    return gins[0], furthest, steps[furthest]


def copy_run(source: Path, dest: Path, trust: bool = False) -> dict:
    """Fill dest (made afresh) with config.gin, model.ckpt and tensorboard/ when the run has events.
    Every checkpoint is read weights-only unless the user trusts the run (checkpoint.py)."""
    gin, ckpt, step = find_run(source, trust)
    staging = dest.with_name(f".{dest.name}.partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    shutil.copy2(gin, staging / "config.gin")
    shutil.copy2(ckpt, staging / "model.ckpt")
    events = copy_events(source, staging / "tensorboard")
    record = {"source": str(source.resolve()), "checkpoint": str(ckpt.relative_to(source)), "global_step": step,
              "sha256": {"config.gin": sha256_of(gin), "model.ckpt": sha256_of(ckpt)},
              "tensorboard_event_files": len(events), "trusted_checkpoint": trust}
    (staging / SOURCE_RECORD).write_text(json.dumps(record, indent=2) + "\n")
    shutil.rmtree(dest, ignore_errors=True)
    staging.rename(dest)
    return record


def register_arm(config_file: Path, arm: str, corpus: str, folder: Path, prior: bool,
                 unseen_files: list[str] | None = None) -> None:
    """Add (or replace) arms.<arm> in the config, keeping its comments and layout."""
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap

    editor = YAML()
    editor.width = 120
    editor.preserve_quotes = True
    editor.indent(mapping=2, sequence=4, offset=2)
    editor.representer.add_representer(type(None), lambda r, _: r.represent_scalar("tag:yaml.org,2002:null", "null"))
    config = editor.load(config_file.read_text())
    check_arm_is_free(config, config_file, arm, corpus)
    entry = {"corpus": corpus, "imported": folder.as_posix(), "prior": prior}
    if unseen_files:
        entry["unseen_files"] = list(unseen_files)
    arms = config["arms"]
    if arm in arms:
        arms[arm].clear()  # in place, so comments attached to its keys stay where they were
        arms[arm].update(entry)
    else:
        # The comment after the last arm (the next section's heading) is stored on that arm's last
        # key: hand it to the new last arm, or it would sit above the new arm.
        node, key = arms, list(arms)[-1]
        while isinstance(node[key], CommentedMap):
            node, key = node[key], list(node[key])[-1]
        trailing = node.ca.items.get(key)
        arms[arm] = CommentedMap(entry)
        if trailing and trailing[2] is not None and trailing[2].value.startswith("\n"):  # not an end-of-line comment
            arms[arm].ca.items["prior"] = node.ca.items.pop(key)
    with open(config_file, "w") as f:
        editor.dump(config, f)


def check_arm_is_free(config: dict, config_file: Path, arm: str, corpus: str) -> None:
    if corpus not in config["corpora"]:
        raise ConfigError(f"{config_file}: unknown corpus {corpus!r}; known: {', '.join(config['corpora'])}")
    existing = config["arms"].get(arm)
    if existing is not None and "imported" not in existing:
        raise ConfigError(f"{config_file}: arms/{arm} is an arm the workflow trains; import under another name")


def import_run(source: Path, arm: str, corpus: str, prior: bool = True, dvc: bool = True,
               config_file: Path = DEFAULT_CONFIG, root: Path = IMPORTED_RUNS, trust: bool = False,
               unseen_files: list[str] | None = None) -> dict:
    """Copy a run folder (or a .ts) into root/<arm> and add the arm to the config. A model trained
    elsewhere may have seen the workflow's held-out files: `unseen_files` names files of the corpus
    it never trained on, which it is then evaluated on instead."""
    if not ARM_NAME.match(arm):
        raise ConfigError(f"{arm!r}: an arm name is lower case letters, digits and underscores")
    # Refuse before anything is copied: a refused import leaves no folder and no DVC entry behind.
    config = yaml.safe_load(Path(config_file).read_text())
    check_arm_is_free(config, Path(config_file), arm, corpus)
    folder = Path(root) / arm
    source = Path(source)
    if source.suffix == ".ts":
        from ..export.scripted_model import copy_scripted

        record = copy_scripted(source, folder, config["audio"]["sample_rate"])
        if prior and not record["has_prior"]:
            log.info("%s: exported without a prior, so the arm has none (a .ts cannot train one)", source)
        prior = prior and record["has_prior"]
    else:
        record = copy_run(source, folder, trust)
    if dvc:
        # DVC tracks the folder (data/imported/<arm>.dvc, committed); the checkpoint stays out of git.
        added = subprocess.run(["dvc", "add", str(folder)])
        if added.returncode != 0:
            raise ImportRunError(f"{folder}: `dvc add` failed (status {added.returncode}), so the arm was not added "
                                 "to the config; outside a DVC repository, import with --no-dvc")
    register_arm(Path(config_file), arm, corpus, folder, prior, unseen_files)
    log.info("%s: %s imported as arm %s", folder, source, arm)
    return record


def gin_sampling_rate(gin: Path) -> int | None:
    found = re.search(r"^SAMPLING_RATE\s*=\s*(\d+)\s*$", gin.read_text(), re.MULTILINE)
    return int(found.group(1)) if found else None


def adopt(folder: Path, out_dir: Path, sample_rate: int) -> dict:
    """Stand in for `electone-rave train`: the imported run's files where a training leaves its own."""
    gin = folder / "config.gin"
    rate = gin_sampling_rate(gin)
    if rate is None:
        raise ImportRunError(f"{gin}: binds no SAMPLING_RATE; not the operative config.gin of a RAVE run")
    if rate != sample_rate:
        raise ImportRunError(f"{gin}: the run was trained at SAMPLING_RATE {rate}, the workflow's audio is "
                             f"{sample_rate} Hz (configs/config.yaml: audio/sample_rate)")
    try:
        record = json.loads((folder / SOURCE_RECORD).read_text())
        recorded = record["sha256"]
    except (OSError, ValueError, KeyError) as err:
        raise ImportRunError(f"{folder / SOURCE_RECORD}: missing or unreadable ({err}); re-run import-run") from None
    for name in ("config.gin", "model.ckpt"):
        if sha256_of(folder / name) != recorded[name]:
            raise ImportRunError(f"{folder / name}: differs from the file import-run recorded; re-run import-run")
    out_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy2(gin, out_dir / "config.gin")
    shutil.copy2(folder / "model.ckpt", out_dir / "model.ckpt")
    events_out = out_dir / "tensorboard"
    shutil.rmtree(events_out, ignore_errors=True)
    if (folder / "tensorboard").is_dir():
        shutil.copytree(folder / "tensorboard", events_out)
    else:
        events_out.mkdir()
    described = provenance.describe([], imported=record, global_step=record["global_step"], seed=None)
    (out_dir / "provenance.json").write_text(json.dumps(described, indent=2) + "\n")
    return described
