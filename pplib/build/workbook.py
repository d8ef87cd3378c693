"""Every table of a locality's report in one Excel workbook (partners work in Excel).

Cells are written by type with xlsxwriter: numbers as numbers, text always as a string cell (`write_string`),
so a register entry such as `=HYPERLINK(...)` or `=cmd|' /C calc'!A0` is shown as the text it is and never
becomes a formula or a link. The CSVs it is made from carry such text quoted (pplib.text.csv_cell); the
quote is taken off here, where a string cell needs none. A count in a column that also holds "[c]" is a
number too: only withheld cells are text.

Every sheet, Contents included, has the same layout (``LAYOUT``): the table's title, its caption and source,
the handling marking, a link back to the contents, then the table itself with its header on ``HEADER_ROW``
(0-based; Excel row 5), frozen, filtered and repeated on every printed page. The header shows each column's
label (pplib.labels: "Age group", not the CSV's ``age_group``); the columns are the CSV's, in its order. The
disclosure audit (pplib.disclosure.audit) reads the tables from that row, matching columns by position. The marking is also in every printed page's header
and footer; pages print landscape, one page wide.
"""
from __future__ import annotations

import logging
import math
import numbers
import re
from pathlib import Path

import pandas as pd
import xlsxwriter

from pplib import labels
from pplib.files import replacing
from pplib.text import from_csv_cell

log = logging.getLogger(__name__)

# A number as Python and pandas write one; no leading zeros: '007' is a code, not 7.
_PLAIN_NUMBER = re.compile(r"^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:e[-+]?\d+)?$", re.I)
MAX_SHEET_NAME = 31  # Excel's limit
CONTENTS = "Contents"
CONTENTS_COLUMNS = ("Sheet", "Table", "Caption", "CSV file")
# Belt and braces: even a plain write() would not turn text into a formula or a link.
WORKBOOK_OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
# The rows above each table (0-based): title, caption and source, marking, link back; the header follows.
TITLE_ROW, SOURCE_ROW, MARKING_ROW, LINK_ROW, HEADER_ROW = range(5)
LAYOUT = ("title", "source", "marking", "link", "header")
MIN_WIDTH, MAX_WIDTH = 8, 60  # column widths, in characters
# Columns whose whole numbers are years or codes: no thousands separator (2023, not 2,023).
_NO_SEPARATOR = labels.NO_SEPARATOR

# Ways to shorten a table's title to a sheet name, tried in turn until it fits (case-insensitive).
_SHORTER = [(r"\brecorded crimes\b", "crimes"), (r"\banother type or none recorded\b", "other"),
            (r"\bprimary exploitation type and\b", "type and"), (r"\bsector or setting\b", "sector"),
            (r"\bshare of local crimes and NRM referrals\b", "local share"),
            (r"\bshare of police NRM referrals nationally\b", "police NRM share"),
            (r"\bintelligence gaps\b", "intel gaps"), (r"\bNRM referrals\b", "NRM"),
            (r"\bDuty to Notify reports\b", "DtN"), (r"\bDuty to Notify\b", "DtN"), (r"\bage group\b", "age"),
            (r"\blocal authority district\b", "district"), (r"\bcommunity safety partnership\b", "CSP"),
            (r"\bmodus operandi\b", "MO"), (r"\bper 100,000\b", "per 100k"), (r"\bpopulation\b", "pop."),
            (r"\bEngland and Wales\b", "E&W"), (r"\bmost common nationalities of potential victims\b",
            "victim nationalities"), (r"\bpotential victims\b", "victims"), (r"\bresilience\b", "resil."),
            (r"\bexploitation\b", "expl."), (r"\bservitude\b", "serv."), (r"\bpartnership\b", "partn."),
            (r"\bnationally\b", "national"), (r"\band\b", "&"), (r"\b(?:the|of|a|an|made|each)\s+", ""),
            (r",", "")]
_DANGLING = re.compile(r"(?:\s+(?:by|of|and|&|-|the|a|an|in|per))+$", re.I)  # not how a cut name should end


def _clean(title: str) -> str:
    # Excel refuses []:*?/\ in a sheet's name, and an apostrophe at either end.
    return re.sub(r"\s+", " ", "".join(" - " if c == ":" else c for c in title if c not in "[]*?/\\")).strip()


def _cut(name: str, limit: int) -> str:
    """name in at most limit characters, cut after a whole word where there is one."""
    name = name.strip().strip("'").strip()
    if len(name) <= limit:
        return name
    cut = name[:limit + 1].rsplit(" ", 1)[0] if " " in name[:limit + 1] else name[:limit]
    return _DANGLING.sub("", cut[:limit].rstrip(" -&,")).strip("'").strip()


