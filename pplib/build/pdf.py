"""A real browser for the report pages: find one, print a page to PDF, check a page works offline.

Everything here drives a Chromium-family browser that is already installed (Debian's `chromium`,
Google Chrome or Microsoft Edge); nothing downloads a browser. Browser libraries (playwright) are
imported inside the functions that need them, so `import pplib.build.pdf` costs nothing.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

# Names a Chromium-family browser goes by on PATH, in order of preference.
BROWSER_NAMES = (
    "chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome",
    "microsoft-edge", "microsoft-edge-stable", "msedge",
)

# Flags for every headless run: no sandbox (containers, root), no GPU, and nothing that phones home.
HEADLESS_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
)
# On top of those, for offline checks: no extensions, and no host name resolves to anything
# (playwright talks to the browser over a pipe, so it needs no network).
OFFLINE_FLAGS = (
    "--disable-extensions", "--disable-default-apps", "--no-default-browser-check",
    "--host-resolver-rules=MAP * ~NOTFOUND",
)

INSTALL_HINT = (
    "Install a Chromium-family browser: on Debian/Ubuntu `apt-get install chromium`; "
    "on Windows Microsoft Edge (usually already installed) or Google Chrome; "
    "or set PPLIB_BROWSER to the browser's executable."
)
# For printing: none of the browser's own header and footer (the page's @page margin boxes carry the
# marking and page numbers), and bookmarks from the page's headings.
PDF_FLAGS = ("--no-pdf-header-footer", "--generate-pdf-document-outline")
PDF_TIMEOUT = 120.0  # seconds for one page to print
STDERR_TAIL = 2000   # characters of the browser's stderr quoted in an error


class BrowserMissing(RuntimeError):
    """No usable Chromium-family browser was found."""


class BrowserError(RuntimeError):
    """The browser ran but did not do what was asked (no PDF, page did not load)."""


def candidate_paths() -> list[Path]:
    """The usual install locations of Chrome, Edge and Chromium outside PATH on this platform."""
    if sys.platform == "win32":
        roots = [
            os.environ.get("PROGRAMFILES", r"C:\Program Files"),
            os.environ.get("PROGRAMFILES(X86)", r"C:\Program Files (x86)"),
            os.environ.get("LOCALAPPDATA"),
        ]
        tails = (r"Microsoft\Edge\Application\msedge.exe", r"Google\Chrome\Application\chrome.exe",
                 r"Chromium\Application\chrome.exe")
        return [Path(root) / tail for tail in tails for root in roots if root]
    if sys.platform == "darwin":
        return [Path(p) for p in (
            "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
            "/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge",
            "/Applications/Chromium.app/Contents/MacOS/Chromium",
        )]
    return [Path(p) for p in ("/usr/lib/chromium/chromium", "/snap/bin/chromium",
                              "/opt/google/chrome/chrome", "/opt/microsoft/msedge/msedge")]


def find_browser() -> Path:
    """The browser to use: PPLIB_BROWSER if set, else the first Chromium-family browser found.

    Looks on PATH for chromium, chromium-browser, google-chrome, microsoft-edge (and their
    variants), then in the usual install folders (Edge and Chrome on Windows).
    """
    configured = os.environ.get("PPLIB_BROWSER", "").strip()
    if configured:
        path = Path(configured).expanduser()
        if path.is_file():
            return path
        found = shutil.which(configured)
        if found:
            return Path(found)
        raise BrowserMissing(f"PPLIB_BROWSER is set to {configured!r}, which is not an executable file. "
                             + INSTALL_HINT)
    for name in BROWSER_NAMES:
        found = shutil.which(name)
        if found:
            return Path(found)
    for path in candidate_paths():
        if path.is_file():
            return path
    raise BrowserMissing("No Chromium-family browser (Chromium, Google Chrome or Microsoft Edge) was "
                         "found on PATH or in the usual install folders. " + INSTALL_HINT)


def _tail(text: str | bytes | None, limit: int = STDERR_TAIL) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    text = (text or "").strip()
    return text if len(text) <= limit else "..." + text[-limit:]


def _kill_tree(proc: subprocess.Popen) -> None:
    """End the browser and the helper processes it started (it ran in its own process group)."""
    try:
        if os.name == "posix":
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            subprocess.run(["taskkill", "/F", "/T", "/PID", str(proc.pid)],
                           capture_output=True, check=False)
    except (ProcessLookupError, PermissionError, OSError):
        proc.kill()


def html_to_pdf(html: Path, pdf: Path, browser: Path | None = None, *,
                timeout: float = PDF_TIMEOUT) -> Path:
    """Print an HTML page to PDF with a headless browser; return the PDF's path.

    The page is printed as a browser prints it (its print CSS applies: the handling marking
    at the top and bottom of every page and the page number, in @page margin boxes), without the
    browser's own header and footer, with bookmarks from the headings (a PDF outline), from a
    fresh temporary profile. Raises BrowserError, with the end of the browser's stderr,
    when no PDF appears or the browser takes longer than `timeout` seconds.
    """
    html = Path(html).resolve()
    pdf = Path(pdf).resolve()
    if not html.is_file():
        raise FileNotFoundError(f"no such page: {html}")
    exe = Path(browser) if browser else find_browser()
    pdf.parent.mkdir(parents=True, exist_ok=True)
    pdf.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="pplib-browser-", ignore_cleanup_errors=True) as profile:
        cmd = [str(exe), *HEADLESS_FLAGS, *PDF_FLAGS, f"--user-data-dir={profile}",
               f"--print-to-pdf={pdf}", html.as_uri()]
        popen_kw: dict = {"start_new_session": True} if os.name == "posix" else {
            "creationflags": getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0)}
        env = {**os.environ, "HOME": os.environ.get("HOME") or profile}
        try:
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, env=env, **popen_kw)
        except OSError as exc:
            raise BrowserMissing(f"could not start the browser {exe}: {exc}. " + INSTALL_HINT) from exc
        try:
            _out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_tree(proc)
            _out, err = proc.communicate()
            raise BrowserError(f"{exe.name} did not finish printing {html.name} within {timeout:g} s. "
                               f"Its stderr ended:\n{_tail(err)}") from None
    if not pdf.is_file() or pdf.stat().st_size == 0 or pdf.read_bytes()[:5] != b"%PDF-":
        raise BrowserError(f"{exe.name} exited with code {proc.returncode} but wrote no PDF at {pdf} "
                           f"for {html}. Its stderr ended:\n{_tail(err)}")
    return pdf


@dataclass
class ImageState:
    """One <img> on the page, as the browser loaded it."""
    src: str          # the first characters of its src
    alt: str
    classes: str
    natural_width: int
    natural_height: int

    @property
    def loaded(self) -> bool:
        return self.natural_width > 0 and self.natural_height > 0


@dataclass
class OfflineReport:
    """What a page did when opened in a real browser with no network."""
    page: Path
    requests: list[str] = field(default_factory=list)        # every URL fetched besides the page and data: URLs
    external: list[str] = field(default_factory=list)        # of those, the ones not on this disk (blocked)
    failed: list[str] = field(default_factory=list)          # "URL (reason)" for every request that failed
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)     # uncaught script exceptions
    images: list[ImageState] = field(default_factory=list)
    screenshot: Path | None = None

    @property
    def broken_images(self) -> list[ImageState]:
        return [img for img in self.images if not img.loaded]

    @property
    def ok(self) -> bool:
        """True when the page needed nothing but itself and everything on it rendered."""
        return not self.problems()

    def problems(self) -> list[str]:
        failures = {item.rsplit(" (", 1)[0]: item for item in self.failed}
        out = [f"external request (blocked): {url}" for url in self.external]
        out += [f"local file request: {failures.get(url, url)}"
                for url in self.requests if url not in self.external]
        out += [f"failed request: {item}" for url, item in failures.items() if url not in self.requests]
        out += [f"console error: {msg}" for msg in self.console_errors]
        out += [f"page error: {msg}" for msg in self.page_errors]
        out += [f"image did not load: {img.alt or img.src}" for img in self.broken_images]
        return out

    def __str__(self) -> str:
        head = (f"{self.page.name}: {len(self.images)} images ({len(self.broken_images)} broken), "
                f"{len(self.requests)} requests besides the page")
        problems = self.problems()
        return head + ("; OK" if not problems else "\n  " + "\n  ".join(problems))


_IMAGES_JS = """() => Array.from(document.images).map(img => ({
    src: (img.getAttribute('src') || '').slice(0, 100),
    alt: img.getAttribute('alt') || '',
    classes: img.className || '',
    natural_width: img.naturalWidth,
    natural_height: img.naturalHeight,
}))"""


def offline_check(html: Path, screenshot: Path | None = None, *, browser: Path | None = None,
                  timeout: float = 60.0, viewport: tuple[int, int] = (1280, 900)) -> OfflineReport:
    """Open a page in headless Chromium with all networking off and report what it needed.

    Every request other than the page itself and data: URLs is recorded; any that would leave
    this computer is aborted. Console errors, uncaught page errors and every image's loaded size
    are reported, and a full-page screenshot is saved to `screenshot` if given.
    Needs the `playwright` package (the project's dev extras) and an installed browser
    (see find_browser); playwright's own browser download is never used.
    """
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise BrowserMissing("offline_check needs the playwright package: "
                             "pip install -e '.[dev]' (no `playwright install` needed; "
                             "it uses the system browser)") from exc

    html = Path(html).resolve()
    if not html.is_file():
        raise FileNotFoundError(f"no such page: {html}")
    page_url = html.as_uri()
    exe = Path(browser) if browser else find_browser()
    report = OfflineReport(page=html)

    def seen(url: str) -> None:
        if url.startswith("data:") or url.split("#")[0] == page_url:
            return
        if url not in report.requests:
            report.requests.append(url)
        if not url.startswith("file:") and url not in report.external:
            report.external.append(url)

    def on_route(route) -> None:
        url = route.request.url
        if url.startswith(("file:", "data:")):
            route.continue_()
        else:
            seen(url)
            route.abort("internetdisconnected")

    def on_request_failed(request) -> None:
        if request.url.startswith("data:"):
            return
        report.failed.append(f"{request.url} ({request.failure or 'failed'})")

    def on_console(msg) -> None:
        if msg.type == "error":
            report.console_errors.append(msg.text)

    with tempfile.TemporaryDirectory(prefix="pplib-browser-", ignore_cleanup_errors=True) as profile, \
            sync_playwright() as pw:
        try:
            chromium = pw.chromium.launch(
                executable_path=str(exe), headless=True, timeout=timeout * 1000,
                args=[*HEADLESS_FLAGS[1:], *OFFLINE_FLAGS],  # headless=True adds its own --headless
                env={**os.environ, "HOME": os.environ.get("HOME") or profile},
            )
        except PlaywrightError as exc:
            raise BrowserError(f"could not start {exe} under playwright: {_tail(str(exc))}") from exc
        try:
            context = chromium.new_context(
                offline=True, service_workers="block", accept_downloads=False,
                viewport={"width": viewport[0], "height": viewport[1]},
            )
            context.route("**/*", on_route)
            page = context.new_page()
            page.on("request", lambda request: seen(request.url))
            page.on("requestfailed", on_request_failed)
            page.on("console", on_console)
            page.on("pageerror", lambda exc: report.page_errors.append(str(exc)))
            try:
                page.goto(page_url, wait_until="load", timeout=timeout * 1000)
                # Images (data: URIs included) decode asynchronously: wait until each is settled,
                # loading any lazy ones now (they would otherwise never settle off screen).
                page.evaluate("() => document.querySelectorAll('img[loading=lazy]')"
                              ".forEach(img => { img.loading = 'eager'; })")
                page.wait_for_function("() => Array.from(document.images).every(i => i.complete)",
                                       timeout=timeout * 1000)
            except PlaywrightError as exc:
                raise BrowserError(f"{html.name} did not load in {exe.name}: {_tail(str(exc))}") from exc
            report.images = [ImageState(**item) for item in page.evaluate(_IMAGES_JS)]
            if screenshot is not None:
                screenshot = Path(screenshot).resolve()
                screenshot.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(screenshot), full_page=True, timeout=timeout * 1000)
                report.screenshot = screenshot
            context.close()
        finally:
            chromium.close()
    return report
