"""A model card for a released run: what a musician needs to know before putting it in nn~, from the
numbers the paper is typeset from (numbers.json) and nn-host's records (methods, load, nn~ releases).
The same metadata, as JSON, goes into the bundle and into each `.ts` (release.py)."""

from __future__ import annotations

from ..evaluation.prior_generation import inlet_value

METHODS = {
    "forward": "audio in, audio out: the input re-synthesised through the model (timbre transfer)",
    "encode": "audio in, the latent out ({latent} channels, one value per {ratio} samples)",
    "decode": "the latent in ({latent} channels), audio out: play or draw the latent yourself",
    "prior": "a temperature in, a latent out ({latent} channels; feed it to decode); inlet t plays at "
             "softplus(t)/ln 2, so t = {inlet_1:.2f} is temperature 1",
}
COMMON_BUFFERS = (2048, 4096, 8192)


def card_metadata(run: str, numbers: dict, exports: list[dict], private: bool, citation: dict, licence: str) -> dict:
    """The card's facts: training data and run, quality as nn~ plays the model, measured load, files."""
    row = next(r for r in numbers["runs"] if r["run"] == run)
    corpus = next((c for c in numbers["corpora"] if c["corpus"] == row["corpus"]), None)
    load = row["load"]
    return {
        "name": run, "package": citation.get("title"), "package_version": str(citation.get("version")),
        "git_commit": numbers["git_commit"], "scale": numbers["scale"],
        "sample_rate": numbers["audio"]["sample_rate"],
        "training_data": {"corpus": row["corpus"], "private": private,
                          "files": corpus and corpus["files_kept"], "heldout_files": corpus and corpus["heldout_files"],
                          "seconds": corpus and corpus["seconds_kept"]},
        "training": {"arm": row["arm"], "gin": row["gin"], "seed": row["seed"], "steps": row["steps"],
                     "phase_1_steps": row["phase_1_duration"], "noise_generator": row["noise_generator"],
                     "imported": row["imported"], "hardware": numbers["hardware"], "versions": numbers["versions"],
                     "exported_checkpoint": row["exported_checkpoint"]},
        "fidelity": numbers["export"]["fidelity"], "latent_dims_for_fidelity": row["latent_dims_for_fidelity"],
        "quality_as_played": {"evaluated_on": row["evaluated_on"], "files": row["heldout_files"],
                              **row["played"]["reconstruction"]},
        "load": {"cpu": load["cpu"], "libtorch": load["libtorch"],
                 "cells": [c for c in load["cells"] if c["buffer"] in COMMON_BUFFERS]},
        "exports": exports,
        "licence": licence, "citation": {"title": citation.get("title"), "version": str(citation.get("version")),
                                         "authors": [a.get("name") or f"{a.get('given-names')} {a.get('family-names')}"
                                                     for a in citation.get("authors", [])]},
    }


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def exported_checkpoint_sentence(exported: dict) -> str:
    """Which checkpoint the .ts files hold (export.checkpoint)."""
    if exported["choice"] == "imported":
        return " The exports hold the imported checkpoint."
    if exported["choice"] == "last":
        return " The exports hold the training's last checkpoint."
    if exported["saved"] == 1:
        return (f" The exports hold the checkpoint of step {exported['step']}, the only one scored: the "
                "training's snapshots were not there to choose from.")
    return (f" The exports hold the checkpoint of step {exported['step']}, the one with the lowest held-out error "
            f"of the {exported['saved']} the training saved; it was chosen on the held-out files the quality "
            "below is measured on, which flatters that figure.")


