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
from array import array
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from pplib.config import Locality, Source
from pplib.records import clean
from pplib.records.schemas import SCHEMAS

log = logging.getLogger(__name__)

EXCEL_SUFFIXES = (".xlsx", ".xlsm")
CSV_SUFFIXES = (".csv", ".txt")
HEADER_SEARCH_ROWS = 30
# Tried in order when the configuration names no encoding: UTF-8 (with or without
# BOM) is what modern exports write; Windows-1252 is what older Excel on Windows writes.
FALLBACK_ENCODINGS = ("utf-8-sig", "cp1252")


class SourceError(ValueError):
    """An input file that cannot be used; the message names the file, where in it (row, line, column) and
    what was expected. It never quotes a value read from the file: only column names."""


@dataclass
class LoadedSource:
    kind: str
    path: Path
    frame: pd.DataFrame  # canonical columns (text) + source_row
    rows_read: int  # every row below the header, blank ones included
    header_row: int  # as numbered in Excel
    encoding: str | None
    columns: dict[str, str]  # canonical -> name in the file
    malformed: dict[int, str] = field(default_factory=dict)  # source_row -> why the row cannot be read


def _encoding(path: Path, data: bytes | Path, configured: str | None) -> str:
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


def _decode_problem(data: bytes | Path, encoding: str) -> str | None:
    """Why the bytes (or the file's) are not text in `encoding`, or None. Decoded a megabyte at a time and
    thrown away: a decoded copy of a whole extract can take four times its size."""
    try:
        decoder = codecs.getincrementaldecoder(encoding)()
    except LookupError as exc:
        return str(exc)
    offset = 0
    for chunk, last in _chunks(data):
        try:
            decoder.decode(chunk, final=last)
        except UnicodeDecodeError as exc:
            return f"byte {_byte_at(data, offset + exc.start):#04x} at byte {offset + exc.start:,}: {exc.reason}"
        offset += len(chunk)
    return None


def _byte_at(data: bytes | Path, position: int) -> int:
    if isinstance(data, Path):
        with data.open("rb") as handle:
            handle.seek(position)
            return handle.read(1)[0]
    return data[position]


def _chunks(data: bytes | Path):
    """(chunk, is it the last) a megabyte at a time, from bytes or straight from a file (never all of it held)."""
    if isinstance(data, Path):
        with data.open("rb") as handle:
            chunk = handle.read(DECODE_CHUNK)
            while True:
                following = handle.read(DECODE_CHUNK)
                yield chunk, not following
                if not following:
                    return
                chunk = following
    for offset in range(0, len(data) or 1, DECODE_CHUNK):
        yield data[offset:offset + DECODE_CHUNK], offset + DECODE_CHUNK >= len(data)


@dataclass
class CsvLayout:
    """Per CSV record (an Excel row; a quoted field may span lines): its field count, first and last line."""
    fields: array
    lines: array
    ends: array


# File signatures: a workbook is a zip (xlsx, xlsm); an encrypted workbook or an old .xls is an OLE2 file.
ZIP_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _read_grid(path: Path, source: Source) -> tuple[pd.DataFrame, str | None, CsvLayout | None]:
    """The whole sheet or CSV as a grid of cells, no header interpreted yet."""
    suffix = path.suffix.lower()
    if path.is_dir():
        raise SourceError(f"{path}: is a folder, not a file; set `path:` to the file inside it")
    if path.stat().st_size == 0:
        raise SourceError(f"{path}: the file is empty (0 bytes)")
    if suffix in EXCEL_SUFFIXES:
        return _excel_grid(path, source), None, None
    if suffix in CSV_SUFFIXES:
        with path.open("rb") as handle:
            head = handle.read(len(OLE2_MAGIC))
        if head.startswith((ZIP_MAGIC, OLE2_MAGIC)):
            raise SourceError(f"{path}: is an Excel workbook saved with a {suffix} name, not CSV text; "
                              "name it .xlsx, or save it from Excel as CSV UTF-8")
        # read from the file at each step, never held whole: a million-row extract is hundreds of megabytes
        encoding = _encoding(path, path, source.encoding)
        delimiter = source.delimiter or ","
        layout = _csv_layout(path, path, encoding, delimiter)
        return _csv_grid(path, encoding, layout, delimiter), encoding, layout
    raise SourceError(f"{path}: unsupported file type '{suffix}'; expected .csv or .xlsx")


