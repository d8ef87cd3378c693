"""User text is data: markup, links and formulas from a locality's files never run in a report, index page or
spreadsheet, and case studies are screened before a partner edition."""
from __future__ import annotations

import csv
import re
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

import openpyxl
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from pplib import text
from pplib.build.outputs import UnitResult
from pplib.config import load_locality
from pplib.measures import focus, registers
from pplib.records.dataset import load_locality_data
from pplib.report import appendix
from tests.factories import crime, make_locality, victim, write_csv

PAYLOADS = [
    "<script>alert(1)</script>", "<img src=x onerror=alert(2)>", "<svg onload=alert(3)>", "[x](javascript:alert(4))",
    "![t](http://example.com/t.png)", '<a href="javascript:alert(5)">y</a>', '<iframe src="http://example.com/f">',
    "<style>body{background:url(http://example.com/s.png)}</style>", "<http://example.com/auto>",
    "<javascript:alert(6)>", '"><svg onload=alert(7)>', "<body onload=alert(8)>", "[y](//example.com/z)",
    '<object data="http://example.com/o"></object>', "<link rel=stylesheet href=http://example.com/c.css>",
    "[d](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)", '<math><mi xlink:href="javascript:alert(9)">',
    '<span class="pp-n" data-cell="crimes">3</span>', "&lt;script&gt;alert(10)&lt;/script&gt;", "`<b>`",
    "# heading", "1. list", "- item", "> quote", "\n\n<script>alert(11)</script>\n", "*", "_", "\\",
    "=cmd|' /C calc'!A0", '=HYPERLINK("http://example.com")', "+1+1", "-2+3", "@SUM(1)", "\t=1", "\r=1",
]
payload = st.lists(st.sampled_from(PAYLOADS) | st.text(max_size=12), min_size=1, max_size=4).map("".join)

FORBIDDEN_TAGS = {"script", "iframe", "object", "embed", "svg", "math", "link", "base", "form", "frame", "frameset",
                  "applet", "audio", "video", "source", "input", "button", "textarea", "body-in-body"}
ALLOWED_META = ("charset", "viewport", "content-security-policy")


