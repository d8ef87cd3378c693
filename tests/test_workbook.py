"""tables.xlsx from small table folders, read back with openpyxl cell by cell: numbers as numbers (only withheld
cells are text), readable unique sheet names, a linked Contents sheet, and on every sheet a title, source and
marking above a styled, frozen, filtered table, the marking in the print header and footer."""
from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pytest

from pplib.build import workbook
from pplib.build.workbook import HEADER_ROW, MAX_SHEET_NAME, tables_workbook
from pplib.disclosure.audit import WORKBOOK_HEADER_ROW

TOP = HEADER_ROW + 1  # Excel's row of each table's header


def _folder(tmp_path: Path, tables: dict[str, tuple[str, list[list[str]]]], published: set[str] = frozenset()) -> Path:
    """tables/<file> for {file: (title, rows)}, and captions.csv as pplib.report.section writes it."""
    (tmp_path / "tables").mkdir(parents=True)
    captions = [["file", "table", "caption", "published"]]
    for file, (title, rows) in tables.items():
        with (tmp_path / "tables" / file).open("w", encoding="utf-8", newline="") as handle:
            csv.writer(handle, lineterminator="\n").writerows(rows)
        captions.append([file, title, f"What {title} holds.", "yes" if file in published else "no"])
    with (tmp_path / "tables" / "captions.csv").open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(captions)
    return tmp_path


TYPES = [["primary_type", "crimes", "percent", "year", "code"],
         ["labour", "12", "34.01401863482307", "2023", "007"],
         ["sexual", "[c]", "[c]", "2023", "012"],
         ["'=1+1", "1234", "", "2024", "None"]]


@pytest.fixture
def book(tmp_path) -> openpyxl.Workbook:
    folder = _folder(tmp_path, {"types.csv": ("Recorded crimes by primary exploitation type", TYPES)})
    path = tables_workbook(folder, marking="OFFICIAL-SENSITIVE & PARTNERS", title="Testshire: tables")
    return openpyxl.load_workbook(path)


def test_the_layout_is_the_one_the_audit_reads():
    assert HEADER_ROW == WORKBOOK_HEADER_ROW


def test_numbers_are_numbers_and_only_withheld_cells_are_text(book):
    sheet = book["Crimes by primary expl. type"]
    expected = [["Primary exploitation type", "Crimes", "Percent", "Year", "Code"],  # labelled (pplib.labels)
                ["labour", 12, 34.01401863482307, 2023, "007"],
                ["sexual", "[c]", "[c]", 2023, "012"],
                ["=1+1", 1234, None, 2024, "None"]]  # the CSV's quote taken off; 'None' is text, not blank
    for r, row in enumerate(expected):
        for c, value in enumerate(row):
            cell = sheet.cell(row=TOP + r, column=c + 1)
            assert cell.value == value, (cell.coordinate, cell.value)
            kind = "n" if isinstance(value, (int, float)) else "s" if value is not None else "n"
            assert cell.data_type == kind, (cell.coordinate, cell.data_type)
    assert sheet.cell(row=TOP + 4, column=1).value is None  # nothing below the table
    assert sheet["B6"].number_format == "#,##0" and sheet["C6"].number_format == "#,##0.0"
    assert sheet["D6"].number_format == "0"  # a year: 2023, not 2,023


def test_every_sheet_has_title_source_and_marking_above_a_styled_frozen_filtered_table(book):
    sheet = book["Crimes by primary expl. type"]
    assert sheet["A1"].value == "Recorded crimes by primary exploitation type" and sheet["A1"].font.b
    assert sheet["A2"].value.startswith("What Recorded crimes by primary exploitation type holds.")
    assert "Source: the partnership's own records" in sheet["A2"].value
    assert sheet["A3"].value == "Handling marking: OFFICIAL-SENSITIVE & PARTNERS"
    assert sheet["A4"].hyperlink.location == "'Contents'!A1"
    for cell in sheet[TOP]:
        assert cell.font.b and cell.fill.fgColor.rgb.endswith("DDEBF7"), cell.coordinate
    assert sheet.freeze_panes == f"A{TOP + 1}"
    assert sheet.auto_filter.ref == f"A{TOP}:E{TOP + 3}"
    widths = {c: sheet.column_dimensions[c].width for c in "ABCDE"}
    assert all(8 <= w <= 61 for w in widths.values()), widths
    assert widths["C"] > widths["D"]  # 34.014 is wider than 2023
    assert sheet.print_title_rows == f"${TOP}:${TOP}"


def test_pages_print_landscape_one_page_wide_marked_top_and_bottom(book):
    for sheet in book.worksheets:
        assert sheet.page_setup.orientation == "landscape", sheet.title
        assert sheet.sheet_properties.pageSetUpPr.fitToPage, sheet.title
        assert sheet.page_setup.fitToWidth in (None, 1) and sheet.page_setup.fitToHeight == 0, sheet.title  # 1 is the default
        # '&' is doubled in a page header, or Excel takes it for a control code
        assert sheet.oddHeader.left.text == "OFFICIAL-SENSITIVE && PARTNERS", sheet.title
        assert sheet.oddFooter.left.text == "OFFICIAL-SENSITIVE && PARTNERS", sheet.title
        assert "&P" in sheet.oddFooter.center.text and "&N" in sheet.oddFooter.center.text


