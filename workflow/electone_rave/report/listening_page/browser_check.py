"""Open the listening page in headless Chromium, as a reader would from disk, and check it:
every <audio> source loads with the duration of its file, every image decodes, every download link
and source is a file inside the page's folder (so the folder can be published as it is), and no
request leaves file:// (no CDN, no fonts, no analytics, not even localhost). Saves a full-page
screenshot."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from urllib.parse import unquote, urlparse

import soundfile as sf

from . import ListeningPageError

DURATION_TOLERANCE_S = 0.01
LOAD_TIMEOUT_MS = 30_000
# Chromium makes no background connections of its own with these (a closed network refuses them).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic", "--disable-dev-shm-usage"]
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
IMAGE_PROBE = """async () => Promise.all([...document.images].map(async i => {
  i.loading = 'eager';
  try { await i.decode(); } catch (e) {}
  return {src: i.currentSrc || i.src, width: i.naturalWidth};
}))"""
LINK_PROBE = """() => [...document.querySelectorAll('a[href]')].map(a => a.href)"""


class BrowserMissing(ListeningPageError):
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
    return urlparse(url).scheme in LOCAL_SCHEMES


def outside_folder(url: str, folder: Path) -> str | None:
    """Why `url` would break once the folder is published, or None."""
    path = local_path(url)
    if path is None:
        return None if is_local(url) else "not a file of the page"
    if not path.resolve().is_relative_to(folder.resolve()):
        return f"outside {folder}"
    return None if path.is_file() else "no such file"


def audio_problems(found: list[dict], folder: Path) -> list[str]:
    problems = []
    for audio in found:
        if audio["error"] is not None or audio["duration"] is None or audio["duration"] != audio["duration"]:
            problems.append(f"{audio['src']}: the browser could not load it (media error {audio['error']})")
        elif why := outside_folder(audio["src"], folder):
            problems.append(f"{audio['src']}: {why}")
        else:
            expected = sf.info(local_path(audio["src"])).duration
            if abs(audio["duration"] - expected) > DURATION_TOLERANCE_S:
                problems.append(f"{audio['src']}: plays {audio['duration']:.3f} s, the file holds {expected:.3f} s")
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
            links = page.evaluate(LINK_PROBE)
            if screenshot is not None:
                screenshot.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()
    folder = index.parent
    problems = audio_problems(audios, folder)
    problems += [f"{i['src']}: the image does not decode" for i in images if not i["width"]]
    problems += [f"{i['src']}: {why}" for i in images if (why := outside_folder(i["src"], folder))]
    # Links to other sites are fine (a reader follows them); links to files must be the page's own.
    problems += [f"{url}: {why}" for url in links if local_path(url) and (why := outside_folder(url, folder))]
    problems += [f"{url}: a request leaves the page's own files" for url in outside]
    if not audios:
        problems.append(f"{index}: the page has no <audio> element")
    return {"page": str(index), "audio": audios, "images": images, "links": links, "requests": requests,
            "outside_requests": outside, "problems": problems}