def _excel_grid(path: Path, source: Source) -> pd.DataFrame:
    with path.open("rb") as handle:
        head = handle.read(8)
    if head.startswith(OLE2_MAGIC):
        raise SourceError(f"{path}: is password-protected (encrypted), or an old .xls workbook with an .xlsx "
                          "name; remove the password, or save it from Excel as .xlsx")
    if not head.startswith(ZIP_MAGIC):
        raise SourceError(f"{path}: is not an Excel workbook (.xlsx files are zip archives; this one is not): "
                          "it may be another kind of file renamed; save it from Excel as .xlsx or CSV")
    try:
        # calamine: a tenth of the time openpyxl takes, with the same cells (pandas will make it the default)
        return pd.read_excel(path, sheet_name=source.sheet or 0, header=None, dtype=object, engine="calamine")
    except ValueError as exc:  # unknown sheet name
        raise SourceError(f"{path}: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - calamine's errors name neither the file nor the cause
        raise SourceError(f"{path}: the workbook is damaged and cannot be read ({type(exc).__name__}: {exc}); "
                          "open it in Excel and save it again as .xlsx") from None


def _csv_text(data: bytes | Path, encoding: str) -> io.TextIOWrapper:
    if isinstance(data, Path):
        return data.open(encoding=encoding, newline="")
    return io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline="")


def _csv_layout(path: Path, data: bytes | Path, encoding: str, delimiter: str = ",") -> CsvLayout:
    """Each record's field count and first line, read strictly: a quote that is never closed, or text
    after a closing quote, fails here with its line rather than silently joining or shifting rows."""
    plain = _plain_csv_layout(data, encoding, delimiter)
    return plain if plain is not None else _strict_csv_layout(path, data, encoding, delimiter)


def _strict_csv_layout(path: Path, data: bytes | Path, encoding: str, delimiter: str) -> CsvLayout:
    """The layout as the csv module reads it, record by record (and its error, with the line, if any)."""
    layout, line = CsvLayout(array("l"), array("l"), array("l")), 1
    fields, lines, ends = layout.fields.append, layout.lines.append, layout.ends.append  # the loop runs per row
    with _csv_text(data, encoding) as text:
        reader = csv.reader(text, strict=True, delimiter=delimiter)
        try:
            for row in reader:
                fields(len(row))
                lines(line)
                line = reader.line_num + 1
                ends(line - 1)
        except csv.Error as exc:
            raise SourceError(_quoting_message(path, line, reader.line_num, str(exc))) from None
    return layout


# Encodings (as codecs names them) in which the bytes of '"', CR, LF, NUL and an ASCII delimiter only ever
# stand for those characters: what the file's bytes say about its layout is what its text says.
PLAIN_ENCODINGS = {"utf-8", "utf-8-sig", "cp1252", "iso8859-1", "ascii"}
QUOTE, LF, CR, NUL = b'"'[0], b"\n"[0], b"\r"[0], 0
UTF8_BOM = codecs.BOM_UTF8


def _plain_csv_layout(data: bytes | Path, encoding: str, delimiter: str) -> CsvLayout | None:
    """The layout worked out from the bytes a megabyte at a time with numpy (a tenth of the csv module's time),
    when the file is plain CSV: every quote opens a field, closes it or is doubled inside it, lines end in LF
    or CR LF, no NUL, no field near the csv module's size limit. For such a file the csv module reads exactly
    this; anything else gives None, and the csv module reads it (and names what is wrong)."""
    if codecs.lookup(encoding).name not in PLAIN_ENCODINGS or len(delimiter) != 1 or ord(delimiter) > 127 \
            or delimiter in '"\r\n\0':
        return None
    layout, line, carry = CsvLayout(array("l"), array("l"), array("l")), 1, b""
    bom = UTF8_BOM if codecs.lookup(encoding).name == "utf-8-sig" else b""  # the decoder drops it
    for chunk, last in _chunks(data):
        block = carry + chunk
        if bom and len(block) < len(bom) and not last:
            carry = block  # too short yet to tell whether the file opens with one
            continue
        if bom:
            block, bom = block.removeprefix(bom), b""
        if last and block and not block.endswith(b"\n"):
            block += b"\n"  # the last line, unterminated, is a line like the others
        read = _plain_records(block, ord(delimiter), layout, line)
        if read is None:
            return None
        used, lines = read
        carry, line = block[used:], line + lines
    return None if carry else layout  # bytes left over: a quote still open at the end of the file


