"""The private corpus: imported with one command, checkable by manifest, never in git or the image."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from conftest import BIN, make_workspace, run
from electone_rave.corpus.private_corpus import CorpusMismatchError, check_against_manifest
from electone_rave.workflow.guards import excluded_from_context, pattern_regex, read_dockerignore


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    return make_workspace(tmp_path_factory.mktemp("private"), "smoke")


@pytest.fixture(scope="module")
def album(tmp_path_factory) -> Path:
    """A stand-in for the user's own copy of the album: nested folders, a name with spaces."""
    folder = tmp_path_factory.mktemp("album")
    rng = np.random.default_rng(5)
    for name in ("side A/01 Intro.wav", "side A/02 Samba.flac", "side B/03 Ballad.wav"):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        sf.write(folder / name, 0.1 * rng.standard_normal((44100, 1)), 44100, subtype="PCM_16")
    (folder / "side B/liner notes.txt").write_text("not audio\n")
    return folder


@pytest.mark.parametrize("pattern, path, excluded", [
    ("data/", "data/raw/electone/a.wav", True),
    ("data", "database.py", False),
    ("**/*.wav", "a.wav", True),
    ("**/*.wav", "deep/down/a.WAV", False),  # Docker matches case-sensitively
    ("results/*.json", "results/eval/x.json", False),
    ("results/*.json", "results/x.json", True),
    (".dvc/cache", ".dvc/cache/files/md5/00/0000", True),
])
def test_dockerignore_patterns_match_as_docker_matches(tmp_path: Path, pattern: str, path: str, excluded: bool):
    (tmp_path / ".dockerignore").write_text(f"{pattern}\n")
    assert excluded_from_context(read_dockerignore(tmp_path / ".dockerignore"), path) is excluded


def test_a_later_exception_re_includes(tmp_path: Path):
    (tmp_path / ".dockerignore").write_text("# comment\ndata/\n!data/README.md\n")
    rules = read_dockerignore(tmp_path / ".dockerignore")
    assert excluded_from_context(rules, "data/raw/a.wav")
    assert not excluded_from_context(rules, "data/README.md")
    assert pattern_regex("a/**/b").fullmatch("a/x/y/b")


def test_import_puts_the_album_under_dvc_and_commits_only_its_manifest(workspace: Path, album: Path):
    done = run([str(BIN / "electone-rave"), "import-corpus", str(album), "--corpus", "electone"], workspace)
    assert "git add data/raw/electone.dvc data/raw/electone.manifest.json" in done.stdout
    raw = workspace / "data/raw/electone"
    assert sorted(p.relative_to(raw).as_posix() for p in raw.rglob("*") if p.is_file()) == [
        "side A/01 Intro.wav", "side A/02 Samba.flac", "side B/03 Ballad.wav"]
    manifest = json.loads((workspace / "data/raw/electone.manifest.json").read_text())
    assert [(r["file"], r["seconds"], r["sample_rate"], r["channels"]) for r in manifest["files"]] == [
        ("side A/01 Intro.wav", 1.0, 44100, 1), ("side A/02 Samba.flac", 1.0, 44100, 1),
        ("side B/03 Ballad.wav", 1.0, 44100, 1)]
    assert all(len(r["sha256"]) == 64 for r in manifest["files"])
    assert (workspace / "data/raw/electone.dvc").is_file()
    run(["git", "add", "-A"], workspace)
    staged = run(["git", "diff", "--cached", "--name-only"], workspace).stdout.split()
    assert sorted(staged) == ["data/raw/electone.dvc", "data/raw/electone.manifest.json"]  # no audio
    run(["git", "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", "import"], workspace)
    assert "up to date" in run(["dvc", "status", "data/raw/electone.dvc"], workspace).stdout
    assert run(["git", "check-ignore", "-q", "data/raw/electone/side A/01 Intro.wav"], workspace).returncode == 0


def test_a_second_user_checks_their_copy_against_the_manifest(workspace: Path, album: Path, tmp_path: Path):
    manifest = workspace / "data/raw/electone.manifest.json"
    if not manifest.exists():
        pytest.skip("needs the import test")
    copy = tmp_path / "copy"
    shutil.copytree(workspace / "data/raw/electone", copy)
    check_against_manifest(copy, manifest)
    (copy / "side A/01 Intro.wav").write_bytes((copy / "side B/03 Ballad.wav").read_bytes())
    shutil.copy(copy / "side A/02 Samba.flac", copy / "bonus.flac")
    (copy / "side B/03 Ballad.wav").unlink()
    with pytest.raises(CorpusMismatchError) as err:
        check_against_manifest(copy, manifest)
    assert "missing: side B/03 Ballad.wav" in str(err.value)
    assert "not in the manifest: bonus.flac" in str(err.value)
    assert "different content: side A/01 Intro.wav" in str(err.value)


