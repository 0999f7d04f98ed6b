"""results/paper/numbers.json: every number the paper cites, gathered from the result files.

The paper (paper/electone-rave.typ) reads only this file, so no number is typed by hand and a
changed result reaches the text through the DAG.
"""

from __future__ import annotations

from pathlib import Path

from .. import provenance as workflow_provenance
from ..corpus.manifest import HELD_OUT, MAYBE_SEEN, NAMED_UNSEEN
from ..corpus.training_subset import SWEEPS
from ..evaluation.convergence import RECORD as CHECKPOINT_RECORD
from ..evaluation.convergence import convergence
from ..evaluation.prior_generation import inlet_value
from ..evaluation.transfer_comparison import KEY as TRANSFER
from ..export.export_options import BFLOAT16_MIN_SNR_DB, STOCK_TOLERANCE
from ..fileio import read_json, write_json
from ..workflow.config import expand_seeds, has_training_curves, is_private, weights_compared_runs

FIDELITIES = ("0.8", "0.9", "0.95", "0.99")


def read(path: Path) -> dict:
    return read_json(path)


def is_scripted_model(provenance: dict) -> bool:
    """An imported .ts alone (scripted_model.copy_scripted records the file's name)."""
    return "scripted" in (provenance.get("imported") or {})


def has_noise_generator(run: str, results: Path, provenance: dict) -> bool:
    if is_scripted_model(provenance):  # no gin: import-run looked into the .ts's decoder
        return provenance["imported"]["noise_generator"]
    return "NoiseGeneratorV2" in (results / "train" / run / "config.gin").read_text()


def run_numbers(run: str, spec: dict, results: Path) -> dict:
    reconstruction = read(results / "eval" / run / "reconstruction.json")
    provenance = read(results / "train" / run / "provenance.json")
    numbers = {
        "run": run, "arm": spec["arm"], "seed": spec["seed"],
        "corpus": spec["corpus"], "gin": spec["gin"], "prior": spec["prior"],
        "training_subset": spec.get("training_subset"),  # H2: percent of the corpus' training seconds
        "imported": spec.get("imported"), "scripted": is_scripted_model(provenance),
        "noise_generator": has_noise_generator(run, results, provenance),
        "steps": provenance["global_step"],  # None for an imported .ts: it does not say
        "reconstruction": {**reconstruction["mean"], "frechet_mfcc_distance": reconstruction["frechet_mfcc_distance"]},
        "heldout_files": len(reconstruction["files"]),
        "evaluated_on": NAMED_UNSEEN if spec.get("unseen_files") else MAYBE_SEEN if spec.get("imported") else HELD_OUT,
        "realtime": read(results / "eval" / run / "realtime.json"),
        # The same held-out files played through the exported .ts as nn~ plays it: its quality, and
        # the compute time measured while playing them.
        "played": played_numbers(run, results),
        "load": load_numbers(run, results),
        "phase_1_duration": None, "final_validation": None, "latent_dims_for_fidelity": {},
        "checkpoints": checkpoint_numbers(run, results),
    }
    if has_training_curves(spec):
        summary = read(results / "metrics" / run / "train_summary.json")
        scalars = summary["scalars"]
        numbers.update({
            "phase_1_duration": summary["phase_1_duration"],
            "final_validation": scalars["validation"]["last"],
            # RAVE logs argmax(cumulative variance > f): an index, so the dimensions needed are one more.
            "latent_dims_for_fidelity": {f: scalars[f"fidelity_{f}"]["last"] + 1 for f in FIDELITIES
                                         if f"fidelity_{f}" in scalars},
        })
    return numbers


def checkpoint_numbers(run: str, results: Path) -> dict | None:
    """H1: the run's checkpoints scored on held-out audio (score_checkpoints); None for a run whose
    training was not here."""
    path = results / "eval" / run / CHECKPOINT_RECORD
    if not path.is_file():
        return None
    record = read(path)
    return {k: record[k] for k in ("metric", "best_step", "last_step", "phase_2")} | {
        "saved": len(record["checkpoints"]),
        "best": next(r["metrics"][record["metric"]] for r in record["checkpoints"] if r["step"] == record["best_step"]),
        "last": record["checkpoints"][-1]["metrics"][record["metric"]]}


def played_numbers(run: str, results: Path) -> dict:
    evaluated = read(results / "eval" / run / "played.json")
    record = read(results / "audio" / run / "played" / "played.json")
    return {"reconstruction": {**evaluated["mean"], "frechet_mfcc_distance": evaluated["frechet_mfcc_distance"]},
            **{k: record[k] for k in ("realtime_factor", "buffer", "threads", "batch", "delay_samples", "delay_source")}}


def load_numbers(run: str, results: Path) -> dict:
    """nn-host's load grid: the paper's cell (load_grid.SUMMARY), the smallest buffers that never
    missed a deadline, every cell (the listening page's table) and the CPU they describe."""
    grid = read(results / "eval" / run / "load_grid.json")
    return {k: grid[k] for k in ("summary", "smallest_buffer_without_misses", "cells", "cpu", "libtorch")}


