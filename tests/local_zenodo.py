"""A local stand-in for Zenodo: an HTTP server on 127.0.0.1 (Range requests, cut connections, byte
counts) and tiny archives with MusicNet's layout. Real bytes over a real socket, for the download
code and the workflow's real-data path."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import tarfile
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import soundfile as sf

from electone_rave.corpus import musicnet

SAMPLE_RATE = 44100


# --- a local file server that can cut connections and counts what it sends ---

@dataclass
class ServerState:
    files: dict[str, bytes] = field(default_factory=dict)  # URL path -> body
    requests: list[dict] = field(default_factory=list)  # {"path", "range"} per request
    bytes_sent: int = 0
    cut_first_request_after: int | None = None  # body bytes sent before the first connection is cut
    never_send_past: int | None = None  # file offset no response goes beyond, though it promises the rest
    ignore_range: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)


class RangeHandler(BaseHTTPRequestHandler):
    def do_GET(self):
        state: ServerState = self.server.state
        path = urlsplit(self.path).path
        with state.lock:
            state.requests.append({"path": path, "range": self.headers.get("Range")})
            first = len(state.requests) == 1
        body = state.files.get(path)
        if body is None:
            self.send_error(404)
            return
        start = self.answer_headers(state, body)
        if start is None:
            return
        stop = len(body)
        if state.never_send_past is not None:
            stop = min(stop, state.never_send_past)
        if first and state.cut_first_request_after is not None:
            stop = min(stop, start + state.cut_first_request_after)
        sent = body[start:max(start, stop)]
        with state.lock:  # counted before writing: the client may finish (and the test check) first
            state.bytes_sent += len(sent)
        self.wfile.write(sent)
        # HTTP/1.0: the connection closes now, short of the promised Content-Length when cut

    def answer_headers(self, state: ServerState, body: bytes) -> int | None:
        """Send status and headers; return the first body offset to send, or None when there is no body."""
        requested = self.headers.get("Range")
        if requested and not state.ignore_range:
            start = int(requested.removeprefix("bytes=").removesuffix("-"))
            if start >= len(body):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(body)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return None
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        else:
            start = 0
            self.send_response(200)
        self.send_header("Content-Length", str(len(body) - start))
        self.end_headers()
        return start

    def log_message(self, *args):
        pass


@contextmanager
def serving():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), RangeHandler)
    httpd.state = ServerState()
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    httpd.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        yield httpd
    finally:
        httpd.shutdown()
        httpd.server_close()


# --- a tiny archive with MusicNet's layout ---

def wav_bytes(seed: int, seconds: float = 0.05) -> bytes:
    noise = np.random.default_rng(seed).uniform(-0.5, 0.5, int(SAMPLE_RATE * seconds)).astype(np.float32)
    buf = io.BytesIO()
    sf.write(buf, noise, SAMPLE_RATE, format="WAV", subtype="PCM_16")
    return buf.getvalue()


def add_member(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def write_archive(path: Path, recordings: dict[str, tuple[str, str]], seconds: float = 0.05) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for seed, (rid, (split, _)) in enumerate(recordings.items()):
            add_member(tar, f"musicnet/{split}_data/{rid}.wav", wav_bytes(seed, seconds))
            add_member(tar, f"musicnet/{split}_labels/{rid}.csv",
                       b"start_time,end_time,instrument,note,start_beat,end_beat,note_value\n")
    return path


def write_metadata(path: Path, recordings: dict[str, tuple[str, str]]) -> Path:
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(musicnet.METADATA_COLUMNS)
        for rid, (_, ensemble) in recordings.items():
            writer.writerow([rid, "Composer", "Work", "1. Allegro", ensemble, "Source", "Transcriber", "Op. 1", "0.05"])
    return path


def publish_record(server, record: int, files: dict[str, bytes], md5_override: dict[str, str] | None = None) -> None:
    """Serve Zenodo's record API for these files (what the download cross-checks its pins against)."""
    entries = [{"key": name, "size": len(body),
                "checksum": "md5:" + (md5_override or {}).get(name, hashlib.md5(body).hexdigest()),
                "links": {"self": f"{server.base}/api/records/{record}/files/{name}/content"}}
               for name, body in files.items()]
    server.state.files[f"/api/records/{record}"] = json.dumps({"files": entries}).encode()
