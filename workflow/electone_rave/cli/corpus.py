"""Corpus commands: demo synthesis, MusicNet download and extraction, ingest, import, unions."""

from __future__ import annotations

from pathlib import Path

from .commands import arg, command


@command("demo-corpus", "synthesize a seeded demo corpus (stand-in for real data)",
         arg("--style", required=True),
         arg("--out", type=Path, required=True),
         arg("--files", type=int, required=True),
         arg("--seconds", type=float, required=True),
         arg("--seed", type=int, required=True))
def cmd_demo_corpus(a):
    from ..corpus.demo_corpus import generate_corpus
    generate_corpus(a.style, a.out, a.files, a.seconds, a.seed)


@command("download-musicnet", "fetch MusicNet's pinned files (resumable, md5-checked)",
         arg("--out", type=Path, required=True, help="folder for musicnet.tar.gz and the metadata CSV"),
         arg("--url", required=True, help="base URL of the files (Zenodo record or a mirror)"),
         arg("--api", required=True, help="Zenodo API base, to cross-check the pinned md5s"),
         arg("--record", type=int, required=True, help="Zenodo record id"),
         arg("--pin", nargs="+", required=True, metavar="NAME:BYTES:MD5", help="the files to fetch"))
def cmd_download_musicnet(a):
    from ..corpus.musicnet import download_musicnet
    pins = {}
    for item in a.pin:
        name, size, md5 = item.rsplit(":", 2)
        pins[name] = {"size": int(size), "md5": md5}
    download_musicnet(a.out, pins, a.record, base=a.url, api_base=a.api)


@command("extract-musicnet", "extract MusicNet recordings of one split and some ensembles",
         arg("--archive", type=Path, required=True),
         arg("--metadata", type=Path, required=True),
         arg("--out", type=Path, required=True),
         arg("--split", choices=["train", "test"], required=True),
         arg("--ensemble", nargs="+", help="ensembles to keep, as named in the metadata (default: all)"))
def cmd_extract_musicnet(a):
    from ..corpus.musicnet import extract_audio
    extract_audio(a.archive, a.metadata, a.out, a.split, a.ensemble)


@command("ingest", "check a folder of audio, convert the usable files, write the manifest",
         arg("--source", type=Path, required=True, help="folder of audio files (searched recursively)"),
         arg("--out", type=Path, required=True, help="corpus folder to write (16-bit WAV)"),
         arg("--manifest", type=Path, required=True),
         arg("--report", type=Path, required=True, help="every input file and what became of it"),
         arg("--heldout", type=int, required=True, help="files held out of training"),
         arg("--seed", type=int, required=True, help="fixes the held-out split"),
         arg("--on-bad-input", choices=["fail", "skip"], required=True),
         arg("--sample-rate", type=int, required=True),
         arg("--channels", type=int, required=True),
         arg("--n-signal", type=int, required=True, help="files shorter than 2 x n_signal are bad input"),
         arg("--threads", type=int, default=1),
         arg("--expect", type=Path, help="committed manifest the source folder must match (private corpora)"))
def cmd_ingest(a):
    from ..corpus.ingest import Target, ingest
    from ..corpus.manifest import build_manifest
    from ..corpus.private_corpus import check_against_manifest
    from ..fileio import write_json
    from ..workflow.config import chunk_samples
    if a.expect:
        check_against_manifest(a.source, a.expect)
    target = Target(a.sample_rate, a.channels, min_seconds=chunk_samples(a.n_signal) / a.sample_rate)
    report = ingest(a.source, a.out, target, a.on_bad_input, a.threads)
    write_json(build_manifest(a.out, a.heldout, a.seed, a.threads), a.manifest)
    write_json(report, a.report)


@command("import-corpus", "bring your own copy of a corpus into data/raw/<corpus> (DVC-tracked)",
         arg("source", type=Path, help="folder of audio files (searched recursively)"),
         arg("--corpus", required=True, help="corpus name, as in configs/config.yaml (e.g. electone)"),
         arg("--link", action="store_true", help="hard-link instead of copying (same file system)"),
         arg("--no-dvc", action="store_true", help="do not run `dvc add` on the folder"))
def cmd_import_corpus(a):
    from ..corpus.private_corpus import import_corpus, manifest_path
    from ..workflow.config import RAW_DATA
    manifest = import_corpus(a.source, a.corpus, link=a.link, dvc=not a.no_dvc)
    folder = RAW_DATA / a.corpus
    print(f"{len(manifest['files'])} files in {folder}. Commit the pointers (never the audio):\n"
          f"  git add {folder}.dvc {manifest_path(a.corpus)}\n"
          f"and push the audio to your own DVC remote: dvc push {folder}.dvc")


@command("union-corpus", "several ingested corpora as one training corpus (manifest and report)",
         arg("--corpus", nargs="+", required=True, help="the member corpora, in order"),
         arg("--manifest", type=Path, nargs="+", required=True, help="each member's data/manifests/<corpus>.json"),
         arg("--report", type=Path, nargs="+", required=True, help="each member's results/ingest/<corpus>.json"),
         arg("--out-manifest", type=Path, required=True),
         arg("--out-report", type=Path, required=True))
def cmd_union_corpus(a):
    from ..corpus.union_corpus import UnionCorpusError, write_union
    if not len(a.corpus) == len(a.manifest) == len(a.report):
        raise UnionCorpusError("union-corpus: give one --manifest and one --report per --corpus, in the same order")
    manifest = write_union(a.corpus, a.manifest, a.report, a.out_manifest, a.out_report)
    print(f"{a.out_manifest}: {len(manifest['files'])} files of {', '.join(a.corpus)}")
