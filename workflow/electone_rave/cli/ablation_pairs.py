"""The noise-ablation pairs as commands take them: CORPUS:RUNS_WITH_NOISE:RUNS_WITHOUT_NOISE:SEEDS.
Apart from commands.py, which every command (trainings included) depends on."""

from __future__ import annotations

import argparse

from .commands import arg


def ablation_pair(text: str) -> dict:
    corpus, sep, rest = text.partition(":")
    parts = rest.split(":")
    if not sep or len(parts) != 3 or not all(parts):
        raise argparse.ArgumentTypeError(f"{text!r}: expected CORPUS:RUNS_WITH_NOISE:RUNS_WITHOUT_NOISE:SEEDS")
    with_noise, without, seeds = parts
    try:
        seed_list = [int(seed) for seed in seeds.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: seeds must be integers") from None
    return {"corpus": corpus, "with_noise": with_noise.split(","), "without_noise": without.split(","),
            "seeds": seed_list}


PAIRS_ARG = arg("--pair", type=ablation_pair, nargs="+", required=True,
                help="CORPUS:RUNS_WITH_NOISE:RUNS_WITHOUT_NOISE:SEEDS, each list comma-separated in seed order")
