"""Every table of a locality's report in one Excel workbook (partners work in Excel).

Cells are written by type with xlsxwriter: numbers as numbers, text always as a string cell (`write_string`),
so a register entry such as `=HYPERLINK(...)` or `=cmd|' /C calc'!A0` is shown as the text it is and never
becomes a formula or a link. The CSVs it is made from carry such text quoted (pplib.text.csv_cell); the
quote is taken off here, where a string cell needs none.
"""
from __future__ import annotations

import logging
import math
import numbers
import re
from pathlib import Path

import pandas as pd
import xlsxwriter

from pplib.files import replacing
from pplib.text import from_csv_cell

log = logging.getLogger(__name__)

_PLAIN_NUMBER = re.compile(r"^-?(?:0|[1-9]\d*)(?:\.\d+)?$")  # no leading zeros: '007' is a code, not 7
MAX_SHEET_NAME = 31  # Excel's limit
CONTENTS_COLUMNS = ("sheet", "table", "caption", "csv file")
# Belt and braces: even a plain write() would not turn text into a formula or a link.
WORKBOOK_OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}


def _sheet_name(title: str, taken: set[str]) -> str:
    # Excel refuses []:*?/\ in a sheet's name, and an apostrophe at either end.
    base = "".join(c for c in title if c not in "[]:*?/\\")[:MAX_SHEET_NAME].strip().strip("'").strip() or "table"
    name, n = base, 2
    while name.lower() in taken:
        suffix = f" ({n})"
        name, n = base[: MAX_SHEET_NAME - len(suffix)].rstrip("'") + suffix, n + 1
    taken.add(name.lower())
    return name


def _write_cell(sheet, row: int, column: int, value) -> None:
    """One cell by its type: blank, true/false, number, or text (never a formula)."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        sheet.write_blank(row, column, None)
    elif isinstance(value, bool):
        sheet.write_boolean(row, column, value)
    elif isinstance(value, numbers.Real) and math.isfinite(value):  # an infinite rate stays text ("inf")
        sheet.write_number(row, column, value)
    elif isinstance(value, str) and _PLAIN_NUMBER.match(value):  # a count in a column that also holds [c]
        sheet.write_number(row, column, float(value) if "." in value else int(value))
    else:
        sheet.write_string(row, column, str(from_csv_cell(value)))


def _write_table(sheet, frame: pd.DataFrame, header_format) -> None:
    for column, name in enumerate(frame.columns):
        sheet.write_string(0, column, str(from_csv_cell(name)), header_format)
    for row, values in enumerate(frame.itertuples(index=False, name=None), start=1):
        for column, value in enumerate(values):
            _write_cell(sheet, row, column, value.item() if hasattr(value, "item") else value)


def tables_workbook(out_dir: Path, name: str = "tables.xlsx") -> Path | None:
    """Combine out_dir/tables/*.csv into one workbook with a contents sheet; None if there are no tables."""
    tables = out_dir / "tables"
    captions_file = tables / "captions.csv"
    if not captions_file.exists():
        return None
    captions = pd.read_csv(captions_file, dtype=str, keep_default_na=False)
    target = out_dir / name
    taken = {"contents"}
    contents = []
    with replacing(target) as temporary:  # whole or not at all: a killed build leaves the old one (pplib.files)
        book = xlsxwriter.Workbook(str(temporary), WORKBOOK_OPTIONS)  # writes in half the time openpyxl takes
        try:
            header = book.add_format({"bold": True})
            contents_sheet = book.add_worksheet("Contents")  # first sheet; filled below
            for row in captions.itertuples():
                table, caption, csv_file = (from_csv_cell(v) for v in (row.table, row.caption, row.file))
                sheet = _sheet_name(table, taken)
                _write_table(book.add_worksheet(sheet), pd.read_csv(tables / csv_file), header)
                contents.append((sheet, table, caption, csv_file))
            _write_table(contents_sheet, pd.DataFrame(contents, columns=list(CONTENTS_COLUMNS)), header)
        finally:
            book.close()
    log.info("wrote %s (%d tables)", target, len(contents))
    return target
