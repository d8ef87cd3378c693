"""The assembled report printed and navigated in a real headless Chromium: a title page, the marking and the
page number on every page, bookmarks, nothing wider than the printable area, unique ids, contents links that
land on their own headings, captions on tables and heading levels in order."""
import re
from collections import Counter
from pathlib import Path

import pytest
from factories import browser_or_skip

from pplib.build.html import _headings_in_order, _unique_ids, assemble_report
from pplib.build.pdf import find_browser

pytestmark = pytest.mark.slow  # builds reports or runs notebooks: not in the inner loop (-m "not slow")

MARKING = "OFFICIAL-SENSITIVE"
A4_PRINTABLE_PX = round((210 - 2 * 15) / 25.4 * 96)  # A4 less the 1.5 cm side margins, in CSS pixels


@pytest.fixture(scope="module")
def printed(tmp_path_factory) -> dict:
    """One sample locality's partner edition as assembled by `pplib build`, printed as `--pdf` prints it.
    The page is taken where the build assembles it, before publishing and the audit (tested elsewhere), so
    these tests are about printing and navigation only."""
    browser_or_skip()
    from pplib.build.batch import build
    from pplib.build.outputs import work_dir
    from pplib.build.pdf import html_to_pdf
    from pplib.paths import LOCALITIES_DIR
    out = tmp_path_factory.mktemp("printed")
    build([LOCALITIES_DIR / "dyfed-powys"], out_root=out, editions=("partner",), jobs=1)
    page = work_dir(out, "dyfed-powys", "partner") / "report.html"
    assert page.is_file(), "the partner report was not assembled"
    return {"html": page, "pdf": html_to_pdf(page, out / "report.pdf")}


def _pages(pdf: Path) -> list[str]:
    from pypdf import PdfReader
    return [page.extract_text() or "" for page in PdfReader(pdf).pages]


# --- checks, each a function so a planted fault can be shown to fail it -----------------------------

def _duplicate_ids(page: str) -> list[str]:
    return [i for i, n in Counter(re.findall(r'(?<![\w-])id="([^"]*)"', page)).items() if n > 1]


def _heading_jumps(page: str) -> list[str]:
    levels = [int(level) for level in re.findall(r"<h([1-6])\b", page)]
    return [f"h{a} then h{b}" for a, b in zip(levels, levels[1:]) if b > a + 1]


def _tables_without_caption(page: str) -> int:
    """The report's own tables (class pp-table) whose first child is not their caption."""
    return len(re.findall(r"<table\b[^>]*\bpp-table\b[^>]*>(?!\s*<caption)", page))


def _pdf_problems(pdf: Path) -> list[str]:
    from pypdf import PdfReader
    reader = PdfReader(pdf)
    problems = [] if reader.outline else ["no bookmarks"]
    pages = _pages(pdf)
    for number, text in enumerate(pages, start=1):
        if text.count(MARKING) < 2:
            problems.append(f"page {number}: marking {text.count(MARKING)} times")
        if f"Page {number} of {len(pages)}" not in text:
            problems.append(f"page {number}: no page number")
    if "Modern slavery problem profile" not in pages[0] or "Dyfed-Powys" not in pages[0]:
        problems.append("no title page")
    return problems


def _near_empty_pages(pdf: Path, section_start: str = "Dyfed-Powys: ") -> list[int]:
    """Pages whose text ends in their top quarter and that hold no chart (a chart fills the page below its
    text), unless the next page starts a top-level section (whose heading begins with the locality's name)."""
    from pypdf import PdfReader
    reader = PdfReader(pdf)
    texts = [page.extract_text() or "" for page in reader.pages]
    near = []
    for number, page in enumerate(reader.pages, start=1):
        height, heights = float(page.mediabox.height), []
        page.extract_text(visitor_text=lambda text, cm, tm, *_: text.strip() and heights.append(
            tm[4] * cm[1] + tm[5] * cm[3] + cm[5]))
        body = [y for y in heights if 0.08 * height < y < 0.92 * height]
        following = texts[number] if number < len(texts) else section_start
        if body and min(body) > 0.75 * height and not page.images and section_start not in following[:200]:
            near.append(number)
    return near