def render_card(meta: dict) -> str:
    """MODEL_CARD.md from card_metadata()."""
    data, training, quality = meta["training_data"], meta["training"], meta["quality_as_played"]
    lines = [f"# {meta['name']}: a RAVE model for nn~", "",
             f"Made by {meta['package']} {meta['package_version']} (commit `{meta['git_commit']}`, scale "
             f"`{meta['scale']}`{': a small demonstration model, not the study' if meta['scale'] != 'full' else ''}).", "",
             "## Files", "", "| file | what | weights | sha256 |", "|---|---|---|---|"]
    for export in meta["exports"]:
        lines.append(f"| `{export['file']}` | {export['role']} | {export['weights']} | `{export['sha256']}` |")
    lines += ["", "Every file's sha256 is also in `SHA256SUMS`; this card's facts are in `model_card.json` and, as",
              "the attribute `model_card`, inside each `.ts`.", "", "## In nn~", ""]
    shown = set()
    for export in meta["exports"]:  # each method once, in the first file that has it
        for method, params in export["methods"].items():
            if method in shown:
                continue
            shown.add(method)
            latent = params["out_channels"] if method in ("encode", "prior") else params["in_channels"]
            text = METHODS.get(method, "").format(latent=latent, ratio=max(params["in_ratio"], params["out_ratio"]),
                                                  inlet_1=inlet_value(1.0))
            lines.append(f"- `[nn~ {export['file']} {method} 2048]`: {text}")
    releases = meta["exports"][0]["nn_tilde"]
    made_with = (f"Made with torch {releases['made_with_torch']}: nn~ {', '.join(releases['same_libtorch']) or '(none known)'} "
                 f"ships the same libtorch; older nn~ releases ({', '.join(releases['older_libtorch']) or 'none known'}) "
                 "may refuse or crash on it." if releases["made_with_torch"] else
                 "The torch it was made with is not recorded in the file; an nn~ release with an older libtorch "
                 "may refuse or crash on it.")
    lines += ["", f"{made_with} Every method was played by nn-host (nn~'s backend in C++) at batch 1 and 4 and "
              "equalled Python's output.", "", "## Training data", ""]
    seconds = data["seconds"]
    lines.append(f"Corpus `{data['corpus']}`: {plural(data['files'], 'file')}, {seconds / 60:.1f} minutes, of which "
                 f"{plural(data['heldout_files'], 'file')} held out of training." if seconds else f"Corpus `{data['corpus']}`.")
    if data["private"]:
        lines += ["", "The training audio is private: none of it, and no reconstruction of it, is in this bundle. "
                  "The examples are generations of the prior."]
    lines += ["", "## Training", "",
              f"Arm `{training['arm']}` (gin: {', '.join(f'`{g}`' for g in training['gin'])}), seed {training['seed']}, "
              f"{training['steps']} steps ({training['phase_1_steps']} in RAVE's phase 1), noise generator "
              f"{'on' if training['noise_generator'] else 'off'}" + (f"; imported from {training['imported']}"
                                                                      if training["imported"] else "") + "."
              + exported_checkpoint_sentence(training["exported_checkpoint"]),
              f"Latent kept at fidelity {meta['fidelity']}; sample rate {meta['sample_rate']} Hz.", "",
              "## Quality as nn~ plays it", "",
              f"On the {quality['evaluated_on']} ({quality['files']}; lower is better): log-mel L1 "
              f"{quality['log_mel_l1']:.3f}, multiscale spectral distance {quality['multiscale_spectral_distance']:.3f}"
              + (f", DAC's mel distance {quality['mel_distance']:.3f}, SI-SDR {quality['si_sdr_db']:.1f} dB"
                 if "mel_distance" in quality else "")
              + (f"; ViSQOL (audio mode, MOS-LQO 1 to 5, higher is better) {quality['visqol_moslqo']:.2f}"
                 if "visqol_moslqo" in quality else "") + ".", "",
              f"## Load measured ({meta['load']['cpu']}, libtorch {meta['load']['libtorch']})", "",
              "Median / 99th-percentile compute time per buffer, share of buffers past their deadline, and the delay "
              "a player hears (nn~'s buffering and the model's own). Measured on this CPU only: another CPU, above "
              "all one without the same vector units, can be slower.", "",
              "| sample rate | buffer | threads | batch | median | p99 | deadline | missed | delay |",
              "|---|---|---|---|---|---|---|---|---|"]
    for c in meta["load"]["cells"]:
        lines.append(f"| {c['sample_rate']} | {c['buffer']} | {c['threads']} | {c['batch']} | {c['median_ms']:.2f} ms | "
                     f"{c['p99_ms']:.2f} ms | {c['deadline_ms']:.1f} ms | {100 * c['missed_share']:.0f} % | "
                     f"{c['delay_ms']:.0f} ms |")
    authors = ", ".join(meta["citation"]["authors"])
    lines += ["", "## Licence and citation", "",
              f"The code that made this model: {meta['licence']}. The weights were learned from the training data "
              "above; what you may do with them follows the rights in that data.", "",
              f"Cite: {authors}, *{meta['citation']['title']}*, version {meta['citation']['version']}; and RAVE "
              "(Caillon & Esling, 2021, arXiv:2111.05011).", ""]
    return "\n".join(lines)