def test_the_contents_sheet_links_to_every_sheet_with_its_caption(book):
    contents = book["Contents"]
    assert book.sheetnames[0] == "Contents"
    assert contents["A1"].value == "Testshire: tables"
    assert contents["A3"].value == "Handling marking: OFFICIAL-SENSITIVE & PARTNERS"
    assert [c.value for c in contents[TOP]] == ["Sheet", "Table", "Caption", "CSV file"]
    rows = list(contents.iter_rows(min_row=TOP + 1))
    assert len(rows) == len(book.sheetnames) - 1
    for row, name in zip(rows, book.sheetnames[1:]):
        assert row[0].value == name and row[0].hyperlink.location == f"'{name}'!A1"
        assert row[2].value == f"What {row[1].value} holds."
        assert book[name]["A1"].value == row[1].value


def test_sheet_names_are_shortened_by_words_and_made_unique(tmp_path):
    rows = [["crimes"], ["1"]]
    titles = {"a.csv": "Recorded crimes by year: labour exploitation",
              "b.csv": "Victims by age group: criminal exploitation",
              "c.csv": "Actions: Children",
              "d.csv": "actions: children",  # Excel compares sheet names case-blind
              "e.csv": "Supercalifragilisticexpialidociousnessitudes",
              "f.csv": "Partnership assets by resilience level and function [draft] / v2?",
              "g.csv": "Contents",
              "h.csv": "executive_summary"}  # a name that fits is kept as it is
    folder = _folder(tmp_path, {file: (title, rows) for file, title in titles.items()})
    names = openpyxl.load_workbook(tables_workbook(folder)).sheetnames
    assert names == ["Contents", "Crimes by year - labour expl.", "Victims by age - criminal expl.",
                     "Actions - Children", "actions - children (2)", "Supercalifragilisticexpialidoci",
                     "Partn. assets by resil. level", "Contents (2)", "executive_summary"]
    assert all(len(n) <= MAX_SHEET_NAME for n in names)
    assert len({n.lower() for n in names}) == len(names)


@pytest.mark.parametrize("title", ["Suspects by sex: another type or none recorded",
                                   "Labour exploitation: share of police NRM referrals nationally",
                                   "NRM referrals made by each force per 100,000 population"])
def test_a_shortened_name_ends_on_a_whole_word(title):
    name = workbook._short_name(title)
    assert len(name) <= MAX_SHEET_NAME
    words = set(workbook._clean(title).lower().replace(",", "").split()) | {"expl.", "nrm", "other", "100k", "pop."}
    assert all(word.lower() in words for word in name.split() if word != "-"), name
    assert not name.endswith((" by", " -", " &", " of"))


def test_a_failed_write_leaves_the_old_workbook(tmp_path, monkeypatch):
    folder = _folder(tmp_path, {"types.csv": ("Types", TYPES)})
    path = tables_workbook(folder)
    before = path.read_bytes()
    monkeypatch.setattr(workbook, "_write_table", lambda *a: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        tables_workbook(folder)
    assert path.read_bytes() == before


def test_a_published_table_says_so_and_a_caption_naming_its_source_is_kept(tmp_path):
    folder = _folder(tmp_path, {"a.csv": ("National", [["year", "referrals"], ["2023", "17004"]]),
                                "b.csv": ("Local", [["crimes"], ["3"]])}, published={"a.csv"})
    book = openpyxl.load_workbook(tables_workbook(folder))
    assert book["National"]["A2"].value == "What National holds. Source: published statistics, shown as published."
    assert book["National"]["B6"].value == 17004 and book["National"]["A6"].number_format == "0"
    assert book["Local"]["A2"].value.endswith("Source: the partnership's own records.")


def test_headers_show_labels_not_field_names_and_the_audit_matches_columns_by_position(tmp_path):
    """Each sheet's header row is labelled (pplib.labels) while its CSV keeps the canonical names, column for
    column; the audit reads the sheet's cells under its CSV's names."""
    from pplib import labels
    from pplib.disclosure.audit import Seen, _sheet_grid
    rows = [["age_group", "rate_per_100k", "dtn_reports", "lower", "upper"], ["adult", "34.01401863482307", "7",
                                                                              "30.1", "38.2"]]
    folder = _folder(tmp_path, {"rates.csv": ("Rates by age group", rows)})
    sheet = openpyxl.load_workbook(tables_workbook(folder))["Rates by age group"]
    header = [c.value for c in sheet[TOP]]
    assert header == ["Age group", "Rate per 100,000", "Duty to Notify reports", "95% CI lower", "95% CI upper"]
    assert header == labels.columns(rows[0]) and not any("_" in h for h in header)
    seen = Seen("[c]")
    grid = _sheet_grid(folder, "tables/rates.csv", [header, ["adult", "34.0", "7", "30.1", "38.2"]], "x", seen)
    assert grid.text(0, "dtn_reports") == "7" and not seen.problems
    assert _sheet_grid(folder, "tables/rates.csv", [header[:4], ["adult"]], "x", seen) is None and seen.problems
