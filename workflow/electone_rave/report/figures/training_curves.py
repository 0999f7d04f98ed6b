"""The seed's six TensorBoard curves plus validation, runs overlaid, phase 2 marked."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from ...evaluation.metrics import SEED_TAGS
from . import save


def read_curves(csv_path: Path) -> dict[str, tuple[list[int], list[float]]]:
    curves: dict[str, tuple[list[int], list[float]]] = {}
    with open(csv_path) as f:
        for row in csv.DictReader(f):
            steps, values = curves.setdefault(row["tag"], ([], []))
            steps.append(int(row["step"]))
            values.append(float(row["value"]))
    return curves


def plot(runs: dict[str, tuple[Path, Path]], png: Path) -> None:
    """runs: run name -> (train_scalars.csv, train_summary.json)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 4, figsize=(16, 7), sharex=True)
    phase_2 = set()
    for run, (csv_path, summary_path) in runs.items():
        curves = read_curves(csv_path)
        phase_2.add(json.loads(Path(summary_path).read_text())["phase_1_duration"])
        for ax, tag in zip(axes.flat, SEED_TAGS):
            if tag in curves:
                ax.plot(*curves[tag], label=run, linewidth=1.2)
    for ax, tag in zip(axes.flat, SEED_TAGS):
        ax.set_title(tag, fontsize=10)
        for step in phase_2:
            ax.axvline(step, color="grey", linestyle="--", linewidth=0.8)
        ax.grid(alpha=0.3)
    axes.flat[-1].axis("off")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    axes.flat[-1].legend(handles, labels, loc="center", title="run (dashed: phase 2 starts)")
    for ax in axes[-1]:
        ax.set_xlabel("step")
    save(fig, png, description="runs: " + ", ".join(runs))
    plt.close(fig)
