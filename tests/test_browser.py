"""The report pages in a real headless browser: they open offline, and print to PDF marked on every page."""
import base64
import io
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest
from factories import browser_or_skip

from pplib.build import pdf as browser
from pplib.build.pdf import BrowserError, BrowserMissing, find_browser, html_to_pdf, offline_check

pytestmark = pytest.mark.slow  # builds reports or runs notebooks: not in the inner loop (-m "not slow")

MARKING = "OFFICIAL-SENSITIVE"


@pytest.fixture(scope="module")
def real_page(tmp_path_factory) -> Path:
    """A real report section, built by papermill and nbconvert exactly as `pplib build` does."""
    browser_or_skip()
    from pplib.build.execute import run_section
    from pplib.paths import LOCALITIES_DIR
    result = run_section(LOCALITIES_DIR / "dyfed-powys", "local_picture", tmp_path_factory.mktemp("built"))
    return result.html


def _chart_png() -> str:
    import pandas as pd

    from pplib.figures import charts
    fig = charts.bar(pd.DataFrame({"type": ["labour", "criminal", "sexual"], "crimes": [12, 30, 7]}),
                     "type", "crimes", "Recorded crimes by type", "Count of crimes. Source: test.")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=80)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


@pytest.fixture(scope="module")
def long_page(tmp_path_factory) -> Path:
    """A page long enough for several printed pages, through the report's own template (no kernel)."""
    from pplib.build.html import export_html
    png = _chart_png()
    nb = nbformat.v4.new_notebook()
    for part in range(1, 7):
        nb.cells.append(nbformat.v4.new_markdown_cell(f"## Part {part}\n\n" + "\n\n".join(
            f"Paragraph {part}.{i}: " + "the partnership recorded and reviewed the figures. " * 9
            for i in range(8))))
        cell = nbformat.v4.new_code_cell("chart()")
        cell.outputs = [nbformat.v4.new_output("display_data", data={
            "text/html": f"<img class='pp-chart' alt='Chart {part}' src='data:image/png;base64,{png}'/>"})]
        nb.cells.append(cell)
    return export_html(nb, tmp_path_factory.mktemp("long") / "long.html", MARKING)


def _is_blank(png: Path) -> bool:
    from PIL import Image
    with Image.open(png) as image:
        grey = image.convert("L")
        dark = sum(grey.histogram()[:240])
        return dark < 0.01 * grey.width * grey.height


# --- finding a browser ----------------------------------------------------------------------

@pytest.fixture
def no_browser_anywhere(tmp_path, monkeypatch):
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.delenv("PPLIB_BROWSER", raising=False)
    monkeypatch.setattr(browser, "candidate_paths", lambda: [tmp_path / "Edge" / "msedge.exe"])
    return tmp_path


def test_no_browser_raises_with_what_to_install(no_browser_anywhere):
    with pytest.raises(BrowserMissing) as caught:
        find_browser()
    message = str(caught.value)
    assert "apt-get install chromium" in message
    assert "Microsoft Edge" in message and "Google Chrome" in message
    assert "PPLIB_BROWSER" in message


def test_usual_install_folder_is_found_when_path_has_none(no_browser_anywhere):
    edge = no_browser_anywhere / "Edge" / "msedge.exe"
    edge.parent.mkdir()
    edge.write_text("")
    assert find_browser() == edge


def test_pplib_browser_wins_and_a_wrong_one_is_reported(tmp_path, monkeypatch):
    chosen = tmp_path / "my-chrome"
    chosen.write_text("")
    monkeypatch.setenv("PPLIB_BROWSER", str(chosen))
    assert find_browser() == chosen
    monkeypatch.setenv("PPLIB_BROWSER", str(tmp_path / "missing"))
    with pytest.raises(BrowserMissing, match="PPLIB_BROWSER"):
        find_browser()


def test_windows_install_folders_include_edge_and_chrome(monkeypatch):
    monkeypatch.setattr(browser.sys, "platform", "win32")
    monkeypatch.setenv("PROGRAMFILES(X86)", r"C:\Program Files (x86)")
    paths = [str(p) for p in browser.candidate_paths()]
    assert any(p.endswith(r"Microsoft\Edge\Application\msedge.exe") and "(x86)" in p for p in paths)
    assert any(p.endswith(r"Google\Chrome\Application\chrome.exe") for p in paths)


def test_importing_the_module_loads_no_browser_library():
    code = "import sys, pplib.build.pdf; sys.exit('playwright' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


# --- printing to PDF ------------------------------------------------------------------------

def _stand_in_browser(folder: Path, script: str) -> Path:
    """A shell script in the browser's place, running `script` whatever it is asked to do."""
    fake = folder / "stand-in-browser"
    fake.write_text(f"#!/bin/sh\n{script}\n")
    fake.chmod(0o755)
    return fake