def _same_case(word: str, short: str) -> str:
    """short capitalised as word is: 'Partnership' gives 'Partn.', 'partnership' 'partn.'."""
    return short[:1].upper() + short[1:] if word[:1].isupper() else short


def _short_name(title: str) -> str:
    name = _clean(title)
    for pattern, short in _SHORTER:
        if len(name) <= MAX_SHEET_NAME:
            break
        name = re.sub(r"\s+", " ", re.sub(pattern, lambda m, s=short: _same_case(m.group(0), s), name,
                                           flags=re.I)).strip()
    return _cut(name, MAX_SHEET_NAME) or "table"


def _sheet_name(title: str, taken: set[str]) -> str:
    """A readable sheet name for the table, unique in the workbook (Excel compares names case-blind)."""
    base = _short_name(title)
    name, n = base, 2
    while name.lower() in taken:
        suffix = f" ({n})"
        name, n = _cut(base, MAX_SHEET_NAME - len(suffix)) + suffix, n + 1
    taken.add(name.lower())
    return name


def sheet_names(titles: list[str]) -> list[str]:
    """The sheet each table gets in tables.xlsx, for tables in the order of tables/captions.csv (the
    workbook names them in that order, so a table's sheet depends only on the tables before it)."""
    taken = {CONTENTS.lower()}
    return [_sheet_name(str(from_csv_cell(title)), taken) for title in titles]


def _header_text(marking: str) -> str:
    return marking.replace("&", "&&")  # & starts a control code in Excel's page headers


class _Styles:
    def __init__(self, book):
        self.title = book.add_format({"bold": True, "font_size": 14})
        self.source = book.add_format({"italic": True, "font_color": "#444444"})
        self.marking = book.add_format({"bold": True, "font_color": "#9C0006"})
        self.link = book.add_format({"font_color": "#0563C1", "underline": 1})
        self.header = book.add_format({"bold": True, "bg_color": "#DDEBF7", "bottom": 1, "text_wrap": True,
                                       "valign": "top"})
        self.whole = book.add_format({"num_format": "#,##0"})
        self.decimal = book.add_format({"num_format": "#,##0.0"})  # shown to 1 decimal place, held in full
        self.plain = book.add_format({"num_format": "0"})
        self.withheld = book.add_format({"align": "right"})


