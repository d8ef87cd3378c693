"""A first locality.yaml from a partnership's own extracts: `pplib new-locality`.

Each file (each sheet of a workbook) is read as `pplib.records.load` reads it, and its layout is detected:
the encoding, the CSV delimiter, the header row below any title rows, and whether numeric dates are written
day first or month first. Each column is profiled by what its values look like (dates, ONS codes, ages,
sex, Y/N flags, references, free text...) and matched to a canonical column of pplib.records.schemas by
its header (rapidfuzz, after expanding the abbreviations exports use) and its content together. Each table
is then given the source its columns fit best.

The YAML says, in comments, what was guessed from what and how sure it is; columns that fit nothing are
left as comments. Values are read to detect types, never written or printed: the YAML and the terminal
name only files, sheets, columns and types.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml
from rapidfuzz import fuzz, process

from pplib.config import Source
from pplib.records import clean
from pplib.records.load import (
    CSV_SUFFIXES,
    EXCEL_SUFFIXES,
    OLE2_MAGIC,
    ZIP_MAGIC,
    SourceError,
    _csv_grid,
    _csv_layout,
    _decode_problem,
    _excel_grid,
)
from pplib.records.schemas import SCHEMAS
from pplib.reference.forces import Force, all_forces

HEADER_SEARCH_ROWS = 30
PROFILE_VALUES = 2000  # non-blank values looked at per column
MATCH_AT = 60  # a column is mapped when its score reaches this
DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}


class ScaffoldError(ValueError):
    """Arguments or files new-locality cannot work from; the message says why, naming no value."""


# --- the force ------------------------------------------------------------------------------------------------

def _force_key(text: str) -> str:
    text = text.lower().replace("&", " and ")
    text = re.sub(r"\b(police|constabulary|service|force|area)\b", " ", text)
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


def resolve_force(text: str) -> Force:
    """A force from its ONS code (E23000019), slug (nottinghamshire) or name (Nottinghamshire Police, Devon &
    Cornwall); on a miss, the nearest names."""
    wanted = text.strip()
    forces = all_forces()
    for force in forces:
        if wanted.upper() == force.code or wanted.lower() == force.slug:
            return force
    key = _force_key(wanted)
    for force in forces:
        if key and key in {_force_key(n) for n in (force.name, force.force_name, force.nrm_name, force.slug)}:
            return force
    names = {f"{f.force_name} ({f.code})": _force_key(f.force_name) for f in forces}
    close = process.extract(key, names, scorer=fuzz.WRatio, limit=3, score_cutoff=60)
    hint = f"; did you mean {', '.join(c[2] for c in close)}?" if close else ""
    raise ScaffoldError(f"--force {text}: no police force has this name or code{hint} "
                        "(give a force name, e.g. Nottinghamshire, or its ONS code, e.g. E23000019)")


# --- reading a file's layout ------------------------------------------------------------------------------------

@dataclass
class Table:
    """One sheet or CSV file: where its header is and how it is written. `names` are the header's cells,
    `columns` each column's non-blank cells (read to detect types; never shown)."""
    path: Path
    sheet: str | None
    sheets: int  # sheets in the workbook (0 for CSV)
    encoding: str | None
    encoding_note: str
    delimiter: str | None
    delimiter_note: str
    header_row: int  # 1-based, as numbered in Excel
    header_note: str
    header_found: bool
    names: list[str]
    columns: list[list]
    rows: int  # data rows below the header

    @property
    def label(self) -> str:
        return f"{self.path.name}" + (f", sheet '{self.sheet}'" if self.sheet else "")


