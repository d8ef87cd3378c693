"""The audit of a partner folder: small folders written by hand pass, and each way of giving a count away,
planted in one, is caught where it is."""
from __future__ import annotations

import csv
import html
import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import xlsxwriter

from pplib.disclosure.audit import WORKBOOK_HEADER_ROW, audit_folder
from pplib.disclosure.cells import key

RULE = {"threshold": 5, "group_threshold": 10, "method": "suppress", "rounding_base": 5, "marker": "[c]"}
TYPES = "tables/types.csv"
SHEET = "tables.xlsx:Types"


@dataclass
class Table:
    file: str
    sheet: str
    header: list[str]
    rows: list[list[str]]
    cells: list[dict] = field(default_factory=list)
    ratios: list[dict] = field(default_factory=list)

    def set(self, row: int, column: str, text: str) -> Table:
        self.rows[row][self.header.index(column)] = text
        return self


def by(dim: str, counts: dict[str, str], total: str | None = None, measure: str = "crimes", name: str = "types",
       shares: dict[str, str] | None = None) -> Table:
    """A table of `measure` by one dimension, a total row 'all' when given, a percent column when `shares`."""
    header = [dim, measure, *(["percent"] if shares is not None else [])]
    table = Table(f"tables/{name}.csv", name.title(), header, [])
    for value, text in [*counts.items(), *([("all", total)] if total is not None else [])]:
        row = len(table.rows)
        cell = key(measure, {dim: value} if value != "all" else {})
        table.rows.append([value, text, *([shares.get(value, "")] if shares is not None else [])])
        table.cells.append({"row": row, "column": measure, "key": cell})
        if shares is not None and value != "all":
            table.ratios.append({"row": row, "column": "percent", "numerator": cell,
                                 "denominator": key(measure), "scale": 100})
    return table


def domains(measure: str = "crimes", **dims: list[str]) -> dict:
    return {"dimensions": {measure: {d: {"values": v, "additive": True} for d, v in dims.items()}},
            "coarsenings": []}


def write_folder(folder: Path, tables: list[Table], doms: dict, spans: list[str] = (), rule: dict | None = None,
                 sheets: list[Table] | None = None) -> Path:
    """A partner folder as the build writes one: CSVs, the workbook (numbers as numbers), the report, the
    metadata declaring every file. `sheets`: what the workbook holds instead of the CSVs' tables."""
    files = []
    for t in tables:
        (folder / t.file).parent.mkdir(parents=True, exist_ok=True)
        with (folder / t.file).open("w", encoding="utf-8", newline="") as handle:
            csv.writer(handle, lineterminator="\n").writerows([t.header, *t.rows])
        files.append(t.file)
    _workbook(folder / "tables.xlsx", sheets or tables)
    page = "<html><body>\n" + "".join(f"<p>{s}</p>\n" for s in spans) + "</body></html>\n"
    (folder / "report.html").write_text(page, encoding="utf-8")
    files += ["tables.xlsx", "report.html", "report.pdf", "disclosure/metadata.json"]  # the PDF is optional
    metadata = {"format": 1, "rule": {**RULE, **(rule or {})}, "files": files, "domains": doms,
                "tables": [{"file": t.file, "title": t.sheet, "origin": "local", "cells": t.cells,
                            "ratios": t.ratios} for t in tables]}
    (folder / "disclosure").mkdir(parents=True, exist_ok=True)
    (folder / "disclosure" / "metadata.json").write_text(json.dumps(metadata), encoding="utf-8")
    return folder


def _workbook(path: Path, tables: list[Table], top: int = WORKBOOK_HEADER_ROW) -> None:
    """As pplib.build.workbook lays one out: title, source, marking and link rows above each sheet's table."""
    book = xlsxwriter.Workbook(path)
    contents = book.add_worksheet("Contents")
    contents.write_column(0, 0, ["Tables", "Every table", "Handling marking: OFFICIAL", ""][:top])
    contents.write_row(top, 0, ["Sheet", "Table", "Caption", "CSV file"])
    for i, t in enumerate(tables, start=top + 1):
        contents.write_row(i, 0, [t.sheet, t.sheet, "a caption", Path(t.file).name])
        sheet = book.add_worksheet(t.sheet)
        sheet.write_column(0, 0, [t.sheet, "a caption", "Handling marking: OFFICIAL", "Back to Contents"][:top])
        for r, row in enumerate([t.header, *t.rows], start=top):
            for c, text in enumerate(row):
                try:
                    sheet.write_number(r, c, float(text))  # read back as 12.0
                except ValueError:
                    sheet.write_string(r, c, text)
    book.close()


