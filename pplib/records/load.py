"""Read a locality's source files into canonical frames.

Each source is read as text exactly as exported (CSV or Excel, title rows,
odd encodings), its columns renamed to canonical names through the locality
configuration, and every row keeps `source_row`: the row number the user sees
when they open the file in Excel, so every message can point at it.
"""
from __future__ import annotations

import codecs
import csv
import difflib
import io
import logging
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pplib.config import Locality, Source
from pplib.records.schemas import SCHEMAS

log = logging.getLogger(__name__)

EXCEL_SUFFIXES = (".xlsx", ".xlsm")
CSV_SUFFIXES = (".csv", ".txt")
HEADER_SEARCH_ROWS = 30
# Tried in order when the configuration names no encoding: UTF-8 (with or without
# BOM) is what modern exports write; Windows-1252 is what older Excel on Windows writes.
FALLBACK_ENCODINGS = ("utf-8-sig", "cp1252")


class SourceError(ValueError):
    """An input file that cannot be used; the message names the file and what was expected."""


@dataclass
class LoadedSource:
    kind: str
    path: Path
    frame: pd.DataFrame  # canonical columns (text) + source_row
    rows_read: int  # every row below the header, blank ones included
    header_row: int  # as numbered in Excel
    encoding: str | None
    columns: dict[str, str]  # canonical -> name in the file


def _encoding(path: Path, data: bytes, configured: str | None) -> str:
    """The encoding the file's bytes are read in: the configured one, else the first fallback they decode in."""
    if configured:
        problem = _decode_problem(data, configured)
        if problem is None:
            return configured
        guess = next((e for e in FALLBACK_ENCODINGS if _decode_problem(data, e) is None), None)
        hint = f"; it reads as {guess}: set `encoding: {guess}`" if guess else ""
        raise SourceError(f"{path}: cannot be read as {configured} ({problem}){hint}")
    for candidate in FALLBACK_ENCODINGS:
        if _decode_problem(data, candidate) is None:
            return candidate
    raise SourceError(f"{path}: not text in UTF-8 or Windows-1252; save it as CSV UTF-8 from Excel")


DECODE_CHUNK = 1 << 20


def _decode_problem(data: bytes, encoding: str) -> str | None:
    """Why the bytes are not text in `encoding`, or None. Decoded a megabyte at a time and thrown away: a
    decoded copy of a whole extract can take four times its size."""
    try:
        decoder = codecs.getincrementaldecoder(encoding)()
    except LookupError as exc:
        return str(exc)
    for offset in range(0, len(data) or 1, DECODE_CHUNK):
        try:
            decoder.decode(data[offset:offset + DECODE_CHUNK], final=offset + DECODE_CHUNK >= len(data))
        except UnicodeDecodeError as exc:
            return f"byte {data[offset + exc.start]:#04x} at byte {offset + exc.start:,}: {exc.reason}"
    return None


def _read_grid(path: Path, source: Source) -> tuple[pd.DataFrame, str | None]:
    """The whole sheet or CSV as a grid of cells, no header interpreted yet."""
    suffix = path.suffix.lower()
    if path.stat().st_size == 0:
        raise SourceError(f"{path}: the file is empty (0 bytes)")
    if suffix in EXCEL_SUFFIXES:
        try:
            # calamine: a tenth of the time openpyxl takes, with the same cells (pandas will make it the default)
            grid = pd.read_excel(path, sheet_name=source.sheet or 0, header=None, dtype=object, engine="calamine")
        except ValueError as exc:  # unknown sheet name
            raise SourceError(f"{path}: {exc}") from None
        return grid, None
    if suffix in CSV_SUFFIXES:
        data = path.read_bytes()
        encoding = _encoding(path, data, source.encoding)
        return _csv_grid(data, encoding), encoding
    raise SourceError(f"{path}: unsupported file type '{suffix}'; expected .csv or .xlsx")