def _cell(value) -> object:
    """A cell as detection reads it: blank -> None, a date cell kept as a date, a whole float as an int."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        return value.strip() or None
    return value


def _detect_encoding(data: bytes) -> tuple[str, str]:
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig", "UTF-8 with a byte-order mark (Excel's 'CSV UTF-8')"
    if _decode_problem(data, "utf-8") is None:
        return "utf-8", "UTF-8"
    if _decode_problem(data, "cp1252") is None:
        return "cp1252", "Windows-1252 (older Excel's 'CSV'): it holds characters such as £ or é that are not UTF-8"
    raise ScaffoldError("the file is not text in UTF-8 or Windows-1252; save it from Excel as CSV UTF-8")


def _detect_delimiter(text: str) -> tuple[str, str]:
    """The separator that splits most lines into the same number (above one) of fields."""
    sample = "\n".join(text.splitlines()[:200])
    best, best_score = ",", (0, 0)
    for candidate in DELIMITERS:
        counts = [len(r) for r in csv.reader(io.StringIO(sample), delimiter=candidate) if r]
        wide = [c for c in counts if c > 1]
        if not wide:
            continue
        modal = max(set(wide), key=wide.count)
        score = (wide.count(modal), modal)
        if score > best_score:
            best, best_score = candidate, score
    if best_score == (0, 0):
        return ",", "could not tell (every line is one field); assumed comma"
    return best, f"{DELIMITER_NAMES[best]}-separated ({best_score[0]} lines of {best_score[1]} fields)"


_LABEL = re.compile(r"[^\W\d_].*", re.UNICODE)


def _label_like(value) -> bool:
    """A cell that can be a column name: text with a letter, not a date or number, not long."""
    return isinstance(value, str) and bool(_LABEL.search(value)) and len(value) <= 80 \
        and _content_of(value) not in ("date",)


def _find_header(grid: list[list]) -> tuple[int, bool, str]:
    """0-based header row: the first row, among the first rows, filled at least half as wide as the table
    below it with distinct labels. Title rows above it hold one or two cells."""
    filled = [sum(v is not None for v in row) for row in grid[:HEADER_SEARCH_ROWS + 50]]
    wide = [f for f in filled if f > 1]
    if not wide:
        return 0, False, "could not tell: no row holds more than one cell"
    width = max(set(wide), key=wide.count)
    for index, row in enumerate(grid[:HEADER_SEARCH_ROWS]):
        cells = [v for v in row if v is not None]
        if len(cells) >= max(2, (width + 1) // 2) and all(_label_like(v) for v in cells) \
                and len({str(v).lower() for v in cells}) == len(cells):
            titles = sum(1 for f in filled[:index] if f)
            above = f" below {titles} title row{'s' if titles != 1 else ''}" if titles else ""
            return index, True, f"row {index + 1}{above}"
    return 0, False, ("could not tell: no row near the top holds only column names; "
                      "set header_row to the row holding them")


def _grid_rows(frame: pd.DataFrame) -> list[list]:
    return [[_cell(v) for v in row] for row in frame.itertuples(index=False, name=None)]


def _table(path: Path, sheet: str | None, sheets: int, grid: list[list], encoding=None, encoding_note="",
           delimiter=None, delimiter_note="") -> Table | None:
    if not any(any(v is not None for v in row) for row in grid):
        return None
    header, found, note = _find_header(grid)
    width = max(len(r) for r in grid)
    head = grid[header] + [None] * (width - len(grid[header]))
    names = [str(v).strip() if found and v is not None else "" for v in head]
    body = [r + [None] * (width - len(r)) for r in grid[header + 1:]]
    body = [r for r in body if any(v is not None for v in r)]
    columns = [[r[i] for r in body if r[i] is not None] for i in range(width)]
    return Table(path, sheet, sheets, encoding, encoding_note, delimiter, delimiter_note, header + 1, note,
                 found, names, columns, len(body))


def read_tables(path: Path) -> list[Table]:
    """Every non-empty sheet of a workbook, or the CSV file, with its layout detected."""
    path = Path(path)
    if not path.is_file():
        raise ScaffoldError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix in EXCEL_SUFFIXES:
        with path.open("rb") as handle:
            if not handle.read(4).startswith(ZIP_MAGIC):
                raise ScaffoldError(f"{path}: not an .xlsx workbook (password-protected, or another kind of file "
                                    "renamed); save it from Excel as .xlsx or CSV UTF-8")
        sheets = pd.ExcelFile(path, engine="calamine").sheet_names
        tables = [_table(path, name, len(sheets), _grid_rows(_excel_grid(path, Source(path=path, sheet=name))))
                  for name in sheets]
        return [t for t in tables if t is not None]
    if suffix in CSV_SUFFIXES:
        data = path.read_bytes()
        if data.startswith((ZIP_MAGIC, OLE2_MAGIC)):
            raise ScaffoldError(f"{path}: is an Excel workbook with a {suffix} name; name it .xlsx")
        try:
            encoding, encoding_note = _detect_encoding(data)
        except ScaffoldError as exc:
            raise ScaffoldError(f"{path}: {exc}") from None
        delimiter, delimiter_note = _detect_delimiter(data.decode(encoding, errors="replace"))
        try:
            grid = _grid_rows(_csv_grid(data, encoding, _csv_layout(path, data, encoding, delimiter), delimiter))
        except SourceError as exc:
            raise ScaffoldError(str(exc)) from None
        table = _table(path, None, 0, grid, encoding, encoding_note, delimiter, delimiter_note)
        if table is None:
            raise ScaffoldError(f"{path}: the file holds no cells")
        return [table]
    raise ScaffoldError(f"{path}: unsupported file type '{suffix}'; expected .csv or .xlsx")


# --- what a column's values look like ---------------------------------------------------------------------------

_ISO = re.compile(r"\d{4}-\d{1,2}-\d{1,2}([ T]\d{1,2}:\d{2}(:\d{2})?)?$")
_NUMERIC = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})([ T]\d{1,2}:\d{2}(:\d{2})?)?$")
_WORDY = re.compile(r"\d{1,2}[ -]?(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*[ -]?\d{2,4}$", re.I)
_SERIAL = re.compile(r"\d{5}(\.0+)?$")
_LAD = re.compile(r"(E0[6789]|W06|S12|N09)\d{6}$", re.I)
_ONS = re.compile(r"[ENSW]\d{8}$", re.I)
_POSTCODE_DISTRICT = re.compile(r"[A-Z]{1,2}\d[A-Z\d]?$", re.I)
_REFERENCE = re.compile(r"(?=.*\d)[A-Za-z0-9][A-Za-z0-9/_.:-]{2,29}$")
_PERSON_NAME = re.compile(r"[A-Z][a-z'’-]+,? ([A-Z][a-z'’-]+ ?){1,3}$|[A-Z'’-]{2,}, [A-Z][a-z'’-]+$")
_FLAGS = {"y", "n", "yes", "no", "1", "0", "true", "false"}
_SEXES = {"m", "f", "male", "female", "man", "woman", "boy", "girl", "other", "x", "u", "unknown", "not known",
          "n/k", "not stated", "not recorded", "prefer not to say", "non-binary"}
_DECISIONS = {"positive", "negative", "pending", "awaiting", "awaiting decision", "not yet made", "withdrawn",
              "suspended", "n/a", "not applicable", "unknown"}
_LOCATIONS = {"uk", "overseas", "uk and overseas", "both", "abroad", "unknown", "uk & overseas",
              "overseas and uk", "england", "wales"}

# what a content type is called in the YAML and the terminal
CONTENT_WORDS = {
    "date": "dates", "lad_code": "ONS district codes", "ons_code": "ONS codes (not districts)",
    "postcode": "postcode districts", "flag": "Y/N flags", "sex": "sex values", "age": "ages",
    "age_group": "adult/child values", "decision": "NRM decisions", "location": "UK/overseas values",
    "nationality": "nationalities", "exploitation": "exploitation types", "lad_name": "district names",
    "reference": "reference-like IDs", "free_text": "free text", "name": "names", "category": "a few repeated values",
    "words": "text that fits no pattern", "empty": "no values",
}


def _is_date(v, serials: bool = False) -> bool:
    if isinstance(v, (dt.date, pd.Timestamp)):
        return True
    if isinstance(v, int):
        return serials and 20000 <= v <= 60000
    text = str(v)
    return bool(_ISO.match(text) or _NUMERIC.match(text) or _WORDY.match(text)
                or (serials and _SERIAL.match(text)))


def _content_of(value) -> str | None:
    """The content type of a single cell, for the header check (a date cell is not a column name)."""
    return "date" if _is_date(value) else None


def _share(values: list, test) -> float:
    return sum(1 for v in values if test(v)) / len(values)


def _is_age(v) -> bool:
    try:
        number = float(str(v))
    except ValueError:
        return False
    return number.is_integer() and 0 <= number <= 120


def profile(values: list, header: str = "") -> str:
    """The content type of a column's non-blank cells (one of CONTENT_WORDS)."""
    values = values[:PROFILE_VALUES]
    if not values:
        return "empty"
    text = [str(v).strip() for v in values]
    lower = [t.lower() for t in text]
    distinct = len(set(lower))
    dated = _share(values, _is_date)
    if dated >= 0.8 or (dated > 0 or "date" in _normalise(header) or "dob" in header.lower()) \
            and _share(values, lambda v: _is_date(v, serials=True)) >= 0.8:
        return "date"
    checks = (
        ("lad_code", 0.8, lambda t, low: bool(_LAD.match(t))),
        ("ons_code", 0.8, lambda t, low: bool(_ONS.match(t))),
        ("postcode", 0.8, lambda t, low: bool(_POSTCODE_DISTRICT.match(t)) and not t.isdigit()),
        ("flag", 0.9, lambda t, low: low in _FLAGS),
        ("sex", 0.9, lambda t, low: low in _SEXES),
    )
    for kind, needed, test in checks:
        if sum(test(t, low) for t, low in zip(text, lower)) / len(text) >= needed:
            return kind
    if _share(text, _is_age) >= 0.9 and distinct >= 3:
        return "age"
    counts = pd.Series(lower).value_counts().head(300)  # the commonest values, weighted by their rows

    def unique_share(test) -> float:
        return sum(n for u, n in counts.items() if test(u)) / counts.sum()
    if unique_share(lambda u: clean.age_group_text(u) not in (None, "unknown")) >= 0.8:
        return "age_group"
    if unique_share(lambda u: u in _DECISIONS) >= 0.9:
        return "decision"
    if unique_share(lambda u: u in _LOCATIONS) >= 0.9:
        return "location"
    words = sum(len(t.split()) for t in text) / len(text)
    if words < 5 and unique_share(lambda u: clean.nationality(u) not in (None, clean.UNKNOWN)) >= 0.8:
        return "nationality"
    if words < 6 and unique_share(lambda u: "other" not in clean.exploitation_types(u)
                                  and clean.exploitation_types(u) != ["unknown"]) >= 0.7:
        return "exploitation"
    if words < 6 and unique_share(lambda u: clean.is_known_lad(u)) >= 0.8:
        return "lad_name"
    if _share(text, lambda t: bool(_REFERENCE.match(t))) >= 0.9 and distinct / len(text) >= 0.3:
        return "reference"
    if words >= 5 or sum(len(t) for t in text) / len(text) >= 40:
        return "free_text"
    if _share(text, lambda t: bool(_PERSON_NAME.match(t))) >= 0.8 and distinct / len(text) >= 0.5:
        return "name"
    if distinct <= 15 or (len(text) >= 20 and distinct / len(text) <= 0.3):
        return "category"
    return "words"


