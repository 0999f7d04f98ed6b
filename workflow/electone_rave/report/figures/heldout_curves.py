"""H1: held-out error of every saved checkpoint against step, one panel per ablation pair's corpus,
runs with the noise generator in orange and without it in blue, phase 2 shaded, the best marked."""

from __future__ import annotations

from pathlib import Path

from ...evaluation.convergence import PRIMARY, RECORD
from ...fileio import read_json
from . import save


def plot(pairs: list[dict], eval_dir: Path, png: Path) -> None:
    """pairs: corpus, with_noise and without_noise (runs), as the ablation takes them."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(pairs), figsize=(4.5 * len(pairs), 3.2), squeeze=False)
    plotted = []
    for ax, pair in zip(axes[0], pairs):
        for side, color in (("with_noise", "tab:orange"), ("without_noise", "tab:blue")):
            for run in pair[side]:
                record_path = Path(eval_dir) / run / RECORD
                if not record_path.is_file():
                    continue  # a run without snapshots of its own (imported)
                record = read_json(record_path)
                steps = [row["step"] for row in record["checkpoints"]]
                scores = [row["metrics"][PRIMARY] for row in record["checkpoints"]]
                ax.plot(steps, scores, marker="o", markersize=3, color=color, label=run)
                best = steps.index(record["best_step"])
                ax.scatter([steps[best]], [scores[best]], marker="*", s=80, color=color, zorder=3)
                if record["phase_1_duration"] is not None and max(steps) > record["phase_1_duration"]:
                    ax.axvspan(record["phase_1_duration"], max(steps), color="0.9", zorder=0)
                plotted.append(run)
        ax.set_title(f"{pair['corpus']} (shaded: phase 2; star: best)", fontsize=9)
        ax.set_xlabel("step")
        ax.grid(alpha=0.3)
        if ax.lines:
            ax.legend(fontsize=7)
        else:
            ax.text(0.5, 0.5, "no checkpoints of a training here", ha="center", va="center", transform=ax.transAxes)
    axes[0][0].set_ylabel(f"held-out {PRIMARY.replace('_', ' ')}")
    fig.suptitle("H1: held-out error of each saved checkpoint (lower is better)", fontsize=10)
    save(fig, png, description="runs: " + ", ".join(plotted))
    plt.close(fig)