def _csv_grid(data: bytes, encoding: str) -> pd.DataFrame:
    """Every line of a CSV as a row (blank ones too, so row numbers match Excel's), padded with "" to the
    widest: title rows above the header have fewer fields than the data. The widest row is found by a
    pass of the csv module that keeps nothing; pandas' parser then reads the cells from the bytes, sharing
    one string object between equal values (a million-row extract repeats its values endlessly)."""
    def text():
        return io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline="")
    width = max((len(row) for row in csv.reader(text())), default=0)
    if width == 0:
        return pd.DataFrame()
    grid = pd.read_csv(text(), header=None, names=range(width), dtype=object, na_filter=False,
                       keep_default_na=False, skip_blank_lines=False, engine="c")
    return grid.fillna("")


def _cell_text(value) -> str:
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value).strip()


def _find_header(grid: pd.DataFrame, wanted: set[str], path: Path) -> int:
    """0-based index of the row holding most of the expected column names."""
    best, best_hits = 0, -1
    for i in range(min(HEADER_SEARCH_ROWS, len(grid))):
        hits = len(wanted & {_cell_text(v) for v in grid.iloc[i]})
        if hits > best_hits:
            best, best_hits = i, hits
    if wanted and best_hits < max(1, len(wanted) // 2):
        best = next((i for i in range(len(grid)) if any(_cell_text(v) for v in grid.iloc[i])), 0)
    return best


def _missing_columns_message(path: Path, kind: str, missing: dict[str, str], found: list[str],
                             header_row: int) -> str:
    lines = [f"{path}: {kind}: expected column(s) not found in the header (row {header_row}):"]
    for canonical, name in missing.items():
        close = difflib.get_close_matches(name, found, n=1, cutoff=0.5)
        hint = f"; closest match '{close[0]}'" if close else ""
        lines.append(f"  - '{name}' (for {canonical}){hint}")
    lines.append(f"  found: {', '.join(repr(f) for f in found if f)}")
    return "\n".join(lines)


def read_source(path: Path, kind: str, source: Source) -> LoadedSource:
    grid, encoding = _read_grid(path, source)
    if grid.empty:
        raise SourceError(f"{path}: the file has no header row and no data")
    wanted = set(source.columns.values())
    header = source.header_row - 1 if source.header_row else _find_header(grid, wanted, path)
    if header >= len(grid):
        raise SourceError(f"{path}: header_row {header + 1} is past the end of the file ({len(grid)} rows)")
    names = [_cell_text(v) for v in grid.iloc[header]]
    schema = SCHEMAS[kind]
    missing = {canon: col for canon, col in source.columns.items() if col not in names}
    unmapped_required = [c for c in schema.required if c not in source.columns]
    if unmapped_required:
        raise SourceError(f"{path}: {kind}: the configuration maps no column to required "
                          f"{', '.join(unmapped_required)}; add it under sources.{kind}.columns")
    if missing:
        raise SourceError(_missing_columns_message(path, kind, missing, names, header + 1))
    body = grid.iloc[header + 1:].copy()
    body.columns = names
    position = {canon: names.index(col) for canon, col in source.columns.items()}
    frame = pd.DataFrame({canon: body.iloc[:, idx].to_numpy() for canon, idx in position.items()},
                         index=body.index)
    frame = frame.reindex(columns=schema.names)
    frame.insert(0, "source_row", body.index + 1)  # grid index 0 is Excel row 1
    log.info("%s: read %d rows from %s (header on row %d)", kind, len(frame), path.name, header + 1)
    return LoadedSource(kind, path, frame.reset_index(drop=True), len(frame), header + 1, encoding,
                        dict(source.columns))


def load_source(locality: Locality, kind: str) -> LoadedSource:
    """Load one configured source into its canonical columns (unmapped optional columns are empty)."""
    return read_source(locality.source_path(kind), kind, locality.sources[kind])