class LiveMarkup(HTMLParser):
    """Everything in a page that could run, fetch or navigate somewhere it should not."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.spans: list[dict] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in FORBIDDEN_TAGS:
            self.problems.append(f"<{tag}>")
        if tag == "meta" and not any(k in ALLOWED_META for k in (*attrs, (attrs.get("http-equiv") or "").lower(),
                                                                  attrs.get("name") or "")):
            self.problems.append(f"<meta {attrs}>")
        if tag == "span" and "pp-n" in (attrs.get("class") or ""):
            self.spans.append(attrs)
        for name, value in attrs.items():
            value = value or ""
            if name.startswith("on") or name in ("formaction", "xlink:href", "srcdoc", "background"):
                self.problems.append(f"<{tag} {name}>")
            elif name == "href" and not _safe_href(value):
                self.problems.append(f"<{tag} href={value!r}>")
            elif name == "src" and not (tag == "img" and value.startswith("data:image/png;base64,")):
                self.problems.append(f"<{tag} src={value[:40]!r}>")
            elif name == "style" and "url(" in value:
                self.problems.append(f"<{tag} style url>")


def _safe_href(value: str) -> bool:
    scheme = urlsplit(value.strip()).scheme.lower()
    return value.startswith("#") or scheme in ("http", "https", "mailto") or (not scheme and not value.startswith("//"))


def live_markup(page: str) -> LiveMarkup:
    parser = LiveMarkup()
    parser.feed(page)
    parser.close()
    return parser


# --- every user-text entry point, with hypothesis -----------------------------------------------------------

@settings(max_examples=150, deadline=None)
@given(payload)
def test_user_text_in_a_library_sentence_is_text(value):
    page = text.markdown_html(f"{text.md(value)} recorded "
                              '<span class="pp-n" data-cell="crimes">[c]</span> crimes.')
    found = live_markup(page)
    assert found.problems == [] and "<a " not in page, page
    assert found.spans == [{"class": "pp-n", "data-cell": "crimes"}], page  # no span forged from user text


@settings(max_examples=150, deadline=None)
@given(payload)
def test_user_markdown_is_sanitised(value):
    page = text.user_markdown_html(f"# {value}\n\n{value}\n\n- {value}\n\n[link]({value}) ![alt]({value})")
    found = live_markup(page)
    assert found.problems == [] and "<img" not in page and found.spans == [], page


@settings(max_examples=60, deadline=None)
@given(payload, payload)
def test_register_lines_and_handling_guidance_are_text(first, second):
    assets = pd.DataFrame({"asset": [first], "organisation": [second], "type": [first]})
    risks = pd.DataFrame({"vulnerability": [first], "description": [second], "rating or status": ["risk rated High"],
                          "owner": [second]})
    actions = pd.DataFrame({"source_row": [2], "action": [first], "theme": [second], "priority": ["High"],
                            "owner": [second], "timeframe": [first], "status": ["Open"]})
    place = SimpleNamespace(partnership=first, handling_marking=second)
    lines = [*registers.asset_lines(assets), *registers.vulnerability_lines(risks),
             *registers.recommendations(actions), *appendix.handling_guidance(place, True, "rule")]
    page = text.markdown_html("\n".join(f"- {line}" for line in lines))
    found = live_markup(page)
    assert found.problems == [] and found.spans == [] and "<a " not in page, page


@settings(max_examples=60, deadline=None)
@given(payload)
def test_index_page_escapes_locality_and_folder_names(tmp_path_factory, value):
    from pplib.build.batch import write_index
    out = tmp_path_factory.mktemp("index")
    folder = out / re.sub(r"[/\x00]", "", value)[:60] / "internal"
    try:
        folder.mkdir(parents=True)
    except OSError:
        folder = out / "plain" / "internal"
        folder.mkdir(parents=True)
    (folder / "report.html").write_text("x", encoding="utf-8")
    result = UnitResult(locality=value, edition="internal", out_dir=str(folder), name=value)
    failed = UnitResult(locality=value, edition="partner", out_dir=str(folder), status="failed",
                        failed_section=value, error=value)
    page = write_index([result, failed], out).read_text(encoding="utf-8")
    found = live_markup(page)
    assert found.problems == [], found.problems
    assert text.CSP_META in page


def test_the_checks_catch_live_markup():
    """The checker itself: each payload left raw is caught (so the tests above can fail)."""
    for raw in ("<script>alert(1)</script>", "<img src=x onerror=alert(2)>", "<svg onload=alert(3)>",
                '<a href="javascript:alert(4)">x</a>', '<img src="http://example.com/t.png">',
                '<a href="//example.com/x">x</a>', '<iframe src="http://example.com">'):
        assert live_markup(raw).problems, raw
    assert live_markup('<span class="pp-n" data-cell="x">3</span>').spans


def test_links_and_images_in_case_studies():
    page = text.user_markdown_html("[site](https://example.org/a) [mail](mailto:a@example.org) "
                                   "[bad](javascript:alert(1)) [file](file:///etc/passwd) ![a chart](http://x/t.png)")
    assert '<a href="https://example.org/a"' in page and '<a href="mailto:a@example.org"' in page
    assert page.count("<a ") == 2 and "a chart" in page and "<img" not in page
    assert "&lt;script&gt;" in text.user_markdown_html("<script>alert(1)</script>")  # shown, as text


# --- spreadsheet cells --------------------------------------------------------------------------------------

@settings(max_examples=300, deadline=None)
@given(payload)
def test_csv_cells_never_start_like_a_formula_and_round_trip(value):
    cell = text.csv_cell(value)
    number = re.fullmatch(r"[+-]?[\d,]*\.?\d+(?:[eE][+-]?\d+)?%?", value) is not None
    assert number or not cell.startswith(text.FORMULA_START)
    assert text.from_csv_cell(cell) == value


def test_numbers_stay_numbers_in_csv_cells():
    assert [text.csv_cell(v) for v in (5, -2.5, "-3", "+12%", "=1+1", "@x", "\tx", "-", "'=x")] == \
        [5, -2.5, "-3", "+12%", "'=1+1", "'@x", "'\tx", "'-", "''=x"]


# --- a real build carrying payloads -------------------------------------------------------------------------

DDE = "=cmd|' /C calc'!A0"
FORMULAS = [DDE, '=HYPERLINK("http://example.com/x","click")', "+1+1", "@SUM(1,1)", "-1+2"]
CASE_STUDY = """# Labour exploitation: <script>alert('case')</script>

