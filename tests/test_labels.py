"""pplib.labels and the tables the report shows: human headers, no internal flags, readable values, aligned
numbers. ``shown_header_problems`` is also run over built reports and workbooks (tests/test_build.py,
tests/test_editions.py)."""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
from bs4 import BeautifulSoup

from pplib import labels
from pplib.report.section import html_table

# The canonical names a shown header must never be: every one COLUMNS labels, and any with an underscore.
FIELD_NAMES = frozenset(name for name in labels.COLUMNS if labels.COLUMNS[name] != name)


def shown_header_problems(headers, where: str) -> list[str]:
    """What is wrong with headers a reader is shown: a field name, an underscore, an internal flag."""
    problems = []
    for header in headers:
        text = "" if header is None else str(header)
        if "_" in text or text in FIELD_NAMES or text.lower() in labels.HIDDEN:
            problems.append(f"{where}: header {text!r}")
    return problems


def html_problems(page: str, where: str) -> list[str]:
    """Every <th> of every table, and every cell that shows True/False or an unrounded number."""
    soup = BeautifulSoup(page, "html.parser")
    problems = []
    for table in soup.find_all("table"):
        problems += shown_header_problems([th.get_text(strip=True) for th in table.find_all("th")], where)
        for td in table.find_all("td"):
            text = td.get_text(strip=True)
            if text in ("True", "False") or re.fullmatch(r"-?[\d,]*\.\d{2,}", text):
                problems.append(f"{where}: cell {text!r}")
    return problems


def workbook_problems(path: Path) -> list[str]:
    """The header row of every sheet of tables.xlsx, Contents included."""
    import openpyxl

    from pplib.build.workbook import HEADER_ROW
    book = openpyxl.load_workbook(path, read_only=True)
    problems = []
    for sheet in book.worksheets:
        header = next(sheet.iter_rows(min_row=HEADER_ROW + 1, max_row=HEADER_ROW + 1, values_only=True), ())
        problems += shown_header_problems([h for h in header if h is not None], f"{path.name}:{sheet.title}")
    return problems


def test_listed_names_have_their_labels_and_others_fall_back_to_words():
    assert [labels.column(n) for n in ("age_group", "rate_per_100k", "dtn_reports", "primary_type", "lower",
                                       "upper", "area_name")] == [
        "Age group", "Rate per 100,000", "Duty to Notify reports", "Primary exploitation type", "95% CI lower",
        "95% CI upper", "Area"]
    assert labels.column("victims_by_sex") == "Victims by sex"
    assert labels.column("nrm_referrals_uk") == "NRM referrals UK"
    assert labels.column("open High priority actions") == "Open High priority actions"
    assert labels.column("Age group") == "Age group"  # a label is its own label
    assert labels.noun("crimes") == "crimes" and labels.noun("dtn_reports") == "Duty to Notify reports"


def test_values_are_readable_and_numbers_rounded_with_separators():
    assert labels.value("primary_type", "labour") == "Labour exploitation"
    assert labels.value("sex", "female") == "Female" and labels.value("nationality", "Albania") == "Albania"
    assert labels.value("supplied", True) == "Yes" and labels.value("supplied", "False") == "No"
    assert labels.value("description", "free text stays as written") == "free text stays as written"
    assert labels.number("rate_per_100k", 34.01401863482307) == "34.0"
    assert labels.number("crimes", 5135) == "5,135" and labels.number("crimes", "5135") == "5,135"
    assert labels.number("crimes", 12.0) == "12" and labels.number("percent", 12.0, decimal=True) == "12.0"
    assert labels.number("year", 2023) == "2023" and labels.number("area_code", "007") == "007"
    assert labels.number("crimes", "[c]") == "[c]" and labels.number("crimes", None) == ""
    assert labels.number("crimes", pd.NA) == "" and labels.number("crimes", float("nan")) == ""


def test_a_shown_table_has_labels_no_flags_and_aligned_rounded_cells():
    frame = pd.DataFrame({"primary_type": ["labour", "sexual"], "crimes": [1234.0, None],
                          "rate_per_100k": [34.01401863482307, 2.0], "year": [2023, 2024],
                          "suppressed": [False, True]})
    page = html_table(frame, "Crimes by type", "A caption & more.")
    soup = BeautifulSoup(page, "html.parser")
    assert soup.caption.get_text() == "Table: Crimes by type. A caption & more."
    assert [th.get_text() for th in soup.find_all("th")] == ["Primary exploitation type", "Crimes",
                                                            "Rate per 100,000", "Year"]
    rows = [[td.get_text() for td in tr.find_all("td")] for tr in soup.tbody.find_all("tr")]
    assert rows == [["Labour exploitation", "1,234", "34.0", "2023"], ["Sexual exploitation", "", "2.0", "2024"]]
    classes = [th["class"] for th in soup.find_all("th")]
    assert classes == [["pp-text"], ["pp-num"], ["pp-num"], ["pp-num"]]
    assert all(td["class"] == (["pp-text"] if i == 0 else ["pp-num"])
               for tr in soup.tbody.find_all("tr") for i, td in enumerate(tr.find_all("td")))
    assert not html_problems(page, "table")


def test_the_checks_would_see_a_field_name_a_flag_and_a_raw_number():
    raw = pd.DataFrame({"age_group": ["adult"], "x": ["True"], "y": ["34.01401863482307"]}).to_html(index=False)
    assert html_problems(raw, "raw") == ["raw: header 'age_group'", "raw: cell 'True'", "raw: cell '34.01401863482307'"]
    assert shown_header_problems(["Sex", "suppressed", "Rate per 100,000"], "w") == ["w: header 'suppressed'"]