def _plain_records(block: bytes, delimiter: int, layout: CsvLayout, line: int) -> tuple[int, int] | None:
    """Append the layout of the whole records in `block` (which starts where a record starts) to `layout`;
    (bytes, lines) they take, or None if the bytes are not plain CSV. Quotes are few: a separator or a line
    end is inside a quoted field when an odd number of quotes comes before it in the block."""
    data = np.frombuffer(block, np.uint8)
    quotes = np.flatnonzero(data == QUOTE)
    breaks = np.flatnonzero(data == LF)
    ends = breaks[np.searchsorted(quotes, breaks) % 2 == 0]
    if not len(ends):
        return 0, 0  # one record longer than the block: wait for more
    size = int(ends[-1]) + 1
    data, quotes, breaks = data[:size], quotes[quotes < size], breaks[breaks < size]
    starts = np.r_[0, ends[:-1] + 1]
    if not _plain_bytes(data, quotes, delimiter) or (ends - starts).max() >= csv.field_size_limit():
        return None  # a record that long may hold a field past the csv module's limit: it decides
    separators = np.flatnonzero(data == delimiter)
    separators = separators[np.searchsorted(quotes, separators) % 2 == 0]
    fields = np.searchsorted(separators, ends) - np.searchsorted(separators, starts) + 1
    length = ends - starts
    fields[(length == 0) | ((length == 1) & (data[starts] == CR))] = 0  # a blank line: no field at all
    item = np.dtype(f"i{layout.fields.itemsize}")
    layout.fields.frombytes(fields.astype(item).tobytes())
    layout.lines.frombytes((line + np.searchsorted(breaks, starts)).astype(item).tobytes())
    layout.ends.frombytes((line + np.searchsorted(breaks, ends)).astype(item).tobytes())
    return size, len(breaks)


def _plain_bytes(data: np.ndarray, quotes: np.ndarray, delimiter: int) -> bool:
    """Quotes only where the csv module reads them as quoting (an opening one, the 1st, 3rd... in the block,
    at a field's start; a closing one before a separator, a line end or its double), a CR only before an LF,
    and no NUL. `data` starts a record and ends in LF."""
    before = data[quotes[0::2] - 1]  # at 0: data[-1], the LF that ends the block, as at any line's start
    after = data[quotes[1::2] + 1]  # never past the end: the last byte is an LF
    returns = np.flatnonzero(data == CR)
    return bool(np.isin(before, (delimiter, LF, QUOTE)).all() and np.isin(after, (delimiter, CR, LF, QUOTE)).all()
                and (data[returns + 1] == LF).all() and not (data == NUL).any())


def _quoting_message(path: Path, start: int, end: int, problem: str) -> str:
    if "field larger than field limit" in problem:
        return (f"{path}: line {start}: a field is longer than {csv.field_size_limit():,} characters, more than "
                "any real cell; usually a quote opened there is never closed: check the quotes on that line")
    if "unexpected end of data" in problem:
        return (f"{path}: line {start}: a quote opened on this line is never closed (the file ends inside it); "
                "every quote inside a field must be doubled (\"\")")
    return (f"{path}: line {end}: a closing quote is followed by more text in the same field ({problem}); "
            "every quote inside a field must be doubled (\"\"), or the field not quoted")


def _csv_grid(data: bytes | Path, encoding: str, layout: CsvLayout | None = None,
              delimiter: str = ",") -> pd.DataFrame:
    """Every record of a CSV as a row (blank ones too, so row numbers match Excel's), padded with "" to the
    widest: title rows above the header have fewer fields than the data. pandas' parser reads the cells
    from the bytes, sharing one string object between equal values (a million-row extract repeats its
    values endlessly)."""
    layout = layout or _csv_layout(Path("(csv)"), data, encoding, delimiter)
    width = max(layout.fields, default=0)
    if width == 0:
        return pd.DataFrame()
    with _csv_text(data, encoding) as text:
        grid = pd.read_csv(text, sep=delimiter, header=None, names=range(width), dtype=object, na_filter=False,
                           keep_default_na=False, skip_blank_lines=False, engine="c")
    if min(layout.fields) == width:
        return grid  # no record shorter than the widest: no gaps to pad
    padded = grid.columns[grid.isna().any()]
    return grid.fillna(dict.fromkeys(padded, ""))


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


