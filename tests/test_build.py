"""End to end: papermill runs every section notebook for each sample locality and nbconvert exports HTML."""
import re
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
from factories import crime, make_locality

from pplib import labels
from pplib.build.batch import build
from pplib.build.execute import run_section
from pplib.build.locality import build_locality
from pplib.build.workbook import CONTENTS_COLUMNS, HEADER_ROW
from pplib.config import load_locality
from pplib.measures import counts, national, wording
from pplib.records.dataset import load_locality_data
from pplib.registry import SECTIONS
from pplib.report import findings

pytestmark = pytest.mark.slow  # builds reports or runs notebooks: not in the inner loop (-m "not slow")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Every section of every sample locality, internal edition: {(slug, section): html file}."""
    from conftest import SAMPLE_SLUGS

    from pplib.paths import LOCALITIES_DIR
    out = tmp_path_factory.mktemp("outputs")
    results = build([LOCALITIES_DIR / slug for slug in SAMPLE_SLUGS], SECTIONS, out, editions=("internal",), jobs=2)
    assert [r.status for r in results] == ["built"] * len(SAMPLE_SLUGS), [r.error for r in results]
    return {(r.locality, section): Path(r.out_dir) / "sections" / f"{section}.html"
            for r in results for section in SECTIONS}


# Charts each section draws at least (mapping: one without boundaries, the national map or tile grid).
MIN_CHARTS = {"national_picture": 4, "local_picture": 4, "mapping": 1, "in_focus": 4, "partnership_progress": 2}


def _text(html: str) -> str:
    """What a reader sees: tags, styles and scripts removed."""
    visible = re.sub(r"<(style|script)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", visible))


def _html(built, slug, section):
    return built[(slug, section)].read_text(encoding="utf-8")


def test_local_picture_holds_locality_name_and_numbers_computed_from_data(built, sample_locality):
    text = _text(_html(built, sample_locality.name, "local_picture"))
    data = load_locality_data(load_locality(sample_locality))
    headline = counts.headline_counts(data)
    assert f"{data.locality.name}: 5.2 Local picture" in text
    assert f"{headline['crimes']:,} modern slavery crimes were recorded" in text
    assert f"{headline['victims']:,} victims" in text
    assert "SYNTHETIC DATA" in text
    top_type = counts.crimes_by_type(data).sort_values("crimes", ascending=False).iloc[0]
    # the chart stands for its table on the page: its alt text names the largest (the table is a CSV)
    assert f"highest: {labels.value('primary_type', top_type['primary_type'])} ({top_type['crimes']:,})" in _html(
        built, sample_locality.name, "local_picture")
    table = built[(sample_locality.name, "local_picture")].parent.parent / "tables" / "recorded_crimes_by_primary_exploitation_type.csv"
    assert re.search(rf"^{top_type['primary_type']},{top_type['crimes']},", table.read_text(encoding="utf-8"), re.M)
    for exploitation_type in counts.types_present(data):
        assert findings.type_bullets(data, exploitation_type)[0] in text
    assert f"{data.locality.force.force_name} made " in text and "per 100,000 population (95% CI" in text


def test_national_picture_shows_the_published_figures(built, sample_locality):
    text = _text(_html(built, sample_locality.name, "national_picture"))
    assert "5.1 National picture" in text
    for bullet in national.national_bullets(2023, 2022):
        assert bullet in text


def test_every_page_is_marked_top_and_bottom(built, sample_locality):
    for section in SECTIONS:
        html = _html(built, sample_locality.name, section)
        assert 'pp-marking-band pp-marking-top" role="note">OFFICIAL-SENSITIVE<' in html
        assert 'pp-marking-band pp-marking-bottom" role="note">OFFICIAL-SENSITIVE<' in html


def test_html_hides_code_embeds_charts_and_fetches_nothing(built, sample_locality):
    for section in SECTIONS:
        html = _html(built, sample_locality.name, section)
        assert "open_section(" not in html and "from pplib" not in html
        charts = re.findall(r'<img alt="([^"]+)" class="pp-chart[^"]*" src="data:image/png;base64,', html)
        assert len(charts) >= MIN_CHARTS.get(section, 0)
        assert "<script" not in html
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)