def date_order(table: Table, date_columns: list[int]) -> tuple[bool, str, bool]:
    """(dayfirst, why, settled) from the numeric dates in the table's date columns: a first number over 12
    can only be a day, a second number over 12 only a day written second."""
    day = month = 0
    for index in date_columns:
        for v in table.columns[index][:PROFILE_VALUES * 5]:
            match = _NUMERIC.match(str(v)) if isinstance(v, str) else None
            if match:
                first, second = int(match.group(1)), int(match.group(2))
                day += first > 12 >= second
                month += second > 12 >= first
    numeric = any(isinstance(v, str) and _NUMERIC.match(v) for i in date_columns for v in table.columns[i])
    if day and month:
        return True, ("could not tell: some dates can only be day first and others only month first (the "
                      "file mixes both); read day first, and `pplib check` names the rows"), False
    if day:
        return True, "day first: dates whose first number is over 12 settle it", True
    if month:
        return False, "month first: dates whose second number is over 12 settle it", True
    if not numeric:
        return True, "no numeric dates (Excel dates or ISO dates only): the order does not matter", True
    return True, ("could not tell: no date has a number over 12 in first or second place; "
                  "assumed day first (DD/MM/YYYY), as UK exports write them"), False


# --- matching columns to canonical names --------------------------------------------------------------------

