"""Log-mel spectrograms: a held-out original, its reconstructions, and a prior generation."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ...corpus.manifest import files_in_split, read_manifest, reconstruction_of
from ...evaluation.audio_files import read_mono
from ...evaluation.audio_metrics import log_mel
from . import save


def panels_for(manifest: Path, reconstructions: list[tuple[str, Path]], prior_dir: Path) -> list[tuple[str, Path]]:
    """The first held-out original, the same file from each reconstruction folder, a prior generation."""
    listed = read_manifest(manifest)
    original = files_in_split(listed, "heldout")[0]
    panels = [(f"original ({original.name})", original)]
    panels += [(f"reconstruction, {title}", reconstruction_of(listed, original, folder)) for title, folder in reconstructions]
    generations = sorted(Path(prior_dir).glob("*.wav"))
    if not generations:
        raise FileNotFoundError(f"{prior_dir}: no prior generations")
    return panels + [("prior generation", generations[0])]


def plot(panels: list[tuple[str, Path]], png: Path, seconds: float = 6.0) -> None:
    import librosa.display
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(panels), 1, figsize=(10, 2.2 * len(panels)), sharex=True)
    for ax, (title, wav) in zip(np.atleast_1d(axes), panels):
        audio, rate = read_mono(wav)
        audio = audio[: int(seconds * rate)]
        librosa.display.specshow(log_mel(audio, rate), sr=rate, hop_length=512, x_axis="time",
                                 y_axis="mel", ax=ax, cmap="magma")
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("")
    np.atleast_1d(axes)[-1].set_xlabel("time (s)")
    fig.tight_layout()
    save(fig, png)
    plt.close(fig)