def test_every_table_is_a_csv_and_a_sheet_of_one_workbook(built, sample_locality):
    out = built[(sample_locality.name, "local_picture")].parent.parent
    csvs = {p.name for p in (out / "tables").glob("*.csv")} - {"captions.csv"}
    assert {"recorded_crimes_by_primary_exploitation_type.csv", "sources_used.csv",
            "nrm_referrals_and_duty_to_notify_reports_by_year_uk.csv"} <= csvs
    workbook = openpyxl.load_workbook(out / "tables.xlsx", read_only=True)
    assert workbook.sheetnames[0] == "Contents"
    assert len(workbook.sheetnames) == len(csvs) + 1
    contents = [row for row in workbook["Contents"].iter_rows(values_only=True)][HEADER_ROW:]
    assert contents[0] == CONTENTS_COLUMNS  # under the title, source and marking rows
    assert {row[3] for row in contents[1:]} == csvs
    assert [row[0] for row in contents[1:]] == workbook.sheetnames[1:]


def test_no_field_name_or_true_false_column_reaches_a_shown_table(built, sample_locality):
    """The internal edition's tables: labelled headers in every section's page and every workbook sheet."""
    from test_labels import html_problems, workbook_problems
    out = built[(sample_locality.name, "local_picture")].parent.parent
    problems = workbook_problems(out / "tables.xlsx")
    for page in sorted((out / "sections").glob("*.html")):
        problems += html_problems(page.read_text(encoding="utf-8"), page.name)
    assert not problems, problems[:20]


def test_quality_reports_are_written(built, sample_locality):
    out = built[(sample_locality.name, "local_picture")].parent.parent / "data_quality"
    assert {"ledger.csv", "problems.csv", "completeness.csv", "ledger_summary.csv"} <= {p.name for p in out.iterdir()}


def test_a_locality_with_no_records_in_the_period_renders_plain_statements(tmp_path):
    folder = make_locality(tmp_path / "empty", [crime("A1", "01/01/2019")], [])
    result = build_locality(folder, SECTIONS, tmp_path / "out")
    text = _text((Path(result.out_dir) / "sections" / "local_picture.html").read_text(encoding="utf-8"))
    assert "No modern slavery crimes were recorded between 01 January 2021 and 31 December 2023" in text
    assert "No modern slavery crimes were recorded in the period, so there is no breakdown by type." in text
    assert "Traceback" not in text and "Error" not in text


@pytest.mark.skipif(not shutil.which("chromium"), reason="Debian's chromium package is not installed")
def test_html_opens_in_a_real_browser(built, tmp_path):
    html = built[("nottinghamshire", "local_picture")]
    dom = subprocess.run(
        ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
         f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", html.resolve().as_uri()],
        capture_output=True, text=True, timeout=120, check=True).stdout
    assert "Nottinghamshire: 5.2 Local picture" in dom
    assert "modern slavery crimes were recorded" in dom


def test_parameters_choose_the_years_and_quarters(tmp_path, nottinghamshire):
    national_run = run_section(nottinghamshire, "national_picture", tmp_path, {"year": 2022, "compare_year": 2021})
    text = _text(national_run.html.read_text(encoding="utf-8"))
    assert "16,921 potential victims were referred in 2022, 33% more than in 2021 (12,706)." in text
    local_run = run_section(nottinghamshire, "local_picture", tmp_path,
                            {"compare_from": "2022-Q2", "compare_to": "2022-Q4"})
    text = _text(local_run.html.read_text(encoding="utf-8"))
    assert "NRM referrals in 2022-Q2 to 2022-Q4:" in text


def _chart_titles(html: str) -> list[str]:
    return re.findall(r'<img alt="([^"]+)" class="pp-chart[^"]*" src="data:image/png;base64,', html)


def test_mapping_draws_choropleths_with_the_shared_boundaries(built, sample_locality, shared_boundaries):
    html = _html(built, sample_locality.name, "mapping")
    titles = _chart_titles(html)
    for name in ("local authority district", "community safety partnership", "postcode area"):
        assert f"Recorded modern slavery crimes by {name}" in titles or (  # partnerships that are districts
            name == "community safety partnership" and "covers one district" in _text(html))
    assert "Recorded crimes by primary exploitation type and district" in titles
    assert "Recorded crimes by year and district" in titles
    assert any(t.startswith("NRM referrals made by police forces per 100,000 population") for t in titles)
    assert "Maps not drawn" not in _text(html)


