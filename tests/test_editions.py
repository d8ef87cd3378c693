"""The partner edition is safe to share: no personal data, no small counts, rule stated, marked, offline."""
import json
import re
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from factories import browser_or_skip

from pplib.build.batch import build
from pplib.config import load_locality
from pplib.disclosure.audit import audit_folder
from pplib.paths import LOCALITIES_DIR
from pplib.records.dataset import load_locality_data
from pplib.records.schemas import SCHEMAS
from pplib.registry import SECTIONS
from pplib.report.section import Section

pytestmark = pytest.mark.slow  # builds reports or runs notebooks: not in the inner loop (-m "not slow")

SLUGS = ("nottinghamshire", "greater-manchester", "dyfed-powys")
MARKER = "[c]"


@pytest.fixture(scope="module")
def partner(tmp_path_factory):
    """Every section of every sample locality in the partner edition: {slug: output folder}."""
    out = tmp_path_factory.mktemp("partner")
    results = build([LOCALITIES_DIR / slug for slug in SLUGS], SECTIONS, out, editions=("partner",), jobs=2)
    assert [r.status for r in results] == ["built"] * len(SLUGS), [r.error for r in results]
    return {r.locality: Path(r.out_dir) for r in results}


def _personal_values(slug: str) -> set[str]:
    """Every planted personal value of the sample: names, dates of birth, references, phone numbers, free text."""
    data = load_locality_data(load_locality(LOCALITIES_DIR / slug))
    values = set()
    for kind in ("crimes", "victims", "suspects", "nrm_referrals", "duty_to_notify"):
        personal = data.personal_fields(kind, "test: checking the partner edition holds none of these")
        for column in SCHEMAS[kind].personal:
            if column in personal:
                values |= {str(v).strip() for v in personal[column].dropna() if len(str(v).strip()) >= 6}
    raw_mo = " ".join(data.personal_fields("crimes", "test")["mo_text"].dropna())
    values |= set(re.findall(r"0\d{3,4} ?\d{3} ?\d{3,4}", raw_mo))  # planted phone numbers
    return values


def _text_of(path: Path) -> str:
    if path.suffix == ".xlsx":
        with zipfile.ZipFile(path) as book:
            return " ".join(book.read(n).decode("utf-8", "ignore") for n in book.namelist() if n.endswith(".xml"))
    return path.read_text(encoding="utf-8", errors="ignore")


def test_no_personal_value_appears_anywhere_in_the_partner_edition(partner, sample_locality):
    values = _personal_values(sample_locality.name)
    assert len(values) > 100  # names, dates of birth, crime and referral references, descriptions...
    files = [p for p in partner[sample_locality.name].rglob("*") if p.is_file()]
    assert any(p.name == "report.html" for p in files) and any(p.suffix == ".xlsx" for p in files)
    for path in files:
        text = _text_of(path)
        leaked = [v for v in values if v in text]
        assert not leaked, f"{path.name} holds personal data: {leaked[:3]}"


def test_the_leak_check_would_see_a_leak(tmp_path):
    values = _personal_values("dyfed-powys")
    planted = tmp_path / "oops.html"
    planted.write_text(f"<p>{sorted(values)[0]}</p>", encoding="utf-8")
    assert any(v in _text_of(planted) for v in values)


def _local_tables(out: Path):
    captions = pd.read_csv(out / "tables" / "captions.csv", dtype=str, keep_default_na=False)
    for row in captions[captions["published"] == "no"].itertuples():
        yield row.table, pd.read_csv(out / "tables" / row.file, dtype=str, keep_default_na=False)


def _count_columns(table: pd.DataFrame) -> list[str]:
    """Columns holding whole numbers or the suppression marker, other than keys and years."""
    counts = []
    for column in table.columns:
        if re.search(r"year|population|quarter|_code|_id|percent|share|rate|lower|upper", column):
            continue
        cells = table[column][table[column] != ""]
        if len(cells) and cells.map(lambda v: v == MARKER or re.fullmatch(r"-?[\d,]+", v) is not None).all():
            counts.append(column)
    return counts


