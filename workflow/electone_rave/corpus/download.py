"""Checksummed, resumable HTTPS downloads, and a cross-check of pinned checksums against Zenodo.

A file reaches its destination only after its md5 (and size, when pinned) match: bytes arrive in
`<name>.partial`, a cut connection resumes from there with an HTTP Range request, and a finished
file that does not match its pin is set aside as `<name>.rejected` for inspection.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from urllib.parse import urlsplit

import requests
import urllib3
from tqdm import tqdm

from ..errors import ElectoneRaveError
from ..fileio import file_digest

log = logging.getLogger(__name__)

ZENODO_API = "https://zenodo.org/api"
LOCAL_TEST_HOSTS = ("127.0.0.1", "localhost")
CHUNK_BYTES = 1 << 20
RETRY_PAUSE_S = 2.0  # grows linearly with each retry
API_TIMEOUT_S = 30.0


class DownloadError(ElectoneRaveError, RuntimeError):
    """A download that could not finish, or whose bytes do not match their pin."""


class TransientError(Exception):
    """A failure worth retrying: a short read or a server that is busy for now."""


RETRYABLE = (requests.ConnectionError, requests.Timeout, urllib3.exceptions.HTTPError, TransientError)


def md5_of(path: Path) -> str:
    return file_digest(path, "md5")


def check_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and parts.hostname in LOCAL_TEST_HOSTS:
        return
    raise ValueError(f"{url}: refusing to download; only https:// URLs are allowed "
                     f"(plain http only from {' or '.join(LOCAL_TEST_HOSTS)}, for tests)")


def partial_path(dest: Path) -> Path:
    return dest.with_name(dest.name + ".partial")


def rejected_path(dest: Path) -> Path:
    return dest.with_name(dest.name + ".rejected")


def download(url: str, dest: Path, md5: str, size: int | None = None, retries: int = 5,
             timeout_s: float = 60) -> Path:
    """Fetch url into dest unless dest already holds the pinned bytes; return dest."""
    check_url(url)
    dest = Path(dest)
    if dest.exists():
        check_existing(url, dest, md5, size)
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = partial_path(dest)
    fetch_with_retries(url, partial, size, retries, timeout_s)
    verify_or_reject(url, partial, dest, md5, size)
    os.replace(partial, dest)
    log.info("%s: downloaded and verified (md5 %s)", dest, md5)
    return dest


def check_existing(url: str, dest: Path, md5: str, size: int | None) -> None:
    # A file already in place is the user's: report a mismatch but never delete it.
    actual_size = dest.stat().st_size
    if size is not None and actual_size != size:
        raise DownloadError(f"{dest} already exists but holds {actual_size} bytes, not the pinned {size} "
                            f"(from {url}); move it aside to download it again")
    actual_md5 = md5_of(dest)
    if actual_md5 != md5:
        raise DownloadError(f"{dest} already exists but its md5 is {actual_md5}, not the pinned {md5} "
                            f"(from {url}); move it aside to download it again")


def fetch_with_retries(url: str, partial: Path, size: int | None, retries: int, timeout_s: float) -> None:
    with requests.Session() as session:
        for attempt in range(retries + 1):
            try:
                fetch_once(session, url, partial, size, timeout_s)
                return
            except RETRYABLE as err:
                have = partial.stat().st_size if partial.exists() else 0
                if attempt == retries:
                    raise DownloadError(f"{url}: gave up after {retries + 1} attempts ({err}); "
                                        f"{have} bytes kept in {partial}, the next run resumes from there") from err
                log.warning("%s: %s; resuming at byte %d (retry %d of %d)", url, err, have, attempt + 1, retries)
                time.sleep(RETRY_PAUSE_S * (attempt + 1))


def fetch_once(session: requests.Session, url: str, partial: Path, size: int | None, timeout_s: float) -> None:
    """One request: append what the server sends to partial, resuming after the bytes already there."""
    have = partial.stat().st_size if partial.exists() else 0
    if size is not None and have >= size:
        return  # nothing left to ask for; the checksum decides whether these bytes are right
    # identity: a server that gzips on the fly would make byte offsets and the md5 refer to other bytes
    headers = {"Accept-Encoding": "identity"}
    if have:
        headers["Range"] = f"bytes={have}-"
    with session.get(url, headers=headers, stream=True, timeout=timeout_s) as response:
        check_url(response.url)  # a redirect must not leave https
        if response.status_code == 416 and have:
            return  # the partial already holds the whole file
        raise_for_status(url, response)
        if have and response.status_code == 200:
            log.info("%s: the server ignored the resume request; starting over", url)
            have = 0
        elif response.status_code == 206:
            check_range_start(url, response, have)
        total = expected_total(response, have)
        if size is not None and total is not None and total != size:
            raise DownloadError(f"{url}: the server offers {total} bytes but {size} are pinned")
        write_body(response, partial, have, total)


def raise_for_status(url: str, response: requests.Response) -> None:
    code = response.status_code
    if code == 429 or code >= 500:
        raise TransientError(f"HTTP {code} {response.reason}")
    if code >= 400:
        raise DownloadError(f"{url}: HTTP {code} {response.reason}")


def check_range_start(url: str, response: requests.Response, have: int) -> None:
    content_range = response.headers.get("Content-Range", "")
    if not content_range.startswith(f"bytes {have}-"):
        raise DownloadError(f"{url}: asked for the bytes from {have} on, the server answered "
                            f"Content-Range {content_range!r}")


def expected_total(response: requests.Response, have: int) -> int | None:
    """The whole file's size as the server states it, or None when it does not say."""
    if response.status_code == 206:
        total = response.headers.get("Content-Range", "").rpartition("/")[2]
        return int(total) if total.isdigit() else None
    length = response.headers.get("Content-Length")
    return int(length) if length and length.isdigit() else None