def exported_checkpoint(row: dict, choice: str) -> dict:
    """The run's row with the checkpoint its exports (and prior) hold: an imported run's own; with
    export.checkpoint: best, the best-scored of a trained run's saved checkpoints (rule
    best_checkpoint), with how many were scored; else its last."""
    if row["imported"]:
        exported = {"choice": "imported", "step": row["steps"]}
    elif choice == "best":
        exported = {"choice": "best", "step": row["checkpoints"]["best_step"], "saved": row["checkpoints"]["saved"]}
    else:
        exported = {"choice": "last", "step": row["steps"]}
    return row | {"exported_checkpoint": exported}


def fad_numbers(run: str, results: Path) -> dict:
    """The opt-in FAD (evaluation.fad): the embedding, its weights' sha256, and each distance."""
    record = read(results / "eval" / run / "fad.json")
    frames = {side: record[side] and [record[side]["reference_frames"], record[side]["candidate_frames"]]
              for side in ("played", "prior")}
    return {"embedding": record["embedding"], "weights_sha256": record["weights_sha256"],
            "played": record["played"]["fad"], "prior": record["prior"] and record["prior"]["fad"],
            "played_frames": frames["played"], "prior_frames": frames["prior"]}


def weights_numbers(run: str, results: Path) -> dict:
    """What bfloat16 weights change on the trained model: SNR against float32, metrics, speed."""
    compared = read(results / "eval" / run / "weights.json")
    return {"run": run, "snr_db_min": compared["snr_db"]["min"], "files": len(compared["files"]),
            **{role: {"log_mel_l1": compared[role]["metrics"]["log_mel_l1"],
                      "multiscale_spectral_distance": compared[role]["metrics"]["multiscale_spectral_distance"],
                      "realtime_factor": compared[role]["realtime_factor"]}
               for role in ("reference", "candidate")}}


def corpus_numbers(corpus: str, results: Path) -> dict:
    """What the corpus held and what training saw, from the preprocess report."""
    report = read(results / "preprocess" / f"{corpus}_preprocess_report.json")
    kept = [row for row in report["files"] if row["status"] in ("accepted", "converted")]
    return {
        "corpus": corpus,
        "files_found": len(report["files"]),
        "files_kept": len(kept),
        "files_skipped": sum(row["status"] == "skipped" for row in report["files"]),
        "heldout_files": sum(row.get("split") == "heldout" for row in kept),
        "seconds_kept": sum(row["seconds"] for row in kept),
        "seconds_in_database": report["database_seconds"],
    }


def gather(config: dict, results: Path, out: Path) -> dict:
    runs = expand_seeds(config)  # one run per arm and seed, as the workflow trained them
    first_run = next(iter(runs))
    provenance = read(results / "train" / first_run / "provenance.json")
    scale = config["scales"][config["scale"]]
    ablation = read(results / "eval" / "ablation.json")
    numbers = {
        "scale": config["scale"], "seed": config["seed"], "git_commit": workflow_provenance.git_commit(),
        "versions": workflow_provenance.versions(), "hardware": provenance["hardware"],
        "corpus": scale["corpus"], "train": {k: scale["train"][k] for k in ("max_steps", "batch", "overrides")},
        "audio": config["audio"],
        "export": {**config["export"], "stock_tolerance": STOCK_TOLERANCE, "bfloat16_min_snr_db": BFLOAT16_MIN_SNR_DB},
        "site": {**config["site"],
                 "prior_inlet_values": [round(inlet_value(t), 2) for t in config["site"]["prior_temperatures"]]},
        "corpora": [corpus_numbers(c, results) for c in sorted({s["corpus"] for s in runs.values()})],
        "private_corpora": sorted(c for c in {s["corpus"] for s in runs.values()} if is_private(config, c)),
        "runs": [exported_checkpoint(run_numbers(run, spec, results), config["export"]["checkpoint"])
                 | {"fad": fad_numbers(run, results) if config["evaluation"].get("fad") else None}
                 for run, spec in runs.items()],
        "priors": [{"run": run, **read(results / "eval" / run / "prior.json")}
                   for run, spec in runs.items() if spec["prior"]],
        "ablation": ablation,
        "convergence": convergence(ablation["pairs"], results / "eval"),
        "dataset_size": [read(results / "eval" / "dataset_size" / f"{sweep}.json") for sweep in config.get(SWEEPS, {})],
        "transfer": (read(results / "eval" / "transfer.json")
                     if any(pair["corpus"] in config.get(TRANSFER, {}) for pair in config["ablation"]) else None),
        "weights": [weights_numbers(run, results) for run in weights_compared_runs(config, runs)],
        "replication": read(results / "eval" / "replication.json"),
    }
    write_json(numbers, out)
    return numbers