def test_no_local_count_below_the_threshold(partner, sample_locality):
    threshold = load_locality(sample_locality).disclosure.threshold
    checked = 0
    for name, table in _local_tables(partner[sample_locality.name]):
        for column in _count_columns(table):
            numbers = pd.to_numeric(table[column].str.replace(",", ""), errors="coerce").dropna()
            small = numbers[(numbers > 0) & (numbers < threshold)]
            assert small.empty, f"{name}, {column}: {list(small)}"
            checked += 1
    assert checked > 50


def test_every_sample_partner_edition_passes_the_audit(partner, sample_locality):
    """The audit the build ran, run again on the folder as a partner received it."""
    result = audit_folder(partner[sample_locality.name])
    assert result.ok, [str(p) for p in result.problems]
    assert result.suppressed > 0 and result.checked == result.suppressed  # the sample has small counts


def test_no_field_name_or_true_false_column_reaches_a_shown_table(partner, sample_locality):
    """Every <th> of report.html and every header row of tables.xlsx is a label (pplib.labels), no cell shows
    True/False or an unrounded number; the CSVs keep the canonical names."""
    from test_labels import html_problems, workbook_problems
    out = partner[sample_locality.name]
    problems = html_problems((out / "report.html").read_text(encoding="utf-8"), "report.html")
    problems += workbook_problems(out / "tables.xlsx")
    assert not problems, problems[:20]
    assert any("_" in pd.read_csv(f, nrows=0).columns.str.cat() for f in (out / "tables").glob("*.csv"))


def test_each_partner_report_states_the_rule_and_keeps_a_disclosure_log(partner, sample_locality, tmp_path):
    out = partner[sample_locality.name]
    page = (out / "report.html").read_text(encoding="utf-8")
    rule = Section("rule", load_locality(sample_locality), tmp_path, "partner").rule()
    assert rule in page.replace("\n", " ")
    log = pd.read_csv(out / "disclosure_log.csv")
    assert {"table", "cell", "action", "reason"} <= set(log.columns) and len(log) > 0
    assert set(log["action"]) <= {"suppressed (primary)", "suppressed (secondary)", "suppressed (group)"}
    assert not log.duplicated("cell").any(), "one line per protected cell, rewritten on each build"


def test_partner_folder_holds_only_what_was_published(partner, sample_locality):
    """The report, its tables and their metadata; notebooks, logs and quality reports stay in the working
    folder inside the internal edition's (which, for the partner edition, holds no record-level file)."""
    out = partner[sample_locality.name]
    files = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert files == set(json.loads((out / "disclosure" / "metadata.json").read_text(encoding="utf-8"))["files"])
    assert {"report.html", "tables.xlsx", "tables/captions.csv", "disclosure_log.csv", "parameters.json"} <= files
    private = [f for f in files if f.endswith((".ipynb", ".log", ".txt")) or f.startswith(("sections/", "data_"))]
    assert not private
    assert '<p class="pp-audit">Disclosure audit: passed.' in (out / "report.html").read_text(encoding="utf-8")
    quality = {p.name for p in (out.parent / "internal" / "partner-build" / "data_quality").iterdir()}
    assert "ledger.csv" not in quality and "problems.csv" not in quality
    assert {"ledger_summary.csv", "completeness.csv"} <= quality


def test_published_national_figures_are_not_suppressed(partner):
    page = (partner["dyfed-powys"] / "report.html").read_text(encoding="utf-8")
    assert "16,990 potential victims were referred in 2023" in page
    by_quarter = pd.read_csv(partner["dyfed-powys"] / "tables" / "nrm_referrals_made_by_the_force_by_quarter.csv")
    assert (by_quarter["referrals"] < 5).any()  # a published count under the threshold stays as published


def test_partner_report_is_marked_and_renders_offline(partner, tmp_path):
    browser_or_skip()
    report = partner["dyfed-powys"] / "report.html"
    page = report.read_text(encoding="utf-8")
    assert 'pp-marking-top" role="note">OFFICIAL-SENSITIVE<' in page
    assert 'pp-marking-bottom" role="note">OFFICIAL-SENSITIVE<' in page
    from pplib.build.pdf import offline_check
    result = offline_check(report, screenshot=tmp_path / "report.png")
    assert result.ok, str(result)
    charts = [image for image in result.images if "pp-chart" in image.classes]
    assert len(charts) > 20 and all(image.loaded for image in charts)
    assert (tmp_path / "report.png").stat().st_size > 100_000