_EXPAND = {
    "no": "number", "num": "number", "nbr": "number", "nos": "number", "ref": "reference", "refno": "reference",
    "dob": "date of birth", "gender": "sex", "nat": "nationality", "la": "local authority",
    "lad": "local authority district", "cd": "code", "occ": "occurrence", "rec": "recorded", "recd": "recorded",
    "dt": "date", "pcd": "postcode", "desc": "description", "fr": "first responder", "org": "organisation",
    "cl": "county lines", "yrs": "years", "rg": "reasonable grounds", "cg": "conclusive grounds",
    "mo": "modus operandi", "id": "id", "org.": "organisation", "organization": "organisation",
    "labor": "labour", "dtn": "duty to notify", "ms1": "duty to notify", "reported": "recorded",
}


def _normalise(text: str) -> str:
    text = text.lower().replace("&", " and ").replace("d.o.b", "dob").replace("m.o.", "mo")
    words = re.sub(r"[^a-z0-9]+", " ", text).split()
    return " ".join(_EXPAND.get(w, w) for w in words)


# Names exports use for each canonical column, besides the canonical name itself.
ALIASES: dict[str, tuple[str, ...]] = {
    "crime_ref": ("crime reference", "crime number", "crime ref", "occurrence number", "occurrence reference",
                  "urn", "crime id", "incident number", "case reference", "niche reference", "athena reference"),
    "date_committed": ("date committed", "offence date", "occurrence date", "date occurred", "committed from",
                       "occ from date", "date of offence", "incident date", "start date", "date from"),
    "date_recorded": ("date recorded", "recorded date", "date reported", "crime recorded date", "created date",
                      "date created", "notified date", "rec date"),
    "offence": ("offence", "offence description", "crime type", "ho offence", "offence type", "classification"),
    "exploitation_types": ("exploitation type", "exploitation types", "type of exploitation", "ms type",
                           "exploitation category", "modern slavery type"),
    "lad_code": ("local authority district code", "la code", "lad code", "district code", "local authority code",
                 "ons code", "council code"),
    "lad_name": ("local authority district", "district", "local authority", "council", "borough", "lad name"),
    "postcode_district": ("postcode district", "postcode", "outcode", "postcode sector", "pcd district"),
    "beat": ("beat", "neighbourhood", "ward", "beat code", "npt", "policing area", "sector area"),
    "county_lines": ("county lines", "county lines flag", "cl flag", "county line"),
    "sector": ("sector", "setting", "sector setting", "industry", "location type", "premises type"),
    "outcome": ("outcome", "outcome description", "result", "disposal", "investigation outcome"),
    "mo_text": ("modus operandi", "mo", "summary", "circumstances", "mo text", "details", "narrative"),
    "victim_id": ("person id", "victim id", "nominal id", "person reference", "nominal", "victim reference"),
    "suspect_id": ("person id", "suspect id", "nominal id", "offender id", "person reference", "nominal"),
    "victim_name": ("victim name", "name", "full name", "person name", "forename surname"),
    "suspect_name": ("suspect name", "name", "full name", "offender name", "person name"),
    "date_of_birth": ("date of birth", "dob", "birth date"),
    "age": ("age", "age at offence", "age at occurrence", "age years", "age at time", "age at occ"),
    "sex": ("sex", "gender", "victim sex", "suspect sex"),
    "nationality": ("nationality", "country of origin", "citizenship", "nationality description"),
    "referral_id": ("nrm reference", "referral reference", "nrm ref", "referral id", "nrm id", "case id",
                    "referral number"),
    "referral_date": ("date of referral", "referral date", "date referred", "nrm date", "date received"),
    "age_group": ("adult child", "age group", "age at exploitation", "adult or child", "age category", "minor"),
    "first_responder": ("first responder organisation", "first responder", "referring organisation",
                        "fr organisation", "referrer", "submitting authority", "reporting authority",
                        "referring agency", "public authority"),
    "exploitation_location": ("location of exploitation", "exploitation location", "where exploited",
                              "uk or overseas", "exploited in"),
    "rg_decision": ("reasonable grounds decision", "rg decision", "rg outcome", "reasonable grounds"),
    "cg_decision": ("conclusive grounds decision", "cg decision", "cg outcome", "conclusive grounds"),
    "report_id": ("ms1 reference", "report reference", "dtn reference", "report id", "duty to notify reference",
                  "notification reference"),
    "report_date": ("date submitted", "report date", "date of report", "date reported", "submission date",
                    "date notified"),
    "asset": ("asset", "asset name", "service", "resource", "name of asset"),
    "organisation": ("organisation", "lead organisation", "provider", "agency", "organisation name"),
    "asset_type": ("type", "asset type", "kind", "category"),
    "level": ("level", "resilience level"),
    "function": ("function", "resilience function"),
    "four_p": ("4p", "4ps", "four p", "strand", "4 p", "pursue prevent protect prepare"),
    "theme": ("theme", "workstream", "thematic area", "strategic theme"),
    "description": ("description", "details", "why it matters", "rationale", "risk description", "summary",
                    "what it is"),
    "action": ("action", "action description", "task", "activity"),
    "priority": ("priority", "priority h m l", "importance"),
    "owner": ("owner", "lead", "action owner", "risk owner", "responsible", "lead officer", "lead agency"),
    "timeframe": ("timeframe", "due", "due date", "deadline", "by when", "target date", "timescale"),
    "status": ("status", "rag status", "rag", "progress", "state"),
    "risk": ("risk", "risk name", "threat", "risk title", "threat or risk"),
    "likelihood": ("likelihood", "likelihood l m h", "probability"),
    "impact": ("impact", "impact l m h", "severity", "consequence"),
    "mitigation": ("mitigation", "mitigation controls", "controls", "mitigating actions", "response"),
    "gap": ("gap", "intelligence gap", "gap description", "unknown", "question"),
    "source": ("source", "possible source", "potential source", "data source", "where to find"),
}