def test_importing_a_different_file_under_a_taken_name_is_refused(workspace: Path, album: Path, tmp_path: Path):
    other = tmp_path / "other/side A"
    other.mkdir(parents=True)
    sf.write(other / "01 Intro.wav", np.zeros((44100, 1)) + 0.01, 44100, subtype="PCM_16")
    done = run([str(BIN / "electone-rave"), "import-corpus", str(tmp_path / "other"), "--corpus", "electone",
                "--no-dvc"], workspace, check=False)
    assert done.returncode == 1 and "01 Intro.wav: already holds a different file" in done.stderr


def test_the_workflow_refuses_to_run_with_audio_tracked_by_git(workspace: Path):
    leak = workspace / "data/raw/leak/track.wav"
    leak.parent.mkdir(parents=True, exist_ok=True)
    sf.write(leak, np.zeros((100, 1)), 44100)
    run(["git", "add", "-f", str(leak)], workspace)
    try:
        done = run(["snakemake", "-n"], workspace, check=False)
        assert done.returncode != 0
        assert "tracked by git: data/raw/leak/track.wav" in done.stdout + done.stderr
    finally:
        run(["git", "rm", "-q", "--cached", str(leak)], workspace)
    assert run(["snakemake", "-n"], workspace).returncode == 0


def test_the_workflow_refuses_to_run_when_audio_would_enter_the_image(workspace: Path):
    dockerignore = workspace / ".dockerignore"
    original = dockerignore.read_text()
    dockerignore.write_text("\n".join(line for line in original.splitlines()
                                      if line not in ("data/", "**/*.flac")) + "\n")
    try:
        done = run(["snakemake", "-n"], workspace, check=False)
        assert done.returncode != 0
        out = done.stdout + done.stderr
        assert "would enter the Docker build context: data/raw/any/track.flac" in out
        assert "data/raw/any/track.wav" not in out  # still excluded by **/*.wav
    finally:
        dockerignore.write_text(original)


CREDENTIAL_PATTERNS = [
    r"AKIA[0-9A-Z]{16}",                                   # AWS access key id
    r"(?i)(secret_access_key|access_key_id|password|token)\s*[=:]\s*['\"]?[A-Za-z0-9/+]{16,}",
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----",
    r"\"type\":\s*\"service_account\"",                   # a Google service-account key file
]


def test_no_credentials_are_committed():
    import re
    import subprocess
    from conftest import REPO
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, text=True, check=True)
    assert ".dvc/config.local" not in tracked.stdout.split("\0")
    found = []
    for name in filter(None, tracked.stdout.split("\0")):
        path = REPO / name
        if not path.is_file() or path.suffix in (".lock",) or path.stat().st_size > 2_000_000:
            continue
        text = path.read_text(errors="ignore")
        found += [f"{name}: {p}" for p in CREDENTIAL_PATTERNS if re.search(p, text)
                  and name != "tests/test_private_data.py"]
    assert not found, found


def test_audio_anywhere_in_any_letter_case_is_checked_against_dockerignore(tmp_path: Path):
    from conftest import REPO
    from electone_rave.workflow.guards import audio_reaching_the_image
    shutil.copy(REPO / ".dockerignore", tmp_path / ".dockerignore")
    for name in ("paper/Take 1.Wav", "results/audio/x.WAV", "data/raw/a/b.flac", ".venv/lib/test.wav"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"")
    assert audio_reaching_the_image(tmp_path) == ["paper/Take 1.Wav"]


def test_audio_and_databases_under_other_names_are_found_by_content(tmp_path: Path):
    """Renamed audio (judged by its first bytes) and a copied RAVE database, in git and in the image."""
    from conftest import REPO
    from electone_rave.workflow.guards import audio_reaching_the_image, tracked_audio
    shutil.copy(REPO / ".dockerignore", tmp_path / ".dockerignore")
    (tmp_path / "workflow").mkdir()
    sf.write(tmp_path / "workflow/notes.txt", np.zeros(4410), 44100, format="FLAC")
    sf.write(tmp_path / "workflow/side_a.bin", np.zeros(4410), 44100, format="WAV")
    (tmp_path / "workflow/backup.mdb").write_bytes(bytes(64))
    (tmp_path / "workflow/module.py").write_text("x = 1\n")
    expected = ["workflow/backup.mdb", "workflow/notes.txt", "workflow/side_a.bin"]
    assert sorted(audio_reaching_the_image(tmp_path)) == expected
    run(["git", "init", "-q"], tmp_path)
    run(["git", "add", "-A"], tmp_path)
    assert sorted(tracked_audio(tmp_path)) == expected