def column_letter(index: int) -> str:
    """Excel's name of a 0-based column: 0 -> A, 27 -> AB."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _missing_columns_message(path: Path, kind: str, mapped: dict[str, str], missing: dict[str, str],
                             found: list[str], header_row: int, hint_row: int | None) -> str:
    """Which mapped columns the header lacks. The header's own cells are quoted (closest match, what was
    found) only when the row holds at least one mapped name: otherwise it is a data row, whose values
    must not reach a message."""
    looks_like_header = len(missing) < len(mapped)
    lines = [f"{path}: {kind}: expected column(s) not found in the header (row {header_row}):"]
    for canonical, name in missing.items():
        close = difflib.get_close_matches(name, found, n=1, cutoff=0.5) if looks_like_header else []
        hint = f"; closest match '{close[0]}'" if close else ""
        lines.append(f"  - '{name}' (for {canonical}){hint}")
    if looks_like_header:
        lines.append(f"  found: {', '.join(repr(f) for f in found if f)}")
    else:
        lines.append(f"  row {header_row} holds none of the mapped column names, so it is not the header "
                     "(its cells are not shown: they may be data)")
    if hint_row is not None:
        lines.append(f"  the mapped names are on row {hint_row}: set `header_row: {hint_row}`")
    return "\n".join(lines)


def _row_with_names(grid: pd.DataFrame, wanted: set[str]) -> int | None:
    """1-based row, among the first rows, holding most of the mapped names (None if none holds half)."""
    best = _find_header(grid, wanted, Path())
    hits = len(wanted & {_cell_text(v) for v in grid.iloc[best]})
    return best + 1 if hits >= max(1, len(wanted) // 2) else None


def _check_duplicate_headers(path: Path, names: list[str], columns: dict[str, str], header_row: int) -> None:
    """A mapped name the header holds twice: which column is meant cannot be known."""
    for canonical, name in columns.items():
        where = [column_letter(i) for i, n in enumerate(names) if n == name]
        if len(where) > 1:
            raise SourceError(f"{path}: row {header_row}: column name '{name}' (mapped to {canonical}) appears "
                              f"{len(where)} times, in columns {', '.join(where)}; rename all but one in the file")


def _malformed_rows(path: Path, grid: pd.DataFrame, layout: CsvLayout | None, header: int) -> dict[int, str]:
    """source_row -> reason, for CSV records below the header whose field count is not the header's. A
    record spanning lines with the wrong count is a quote left open: the rows it swallowed cannot be
    recovered one by one, so the load fails; a one-line record is rejected with its line."""
    if layout is None:
        return {}
    width = layout.fields[header]
    named = max((i + 1 for i, v in enumerate(grid.iloc[header, :width]) if _cell_text(v)), default=width)
    bad = {}
    for index in range(header + 1, len(layout.fields)):
        count = layout.fields[index]
        if count in (0, width) or named <= count < width or _only_blank_extras(grid, index, width, count):
            continue  # a blank line (a blank row), or trailing separators on the header or on this row
        line = layout.lines[index]
        if layout.ends[index] > line:
            raise SourceError(f"{path}: line {line} (row {index + 1}): a quoted field opened here runs over "
                              f"several lines and the row ends with {count} fields where the header has "
                              f"{width}: a quote is probably not closed; fix the quotes on line {line}")
        bad[index + 1] = (f"{path.name} row {index + 1} (line {line}): {count} fields where the header has "
                          f"{width} (a separator or a quote is missing or extra); the row is not read")
    return bad


def _only_blank_extras(grid: pd.DataFrame, index: int, width: int, count: int) -> bool:
    return count > width and not any(_cell_text(v) for v in grid.iloc[index, width:count])


def read_source(path: Path, kind: str, source: Source) -> LoadedSource:
    grid, encoding, layout = _read_grid(path, source)
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
    _check_duplicate_headers(path, names, source.columns, header + 1)
    if missing:
        hint = _row_with_names(grid, wanted)
        raise SourceError(_missing_columns_message(path, kind, source.columns, missing, names, header + 1,
                                                   hint if hint != header + 1 else None))
    malformed = _malformed_rows(path, grid, layout, header)
    frame = _mapped_columns(grid, header, names, source.columns)
    del grid  # a million-row grid is a few hundred MB: not held through the checks below
    frame = frame.reindex(columns=schema.names)
    frame.insert(0, "source_row", frame.index + 1)  # grid index 0 is Excel row 1
    if layout is not None:
        _check_line_breaks(path, kind, frame, source.columns, layout)
    _check_date_conventions(path, kind, frame, source.columns, malformed, source.dayfirst)
    if not source.dayfirst:  # month-first text dates become ISO once, here: every later step reads them as written
        for field_ in SCHEMAS[kind].fields:
            if field_.kind == "date" and field_.name in source.columns:
                frame[field_.name] = clean.by_value(frame[field_.name], clean.month_first_as_iso)
    log.info("%s: read %d rows from %s (header on row %d)", kind, len(frame), path.name, header + 1)
    return LoadedSource(kind, path, frame.reset_index(drop=True), len(frame), header + 1, encoding,
                        dict(source.columns), malformed)


def _mapped_columns(grid: pd.DataFrame, header: int, names: list[str], columns: dict[str, str]) -> pd.DataFrame:
    """The rows below the header, in the mapped columns under their canonical names (taken straight from the
    grid: one copy of each column, not of the grid first)."""
    body = grid.iloc[header + 1:]
    return pd.DataFrame({canon: body.iloc[:, names.index(name)].to_numpy() for canon, name in columns.items()},
                        index=body.index)


def _check_line_breaks(path: Path, kind: str, frame: pd.DataFrame, columns: dict[str, str],
                       layout: CsvLayout) -> None:
    """A line break inside a CSV field belongs in free text (modus operandi, descriptions). Anywhere else it
    is a quote left open that swallowed the next lines into one field, even when the field count still
    matches: refused, naming the line where the quote opened."""
    frame = frame[_spans_lines(frame["source_row"].to_numpy(), layout)]  # only these can hold a line break
    for field_ in SCHEMAS[kind].fields:
        if field_.kind == "text" or field_.name not in columns:
            continue
        broken = frame[field_.name].map(lambda v: isinstance(v, str) and "\n" in v)
        if broken.any():
            row = int(frame["source_row"].to_numpy()[broken.to_numpy().argmax()])
            raise SourceError(f"{path}: line {layout.lines[row - 1]} (row {row}), column '{columns[field_.name]}' "
                              f"({field_.name}): a quoted field runs over several lines, which only free text "
                              "may: a quote is probably not closed; fix the quotes on that line")


def _spans_lines(source_rows: np.ndarray, layout: CsvLayout) -> np.ndarray:
    """Whether each row's record runs over more than one line (a row the layout does not know: assumed so)."""
    spans = np.asarray(layout.ends) > np.asarray(layout.lines)
    index = source_rows - 1  # grid row 0 is Excel row 1, and the layout has one entry per grid row
    known = index < len(spans)
    result = np.ones(len(source_rows), dtype=bool)
    result[known] = spans[index[known]]
    return result