_REFS = {"crime_ref", "victim_id", "suspect_id", "referral_id", "report_id"}
_FREE = {"mo_text", "description", "mitigation", "action", "asset", "risk", "gap"}
_GENERIC = {"category", "words", "name", "free_text", "lad_name", "reference", "empty"}
# content types each canonical column takes (by name, then by kind); any other known type is a misfit
FITS: dict[str, set[str]] = {
    **{n: {"reference", "words", "empty"} for n in _REFS},
    "victim_name": {"name", "words", "empty"}, "suspect_name": {"name", "words", "empty"},
    "lad_code": {"lad_code", "lad_name", "empty"}, "lad_name": {"lad_name", "words", "category", "empty"},
    "postcode_district": {"postcode", "category", "empty"}, "age": {"age", "empty"}, "sex": {"sex", "empty"},
    "county_lines": {"flag", "empty"}, "age_group": {"age_group", "empty"},
    "nationality": {"nationality", "category", "words", "empty"},
    "exploitation_types": {"exploitation", "category", "words", "empty"},
    "rg_decision": {"decision", "category", "empty"}, "cg_decision": {"decision", "category", "empty"},
    "exploitation_location": {"location", "category", "empty"},
    "beat": _GENERIC | {"postcode"}, "timeframe": _GENERIC | {"date"},
    **{n: {"free_text", "words", "category", "name", "empty"} for n in _FREE},
}
# a content type that alone (a header like nothing) names a canonical column: a guess, marked as one
SIGNATURE = {"lad_code": "lad_code", "postcode": "postcode_district", "sex": "sex", "age": "age",
             "age_group": "age_group", "decision": "rg_decision", "location": "exploitation_location",
             "nationality": "nationality", "exploitation": "exploitation_types", "flag": "county_lines",
             "free_text": "mo_text"}


def _fits(canonical: str, kind: str, content: str) -> int:
    """+1 the values fit the canonical column, -1 they are another known type, 0 cannot say."""
    if kind == "date":
        return 1 if content == "date" else 0 if content == "empty" else -1
    if content in ("empty", "words", "category"):  # messy values of any kind look like this
        return 0
    return 1 if content in FITS.get(canonical, _GENERIC) else -1