_LAYOUT_JS = """(width) => {
    const wide = [];
    for (const el of document.querySelectorAll('main *')) {
        const box = el.getBoundingClientRect();
        if (box.width === 0 && box.height === 0) continue;
        const clipped = el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX !== 'visible';
        if (box.right > width + 1 || box.left < -1 || clipped) {
            wide.push(`${el.tagName}.${el.className} ${Math.round(box.width)}px${clipped ? ' (clipped)' : ''}`);
        }
    }
    const links = Array.from(document.querySelectorAll('nav.pp-toc a')).map(a => {
        const id = decodeURIComponent(a.getAttribute('href').slice(1));
        const target = document.getElementById(id);
        const heading = target ? (target.textContent || '').replace('\u00b6', '').trim() : null;
        return {text: a.textContent.trim(), id, tag: target ? target.tagName : null, heading,
                top: target ? target.getBoundingClientRect().top + window.scrollY : null};
    });
    return {wide, links};
}"""


def _in_print_layout(page: Path) -> dict:
    """The page laid out for print at the printable width: elements wider than it, and each contents link's
    target."""
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(find_browser()), headless=True,
                                      args=["--no-sandbox", "--disable-gpu"])
        try:
            tab = chromium.new_page(viewport={"width": A4_PRINTABLE_PX, "height": 1000})
            tab.emulate_media(media="print")
            tab.goto(page.resolve().as_uri(), wait_until="load")
            return tab.evaluate(_LAYOUT_JS, A4_PRINTABLE_PX)
        finally:
            chromium.close()


def _stray_tables(page: str) -> int:
    """Tables not drawn by Section (class pp-table): a notebook cell's value echoed by Jupyter, e.g."""
    return len(re.findall(r"<table(?![^>]*\bpp-table\b)[^>]*>", page))


def _link_problems(links: list[dict]) -> list[str]:
    problems = [f"{link['text']!r} lands on {link['tag']} {link['heading']!r}" for link in links
                if link["tag"] not in ("H1", "H2") or link["heading"] != link["text"]]
    tops = [link["top"] for link in links if link["top"] is not None]
    if tops != sorted(tops):
        problems.append("contents links are not in the order of the report")
    return problems


# --- the built report ----------------------------------------------------------------------------

def test_report_html_has_unique_ids_captions_and_headings_in_order(printed):
    page = printed["html"].read_text(encoding="utf-8")
    assert _duplicate_ids(page) == []
    assert _heading_jumps(page) == []
    assert _tables_without_caption(page) == 0 and '<caption class="pp-caption"><strong>Table:' in page
    assert page.count('class="pp-title-page"') == 1 and 'href="#pp-contents"' in page
    assert "<script" not in page and "default-src 'none'; img-src data:; style-src 'unsafe-inline'" in page
    assert 'class="pp-n"' in page  # the audit's cells are still there
    assert _stray_tables(page) == 0  # a table appears once: never echoed by a cell ending in section.show(...)


def test_pdf_has_title_page_bookmarks_and_marking_and_page_number_on_every_page(printed):
    assert _pdf_problems(printed["pdf"]) == []
    assert _near_empty_pages(printed["pdf"]) == []


def test_nothing_is_wider_than_the_printable_area_and_every_contents_link_lands_on_its_heading(printed):
    layout = _in_print_layout(printed["html"])
    assert layout["wide"] == []
    assert len(layout["links"]) > 20
    assert _link_problems(layout["links"]) == []


# --- planted faults: the checks above fail when the report is wrong --------------------------------