def _check_date_conventions(path: Path, kind: str, frame: pd.DataFrame, columns: dict[str, str],
                            malformed: dict[int, str], dayfirst: bool = True) -> None:
    """A date column is read day first (or month first, with `dayfirst: false`); one holding a date that can
    only be in the other convention (12/31/2021 read day first) would have its other dates read in a
    convention its writer did not use. Refused, naming rows, not dates."""
    rows = frame[~frame["source_row"].isin(malformed)]
    for field_ in SCHEMAS[kind].fields:
        if field_.kind != "date" or field_.name not in columns:
            continue
        clash = clean.date_conventions(rows[field_.name])
        wrong = clash.month_first if dayfirst else clash.day_first
        if wrong is None:
            continue
        other = "month" if dayfirst else "day"
        wrong_row = int(rows["source_row"].iloc[wrong])
        where = f"{path}: column '{columns[field_.name]}' ({field_.name}): row {wrong_row} holds a {other}-first " \
                f"date (its {'second' if dayfirst else 'first'} number is over 12)"
        right = clash.day_first if dayfirst else clash.month_first
        if right is not None:
            right_row = int(rows["source_row"].iloc[right])
            where += (f" and row {right_row} a {'day' if dayfirst else 'month'}-first one (its "
                      f"{'first' if dayfirst else 'second'} number is over 12): the column mixes both")
        else:
            setting = "`dayfirst: false`" if dayfirst else "`dayfirst: true` (or remove `dayfirst`)"
            where += (f"; dates are read {'day' if dayfirst else 'month'} first, so its other dates would be "
                      f"misread: if the whole file writes dates {other} first, set {setting} for this source")
        order = "day first (DD/MM/YYYY)" if dayfirst else "month first (MM/DD/YYYY)"
        raise SourceError(f"{where}; expected every date {order}, ISO (YYYY-MM-DD) or an "
                          "Excel date: re-export the column in one convention")


def load_source(locality: Locality, kind: str) -> LoadedSource:
    """Load one configured source into its canonical columns (unmapped optional columns are empty)."""
    return read_source(locality.source_path(kind), kind, locality.sources[kind])


def check_sources(locality: Locality) -> dict[str, LoadedSource]:
    """Every configured source loaded: a file that cannot be used raises SourceError here, naming the file,
    row and column, so a build can refuse it before any section runs."""
    return {kind: load_source(locality, kind) for kind in locality.sources}