def _number(value):
    """The number a cell holds (a count in a column that also holds [c] is read as text), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, numbers.Real) and math.isfinite(value):  # an infinite rate stays text ("inf")
        return value
    if isinstance(value, str) and _PLAIN_NUMBER.match(value):
        number = int(value) if value.lstrip("-").isdigit() else float(value)
        return number if math.isfinite(number) else None
    return None


def _write_cell(sheet, row: int, column: int, value, styles: _Styles | None = None, plain: bool = False) -> int:
    """One cell by its type: blank, true/false, number, or text (never a formula); its width in characters."""
    if value is None or value is pd.NA or value == "" or (isinstance(value, float) and math.isnan(value)):
        sheet.write_blank(row, column, None)
        return 0
    if isinstance(value, bool):
        sheet.write_boolean(row, column, value)
        return 5
    number = _number(value)
    if number is not None:
        whole = float(number).is_integer()
        style = None if styles is None else styles.plain if plain and whole else styles.whole if whole \
            else styles.decimal
        sheet.write_number(row, column, number, style)
        return len(f"{number:,.0f}" if whole else f"{number:,.3f}".rstrip("0"))
    text = str(from_csv_cell(value))
    sheet.write_string(row, column, text, styles.withheld if styles is not None and text == "[c]" else None)
    return max((len(line) for line in text.splitlines()), default=0)


def _write_table(sheet, frame: pd.DataFrame, styles: _Styles) -> None:
    """The table from HEADER_ROW down: styled header, typed cells, widths, frozen header, filter, print titles."""
    widths = []
    for column, name in enumerate(frame.columns):
        label = labels.column(from_csv_cell(name))  # the CSV's canonical name, as a reader reads it
        sheet.write_string(HEADER_ROW, column, label, styles.header)
        widths.append(max(len(word) for word in label.split() or [""]))
        widths[column] = max(widths[column], min(len(label), 24))
    plain = [bool(_NO_SEPARATOR.search(str(name))) for name in frame.columns]
    for row, values in enumerate(frame.itertuples(index=False, name=None), start=HEADER_ROW + 1):
        for column, value in enumerate(values):
            width = _write_cell(sheet, row, column, value.item() if hasattr(value, "item") else value, styles,
                                plain[column])
            widths[column] = max(widths[column], width)
    for column, width in enumerate(widths):
        sheet.set_column(column, column, min(max(width + 2, MIN_WIDTH), MAX_WIDTH))
    last = max(len(frame.columns) - 1, 0)
    sheet.freeze_panes(HEADER_ROW + 1, 0)
    sheet.autofilter(HEADER_ROW, 0, HEADER_ROW + len(frame), last)
    sheet.repeat_rows(HEADER_ROW)
    sheet.print_area(0, 0, HEADER_ROW + len(frame), last)


def _frame_sheet(sheet, title: str, source: str, marking: str, styles: _Styles, link: bool = True) -> None:
    """The rows above the table, and the print setup: landscape, one page wide, the marking top and bottom."""
    sheet.write_string(TITLE_ROW, 0, title, styles.title)
    sheet.write_string(SOURCE_ROW, 0, source, styles.source)
    sheet.write_string(MARKING_ROW, 0, f"Handling marking: {marking}", styles.marking)
    if link:
        sheet.write_url(LINK_ROW, 0, f"internal:'{CONTENTS}'!A1", styles.link, string="Back to Contents")
    sheet.set_row(TITLE_ROW, 20)
    sheet.set_landscape()
    sheet.set_paper(9)  # A4
    sheet.fit_to_pages(1, 0)
    marked = _header_text(marking)
    sheet.set_header(f"&L&\"-,Bold\"{marked}&R&A")
    sheet.set_footer(f"&L&\"-,Bold\"{marked}&CPage &P of &N&R&F")


def _source(caption: str, published: bool) -> str:
    if "source" in caption.lower():
        return caption
    origin = "published statistics, shown as published" if published else "the partnership's own records"
    return f"{caption} Source: {origin}.".strip()


def _read_table(path: Path) -> pd.DataFrame:
    """A CSV as its text, every cell (pandas would read '007' as 7 and a register's 'None' as blank); which
    text is a number is decided cell by cell when it is written."""
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def tables_workbook(out_dir: Path, name: str = "tables.xlsx", marking: str = "OFFICIAL-SENSITIVE",
                    title: str = "Tables") -> Path | None:
    """Combine out_dir/tables/*.csv into one workbook with a contents sheet; None if there are no tables.
    `marking`: the locality's handling marking, on every sheet and printed page; `title`: the report's."""
    tables = out_dir / "tables"
    captions_file = tables / "captions.csv"
    if not captions_file.exists():
        return None
    captions = pd.read_csv(captions_file, dtype=str, keep_default_na=False)
    target = out_dir / name
    taken = {CONTENTS.lower()}
    contents = []
    with replacing(target) as temporary:  # whole or not at all: a killed build leaves the old one (pplib.files)
        book = xlsxwriter.Workbook(str(temporary), WORKBOOK_OPTIONS)  # writes in half the time openpyxl takes
        try:
            styles = _Styles(book)
            contents_sheet = book.add_worksheet(CONTENTS)  # first sheet; filled below
            for row in captions.itertuples():
                table, caption, csv_file = (str(from_csv_cell(v)) for v in (row.table, row.caption, row.file))
                sheet_name = _sheet_name(table, taken)
                sheet = book.add_worksheet(sheet_name)
                _frame_sheet(sheet, table, _source(caption, row.published == "yes"), marking, styles)
                _write_table(sheet, _read_table(tables / csv_file), styles)
                contents.append((sheet_name, table, caption, csv_file))
            _frame_sheet(contents_sheet, title, "Every table of the report, one a sheet (also as CSV files in "
                         "tables/). Select a sheet's name to go to it.", marking, styles, link=False)
            _write_table(contents_sheet, pd.DataFrame(contents, columns=list(CONTENTS_COLUMNS)), styles)
            for row, (sheet_name, *_) in enumerate(contents, start=HEADER_ROW + 1):
                contents_sheet.write_url(row, 0, f"internal:'{sheet_name.replace(chr(39), chr(39) * 2)}'!A1",
                                         styles.link, string=sheet_name)
            contents_sheet.set_column(2, 2, MAX_WIDTH, book.add_format({"text_wrap": True, "valign": "top"}))
            contents_sheet.activate()
        finally:
            book.close()
    log.info("wrote %s (%d tables)", target, len(contents))
    return target
