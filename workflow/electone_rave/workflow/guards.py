"""Guards that keep audio (above all the private Electone album) out of git and the Docker image.

The workflow runs `check_private_data` every time it is invoked; a failure names each offending
file. A file counts as audio by its name (an audio extension, an LMDB database such as RAVE's
data.mdb) or by its first bytes (WAV, FLAC, Ogg, MP3, ... under any name). Docker's own rules
decide what enters a build context: `.dockerignore` patterns are matched here as Docker matches
them (last matching pattern wins, `!` re-includes, `**` spans folders, and a pattern that matches
a folder excludes everything below it). What is published (page, paper) is judged against the
private corpora themselves by publish_guard.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from ..corpus.fingerprint import looks_like_audio
from ..corpus.manifest import AUDIO_EXTENSIONS
from ..errors import ElectoneRaveError

DOCKERIGNORE = ".dockerignore"


class PrivateDataError(ElectoneRaveError, RuntimeError):
    pass


def pattern_regex(pattern: str) -> re.Pattern:
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**", i):
            i += 2
            if pattern.startswith("/", i):
                out, i = out + "(?:.*/)?", i + 1
            else:
                out += ".*"
            continue
        c = pattern[i]
        out += "[^/]*" if c == "*" else "[^/]" if c == "?" else re.escape(c)
        i += 1
    return re.compile(out + "(?:/.*)?")


def read_dockerignore(path: Path) -> list[tuple[bool, re.Pattern]]:
    rules = []
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        pattern = line.removeprefix("!").strip().strip("/")
        rules.append((negated, pattern_regex(pattern)))
    return rules


def excluded_from_context(rules: list[tuple[bool, re.Pattern]], relative_path: str) -> bool:
    excluded = False
    for negated, regex in rules:
        if regex.fullmatch(relative_path):
            excluded = not negated
    return excluded


DATABASE_SUFFIXES = {".mdb"}  # LMDB: RAVE's database (data.mdb) holds the corpus' audio as int16


def holds_audio(path: Path) -> bool:
    """Audio or a RAVE database, by its name or by its first bytes."""
    if path.suffix.lower() in (*AUDIO_EXTENSIONS, *DATABASE_SUFFIXES):
        return True
    try:
        with open(path, "rb") as f:
            return looks_like_audio(f.read(16))
    except OSError:  # a dangling link, a folder: nothing git or Docker would carry as audio
        return False


def tracked_audio(repo: Path) -> list[str]:
    """Audio files git tracks (or has staged); [] outside a git work tree (e.g. inside the image)."""
    done = subprocess.run(["git", "ls-files", "--cached", "-z"], cwd=repo, capture_output=True, text=True)
    if done.returncode != 0:
        return []
    return [f for f in done.stdout.split("\0") if f and holds_audio(repo / f)]


NOT_IN_ANY_BUILD = {".git", ".venv", ".snakemake", ".dvc"}  # never sent, or excluded as wholes


def audio_files_in(repo: Path, rules: list[tuple[bool, re.Pattern]] = ()) -> list[str]:
    """Every audio file of the work tree (by name or content), as paths relative to repo. Folders the
    rules exclude as wholes are not entered when no rule re-includes anything (`!`)."""
    prune = bool(rules) and not any(negated for negated, _ in rules)
    found = []
    for folder, subfolders, files in os.walk(repo):
        here = Path(folder).relative_to(repo)
        subfolders[:] = [d for d in subfolders if not (here == Path(".") and d in NOT_IN_ANY_BUILD)
                         and not (prune and excluded_from_context(rules, (here / d).as_posix()))]
        found += [(here / f).as_posix() for f in files if holds_audio(Path(folder) / f)]
    return found


def audio_reaching_the_image(repo: Path) -> list[str]:
    """Audio anywhere in the work tree (or hypothetical raw audio) that .dockerignore would let in."""
    dockerignore = repo / DOCKERIGNORE
    if not dockerignore.is_file():
        return [f"{DOCKERIGNORE} is missing: the whole repository, data included, would be sent"]
    rules = read_dockerignore(dockerignore)
    present = audio_files_in(repo, rules)
    # Paths that must stay out even when absent today: any raw audio, and DVC's cache (audio by hash).
    probes = [f"data/raw/any/track{ext}" for ext in AUDIO_EXTENSIONS] + [".dvc/cache/files/md5/00/0000",
                                                                         "results/preprocess/any/data.mdb"]
    return [path for path in present + probes if not excluded_from_context(rules, path)]


def check_private_data(repo: Path) -> None:
    problems = [f"  tracked by git: {f} (git rm --cached it; audio belongs in DVC)" for f in tracked_audio(repo)]
    problems += [f"  would enter the Docker build context: {f} (add it to {DOCKERIGNORE})"
                 if not f.startswith(DOCKERIGNORE) else f"  {f}" for f in audio_reaching_the_image(repo)]
    if problems:
        raise PrivateDataError(f"{repo}: audio could leave this machine:\n" + "\n".join(problems))
