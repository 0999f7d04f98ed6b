"""H2: per dataset-size sweep, the held-out error against training seconds (a point per seed, the
line through their means), and each size's phase-2 discriminator gap (pred_real - pred_fake) for
its first seed, from the smallest size (light) to the largest (dark)."""

from __future__ import annotations

from pathlib import Path

from ...fileio import read_json
from . import save


def plot(sweep_jsons: list[Path], png: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sweeps = [read_json(path) for path in sweep_jsons]
    fig, axes = plt.subplots(len(sweeps), 2, figsize=(9, 3.2 * len(sweeps)), squeeze=False)
    for (quality, gaps), sweep in zip(axes, sweeps):
        primary = sweep["primary"]
        seconds = [arm["training_seconds"] for arm in sweep["arms"]]
        quality.plot(seconds, [arm["heldout_mean"][primary] for arm in sweep["arms"]], color="0.3", zorder=1)
        for arm in sweep["arms"]:
            quality.scatter([arm["training_seconds"]] * len(arm["runs"]), [r["heldout"][primary] for r in arm["runs"]],
                            s=18, color="tab:orange", zorder=2)
            quality.annotate(f"{arm['percent']}%", (arm["training_seconds"], arm["heldout_mean"][primary]),
                             textcoords="offset points", xytext=(4, 4), fontsize=7)
        quality.set_xlabel("training seconds in the database")
        quality.set_ylabel(f"held-out {primary.replace('_', ' ')}")
        quality.set_title(f"{sweep['sweep']}: held-out error by size (points: seeds)", fontsize=9)
        colours = plt.cm.Greens([0.4 + 0.6 * i / max(1, len(sweep["arms"]) - 1) for i in range(len(sweep["arms"]))])
        for arm, colour in zip(sweep["arms"], colours):
            gap = arm["runs"][0]["discriminator"]["gap"]
            gaps.plot(gap["steps"], gap["values"], color=colour, label=f"{arm['percent']}% ({arm['arm']})")
        gaps.axhline(0, color="0.6", linewidth=0.8)
        gaps.set_xlabel("step (phase 2)")
        gaps.set_ylabel("pred_real - pred_fake")
        gaps.set_title(f"{sweep['sweep']}: discriminator gap, seed {sweep['seeds'][0]} (verdict: {sweep['verdict']})",
                       fontsize=9)
        gaps.legend(fontsize=7)
        for ax in (quality, gaps):
            ax.grid(alpha=0.3)
    fig.suptitle("H2: dataset size (lower error is better)", fontsize=10)
    save(fig, png, description="sweeps: " + ", ".join(s["sweep"] for s in sweeps))
    plt.close(fig)
