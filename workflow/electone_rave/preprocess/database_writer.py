"""RAVE's database written straight from the ingested files, in manifest order, without ffmpeg.

`rave preprocess` starts an ffmpeg per file to decode and resample, and stores chunks in the order
its workers finish (database_order.py then re-keys them). The workflow's training files are already
mono 16-bit WAV at the training rate (rule ingest), so reading them in-process gives the very
samples RAVE's ffmpeg call produces; each file is read in a worker and its chunks are stored
as RAVE's own AudioExample records under RAVE's keys, file by file. The result holds the same
records (keys and values) as stock preprocessing put in canonical order, and RAVE's metadata.yaml
(tests/test_ingest.py compares the two); data.mdb itself differs (LMDB records the map size).
"""

from __future__ import annotations

import importlib.util
import itertools
import multiprocessing
import sys
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import lmdb
import soundfile as sf
import yaml

from .database_order import DatabaseMismatchError, audio_chunks

MAP_SIZE = 100 * 1024**3  # rave preprocess's default --max_db_size (100 GB); the file grows as written
COMMIT_EVERY = 64  # records per write transaction: 32 MB of dirty pages at the default n_signal


def decoded_chunks(task: tuple[Path, int, int]) -> list[bytes]:
    path, n_signal, sample_rate = task
    try:
        rate = sf.info(str(path)).samplerate
        chunks = audio_chunks(path, n_signal)
    except sf.SoundFileError as err:
        raise DatabaseMismatchError(f"{path}: cannot be decoded ({err})") from None
    if rate != sample_rate:
        raise DatabaseMismatchError(f"{path}: {rate} Hz; the ingested training files are at {sample_rate} Hz")
    return chunks


def rave_audio_example():
    """RAVE's AudioExample message class (udls.generated), without importing torch.

    `import udls.generated` runs udls/__init__.py, which imports torch (about 4 s): the protobuf
    module alone is loaded, under its own name, so a later `import udls` in this process reuses it
    instead of registering the message twice."""
    name = "udls.generated.audio_example_pb2"
    if name not in sys.modules:
        package = importlib.util.find_spec("udls")  # locates the package without running it
        source = Path(package.submodule_search_locations[0]) / "generated" / "audio_example_pb2.py"
        spec = importlib.util.spec_from_file_location(name, source)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[name]  # no half-loaded module left for a later import to find
            raise
    return sys.modules[name].AudioExample


def record(chunk: bytes, sample_rate: int, channels: int) -> bytes:
    """One chunk as `rave preprocess` stores it (its shape field counts bytes, as RAVE's does)."""
    AudioExample = rave_audio_example()
    buffer = AudioExample.AudioBuffer(shape=(channels, len(chunk) // channels), sampling_rate=sample_rate,
                                      data=chunk, precision=AudioExample.Precision.INT16)
    return AudioExample(buffers={"waveform": buffer}).SerializeToString()


def put_all(env: lmdb.Environment, records: list[tuple[bytes, bytes]]) -> None:
    with env.begin(write=True) as txn:
        for key, value in records:
            txn.put(key, value)


def decoded_in_order(tasks: list[tuple[Path, int, int]], workers: int):
    """Each file's chunks, in file order, decoded by `workers` processes at most 2 x workers files
    ahead, so memory stays bounded on a long corpus. A worker that dies (out of memory, killed)
    raises BrokenProcessPool here rather than leaving the stage waiting forever."""
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork")) as pool:
        remaining = iter(tasks)
        pending = deque(pool.submit(decoded_chunks, task) for task in itertools.islice(remaining, 2 * workers))
        while pending:
            chunks = pending.popleft().result()
            following = next(remaining, None)
            if following is not None:
                pending.append(pool.submit(decoded_chunks, following))
            yield chunks


def write_database(files: list[Path], out: Path, n_signal: int, sample_rate: int, channels: int = 1,
                   workers: int = 1) -> int:
    """Write every chunk of `files`, in order, into a new LMDB database at `out`; the chunk count."""
    if channels != 1:
        raise ValueError("the direct writer stores mono audio; use preprocess writer `rave` for more channels")
    out.mkdir(parents=True)
    tasks = [(Path(path), n_signal, sample_rate) for path in files]
    decoded = decoded_in_order(tasks, max(1, min(workers, len(tasks))))
    # Taking the first file starts every worker (a fork pool starts them all at once) before the
    # database is opened: an LMDB environment must not cross a fork.
    first = next(decoded, [])
    env = lmdb.open(str(out), map_size=MAP_SIZE)
    written = 0
    try:
        batch: list[tuple[bytes, bytes]] = []
        for chunks in itertools.chain([first], decoded):
            for chunk in chunks:
                batch.append((f"{written:08d}".encode(), record(chunk, sample_rate, channels)))
                written += 1
                if len(batch) == COMMIT_EVERY:
                    put_all(env, batch)
                    batch = []
        put_all(env, batch)
    finally:
        env.close()
        decoded.close()
    (out / "lock.mdb").unlink(missing_ok=True)
    # RAVE's metadata.yaml, as its preprocess writes it (n_seconds from the last chunk's index).
    n_seconds = (n_signal * 2) / sample_rate * (written - 1) if written else 0
    (out / "metadata.yaml").write_text(yaml.safe_dump({"lazy": False, "channels": channels, "n_seconds": n_seconds,
                                                       "sr": sample_rate}))
    return written