@pytest.mark.skipif(os.name != "posix", reason="the stand-in browser is a shell script")
def test_no_pdf_is_an_error_quoting_the_browser(tmp_path, long_page):
    fake = _stand_in_browser(tmp_path, "echo 'GPU process crashed: no display' >&2\nexit 0")
    with pytest.raises(BrowserError, match="GPU process crashed: no display"):
        html_to_pdf(long_page, tmp_path / "out.pdf", browser=fake)


@pytest.mark.skipif(os.name != "posix", reason="the stand-in browser is a shell script")
def test_a_browser_that_hangs_is_stopped(tmp_path, long_page):
    fake = _stand_in_browser(tmp_path, "sleep 60")
    with pytest.raises(BrowserError, match="did not finish"):
        html_to_pdf(long_page, tmp_path / "out.pdf", browser=fake, timeout=1)


def _page_texts(pdf: Path) -> list[tuple[float, list[tuple[float, str]]]]:
    """Each page's height and its text fragments with their baseline heights (points from the bottom)."""
    from pypdf import PdfReader
    pages = []
    for page in PdfReader(pdf).pages:
        fragments = []

        def visit(text, cm, tm, font, size, fragments=fragments):
            if text.strip():
                fragments.append((tm[4] * cm[1] + tm[5] * cm[3] + cm[5], text.strip()))
        page.extract_text(visitor_text=visit)
        pages.append((float(page.mediabox.height), fragments))
    return pages


def _assert_marked_top_and_bottom_clear_of_text(pdf: Path, min_pages: int) -> None:
    pages = _page_texts(pdf)
    assert len(pages) >= min_pages
    for number, (height, fragments) in enumerate(pages, start=1):
        marks = sorted(y for y, text in fragments if text == MARKING)
        assert len(marks) == 2, f"page {number}: marking found {len(marks)} times"
        bottom, top = marks
        assert top > 0.9 * height and bottom < 0.1 * height, f"page {number}: marking at {marks}"
        # Nothing prints under a band: every other line sits well inside the two bands.
        # ... but the page number, which prints in the bottom margin beside the marking ("Page 3 of 9").
        hidden = [text for y, text in fragments if text != MARKING and not bottom + 18 < y < top - 18
                  and not (abs(y - bottom) < 2 and re.fullmatch(r"Page|of|\d+|Page \d+ of \d+", text))]
        assert not hidden, f"page {number}: text under the marking bands: {hidden[:3]}"


def test_pdf_is_marked_top_and_bottom_of_every_page(long_page, tmp_path):
    exe = browser_or_skip()
    pdf = html_to_pdf(long_page, tmp_path / "long.pdf", browser=exe)
    assert pdf.read_bytes().startswith(b"%PDF-")
    _assert_marked_top_and_bottom_clear_of_text(pdf, min_pages=3)


def test_real_report_prints_marked_on_every_page(real_page, tmp_path):
    pdf = html_to_pdf(real_page, tmp_path / "out" / "local_picture.pdf")
    _assert_marked_top_and_bottom_clear_of_text(pdf, min_pages=3)
    text = "".join(t for _, fragments in _page_texts(pdf) for _, t in fragments)
    assert "Dyfed-Powys" in text


# --- opening offline ------------------------------------------------------------------------

def test_real_report_opens_offline_with_every_chart(real_page, tmp_path):
    shot = tmp_path / "shots" / "local_picture.png"
    report = offline_check(real_page, screenshot=shot)
    assert report.requests == [] and report.external == [] and report.failed == [], report
    assert report.console_errors == [] and report.page_errors == [], report
    charts = [img for img in report.images if "pp-chart" in img.classes.split()]
    assert charts, "the page should embed its charts"
    assert all(img.loaded for img in charts), [img.alt for img in charts if not img.loaded]
    assert report.ok, report
    assert report.screenshot == shot.resolve() and shot.stat().st_size > 0
    from PIL import Image
    with Image.open(shot) as image:
        assert image.height > 2000  # the whole page, not just the first screen
    assert not _is_blank(shot)


def test_a_page_that_needs_the_network_is_reported(tmp_path):
    browser_or_skip()
    (tmp_path / "local.png").write_bytes(base64.b64decode(_chart_png()))
    page = tmp_path / "online.html"
    page.write_text(textwrap.dedent("""\
        <!DOCTYPE html><html><head><meta charset="utf-8"><title>needs the network</title>
        <link rel="stylesheet" href="https://cdn.example.org/report.css">
        <script src="https://cdn.example.org/require.min.js"></script>
        </head><body><h1>Report</h1>
        <img class="pp-chart" alt="tile map" src="https://tiles.example.org/7/63/42.png">
        <img class="pp-chart" alt="local file chart" src="local.png">
        </body></html>"""), encoding="utf-8")
    report = offline_check(page)
    assert not report.ok
    assert set(report.external) == {"https://cdn.example.org/report.css", "https://cdn.example.org/require.min.js",
                                    "https://tiles.example.org/7/63/42.png"}
    assert (tmp_path / "local.png").as_uri() in report.requests  # a file beside the page is a dependency too
    assert [img.alt for img in report.broken_images] == ["tile map"]
    assert any("external request" in problem for problem in report.problems())
