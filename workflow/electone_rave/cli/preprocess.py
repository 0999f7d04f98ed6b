"""Preprocess: a corpus' RAVE database."""

from __future__ import annotations

from pathlib import Path

from .commands import arg, command


@command("preprocess", "check a corpus and build its RAVE database",
         arg("--manifest", type=Path, required=True),
         arg("--out", type=Path, required=True),
         arg("--sample-rate", type=int, required=True),
         arg("--channels", type=int, required=True),
         arg("--n-signal", type=int, required=True),
         arg("--timeout", type=float, default=3600.0,
             help="seconds before giving up on rave preprocess (writer rave; it can hang on bad input)"),
         arg("--ingest-report", type=Path, help="the ingest report to extend with database seconds"),
         arg("--report", type=Path, help="where to write the preprocess report"),
         arg("--writer", choices=("direct", "rave"), default="direct",
             help="direct: decode the ingested files in-process; rave: stock `rave preprocess` (same database)"),
         arg("--workers", type=int, default=1, help="decoding processes (writer direct)"))
def cmd_preprocess(a):
    from ..preprocess.database import preprocess
    preprocess(a.manifest, a.out, a.sample_rate, a.channels, a.n_signal, a.timeout, a.ingest_report, a.report,
               a.writer, a.workers)