Found at a car wash. <img src="http://example.com/track.png" onerror="alert('img')">
![remote](http://example.com/remote.png) [click](javascript:alert('link')) <svg onload=alert('svg')>
[fine](https://example.org/help)
"""


def _hostile_locality(folder: Path) -> Path:
    crimes = [crime(f"A{i}", types="Labour", sector="car wash") for i in range(1, 8)]
    victims = [victim(f"A{i}", f"V{i}") for i in range(1, 8)]
    make_locality(folder, crimes, victims)
    write_csv(folder / "assets.csv", [
        {"asset": f"<script>alert('asset')</script>{DDE}", "organisation": "=HYPERLINK(\"http://example.com\")",
         "asset_type": "service", "level": "personal", "function": "discovery", "four_p": "Protect",
         "theme": "<svg onload=alert('theme')>", "description": "labour [x](javascript:alert('desc'))"},
        {"asset": "+1+1", "organisation": "@SUM(1,1)", "asset_type": "-1+2", "level": "structural",
         "function": "prevention", "four_p": "Prepare", "theme": "Labour", "description": "labour"}])
    write_csv(folder / "actions.csv", [
        {"action": "<img src=x onerror=alert('action')>", "theme": "<svg onload=alert('theme')>", "priority": "High",
         "owner": DDE, "timeframe": "![t](http://example.com/t.png)", "status": "Open"}])
    write_csv(folder / "risks.csv", [
        {"risk": "<iframe src='http://example.com/r'></iframe>", "description": "labour <b onmouseover=alert(1)>x</b>",
         "likelihood": "H", "impact": "H", "mitigation": "=1+1", "owner": "<script>alert('owner')</script>"}])
    write_csv(folder / "gaps.csv", [
        {"gap": "labour <script>alert('gap')</script>", "description": "x", "source": "=1+1",
         "owner": "[o](javascript:alert('gap owner'))", "status": "Open"}])
    (folder / "case_studies").mkdir()
    (folder / "case_studies" / "01-hostile.md").write_text(CASE_STUDY, encoding="utf-8")
    config = yaml.safe_load((folder / "locality.yaml").read_text(encoding="utf-8"))
    config.update(name="Nottinghamshire <script>alert('name')</script>",
                  partnership="<img src=x onerror=alert('partnership')> [p](javascript:alert(1))",
                  handling_marking="OFFICIAL <svg onload=alert('marking')>", case_studies="case_studies")
    columns = {"assets": ["asset", "organisation", "asset_type", "level", "function", "four_p", "theme", "description"],
               "actions": ["action", "theme", "priority", "owner", "timeframe", "status"],
               "risks": ["risk", "description", "likelihood", "impact", "mitigation", "owner"],
               "intelligence_gaps": ["gap", "description", "source", "owner", "status"]}
    files = {"assets": "assets.csv", "actions": "actions.csv", "risks": "risks.csv", "intelligence_gaps": "gaps.csv"}
    for kind, names in columns.items():
        config["sources"][kind] = {"path": files[kind], "columns": {c: c for c in names}}
    (folder / "locality.yaml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return folder


HOSTILE_SECTIONS = ("executive_summary", "introduction", "partnership_priorities", "in_focus")


@pytest.fixture(scope="module")
def hostile_build(tmp_path_factory):
    from pplib.build.batch import build
    root = tmp_path_factory.mktemp("hostile")
    folder = _hostile_locality(root / 'x"><svg onload=alert(7)>')
    [result] = build([folder], HOSTILE_SECTIONS, root / "out", editions=("internal",), jobs=1)
    assert result.status != "failed", result.error
    return result, root / "out"


def _pages(result, out: Path) -> list[Path]:
    folder = Path(result.out_dir)
    return [folder / "report.html", *sorted((folder / "sections").glob("*.html")), out / "index.html"]


@pytest.mark.slow
def test_built_pages_hold_no_live_markup_and_carry_the_policy(hostile_build):
    result, out = hostile_build
    for page in _pages(result, out):
        html = page.read_text(encoding="utf-8")
        assert live_markup(html).problems == [], page.name
        assert text.CSP_META in html, page.name
    report = Path(result.out_dir, "report.html").read_text(encoding="utf-8")
    # the payloads are there, as text: data, not dropped
    assert "&lt;script&gt;alert('name')&lt;/script&gt;" in report
    assert "&lt;svg onload=alert('theme')&gt;" in report
    assert '<a href="https://example.org/help"' in report and "remote" in report
    assert 'href="#Case-study:-Labour-exploitation:-' in report  # headings keep their anchors


@pytest.mark.slow
def test_built_spreadsheets_hold_formulas_as_text(hostile_build):
    result, _ = hostile_build
    folder = Path(result.out_dir)
    texts, numbers = [], 0
    book = openpyxl.load_workbook(folder / "tables.xlsx")
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type in ("s", "n", "b"), (sheet.title, cell.coordinate, cell.data_type)
                if cell.data_type == "s":
                    texts.append(cell.value)
                numbers += cell.data_type == "n" and cell.value is not None
    assert DDE in texts and "+1+1" in texts and "@SUM(1,1)" in texts and numbers
    for path in (folder / "tables").glob("*.csv"):
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.reader(handle):
                for value in row:
                    assert not value.startswith(("=", "+", "@", "\t", "\r")) or re.fullmatch(r"\+[\d.]+%?", value), \
                        (path.name, value)
                    assert not (value.startswith("-") and not re.fullmatch(r"-[\d.,]+%?", value)), (path.name, value)
    actions = (folder / "tables" / "actions_svg_onload_alert_theme.csv").read_text(encoding="utf-8")
    assert "'" + DDE in actions or "'=cmd" in actions


@pytest.mark.slow
def test_built_report_runs_nothing_and_fetches_nothing_in_chromium(hostile_build):
    result, out = hostile_build
    for page in (Path(result.out_dir) / "report.html", out / "index.html"):
        opened = _open_in_chromium(page)
        assert opened["dialogs"] == [] and opened["requests"] == [], (page.name, opened)


@pytest.mark.slow
def test_the_policy_blocks_what_sanitising_missed_in_chromium(tmp_path):
    """The second wall on its own: a page holding raw script and a remote image, through the report template."""
    import nbformat

    from pplib.build.html import export_html
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [nbformat.v4.new_output("display_data", data={"text/html": (
        "<script>alert('raw')</script><img src='http://example.com/raw.png' onerror=\"alert('img')\">"
        "<svg onload=\"alert('svg')\"></svg>")})]
    nb.cells.append(cell)
    page = export_html(nb, tmp_path / "raw.html", "OFFICIAL")
    opened = _open_in_chromium(page)
    assert opened["dialogs"] == [] and opened["requests"] == [], opened
    unprotected = tmp_path / "unprotected.html"  # the same page without the policy does run: the test can fail
    unprotected.write_text(page.read_text(encoding="utf-8").replace(text.CSP_META, ""), encoding="utf-8")
    without = _open_in_chromium(unprotected)
    assert without["dialogs"] and without["requests"] == ["http://example.com/raw.png"], without


def _only_the_page(route, url: str, requests: list[str]) -> None:
    """Requests that reach the network layer (a CSP-blocked one never does): recorded and refused."""
    if route.request.url == url:
        route.continue_()
    else:
        requests.append(route.request.url)
        route.abort("internetdisconnected")


def _open_in_chromium(page: Path) -> dict:
    """Open a page in headless Chromium with networking off: the dialogs it opened and the requests it made."""
    from pplib.build.pdf import HEADLESS_FLAGS, OFFLINE_FLAGS, BrowserMissing, find_browser
    try:
        exe = find_browser()
        from playwright.sync_api import sync_playwright
    except (BrowserMissing, ImportError) as exc:
        pytest.skip(f"no browser: {exc}")
    found = {"dialogs": [], "requests": []}
    url = page.resolve().as_uri()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(exe), headless=True, args=[*HEADLESS_FLAGS[1:], *OFFLINE_FLAGS])
        try:
            context = browser.new_context(offline=True, service_workers="block")
            context.route("**/*", lambda route: _only_the_page(route, url, found["requests"]))
            tab = context.new_page()
            tab.on("dialog", lambda dialog: (found["dialogs"].append(dialog.message), dialog.dismiss()))
            tab.goto(url, wait_until="load")
            tab.wait_for_timeout(300)  # onload/onerror handlers fire after load
            tab.mouse.move(200, 200)
        finally:
            browser.close()
    return found


# --- case studies before a partner edition ------------------------------------------------------------------

def _with_case_study(folder: Path, body: str) -> Path:
    make_locality(folder, [crime("NP/00249/21")], [victim("NP/00249/21", "V1", victim_name="Klodian Krasniqi")])
    (folder / "case_studies").mkdir()
    (folder / "case_studies" / "01-study.md").write_text(body, encoding="utf-8")
    config = yaml.safe_load((folder / "locality.yaml").read_text(encoding="utf-8"))
    config["case_studies"] = "case_studies"
    (folder / "locality.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    return folder


@pytest.mark.parametrize("line, what", [
    ("Klodian Krasniqi was found at the site.", "a name from the victims file"),
    ("Mr Krasniqi was found at the site.", "a name from the victims file"),
    ("She was born on the 3rd.", "date of birth"),
    ("Aged 30 (06/05/1981).", "date of birth"),
    ("Seen on 6 May 1981.", "date of birth"),
    ("Call 07700 900123 for help.", "a phone number"),
    ("Call +44 115 496 0000.", "a phone number"),
    ("Write to someone@example.org.", "an email address"),
    ("At a house in NG7 2AB.", "a full postcode"),
    ("Recorded as NP/00249/21.", "crime ref"),
    ("Recorded as AB/12345/22.", "crime reference"),
])
def test_case_study_with_personal_details_is_named_by_file_and_line(tmp_path, line, what):
    folder = _with_case_study(tmp_path / "loc", f"# A case\n\nIn the Ashfield area, in 2022.\n{line}\n")
    data = load_locality_data(load_locality(folder))
    with pytest.raises(focus.CaseStudyError) as caught:
        focus.check_case_studies(data)
    message = str(caught.value)
    assert "case_studies/01-study.md line 4" in message and what in message
    for personal in ("Krasniqi", "07700", "example.org", "NG7 2AB", "1981", "00249", "12345"):
        assert personal not in message


def test_an_anonymous_case_study_passes(tmp_path):
    folder = _with_case_study(tmp_path / "loc", "# A case\n\nFour men in the NG7 area, in March 2023, aged 20-30; "
                                                "2021-2023 figures. Ten people were referred.\n")
    assert focus.screen_case_studies(load_locality_data(load_locality(folder))) == []


def test_case_studies_outside_the_locality_are_refused(tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "secret.md").write_text("# Secret\n\nbody\n", encoding="utf-8")
    folder = _with_case_study(tmp_path / "loc", "# Fine\n\nbody\n")
    (folder / "case_studies" / "02-link.md").symlink_to(outside / "secret.md")
    with pytest.raises(focus.CaseStudyError, match="02-link.md links to a file outside"):
        focus.case_studies(load_locality(folder))
    config = yaml.safe_load((folder / "locality.yaml").read_text(encoding="utf-8"))
    config["case_studies"] = "../elsewhere"
    (folder / "locality.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    with pytest.raises(focus.CaseStudyError, match="outside the locality's folder"):
        focus.case_studies(load_locality(folder))


def test_partner_build_stops_on_a_case_study_naming_a_victim(tmp_path):
    from pplib.build.batch import build
    folder = _with_case_study(tmp_path / "loc", "# Labour exploitation\n\nA labour case.\nKlodian Krasniqi, "
                                                "07700 900123.\n")
    [result] = build([folder], ("in_focus",), tmp_path / "out", editions=("partner",), jobs=1)
    assert result.status == "failed" and result.failed_section == "in_focus"
    assert "case_studies/01-study.md line 4" in result.error
    written = "".join(p.read_text(encoding="utf-8", errors="replace") for p in (tmp_path / "out").rglob("*")
                      if p.is_file() and p.suffix in (".txt", ".html", ".ipynb", ".json", ".csv", ".log"))
    assert "Krasniqi" not in written and "07700" not in written