def span(cell: str, text: str) -> str:
    return f'<span class="pp-n" data-cell="{html.escape(cell, quote=True)}">{text}</span>'


def sound(shares: dict | None = None) -> Table:
    """A=[c] (3) and B=[c] (20) beside C=1000 and the total 1023: A can be anything up to 23."""
    return by("primary_type", {"A": "[c]", "B": "[c]", "C": "1000"}, "1023",
              shares={"A": "[c]", "B": "[c]", "C": "97.8"} if shares is None else shares)


TYPE_DOMAINS = domains(primary_type=["A", "B", "C"])
SPANS = [f"There were {span(key('crimes'), '1,023')} crimes, {span(key('crimes', {'primary_type': 'A'}), '[c]')} "
         "of type A."]


def problems_at(folder: Path, file: str, row="", column="") -> list[str]:
    return [p.message for p in audit_folder(folder).problems if (p.file, p.row, p.column) == (file, row, column)]


# --- folders that pass ---------------------------------------------------------------------------------------

def test_a_sound_folder_passes(tmp_path):
    result = audit_folder(write_folder(tmp_path, [sound()], TYPE_DOMAINS, SPANS))
    assert result.ok, [str(p) for p in result.problems]
    assert (result.shown, result.suppressed, result.checked) == (2, 2, 2)
    assert result.summary() == ("audit passed: 2 local count cells shown, 2 suppressed, 2 bounded; "
                                "no suppressed cell can be worked out")


# --- the files -----------------------------------------------------------------------------------------------

def test_an_undeclared_file_is_caught_anywhere_in_the_folder(tmp_path):
    folder = write_folder(tmp_path, [sound()], TYPE_DOMAINS, SPANS)
    (folder / "notes.txt").write_text("a victim list", encoding="utf-8")
    (folder / "tables" / "old").mkdir()
    (folder / "tables" / "old" / "x.csv").write_text("a\n", encoding="utf-8")
    result = audit_folder(folder)
    assert [(p.file, p.row, p.column, p.message) for p in result.problems] == [
        ("notes.txt", "", "", "file not declared by the build"),
        ("tables/old/x.csv", "", "", "file not declared by the build")]


def test_missing_or_unreadable_metadata_and_a_missing_table_fail(tmp_path):
    folder = write_folder(tmp_path, [sound()], TYPE_DOMAINS, SPANS)
    (folder / TYPES).unlink()
    assert problems_at(folder, TYPES) == ["declared table is missing"]
    (folder / "disclosure" / "metadata.json").write_text("{not json", encoding="utf-8")
    assert problems_at(folder, "disclosure/metadata.json") == ["metadata is unreadable, so the folder cannot be "
                                                               "audited"]
    (folder / "disclosure" / "metadata.json").unlink()
    assert not audit_folder(folder).ok
    assert problems_at(folder, "disclosure/metadata.json") == ["metadata is missing, so the folder cannot be audited"]


def test_a_blank_declared_count_fails(tmp_path):
    folder = write_folder(tmp_path, [sound().set(2, "crimes", "")], TYPE_DOMAINS, SPANS)
    assert any("declared count cell is blank" in m for m in problems_at(folder, TYPES, 2, "crimes"))


# --- small counts and one cell shown two ways ------------------------------------------------------------------

def test_a_count_of_3_shown_is_caught(tmp_path):
    folder = write_folder(tmp_path, [sound().set(0, "crimes", "3")], TYPE_DOMAINS, SPANS)
    assert any(m.startswith("count of 1 to 4 shown") for m in problems_at(folder, TYPES, 0, "crimes"))


def test_a_cell_shown_in_one_table_and_suppressed_in_another_is_recovered(tmp_path):
    again = by("primary_type", {"B": "20"}, name="again")
    folder = write_folder(tmp_path, [sound(), again], TYPE_DOMAINS, SPANS)
    [message] = problems_at(folder, "tables/again.csv", 0, "crimes")
    assert message.startswith(f"shows a cell that is suppressed at {TYPES}, row 1, column crimes, so it is recovered")


