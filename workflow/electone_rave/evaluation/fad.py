"""Fréchet Audio Distance (Kilgour et al., 2019), opt-in (config `evaluation.fad`): it needs the
weights of an embedding model, which you supply; nothing is downloaded while the workflow runs.

Embeddings (`evaluation.fad.embedding`):
- `vggish`: Google's AudioSet VGGish as torchvggish defines it (its PyTorch port), with the weights
  file you name (the port's `vggish-10086976.pth`, VGGISH_WEIGHTS); 128-d embeddings of 0.96-s
  log-mel examples at 16 kHz made by torchvggish's own input code, taken before the last ReLU as
  frechet_audio_distance does.
- `torchscript`: a TorchScript module you name whose method (`evaluation.fad.method`, `encode` by
  default) maps audio [1, 1, samples] at the workflow's sample rate to [1, dims, frames]: a CLAP or
  EnCodec encoder you scripted, or a RAVE model exported without --streaming (a streaming export
  carries its state from one file to the next).

Per run, two distances where the inputs exist: the held-out files against their reconstructions as
nn~ plays them, and (for a run with a prior) the training audio, a seeded sample of at most 30
minutes (transfer.training_reference), against the prior's generations. Each is the Fréchet
distance between Gaussians fitted to the two sets' embedding frames (audio_metrics.frechet_distance).
The record names the weights file and its sha256, so a cited FAD says which model gave it.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Callable

import numpy as np

from ..corpus.manifest import evaluation_files, read_manifest
from ..errors import ConfigError, ElectoneRaveError
from ..fileio import sha256_of, write_json
from .audio_files import read_mono
from .audio_metrics import frechet_distance
from .reconstruction_pairs import read_pair
from .transfer import training_reference

EMBEDDINGS = ("vggish", "torchscript")
VGGISH_WEIGHTS = "https://github.com/harritaylor/torchvggish/releases/download/v0.1/vggish-10086976.pth"
Embed = Callable[[np.ndarray, int], np.ndarray]  # (mono audio, its rate) -> (frames, dims)


class FadError(ElectoneRaveError, ValueError):
    """Weights that are missing or are not the embedding model named, or too little audio to fit."""


def missing_weights(embedding: str, weights: Path) -> str | None:
    """Why FAD on this embedding cannot run with these weights (None: it can), naming the file."""
    if embedding not in EMBEDDINGS:
        return f"evaluation.fad.embedding: {embedding!r} is not one of {', '.join(EMBEDDINGS)}"
    if Path(weights).is_file():
        return None
    where = (f"torchvggish's VGGish weights, {VGGISH_WEIGHTS}" if embedding == "vggish"
             else "a TorchScript embedding model you saved with torch.jit.save")
    return (f"{weights}: no such file. FAD on {embedding} embeddings needs weights you supply ({where}); "
            "name them in evaluation.fad.weights, or set evaluation.fad to null")


def check_fad(config: dict) -> None:
    """Before anything runs: evaluation.fad, when set, names weights that exist."""
    fad = config["evaluation"].get("fad")
    if fad:
        reason = missing_weights(fad["embedding"], Path(fad["weights"]))
        if reason:
            raise ConfigError(reason)


def vggish_embedder(weights: Path) -> Embed:
    import torch
    import torchvggish

    model = torchvggish.VGG(torchvggish.make_layers(), postprocess=False)
    try:
        model.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
    except (RuntimeError, ValueError, TypeError, KeyError, EOFError, pickle.UnpicklingError) as err:
        reason = str(err).strip().splitlines()[0]
        raise FadError(f"{weights}: not VGGish weights as torchvggish defines them ({reason})") from None
    model.embeddings = torch.nn.Sequential(*list(model.embeddings.children())[:-1])  # before the last ReLU
    model.eval()

    def embed(x: np.ndarray, rate: int) -> np.ndarray:
        examples = torchvggish.waveform_to_examples(np.asarray(x, dtype=np.float64), rate, return_tensor=True)
        with torch.no_grad():
            return model(examples.float()).numpy()

    return embed


def torchscript_embedder(weights: Path, method: str) -> Embed:
    import torch

    try:
        model = torch.jit.load(str(weights), map_location="cpu")
    except RuntimeError as err:
        raise FadError(f"{weights}: not a TorchScript file ({str(err).strip().splitlines()[0]})") from None
    if not hasattr(model, method):
        raise FadError(f"{weights}: the model has no method {method!r} (evaluation.fad.method)")
    function = getattr(model, method)

    def embed(x: np.ndarray, rate: int) -> np.ndarray:
        with torch.no_grad():
            out = function(torch.from_numpy(np.asarray(x, dtype=np.float32)).reshape(1, 1, -1))
        if out.dim() != 3 or out.shape[0] != 1:
            raise FadError(f"{weights}: {method} returned shape {tuple(out.shape)}, not [1, dims, frames]")
        return out[0].T.numpy()

    return embed


def load_embedder(embedding: str, weights: Path, method: str = "encode") -> Embed:
    reason = missing_weights(embedding, weights)
    if reason:
        raise FadError(reason)
    return vggish_embedder(weights) if embedding == "vggish" else torchscript_embedder(weights, method)


def frechet_audio_distance(references: list[np.ndarray], candidates: list[np.ndarray], rate: int, embed: Embed,
                           what: str) -> dict:
    """FAD between two sets of signals at one rate: the Fréchet distance of their embedding frames."""
    frames = [np.concatenate([embed(x, rate) for x in signals]) for signals in (references, candidates)]
    for side, rows in zip(("reference", "candidate"), frames):
        if len(rows) < 2:
            raise FadError(f"{what}: {len(rows)} embedding frame(s) on the {side} side; FAD needs at least two")
    value = frechet_distance(*frames)
    if not np.isfinite(value):
        raise FadError(f"{what}: the Fréchet distance is not finite ({len(frames[0])} and {len(frames[1])} frames "
                       f"of {frames[0].shape[1]} dimensions)")
    return {"fad": value, "reference_frames": len(frames[0]), "candidate_frames": len(frames[1]),
            "dims": int(frames[0].shape[1])}


def evaluate_fad(embedding: str, weights: Path, method: str, manifest_path: Path, played: Path,
                 generations: Path | None, run: str, out: Path, named: list[str] | None = None, seed: int = 0) -> dict:
    """results/eval/<run>/fad.json: FAD of the played reconstructions and, given, of the prior's generations."""
    embed = load_embedder(embedding, weights, method)
    manifest = read_manifest(manifest_path)
    originals = evaluation_files(manifest, named)
    refs, ests, rate = [], [], None
    for original in originals:
        ref, est, rate = read_pair(manifest, original, played)
        refs.append(ref)
        ests.append(est)
    record = {"run": run, "embedding": embedding, "weights": Path(weights).as_posix(), "weights_sha256": sha256_of(Path(weights)),
              "method": method if embedding == "torchscript" else None,
              "played": {"reference": "named as unseen" if named else "heldout", "files": len(originals),
                         **frechet_audio_distance(refs, ests, rate, embed, f"{played} ({run}, played)")},
              "prior": None}
    if generations is not None:
        generated = [read_mono(p) for p in sorted(generations.glob("*.wav"))]
        if not generated:
            raise FadError(f"{generations}: no generated WAV files")
        training = training_reference(manifest_path, seed)
        record["prior"] = {"reference": "train split (a seeded sample of at most 30 minutes)", "files": len(generated),
                           **frechet_audio_distance(training, [x for x, _ in generated], generated[0][1], embed,
                                                    f"{generations} ({run}, prior)")}
    write_json(record, out)
    return record
