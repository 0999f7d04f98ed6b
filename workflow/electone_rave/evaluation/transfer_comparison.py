"""H3's comparison: per noise-ablation pair, the content its runs keep of another corpus' held-out
files (transfer.py), with and without the noise generator, and the verdict.

The hypothesis ("without noise the model behaves more like timbre transfer than texture
generation") predicts more content kept without the noise generator: supported when, seed by seed,
the run without noise keeps more by both measures; not supported when the run with noise keeps
more by both on every seed; otherwise (or with one seed, as in the ablation) the data cannot tell.
Not a significance test.

The config's `transfer` checks live here too, not in workflow/config.py, which every training's
code includes.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import ConfigError
from ..fileio import read_json, write_json

KEY = "transfer"  # the config's: ablation pair corpus -> the corpus whose held-out files its runs play
CONTENT = ("chroma_similarity", "loudness_correlation")  # higher: more of the input kept
RECORD = "transfer.json"  # results/eval/<run>/, written by evaluate_transfer


VERDICTS = ("supported", "not supported", "cannot tell")


def verdict(with_noise: list[dict], without_noise: list[dict]) -> tuple[str, str]:
    """H3's verdict from each seed's mean content scores with and without the noise generator."""
    if len(with_noise) != len(without_noise):
        raise ValueError(f"one run per seed on each side: {len(with_noise)} with noise, {len(without_noise)} without")
    if len(with_noise) < 2:
        return "cannot tell", "one seed"
    more_without = [all(wo[k] > w[k] for k in CONTENT) for w, wo in zip(with_noise, without_noise)]
    more_with = [all(w[k] > wo[k] for k in CONTENT) for w, wo in zip(with_noise, without_noise)]
    if all(more_without):
        return "supported", "on every seed the run without noise keeps more of the input by both measures"
    if all(more_with):
        return "not supported", "on every seed the run with noise keeps more of the input by both measures"
    return "cannot tell", "the seeds or the measures disagree"


def compare(pairs: list[dict], eval_dir: Path, out: Path) -> dict:
    """pairs: corpus, with_noise and without_noise (runs in seed order), seeds; each run's
    eval_dir/<run>/transfer.json. The runs of one seed are compared."""
    rows = []
    for pair in pairs:
        sides = {side: [read_json(eval_dir / run / RECORD) for run in pair[side]]
                 for side in ("with_noise", "without_noise")}
        sources = {record["source"] for records in sides.values() for record in records}
        if len(sources) != 1:
            raise ValueError(f"transfer on {pair['corpus']}: the runs played different corpora ({sorted(sources)})")
        said, why = verdict([r["mean"] for r in sides["with_noise"]], [r["mean"] for r in sides["without_noise"]])
        rows.append({"corpus": pair["corpus"], "source": sources.pop(), "seeds": pair["seeds"],
                     **{side: [{"run": r["run"], **r["mean"], "frechet_mfcc_to_training": r["frechet_mfcc_to_training"]}
                               for r in records] for side, records in sides.items()},
                     "verdict": said, "reason": why})
    result = {"higher_keeps_more": list(CONTENT), "pairs": rows}
    write_json(result, out)
    return result


def check_transfer(config: dict) -> None:
    """Each `transfer` entry: an ablation pair's corpus, and another corpus the workflow ingests."""
    from ..workflow.config import arm_corpus

    trained_on = {arm_corpus(spec) for spec in config["arms"].values()}
    pairs = {pair["corpus"] for pair in config["ablation"]}
    for corpus, source in config.get(KEY, {}).items():
        if corpus not in pairs:
            raise ConfigError(f"configs: {KEY}/{corpus}: no ablation pair on {corpus!r}; the transfer compares a "
                              f"pair's runs (pairs on: {', '.join(sorted(pairs))})")
        if source == corpus or source not in trained_on:
            raise ConfigError(f"configs: {KEY}/{corpus}: {source!r} must be another corpus an arm trains on, so "
                              f"that its held-out files exist (corpora: {', '.join(sorted(trained_on - {corpus}))})")
