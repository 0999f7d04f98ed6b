"""Open the listening page in headless Chromium, as a reader would from disk, and check it:
every <audio> source loads with the duration of its file, every image decodes, and no request
leaves file:// (no CDN, no fonts, no analytics). Saves a full-page screenshot."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from urllib.parse import unquote, urlparse

import soundfile as sf

from . import PageCheckError

DURATION_TOLERANCE_S = 0.01
LOAD_TIMEOUT_MS = 30_000
# Chromium makes no background connections of its own with these (a closed network refuses them).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
LOCAL_SCHEMES = {"file", "data", "blob"}

# Waits for each <audio> element's metadata (or its error), and reports what the browser decoded.
AUDIO_PROBE = """async (timeoutMs) => Promise.all([...document.querySelectorAll('audio')].map(a =>
  new Promise(resolve => {
    const done = () => resolve({src: a.currentSrc || a.src, duration: a.duration,
                                error: a.error ? a.error.code : null});
    if (a.readyState >= 1 || a.error) return done();
    a.addEventListener('loadedmetadata', done, {once: true});
    a.addEventListener('error', done, {once: true});
    setTimeout(done, timeoutMs);
    a.preload = 'metadata'; a.load();
  })))"""
IMAGE_PROBE = """() => [...document.images].map(i => ({src: i.currentSrc || i.src, width: i.naturalWidth}))"""


class BrowserMissing(PageCheckError):
    pass


def find_chromium() -> str:
    for candidate in (os.environ.get("ELECTONE_RAVE_CHROMIUM"), "chromium", "chromium-browser", "google-chrome"):
        if candidate and (found := shutil.which(candidate)):
            return found
    raise BrowserMissing("no Chromium found: install Debian's `chromium` (envs/system-deps.sh --browser) "
                         "or set ELECTONE_RAVE_CHROMIUM to its path")


def local_path(url: str) -> Path | None:
    parsed = urlparse(url)
    return Path(unquote(parsed.path)) if parsed.scheme == "file" else None


def is_local(url: str) -> bool:
    parsed = urlparse(url)
    return parsed.scheme in LOCAL_SCHEMES or parsed.hostname in ("localhost", "127.0.0.1", "::1")


def audio_problems(found: list[dict]) -> list[str]:
    problems = []
    for audio in found:
        path = local_path(audio["src"])
        if audio["error"] is not None or audio["duration"] is None or audio["duration"] != audio["duration"]:
            problems.append(f"{audio['src']}: the browser could not load it (media error {audio['error']})")
        elif path is None or not path.is_file():
            problems.append(f"{audio['src']}: not a file next to the page")
        elif abs(audio["duration"] - sf.info(path).duration) > DURATION_TOLERANCE_S:
            problems.append(f"{audio['src']}: plays {audio['duration']:.3f} s, the file holds "
                            f"{sf.info(path).duration:.3f} s")
    return problems


def check_page(index: Path, screenshot: Path | None = None) -> dict:
    """The page as Chromium sees it; `problems` is empty when every check passes."""
    from playwright.sync_api import sync_playwright

    requests, outside = [], []

    def route(r):
        requests.append(r.request.url)
        if is_local(r.request.url):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=find_chromium(), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.route("**/*", route)
            page.goto(index.resolve().as_uri(), wait_until="load")
            audios = page.evaluate(AUDIO_PROBE, LOAD_TIMEOUT_MS)
            images = page.evaluate(IMAGE_PROBE)
            if screenshot is not None:
                screenshot.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()
    problems = audio_problems(audios)
    problems += [f"{i['src']}: the image does not decode" for i in images if not i["width"]]
    problems += [f"{url}: a request leaves the page's own files" for url in outside]
    if not audios:
        problems.append(f"{index}: the page has no <audio> element")
    return {"page": str(index), "audio": audios, "images": images, "requests": requests,
            "outside_requests": outside, "problems": problems}