def test_a_cell_shown_with_two_values_is_caught(tmp_path):
    folder = write_folder(tmp_path, [sound()], TYPE_DOMAINS, [*SPANS, span(key("crimes"), "1,024")])
    [message] = problems_at(folder, "report.html", 3, 4)
    assert message.startswith(f"cell shown with a different value than at {TYPES}, row 3, column crimes")


def test_a_workbook_sheet_showing_a_number_where_the_csv_shows_the_marker_is_caught(tmp_path):
    folder = write_folder(tmp_path, [sound()], TYPE_DOMAINS, SPANS, sheets=[sound().set(1, "crimes", "20")])
    assert any(m.startswith(f"shows a cell that is suppressed at {TYPES}, row 1, column crimes")
               for m in problems_at(folder, SHEET, 1, "crimes"))


def test_a_workbook_laid_out_otherwise_is_not_taken_as_holding_its_tables(tmp_path):
    """Tables with their header on the first row, as the workbook was once written: nothing can be matched."""
    folder = write_folder(tmp_path, [sound()], TYPE_DOMAINS, SPANS)
    assert audit_folder(folder).ok
    _workbook(folder / "tables.xlsx", [sound()], top=0)
    assert "sheet is not listed in the Contents sheet, so it cannot be audited" in problems_at(folder, SHEET, "", "")


def test_a_sentence_quoting_a_suppressed_cell_is_caught_at_its_line(tmp_path):
    quote = f"Type B: {span(key('crimes', {'primary_type': 'B'}), '20')}."
    folder = write_folder(tmp_path, [sound()], TYPE_DOMAINS, [*SPANS, quote])
    # line 1 is <html><body>, then one span a line; the span starts after "<p>Type B: " (11 characters)
    assert any(m.startswith(f"shows a cell that is suppressed at {TYPES}, row 1, column crimes")
               for m in problems_at(folder, "report.html", 3, 12))


# --- shares ------------------------------------------------------------------------------------------------

def test_a_percentage_of_a_suppressed_cell_is_caught(tmp_path):
    table = sound()
    table.set(0, "percent", "0.3")
    folder = write_folder(tmp_path, [table], TYPE_DOMAINS, SPANS, sheets=[sound()])
    [message] = problems_at(folder, TYPES, 0, "percent")
    assert message.startswith("share of a suppressed cell shown (crimes|primary_type=A")


def test_a_share_of_a_cell_not_shown_pins_a_suppressed_one(tmp_path):
    """A=[c] (3) of 13: the share of B (76.9%, so 9.99 to 10.00) leaves A 2.99 to 3.01."""
    table = by("primary_type", {"A": "[c]"}, "13")
    share = (f'<span class="pp-r" data-num="{key("crimes", {"primary_type": "B"})}" data-den="{key("crimes")}" '
             'data-scale="100">76.9%</span>')
    doms = domains(primary_type=["A", "B"])
    assert audit_folder(write_folder(tmp_path / "without", [table], doms)).ok
    folder = write_folder(tmp_path / "with", [table], doms, [f"B is {share} of all."])
    [message] = problems_at(folder, TYPES, 0, "crimes")
    assert message.startswith("suppressed cell can be worked out to lie below the threshold of 5")


# --- the attack -------------------------------------------------------------------------------------------

def test_a_single_suppressed_cell_beside_its_total_is_recovered(tmp_path):
    table = by("primary_type", {"A": "10", "B": "[c]"}, "13")
    folder = write_folder(tmp_path, [table], domains(primary_type=["A", "B"]))
    assert problems_at(folder, TYPES, 1, "crimes") == [
        "suppressed cell can be worked out to lie below the threshold of 5 (crimes|primary_type=B)"]


def test_two_suppressed_cells_summing_to_4_are_both_caught(tmp_path):
    table = by("primary_type", {"A": "[c]", "B": "[c]", "C": "30"}, "34")
    result = audit_folder(write_folder(tmp_path, [table], TYPE_DOMAINS))
    assert [(p.row, p.message.split(" (")[0]) for p in result.problems] == [
        (0, "suppressed cell can be worked out to lie below the threshold of 5"),
        (1, "suppressed cell can be worked out to lie below the threshold of 5")]
    assert not any("4" in p.message for p in result.problems), "the bounds (the withheld counts) are not printed"
    assert result.checked == 2 and result.summary().startswith("audit failed: 2 problems;")