def write_body(response: requests.Response, partial: Path, have: int, total: int | None) -> None:
    with open(partial, "ab" if have else "wb") as out, \
            tqdm(total=total, initial=have, unit="B", unit_scale=True, desc=partial.name, disable=None) as bar:
        # raw bytes exactly as sent: requests would otherwise undo a Content-Encoding
        for chunk in response.raw.stream(CHUNK_BYTES, decode_content=False):
            out.write(chunk)
            bar.update(len(chunk))
    got = partial.stat().st_size
    if total is not None and got < total:
        raise TransientError(f"the connection ended after {got} of {total} bytes")


def verify_or_reject(url: str, partial: Path, dest: Path, md5: str, size: int | None) -> None:
    actual_size = partial.stat().st_size
    actual_md5 = md5_of(partial)
    problems = []
    if size is not None and actual_size != size:
        problems.append(f"size {actual_size} bytes, expected {size}")
    if actual_md5 != md5:
        problems.append(f"md5 {actual_md5}, expected {md5}")
    if problems:
        rejected = rejected_path(dest)
        os.replace(partial, rejected)  # so the next attempt starts clean
        raise DownloadError(f"{url}: the downloaded {dest.name} does not match its pin "
                            f"({'; '.join(problems)}); kept as {rejected} for inspection")


def zenodo_files(record_id: int, api_base: str = ZENODO_API) -> dict[str, dict]:
    """{file name: {"size", "md5", "url"}} as the Zenodo record lists them."""
    url = f"{api_base.rstrip('/')}/records/{record_id}"
    check_url(url)
    response = requests.get(url, headers={"Accept": "application/json"}, timeout=API_TIMEOUT_S)
    response.raise_for_status()
    return {entry["key"]: {"size": int(entry["size"]), "md5": md5_from_checksum(url, entry),
                           "url": entry["links"]["self"]}
            for entry in response.json()["files"]}


def md5_from_checksum(url: str, entry: dict) -> str:
    algorithm, _, value = entry["checksum"].partition(":")
    if algorithm != "md5":
        raise DownloadError(f"{url}: {entry['key']} has a {algorithm} checksum, expected md5")
    return value


def crosscheck(pinned: dict[str, dict], record_id: int, api_base: str = ZENODO_API) -> None:
    """Fail if the record's own list disagrees with the pins; only warn when it cannot be reached."""
    try:
        listed = zenodo_files(record_id, api_base)
    except requests.HTTPError as err:  # Zenodo answered: a wrong record id is an error, not "offline"
        raise DownloadError(f"Zenodo record {record_id} ({api_base}): {err}") from err
    except requests.RequestException as err:
        log.warning("Zenodo record %s could not be read (%s); using the pinned checksums unchecked", record_id, err)
        return
    differences = []
    for name, pin in pinned.items():
        entry = listed.get(name)
        if entry is None:
            differences.append(f"{name} is not in the record")
            continue
        for field in ("md5", "size"):
            if entry[field] != pin[field]:
                differences.append(f"{name} {field}: pinned {pin[field]}, record has {entry[field]}")
    if differences:
        raise DownloadError(f"Zenodo record {record_id} ({api_base}) disagrees with the pins: "
                            + "; ".join(differences))
    log.info("Zenodo record %s agrees with the pinned checksums of %s", record_id, ", ".join(pinned))
