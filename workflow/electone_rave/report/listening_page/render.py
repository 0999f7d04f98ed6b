"""results/site/: the companion listening page, rendered with Jinja2 from the run's own results.

Everything the page states (scale, data, versions, commit, metrics) comes from
results/paper/numbers.json, the file the paper is typeset from, so page and paper agree.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import soundfile as sf

from ...corpus.manifest import MAYBE_SEEN, NAMED_UNSEEN, files_in_split, name_in_manifest, read_manifest, reconstruction_of
from ...corpus.union_corpus import members
from ...evaluation.audio_files import read_mono
from ...evaluation.prior_generation import inlet_value, temperature_file_name
from ...fileio import read_json
from . import ListeningPageError
from .clips import Clip, loudest_window, write_clip, write_thumbnail
from .exported_models import ExportedModel, describe

TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class PageClip:
    label: str
    audio: str  # href relative to the page
    image: str
    seconds: float
    gain_db: float
    loudness_lufs: float | None  # as played


@dataclass(frozen=True)
class ClipRow:
    title: str
    clips: list[PageClip]


@dataclass(frozen=True)
class CorpusSection:
    corpus: str
    columns: list[str]
    rows: list[ClipRow]
    private: bool = False  # a private corpus: no clips of it or of its reconstructions on a published page


class Media:
    """Files under the page's media folder, with the hrefs the page uses for them."""

    def __init__(self, html: Path, folder: Path):
        self.root, self.folder = html.parent, folder

    def href(self, path: Path) -> str:
        return quote(Path(os.path.relpath(path, self.root)).as_posix())

    def clip(self, label: str, source: Path, start: int, seconds: float, lufs: float, rel: str) -> PageClip:
        target = self.folder / "audio" / f"{rel}.wav"
        made: Clip = write_clip(source, start, seconds, lufs, target)
        image = write_thumbnail(target, self.folder / "img" / f"{rel}.png")
        return PageClip(label, self.href(target), self.href(image), made.seconds, made.gain_db, made.loudness_lufs)

    def copy(self, source: Path, sub: str) -> str:
        target = self.folder / sub / source.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        return self.href(target)


def run_label(run: dict) -> str:
    caveat = "; may have trained on this file" if run.get("evaluated_on") == MAYBE_SEEN else ""
    return f"{run['run']} (noise {'on' if run['noise_generator'] else 'off'}{caveat})"


def corpus_section(corpus: str, manifest: Path, runs: list[dict], reconstructions: dict[str, Path],
                   media: Media, seconds: float, lufs: float, folder: str | None = None) -> CorpusSection:
    """One row per held-out file: the original's loudest excerpt, then the same span of each run,
    the runs with the noise generator first (their clips under media's `folder`, the corpus' name
    by default)."""
    folder = folder or corpus
    runs = sorted(runs, key=lambda run: not run["noise_generator"])
    rows = []
    listed = read_manifest(manifest)
    for original in files_in_split(listed, "heldout"):
        audio, rate = read_mono(original)
        start = loudest_window(audio, rate, seconds)
        name = name_in_manifest(listed, original).as_posix()
        clips = [media.clip("original", original, start, seconds, lufs, f"{folder}/{name}/original")]
        for run in runs:
            reconstruction = reconstruction_of(listed, original, reconstructions[run["run"]])
            if not reconstruction.is_file():
                raise FileNotFoundError(f"{reconstruction}: run {run['run']} has no reconstruction of {original}")
            clips.append(media.clip(run_label(run), reconstruction, start, seconds, lufs,
                                    f"{folder}/{name}/{run['run']}"))
        rows.append(ClipRow(f"{original.name} from {start / rate:.1f} s", clips))
    return CorpusSection(corpus, ["original"] + [run_label(r) for r in runs], rows)


def transfer_sections(numbers: dict, manifests: dict[str, Path], transfers: dict[str, Path], hidden: set[str],
                      media: Media, seconds: float, lufs: float) -> list[tuple[str, CorpusSection]]:
    """H3: each ablation pair's runs playing another corpus' held-out files, where that corpus is
    public (a private one's files through any model are copies of them at the model's quality)."""
    runs = {run["run"]: run for run in numbers["runs"]}
    sections = []
    for pair in (numbers.get("transfer") or {"pairs": []})["pairs"]:
        played = [runs[row["run"]] for side in ("with_noise", "without_noise") for row in pair[side]]
        if set(members(pair["source"])) & hidden or not all(run["run"] in transfers for run in played):
            continue
        section = corpus_section(pair["source"], manifests[pair["source"]], played, transfers, media, seconds, lufs,
                                 folder=f"transfer/{pair['corpus']}/{pair['source']}")
        sections.append((f"{pair['source']} through the {pair['corpus']} models", section))
    return sections


