"""H3: per ablation pair, how much of another corpus' held-out audio its runs keep (chroma
similarity, loudness correlation; points are seeds) with the noise generator (orange) and without
it (blue), and how far their outputs' timbre is from the training audio (Fréchet MFCC distance,
the inputs' own distance dashed)."""

from __future__ import annotations

from pathlib import Path

from ...evaluation.transfer_comparison import CONTENT
from ...fileio import read_json
from . import save

SIDES = (("with_noise", "with noise", "tab:orange"), ("without_noise", "without noise", "tab:blue"))


def plot(transfer_json: Path, png: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pairs = read_json(transfer_json)["pairs"]
    panels = [*CONTENT, "frechet_mfcc_to_training"]
    fig, axes = plt.subplots(1, len(panels), figsize=(3.6 * len(panels), 3.2), squeeze=False)
    for ax, panel in zip(axes[0], panels):
        for i, pair in enumerate(pairs):
            for j, (side, label, colour) in enumerate(SIDES):
                x = i + (j - 0.5) * 0.3
                if panel == "frechet_mfcc_to_training":
                    values = [run[panel]["outputs"] for run in pair[side]]
                    ax.hlines(pair[side][0][panel]["inputs"], i - 0.4, i + 0.4, colors="0.5", linestyles="dashed")
                else:
                    values = [run[panel] for run in pair[side]]
                ax.bar(x, sum(values) / len(values), width=0.28, color=colour, alpha=0.6, label=label if i == 0 else None)
                ax.scatter([x] * len(values), values, color=colour, s=14, zorder=3)
        ax.set_xticks(range(len(pairs)), [f"{p['source']} through\n{p['corpus']} models" for p in pairs], fontsize=7)
        ax.set_title(panel.replace("_", " ") + (" (lower: closer)" if panel.startswith("frechet") else " (higher: kept)"),
                     fontsize=9)
        ax.grid(alpha=0.3, axis="y")
    axes[0][0].legend(fontsize=7)
    fig.suptitle("H3: another corpus' held-out audio through each pair's models", fontsize=10)
    save(fig, png, description="pairs: " + ", ".join(f"{p['corpus']}<-{p['source']}" for p in pairs))
    plt.close(fig)
