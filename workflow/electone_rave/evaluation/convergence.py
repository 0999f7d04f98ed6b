"""H1's verdict from the checkpoints' held-out scores (checkpoint_scores.py), paired as the noise
ablation pairs its runs: the data support "it did not converge without the noise generator" when
every seed's run with the noise generator improves during phase 2 and none without it does; they do
not when every run without it improves too; otherwise (or with one seed, as in the ablation) they
cannot tell. Not a significance test.
"""

from __future__ import annotations

from pathlib import Path

from ..fileio import read_json

PRIMARY = "multiscale_spectral_distance"  # the held-out score; lower is better, as every error here
RECORD = "checkpoints.json"  # results/eval/<run>/, written by score_checkpoints
VERDICTS = ("supported", "not supported", "cannot tell")


def phase_2_trend(rows: list[dict], phase_1: int | None) -> dict | None:
    """The primary error at the end of phase 1 and at the last checkpoint, once phase 2 has one."""
    if phase_1 is None:
        return None
    before = [row for row in rows if row["step"] <= phase_1]
    after = [row for row in rows if row["step"] > phase_1]
    if not before or not after:
        return None
    start, end = before[-1], after[-1]
    return {"from_step": start["step"], "to_step": end["step"], "from": start["metrics"][PRIMARY],
            "to": end["metrics"][PRIMARY], "improved": end["metrics"][PRIMARY] < start["metrics"][PRIMARY]}


def verdict(with_noise: list[dict | None], without_noise: list[dict | None], seeds: int) -> str:
    """H1's verdict from each seed's phase-2 trend (phase_2_trend) with and without the noise generator."""
    trends = with_noise + without_noise
    if seeds < 2 or any(trend is None for trend in trends):
        return "cannot tell"
    if all(t["improved"] for t in with_noise) and not any(t["improved"] for t in without_noise):
        return "supported"
    if all(t["improved"] for t in without_noise):
        return "not supported"
    return "cannot tell"


def convergence(ablation_pairs: list[dict], eval_dir: Path) -> list[dict]:
    """Each ablation pair's phase-2 trends (from eval_dir/<run>/checkpoints.json) and H1's verdict."""
    rows = []
    for pair in ablation_pairs:
        trends = {}
        for side in ("with_noise", "without_noise"):
            records = [eval_dir / run / RECORD for run in pair[f"{side}_runs"]]
            trends[side] = [read_json(r)["phase_2"] if r.is_file() else None for r in records]
        rows.append({"corpus": pair["corpus"], "seeds": pair["seeds"], **trends,
                     "verdict": verdict(trends["with_noise"], trends["without_noise"], len(pair["seeds"]))})
    return rows