def prior_clips(run: str, folder: Path, temperatures: list[float], media: Media, lufs: float) -> list[PageClip]:
    clips = []
    for temperature in temperatures:
        source = folder / temperature_file_name(temperature)
        if not source.is_file():
            raise FileNotFoundError(f"{source}: no generation at temperature {temperature:g} for run {run}")
        clips.append(media.clip(f"temperature {temperature:g} (nn~ inlet {inlet_value(temperature):.2f})",
                                source, 0, sf.info(source).duration, lufs,
                                f"prior/{run}/{source.stem}"))
    return clips


@dataclass(frozen=True)
class LoadTable:
    """One run's load grid as a table: a row per sample rate, threads and batch, a column per buffer."""
    run: str
    buffers: list[int]
    rows: list[tuple[tuple[int, int, int], list[dict | None]]]
    delays: list[tuple[int, list[float]]]  # per sample rate, the delay heard at each buffer (ms)


def load_tables(runs: list[dict]) -> list[LoadTable]:
    tables = []
    for run in runs:
        cells = run["load"]["cells"]
        buffers = sorted({c["buffer"] for c in cells})
        keys = sorted({(c["sample_rate"], c["threads"], c["batch"]) for c in cells})
        at = {(c["sample_rate"], c["threads"], c["batch"], c["buffer"]): c for c in cells}
        rows = [(key, [at.get((*key, b)) for b in buffers]) for key in keys]
        delays = [(rate, [next(c["delay_ms"] for c in cells if (c["sample_rate"], c["buffer"]) == (rate, b)) for b in buffers])
                  for rate in sorted({c["sample_rate"] for c in cells})]
        tables.append(LoadTable(run["run"], buffers, rows, delays))
    return tables


def nn_tilde_lines(model: ExportedModel, buffer: int) -> list[str]:
    """Max/MSP object boxes that load the model, one per method it exposes."""
    return [f"[nn~ {model.file_name} {method} {buffer}]" for method in model.methods]


def render(*, numbers_file: Path, manifests: dict[str, Path], reconstructions: dict[str, Path],
           priors: dict[str, Path], temperatures: list[float], figures: list[Path], models: list[Path],
           paper: Path, releases: list[Path] = (), transfers: dict[str, Path] | None = None, clip_seconds: float, lufs: float, buffer: int, html: Path, media_folder: Path,
           private: set[str] = frozenset(), local_only: bool = False) -> Path:
    """The page. Corpora in `private` (or unions holding one) get no clips, of their recordings or of
    their reconstructions, unless `local_only`: a page for this machine, which says so on top."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    if not media_folder.resolve().is_relative_to(html.parent.resolve()):
        raise ListeningPageError(f"{media_folder}: the media folder must sit beside {html}, or the page cannot link it")
    numbers = read_json(numbers_file)
    if media_folder.exists():
        shutil.rmtree(media_folder)  # ours alone: a stale clip must not outlive its run
    media = Media(html, media_folder)
    # A run evaluated on other files than the held-out split (named as unseen at import) has no clips here.
    runs = [r for r in numbers["runs"] if r["run"] in reconstructions and r.get("evaluated_on") != NAMED_UNSEEN]
    hidden = {corpus for corpus in manifests if set(members(corpus)) & set(private)} if not local_only else set()
    sections = [CorpusSection(corpus, [], [], private=True) if corpus in hidden else
                corpus_section(corpus, manifest, [r for r in runs if r["corpus"] == corpus],
                               reconstructions, media, clip_seconds, lufs)
                for corpus, manifest in manifests.items()]
    hidden_corpora = set(private) if not local_only else set()
    transfer_rows = transfer_sections(numbers, manifests, transfers or {}, hidden_corpora, media, clip_seconds, lufs)
    prior_rows = [ClipRow(run, prior_clips(run, folder, temperatures, media, lufs)) for run, folder in priors.items()]
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"]),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    page = env.get_template("index.html.j2").render(
        n=numbers, sections=sections, transfers=transfer_rows, priors=prior_rows, clip_seconds=clip_seconds, lufs=lufs,
        local_only_corpora=sorted(set(private)) if local_only else [],
        figures=[(f.stem.replace("_", " "), media.copy(f, "figures")) for f in figures],
        load_tables=load_tables(numbers["runs"]),
        releases=[(path.stem, media.copy(path, "releases")) for path in releases],
        models=[(model, media.copy(path, "models"), nn_tilde_lines(model, buffer))
                for model, path in zip(map(describe, models), models)],
        paper=media.copy(paper, "paper"),
    )
    html.parent.mkdir(parents=True, exist_ok=True)
    html.write_text(page, encoding="utf-8")
    return html