def test_a_suppressed_cell_recovered_through_a_linked_table(tmp_path):
    """The cross table and the type totals leave N-B anywhere up to 23; the district totals pin it to 3."""
    cross = Table("tables/cross.csv", "Cross", ["district", "primary_type", "crimes"],
                  [["N", "A", "10"], ["N", "B", "[c]"], ["S", "A", "[c]"], ["S", "B", "[c]"]])
    cross.cells = [{"row": i, "column": "crimes", "key": key("crimes", {"district": d, "primary_type": t})}
                   for i, (d, t, _) in enumerate(cross.rows)]
    types = by("primary_type", {"A": "18", "B": "23"})
    districts = by("district", {"N": "13", "S": "28"}, name="districts")
    doms = {"dimensions": {"crimes": {"district": {"values": ["N", "S"]}, "primary_type": {"values": ["A", "B"]}}}}
    assert audit_folder(write_folder(tmp_path / "two", [cross, types], doms)).ok
    folder = write_folder(tmp_path / "three", [cross, types, districts], doms)
    assert [(p.file, p.row, p.column) for p in audit_folder(folder).problems] == [("tables/cross.csv", 1, "crimes")]


def test_values_that_contradict_each_other_fail(tmp_path):
    table = by("primary_type", {"A": "10", "B": "5"}, "20")
    assert problems_at(write_folder(tmp_path, [table], domains(primary_type=["A", "B"])), ".") == [
        "the values shown contradict each other"]


def test_a_small_group_all_in_one_category_is_caught(tmp_path):
    table = by("sex", {"female": "7", "male": "0"}, "7", measure="victims", name="sex")
    folder = write_folder(tmp_path, [table], domains("victims", sex=["female", "male"]))
    assert problems_at(folder, "tables/sex.csv", 0, "victims") == [
        "all of a group of fewer than 10 are in one category (victims|sex=female)"]
    # a quarter is not personal: all 7 in one quarter gives nobody away (as the planner decides)
    quarters = by("quarter", {"Q1": "7", "Q2": "0"}, "7", measure="victims", name="quarters")
    assert audit_folder(write_folder(tmp_path / "q", [quarters], domains("victims", quarter=["Q1", "Q2"]))).ok


def test_rounded_counts_must_be_multiples_of_the_base_and_keep_no_shares(tmp_path):
    rule = {"method": "round", "rounding_base": 5}
    table = by("primary_type", {"A": "[c]", "B": "10", "C": "12"}, "25", shares={"B": "40.0"})
    result = audit_folder(write_folder(tmp_path, [table], TYPE_DOMAINS, rule=rule))
    assert [(p.row, p.column, p.message) for p in result.problems if p.file == TYPES] == [
        (2, "crimes", "count shown unrounded: not 0 or a multiple of 5 (crimes|primary_type=C)"),
        (1, "percent", "share of a rounded count shown (crimes|primary_type=B)")]
    assert result.checked == 0  # no linear model: rounded totals need not add up
    clean = by("primary_type", {"A": "[c]", "B": "10", "C": "15"}, "30")
    assert audit_folder(write_folder(tmp_path / "clean", [clean], TYPE_DOMAINS, rule=rule)).ok


# --- the command --------------------------------------------------------------------------------------------

def _cli(folder: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pplib.cli", "audit", str(folder)], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parents[1], timeout=120)


@pytest.mark.slow
def test_the_audit_command_exits_0_1_or_2(tmp_path):
    folder = write_folder(tmp_path / "partner", [sound()], TYPE_DOMAINS, SPANS)
    passed = _cli(folder)
    assert passed.returncode == 0 and passed.stdout.startswith("audit passed:"), passed.stderr
    (folder / "notes.txt").write_text("x", encoding="utf-8")
    failed = _cli(folder)
    assert failed.returncode == 1
    assert failed.stdout.splitlines()[0] == "notes.txt: file not declared by the build"
    assert failed.stdout.splitlines()[-1].startswith("audit failed: 1 problem;")
    missing = _cli(tmp_path / "nowhere")
    assert missing.returncode == 2 and "is not a folder" in missing.stderr