def header_score(header: str, canonical: str) -> tuple[float, str]:
    """0-100: how like the canonical column's names (its own and ALIASES) a header is, and the likest name."""
    words = _normalise(header)
    best, like = 0.0, canonical
    if not words:
        return best, like
    for alias in (canonical.replace("_", " "), *ALIASES.get(canonical, ())):
        other = _normalise(alias)
        score = max(fuzz.ratio(words, other), fuzz.token_sort_ratio(words, other),
                    0.9 * fuzz.token_set_ratio(words, other))
        if score > best:
            best, like = score, alias
    return best, like


@dataclass
class Match:
    canonical: str
    column: str
    score: float
    why: str

    @property
    def sure(self) -> str:
        return "sure" if self.score >= 90 else "likely" if self.score >= 75 else "a guess: check it"


@dataclass
class Proposal:
    """A table given a source: its column map, what is left over, and why."""
    table: Table
    kind: str
    score: float
    matches: list[Match]
    unmatched: list[tuple[str, str]]  # (column name, content type)
    contents: dict[str, str]
    runner_up: str | None = None
    margin: float = 0.0
    dayfirst: bool | None = None  # None: no numeric dates, the order does not matter
    date_note: str = ""

    @property
    def sure(self) -> str:
        required = set(SCHEMAS[self.kind].required) <= {m.canonical for m in self.matches}
        if required and self.margin >= 3:
            return "sure"
        return "likely" if required and self.margin >= 1 else "a guess: check it"

    @property
    def missing_required(self) -> list[str]:
        return [c for c in SCHEMAS[self.kind].required if c not in {m.canonical for m in self.matches}]


_KIND_WORDS = {
    "crimes": {"crime", "crimes", "occurrence", "occurrences", "offences", "offence"},
    "victims": {"victim", "victims"}, "suspects": {"suspect", "suspects", "offender", "offenders"},
    "nrm_referrals": {"nrm", "referral", "referrals"}, "duty_to_notify": {"dtn", "duty", "notify", "ms1"},
    "assets": {"asset", "assets"}, "actions": {"action", "actions"}, "risks": {"risk", "risks", "threat"},
    "intelligence_gaps": {"gap", "gaps", "intelligence"},
}
_HEADER_KIND_WORDS = {"victims": {"victim"}, "suspects": {"suspect", "offender"}, "nrm_referrals": {"nrm"},
                      "duty_to_notify": {"ms1", "dtn"}}


def _kind_hits(table: Table, kind: str) -> int:
    named = set(re.split(r"[^a-z0-9]+", f"{table.path.stem} {table.sheet or ''}".lower()))
    headers = set(re.split(r"[^a-z0-9]+", " ".join(table.names).lower()))
    return 2 * bool(named & _KIND_WORDS[kind]) + bool(headers & _HEADER_KIND_WORDS.get(kind, set()))


def match_columns(table: Table, kind: str, contents: dict[int, str]) -> tuple[list[Match], list[int]]:
    """One-to-one column map for a source kind: the highest scoring pairs first."""
    schema = SCHEMAS[kind]
    counts = pd.Series([n for n in table.names if n]).value_counts()
    pairs = []
    for index, name in enumerate(table.names):
        if not name or counts.get(name, 0) > 1:
            continue
        content = contents[index]
        for f in schema.fields:
            header, like = header_score(name, f.name)
            fit = _fits(f.name, f.kind, content)
            score = min(100.0, header + 10 * fit) if fit >= 0 else header - 40
            why = f"header like '{like}'"
            if header < MATCH_AT and fit > 0 and (SIGNATURE.get(content) == f.name or
                                                  content == "date" and f.required):
                score, why = MATCH_AT + 2, "values only (the header is unlike any name for it)"
            if score >= MATCH_AT:
                pairs.append((score + (1 if f.required else 0), index, f.name, why, content))
    taken_columns, taken_fields, matches = set(), set(), []
    for score, index, canonical, why, content in sorted(pairs, key=lambda p: (-p[0], p[1])):
        if index in taken_columns or canonical in taken_fields:
            continue
        taken_columns.add(index)
        taken_fields.add(canonical)
        shown = f"{why}; values are {CONTENT_WORDS[content]}" if content not in ("empty",) \
            else f"{why}; the column is empty"
        matches.append(Match(canonical, table.names[index], min(score, 100.0), shown))
    order = {n: i for i, n in enumerate(schema.names)}
    matches.sort(key=lambda m: order[m.canonical])
    return matches, [i for i in range(len(table.names)) if i not in taken_columns]


def propose(table: Table) -> list[Proposal]:
    """Every source kind the table could be, best first."""
    contents = {i: profile(values, table.names[i]) for i, values in enumerate(table.columns)}
    proposals = []
    for kind, schema in SCHEMAS.items():
        matches, left = match_columns(table, kind, contents)
        score = sum(m.score / 100 for m in matches) + 1.5 * _kind_hits(table, kind)
        score -= 2 * len([c for c in schema.required if c not in {m.canonical for m in matches}])
        unmatched = [(table.names[i] or f"column {i + 1} (no name)", contents[i]) for i in left
                     if table.names[i] or table.columns[i]]
        proposals.append(Proposal(table, kind, score, matches, unmatched,
                                  {table.names[i]: c for i, c in contents.items() if table.names[i]}))
    proposals.sort(key=lambda p: -p.score)
    return proposals