def test_the_checks_catch_planted_faults(printed, tmp_path):
    page = printed["html"].read_text(encoding="utf-8")
    # duplicated ids and a contents link into the wrong section
    assert _duplicate_ids(page + '<p id="pp-contents"></p>') == ["pp-contents"]
    # a heading jump, and a table's caption outside its table
    assert _heading_jumps("<h2>a</h2><h4>b</h4>") == ["h2 then h4"]
    assert _tables_without_caption("<p>Table: x</p><table class='pp-table'><tr><td>1</td></tr></table>") == 1
    # a table echoed by Jupyter beside the one Section drew
    assert _stray_tables(page + '<table border="1" class="dataframe"><tr><td>1</td></tr></table>') == 1
    first = re.search(r'<nav class="pp-toc".*?href="#([^"]+)"', page, flags=re.S).group(1)
    second_heading = re.findall(r'<h2 id="([^"]+)"', page)[3]
    wrong = page.replace(f'href="#{first}"', f'href="#{second_heading}"', 1)
    (tmp_path / "wrong.html").write_text(wrong.replace(
        "</style>", "</style><style>@media print { table.pp-table { width: 2000px !important; } }</style>", 1),
        encoding="utf-8")
    layout = _in_print_layout(tmp_path / "wrong.html")
    assert any(item.startswith("TABLE") for item in layout["wide"])
    assert _link_problems(layout["links"])
    # a PDF printed without the report's margin boxes or bookmarks
    from pplib.build.pdf import html_to_pdf
    plain = tmp_path / "plain.html"
    plain.write_text("<html><body><h1>Other</h1><p>Text</p></body></html>", encoding="utf-8")
    problems = _pdf_problems(html_to_pdf(plain, tmp_path / "plain.pdf"))
    assert "no title page" in problems and any("no page number" in p for p in problems)
    assert any("marking" in p for p in problems)
    # a short page that does not end a section
    short = tmp_path / "short.html"
    short.write_text("<html><head><style>@page { margin: 2cm }</style></head><body><p>One line.</p><p style='break-before: page'>Next page.</p></body></html>",
                     encoding="utf-8")
    assert _near_empty_pages(html_to_pdf(short, tmp_path / "short.pdf")) == [1]


# --- assembly, without a browser -----------------------------------------------------------------

def test_assembly_renames_duplicate_ids_and_rewrites_their_links():
    one = '<h2 id="Who">Who<a class="anchor-link" href="#Who">¶</a></h2><a href="#Who">up</a>'
    two = '<h2 id="Who">Who<a class="anchor-link" href="#Who">¶</a></h2><h2 id="Who">Who<a class="anchor-link" ' \
          'href="#Who">¶</a></h2><a href="#Only">x</a><p id="Only"></p>'
    first, second = _unique_ids([("a", one), ("b", two)])
    assert first == one
    assert re.findall(r'id="([^"]+)"', second) == ["b-Who", "b-Who-3", "Only"]
    assert re.findall(r'href="#([^"]+)"', second) == ["b-Who", "b-Who-3", "Only"]


def test_heading_levels_are_closed_up_keeping_their_order():
    page = "<h1>A</h1><h2>B</h2><h4>C</h4><h5>D</h5><h4>E</h4><h2>F</h2><h3>G</h3>"
    assert re.findall(r"<h(\d)>", _headings_in_order(page)) == ["1", "2", "3", "4", "3", "2", "3"]


def test_assembled_page_has_a_title_page_before_the_contents(tmp_path):
    shell = ("<html><head><title>x</title></head><body><main><!-- pp-content-start -->{}"
             "<!-- pp-content-end --></main></body></html>")
    pages = []
    for name in ("one", "two"):
        path = tmp_path / f"{name}.html"
        path.write_text(shell.format(f'<h1 id="{name}">{name}<a class="anchor-link" href="#{name}">¶</a></h1>'
                                     '<h2 id="Key-points">Key points<a class="anchor-link" href="#Key-points">'
                                     '¶</a></h2>'), encoding="utf-8")
        pages.append(path)
    front = {"locality": "Somewhere & Co", "partnership": "P", "period": "1 to 2", "built": "today",
             "edition": "Partner", "version": "pplib 0", "marking": "OFFICIAL"}
    page = assemble_report(pages, tmp_path / "report.html", "T", front=front).read_text(encoding="utf-8")
    assert page.index("pp-title-page") < page.index('nav class="pp-toc"') < page.index('id="one"')
    assert "Somewhere &amp; Co" in page and _duplicate_ids(page) == []
    assert 'href="#two-Key-points"' in page


