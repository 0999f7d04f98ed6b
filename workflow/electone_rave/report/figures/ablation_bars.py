"""The noise ablation: each metric with and without the noise generator, per corpus, seeds as points."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ...evaluation.ablation import METRICS
from . import save


def plot(ablation_json: Path, png: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pairs = json.loads(Path(ablation_json).read_text())["pairs"]
    fig, axes = plt.subplots(1, len(METRICS), figsize=(3 * len(METRICS), 3.5))
    width = 0.38
    for ax, metric in zip(axes, METRICS):
        for i, pair in enumerate(pairs):
            for offset, arm, color in ((-width / 2, "with_noise", "tab:orange"), (width / 2, "without_noise", "tab:blue")):
                values = pair["metrics"][metric][arm]
                ax.bar(i + offset, np.mean(values), width, color=color, alpha=0.6,
                       label=arm.replace("_", " ") if i == 0 else None)
                ax.scatter([i + offset] * len(values), values, color="black", s=10, zorder=3)
        ax.set_xticks(range(len(pairs)), [p["corpus"] for p in pairs])
        ax.set_title(metric, fontsize=9)
        ax.grid(axis="y", alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.suptitle("Noise ablation on held-out audio (lower is better; points: seeds)", fontsize=10)
    save(fig, png)
    plt.close(fig)