def test_in_focus_covers_each_evident_type(built, sample_locality):
    from pplib.measures import focus
    text = _text(_html(built, sample_locality.name, "in_focus"))
    data = load_locality_data(load_locality(sample_locality))
    for exploitation_type in focus.ranked_types(data):
        title = wording.type_label(exploitation_type).capitalize()
        assert (f"{title}: modus operandi themes" in text or f"{title}, modus operandi themes:" in text
                or "has a description" in text)  # a table, or (four themes or fewer) a sentence
        assert f"{title}: recorded crimes by district" in text or f"{title}, recorded crimes by district:" in text
    assert "County lines: flagged crimes by year" in text or "County lines, flagged crimes by year:" in text
    mo = data.personal_fields("crimes", "test: no description may appear in the report")["mo_text"].dropna()
    assert not any(description[:40] in text for description in mo)


@pytest.mark.parametrize("slug", ["nottinghamshire", "greater-manchester", "dyfed-powys"])
def test_mapping_and_in_focus_render_without_boundaries(slug, tmp_path, no_boundaries):
    from pplib.paths import LOCALITIES_DIR
    result = build_locality(LOCALITIES_DIR / slug, ("mapping", "in_focus"), tmp_path / "out")
    mapping, in_focus = ((Path(result.out_dir) / "sections" / f"{s}.html").read_text(encoding="utf-8")
                         for s in ("mapping", "in_focus"))
    assert "Maps not drawn." in _text(mapping)
    assert _chart_titles(mapping) == ["NRM referrals made by police forces per 100,000 population, 2023-Q1 to 2023-Q4"]
    assert "Recorded crimes by local authority district" in _text(mapping)  # the table stands in for the map
    assert not any("by district" in t for t in _chart_titles(in_focus))


def test_the_faster_export_makes_the_same_page_as_nbconvert_would(built):
    """ProfileExporter skips nbconvert's BeautifulSoup pass and adds its attributes itself: the pages must
    parse to the same document as the stock exporter's, for every section of a real build."""
    import nbformat
    from bs4 import BeautifulSoup
    from nbconvert import HTMLExporter

    from pplib.build.html import TEMPLATES, _exporter
    stock = HTMLExporter(template_name="profile", extra_template_basedirs=[str(TEMPLATES)], exclude_input=True,
                         exclude_input_prompt=True, exclude_output_prompt=True)
    for section in SECTIONS:
        nb = nbformat.read(built[("nottinghamshire", section)].with_suffix(".ipynb"), as_version=4)
        nb.metadata["pplib"] = {"marking": "OFFICIAL-SENSITIVE"}
        ours, theirs = _exporter().from_notebook_node(nb)[0], stock.from_notebook_node(nb)[0]
        assert 'tabindex="0"' in ours
        assert str(BeautifulSoup(ours, "html.parser")) == str(BeautifulSoup(theirs, "html.parser")), section


def test_images_without_alt_text_are_given_nbconvert_s_placeholder():
    from pplib.build.html import _accessible

    class Log:
        warnings = []

        def warning(self, *args):
            self.warnings.append(args)

    log = Log()
    page = _accessible('<div class="jp-OutputArea-output x"><img src="a.png"/><img alt="kept" src="b.png"/></div>', log)
    assert page == ('<div class="jp-OutputArea-output x" tabindex="0"><img alt="No description has been provided '
                    'for this image" src="a.png"/><img alt="kept" src="b.png"/></div>')
    assert log.warnings and log.warnings[0][1] == 1


def test_no_section_prints_warnings_or_errors_into_the_report(built):
    """Anything a section writes to stderr (library warnings, tracebacks) would show in the report."""
    import nbformat
    for (slug, section), page in built.items():
        nb = nbformat.read(page.with_suffix(".ipynb"), as_version=4)
        errors = [o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
                  if o.get("output_type") == "stream" and o.get("name") == "stderr"]
        assert errors == [], (slug, section, errors)


def test_each_section_logs_to_its_own_file_through_the_package_logger_only(built, tmp_path, sample_locality):
    """pplib.log holds the audit trail (personal-field access) with no machine path; the root logger, which
    belongs to whoever runs the notebook, is left as it was."""
    import logging

    from pplib.report.section import open_section
    page = built[(sample_locality.name, "in_focus")]
    log = (page.parent.parent / "pplib.log").read_text(encoding="utf-8")
    assert "personal fields of crimes accessed" in log and str(page.parent) not in log
    root = logging.getLogger()
    before = (list(root.handlers), root.level)
    from pplib.paths import LOCALITIES_DIR
    open_section("test", LOCALITIES_DIR / sample_locality.name, tmp_path / "out")
    assert (list(root.handlers), root.level) == before
    logging.getLogger("pplib.records").warning("a line for the section's log")
    assert "a line for the section's log" in (tmp_path / "out" / "pplib.log").read_text(encoding="utf-8")