def assign(tables: list[Table]) -> tuple[list[Proposal], list[tuple[Table, str]]]:
    """Each table the source it fits best that no better-fitting table has taken; those fitting none left."""
    ranked = {id(t): propose(t) for t in tables}
    chosen: dict[str, Proposal] = {}
    unused = []
    candidates = sorted(((p.score, i, p) for i, t in enumerate(tables) for p in ranked[id(t)]),
                        key=lambda c: (-c[0], c[1]))
    placed = set()
    for score, _, proposal in candidates:
        table = proposal.table
        if id(table) in placed or proposal.kind in chosen or score < 1.5:
            continue
        others = [p for p in ranked[id(table)] if p.kind != proposal.kind]
        proposal.runner_up = others[0].kind if others else None
        proposal.margin = score - (others[0].score if others else 0)
        chosen[proposal.kind] = proposal
        placed.add(id(table))
    for table in tables:
        if id(table) not in placed:
            best = ranked[id(table)][0]
            why = (f"its best fit, {best.kind}, went to a file that fits it better" if best.score >= 1.5
                   else "could not tell which source it is: too few of its columns are like any source's")
            unused.append((table, why))
    order = list(SCHEMAS)
    return sorted(chosen.values(), key=lambda p: order.index(p.kind)), unused


# --- writing the YAML ---------------------------------------------------------------------------------------

def _scalar(text: str) -> str:
    """A string as a YAML scalar: plain where it reads back the same, else double-quoted."""
    plain = str(text)
    try:
        if re.fullmatch(r"[A-Za-z0-9][^#:\n]*[^\s:#]|[A-Za-z0-9]", plain) and \
                yaml.safe_load(f"k: {plain}") == {"k": plain}:
            return plain
    except yaml.YAMLError:
        pass
    return json.dumps(plain, ensure_ascii=False)


def _comment(text: str) -> str:
    return re.sub(r"\s+", " ", str(text)).strip()


def _period(proposals: list[Proposal]) -> tuple[dt.date, dt.date, str]:
    """Whole calendar years covering the crimes' (else the first dated source's) recorded dates; only the
    years are kept, each holding at least 1% of the rows, so one mistyped year does not stretch it."""
    for proposal in sorted(proposals, key=lambda p: p.kind != "crimes"):
        date_field = next((f.name for f in SCHEMAS[proposal.kind].fields if f.kind == "date" and f.required), None)
        match = next((m for m in proposal.matches if m.canonical == date_field), None)
        if match is None:
            continue
        values = proposal.table.columns[proposal.table.names.index(match.column)]
        years = pd.Series([clean.parse_date(v if proposal.dayfirst is not False else clean.month_first_as_iso(v))
                           for v in values])
        counts = years.dropna().dt.year.value_counts()
        counts = counts[counts >= max(1, 0.01 * counts.sum())]
        if not counts.empty:
            return (dt.date(int(counts.index.min()), 1, 1), dt.date(int(counts.index.max()), 12, 31),
                    f"the calendar years of {proposal.kind}.{date_field} in {proposal.table.path.name}")
    year = dt.date.today().year - 1
    return dt.date(year - 2, 1, 1), dt.date(year, 12, 31), "no dates found: the last three calendar years"


def _relative(path: Path, to: Path) -> str:
    """The file's path from the YAML's folder when it is inside it or beside it, else its absolute path."""
    try:
        relative = Path(os.path.relpath(path.resolve(), to.resolve()))
    except ValueError:  # another drive on Windows
        return path.resolve().as_posix()
    return relative.as_posix() if relative.parts[:2] != ("..", "..") else path.resolve().as_posix()