# --- length: every sample report within its page budget --------------------------------------------

# Issue 14: a partner PDF of at most 40 A4 pages with its maps, an internal one of at most 50.
PAGE_LIMITS = {"partner": 40, "internal": 50}


def _section_pages(pdf: Path) -> dict[str, int]:
    """Pages per top-level bookmark (the title page and contents, then each section), from the PDF's outline."""
    from pypdf import PdfReader
    reader = PdfReader(pdf)
    starts = [(item.title.strip(), reader.get_destination_page_number(item)) for item in reader.outline
              if not isinstance(item, list)]
    ends = [start for _, start in starts[1:]] + [len(reader.pages)]
    return {title: end - start for (title, start), end in zip(starts, ends)}


@pytest.fixture(scope="module")
def every_pdf(tmp_path_factory) -> dict:
    """Every sample locality in both editions, built and printed as `pplib build --pdf` does, with maps."""
    browser_or_skip()
    from pplib.build.batch import build
    from pplib.paths import LOCALITIES_DIR
    from pplib.reference import boundaries
    if not boundaries.available(("lad",)):
        pytest.skip("boundaries not available (set PPLIB_GEO_DIR): the page budget is for reports with maps")
    out = tmp_path_factory.mktemp("every")
    localities = sorted(p for p in LOCALITIES_DIR.iterdir() if (p / "locality.yaml").is_file())
    results = build(localities, out_root=out, pdf=True, jobs=2)
    assert [r.detail for r in results if r.status == "failed"] == []
    return {(r.locality, r.edition): Path(r.pdf) for r in results if r.pdf}


def test_every_sample_report_fits_its_page_budget(every_pdf):
    over = {}
    for (locality, edition), pdf in every_pdf.items():
        sections = _section_pages(pdf)
        if sum(sections.values()) > PAGE_LIMITS[edition]:
            over[f"{locality} {edition}"] = sections  # what takes the pages, section by section
    assert len(every_pdf) == 6 and over == {}


def test_a_short_breakdown_is_a_sentence_from_the_shown_table_and_records_stay_tables():
    import pandas as pd

    from pplib.report.section import brief_sentence
    by_sex = pd.DataFrame({"sex": ["female", "male", "unknown"], "people": [12.0, 18.0, None],
                           "percent": [40.0, 60.0, None]})
    by_sex.attrs["suppressed_cells"] = {"people": [2], "percent": [2]}  # as protect() leaves a withheld cell
    assert brief_sentence("Victims by sex", by_sex) == r"**Victims by sex:** female 12 (40%), male 18 (60%), unknown \[c\]."
    assert brief_sentence("Crimes by year", pd.DataFrame({"year": [2022, 2023], "crimes": [1049, 3]})) == \
        "**Crimes by year:** 2022 1,049, 2023 3."
    five = pd.DataFrame({"sex": list("abcde"), "people": range(5)})
    actions = pd.DataFrame({"priority": ["High"], "action": ["Train staff"], "owner": ["Council"]})
    crosstab = pd.DataFrame({"year": [2022, 2023], "crimes": [1, 2], "victims": [3, 4]})
    assert brief_sentence("Five rows", five) is None and brief_sentence("Actions", actions) is None
    assert brief_sentence("Crimes and victims", crosstab) is None  # several counts: a table, or its chart
    assert brief_sentence("Crimes and victims", crosstab, brief=True).startswith("**Crimes and victims:** 2022: crimes 1")
    assert brief_sentence("Victims by sex", by_sex, brief=False) is None
