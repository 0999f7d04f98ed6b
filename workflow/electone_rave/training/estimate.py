"""What a training will cost before it starts: steps, hours at a stated speed, and disk.

Checkpoint sizes come from the models themselves: the gin stack is built as `rave train` builds it
(no training) and its parameters counted. A RAVE Lightning checkpoint holds the fp32 weights and
Adam's two moments: 12 bytes per parameter (the demo checkpoints measure 12.04). RAVE keeps every
periodic checkpoint (`epoch_<step>.ckpt`) plus `best` and `last`, and the workflow copies the
final one into the run's outputs.
"""

from __future__ import annotations

import logging
import math
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

from ..errors import ElectoneRaveError

BYTES_PER_PARAMETER = 12
HEADROOM = 1.1  # TensorBoard events, exports and file-system slack


class InsufficientDiskError(ElectoneRaveError, RuntimeError):
    pass


@dataclass(frozen=True)
class TrainingCost:
    name: str
    steps: int
    parameters: int
    checkpoints: int
    disk_bytes: int
    hours: float | None  # None when no speed is known for this hardware
    steps_per_second: float | None
    gpu_memory_gb: float | None = None  # stated per arm where known (full size)

    def describe(self) -> str:
        if self.hours is None:
            time = "time unknown (no steps_per_second for this hardware in the scale)"
        elif self.hours < 1:
            time = f"{self.hours * 60:.1f} min at {self.steps_per_second:g} steps/s"
        else:
            time = f"{self.hours:.1f} h at {self.steps_per_second:g} steps/s"
        memory = f", needs about {self.gpu_memory_gb:g} GB of GPU memory at full size" if self.gpu_memory_gb else ""
        return (f"{self.name}: {self.steps:,} steps, {self.parameters / 1e6:.1f} M parameters, "
                f"{self.checkpoints} checkpoints = {self.disk_bytes / 1e9:.3g} GB, {time}{memory}")


def rave_parameters(gin_files: list[str], overrides: list[str]) -> int:
    """Parameters of the RAVE model (with its discriminator) that `rave train` builds from these files."""
    from ..rave_launcher import drop_cwd_from_path
    from .gin_stack import resolve

    gin_files = [str(resolve(entry).resolve()) for entry in gin_files]  # before the working directory leaves the path
    drop_cwd_from_path()  # as for RAVE's own commands: configs/ here would shadow RAVE's gin includes
    import gin
    import rave

    gin.clear_config()
    logging.disable(logging.ERROR)  # gin logs each search-path miss of RAVE's includes as an error
    try:
        gin.parse_config_files_and_bindings(gin_files, overrides)
        model = rave.RAVE(n_channels=1)
        return sum(p.numel() for p in model.parameters())
    finally:
        logging.disable(logging.NOTSET)
        gin.clear_config()


def checkpoints_kept(max_steps: int, save_every: int | None) -> int:
    periodic = max_steps // (save_every or max_steps)  # unset: the workflow asks RAVE for one, at the end
    return periodic + 3  # best.ckpt, the last epoch's checkpoint, and the copy in the outputs


def training_cost(name: str, gin_files: list[str], overrides: list[str], max_steps: int,
                  save_every: int | None, steps_per_second: float | None,
                  gpu_memory_gb: float | None = None) -> TrainingCost:
    parameters = rave_parameters(gin_files, overrides)
    kept = checkpoints_kept(max_steps, save_every)
    disk = math.ceil(kept * parameters * BYTES_PER_PARAMETER * HEADROOM)
    hours = max_steps / steps_per_second / 3600 if steps_per_second else None
    return TrainingCost(name, max_steps, parameters, kept, disk, hours, steps_per_second, gpu_memory_gb)


def run_costs(config: dict, runs: list[str] | None = None) -> list[TrainingCost]:
    """The cost of each training of the config's runs (one per arm and seed; imported runs train
    nothing), or of the named ones only."""
    from ..workflow.config import arm_budget, arm_overrides, expand_seeds, is_imported

    costs = []
    for run, spec in expand_seeds(config).items():
        if is_imported(spec) or (runs is not None and run not in runs):
            continue
        budget = arm_budget(config, spec["arm"])
        costs.append(training_cost(run, spec["gin"], arm_overrides(config, spec["arm"]), budget["max_steps"],
                                   budget.get("save_every"), budget.get("steps_per_second"), spec.get("gpu_memory_gb")))
    return costs


def total_hours(costs: list[TrainingCost]) -> str:
    hours = [c.hours for c in costs]
    return "unknown" if None in hours else f"{sum(hours):.1f} h"


def free_bytes(path: Path) -> int:
    path = Path(path)
    while not path.exists():
        path = path.parent
    return shutil.disk_usage(path).free


def require_disk(cost: TrainingCost, where: Path) -> None:
    free = free_bytes(where)
    if cost.disk_bytes > free:
        raise InsufficientDiskError(
            f"{where}: {cost.describe()}; only {free / 1e9:.3g} GB free. Free space, point "
            "results/checkpoints at a larger disk, or raise save_every in the scale")


def as_dict(cost: TrainingCost) -> dict:
    return asdict(cost)