def render_yaml(force: Force, proposals: list[Proposal], unused: list[tuple[Table, str]], to: Path,
                force_text: str) -> str:
    start, end, period_why = _period(proposals)
    lines = [
        "# Written by `pplib new-locality` from this partnership's own extracts. Each setting it guessed says",
        "# from what, and how sure it is (sure / likely / a guess: check it). Check them, then run",
        f"#   pplib check --locality {to.as_posix()}",
        "# Only file, sheet and column names are written here: never a value from the data. Each `path` is",
        "# relative to this file's folder (or absolute, for a file far from it).",
        "# Under `columns`, the canonical name is on the left and the file's column name on the right; a",
        "# column left as a comment was not mapped: map it by hand if a canonical column fits.",
        f"name: {_scalar(force.name)}",
        f"force_code: {force.code}  # {_comment(force.force_name)}, from --force {_comment(force_text)}",
        f"partnership: {_scalar(force.name + ' Modern Slavery Partnership')}  # your partnership's name",
        f"period:  # {period_why}: check it",
        f"  start: {start.isoformat()}",
        f"  end: {end.isoformat()}",
        "handling_marking: OFFICIAL-SENSITIVE",
        "disclosure:",
        "  threshold: 5  # counts from local records below this are suppressed",
        "  method: suppress",
        "synthetic: false",
        "sources:",
    ]
    for p in proposals:
        t = p.table
        runner = f" (next best: {p.runner_up})" if p.runner_up else ""
        lines.append(f"  {p.kind}:  # {t.label}: its columns fit {p.kind} best; {p.sure}{runner}")
        lines.append(f"    path: {_scalar(_relative(t.path, to))}")
        if t.sheet is not None:
            why = "the workbook's only sheet" if t.sheets == 1 else f"one of {t.sheets} sheets"
            lines.append(f"    sheet: {_scalar(t.sheet)}  # {why}")
        header = f"  # header: {_comment(t.header_note)}"
        if t.header_row > 1 or not t.header_found:
            lines.append(f"    header_row: {t.header_row}{header}")
        if t.encoding:
            lines.append(f"    encoding: {t.encoding}  # {_comment(t.encoding_note)}")
        if t.delimiter and t.delimiter != ",":
            lines.append(f"    delimiter: {json.dumps(t.delimiter)}  # {_comment(t.delimiter_note)}")
        if p.dayfirst is not None:
            lines.append(f"    dayfirst: {'true' if p.dayfirst else 'false'}  # dates: {_comment(p.date_note)}")
        elif p.date_note:
            lines.append(f"    # dates: {_comment(p.date_note)}")
        lines.append("    columns:")
        for m in p.matches:
            lines.append(f"      {m.canonical}: {_scalar(m.column)}  # {_comment(m.why)}; {m.sure}")
        for canonical in p.missing_required:
            lines.append(f"      # {canonical}: REQUIRED, and no column looked like it: write your file's column "
                         "name here")
        for name, content in p.unmatched:
            what = "could not tell what it holds" if content == "words" else f"values are {CONTENT_WORDS[content]}"
            lines.append(f"      # not mapped: {_comment(name)} ({what}); no canonical column of {p.kind} fits it")
        absent = [f.name for f in SCHEMAS[p.kind].fields if not f.required and
                  f.name not in {m.canonical for m in p.matches}]
        if absent:
            lines.append(f"      # no column found for: {', '.join(absent)}")
    for table, why in unused:
        lines.append(f"  # not used: {_comment(table.label)}: {why}")
    lines.append("")
    return "\n".join(lines)


@dataclass
class Scaffold:
    force: Force
    proposals: list[Proposal]
    unused: list[tuple[Table, str]]
    yaml_path: Path

    def summary_lines(self) -> list[str]:
        """What was detected, for the terminal: files, layouts, sources and column names; no values."""
        lines = [f"force: {self.force.force_name} ({self.force.code})"]
        for p in self.proposals:
            t = p.table
            layout = [f"header {t.header_note}"]
            if t.encoding:
                layout.append(f"encoding {t.encoding}")
            if t.delimiter:
                layout.append(DELIMITER_NAMES[t.delimiter] + "-separated")
            if p.date_note:
                layout.append(f"dates {p.date_note}")
            lines.append(f"{t.label} -> {p.kind} ({p.sure}): {'; '.join(_comment(x) for x in layout)}")
            for m in p.matches:
                lines.append(f"  {m.canonical} <- '{_comment(m.column)}' ({m.sure})")
            for canonical in p.missing_required:
                lines.append(f"  {canonical} <- ? REQUIRED: no column looked like it")
            for name, content in p.unmatched:
                what = "could not tell what it holds" if content == "words" else CONTENT_WORDS[content]
                lines.append(f"  not mapped: '{_comment(name)}' ({what})")
        for table, why in self.unused:
            lines.append(f"{table.label}: not used: {why}")
        lines.append(f"wrote {self.yaml_path}")
        return lines


def new_locality(files: list[Path], force_text: str, to: Path, overwrite: bool = False) -> Scaffold:
    """Detect each file's layout and columns and write `to`/locality.yaml. Raises ScaffoldError."""
    force = resolve_force(force_text)
    to = Path(to)
    target = to / "locality.yaml"
    if target.exists() and not overwrite:
        raise ScaffoldError(f"{target}: already exists; choose another --to folder, or add --overwrite")
    tables = [t for f in files for t in read_tables(Path(f))]
    if not tables:
        raise ScaffoldError("no table found in the files given")
    proposals, unused = assign(tables)
    for p in proposals:
        date_columns = [p.table.names.index(m.column) for m in p.matches
                        if SCHEMAS[p.kind].field(m.canonical).kind == "date"]
        if date_columns:
            dayfirst, p.date_note, _ = date_order(p.table, date_columns)
            numeric = any(isinstance(v, str) and _NUMERIC.match(v) for i in date_columns for v in p.table.columns[i])
            p.dayfirst = dayfirst if numeric else None
    to.mkdir(parents=True, exist_ok=True)
    text = render_yaml(force, proposals, unused, to, force_text)
    yaml.safe_load(text)  # the file written must be YAML
    target.write_text(text, encoding="utf-8")
    return Scaffold(force, proposals, unused, target)
