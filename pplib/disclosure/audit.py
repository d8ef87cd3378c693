"""The audit: a built partner folder read back as a partner would read it, and attacked by linear programming.

Everything is read from what the folder holds, as text: the CSV tables, the same tables in ``tables.xlsx``
and the numbers in the report's sentences (``pp-n`` and ``pp-r`` spans). ``disclosure/metadata.json`` (the
contract, see ``pplib.disclosure``) says which cell of which file is which count; nothing is taken on trust
from the build itself, so only ``pplib.disclosure.cells`` is imported.

Where a problem is: a CSV's file, its 0-based data row and its column name; a workbook sheet as
``tables.xlsx:<sheet>`` (Excel forbids ':' in a sheet's name) with the same row and column as its CSV (each
sheet's table has its header on Excel row 5, under its title, source, marking and a link, so Excel's own row
number is row + 6; its header shows the columns' labels, so its columns are matched to the CSV's by position); a span of ``report.html`` by its line and character (1-based). Messages name cells
by key and never quote a value the folder withholds, except the bounds a reader could work out.
"""
from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from html.parser import HTMLParser
from pathlib import Path

from pplib.disclosure.cells import Domains, Model, Ratio, personal, relations

METADATA = "disclosure/metadata.json"
WORKBOOK = "tables.xlsx"
WORKBOOK_HEADER_ROW = 4  # 0-based: every sheet's table, Contents' too, starts here (pplib.build.workbook)
CONTENTS_SHEET, CONTENTS_FILE = "Sheet", "CSV file"  # the Contents sheet's columns naming each sheet and CSV
REPORT = "report.html"
FOLDER = "."  # where a problem of the folder as a whole is
EPS = 1e-6  # LP results are floats: 4.9999999 is below 5, 5.0000001 is not


@dataclass(frozen=True)
class Place:
    file: str
    row: int | str = ""
    column: str | int = ""

    def __str__(self) -> str:
        parts = [(label, value) for label, value in (("row", self.row), ("column", self.column)) if value != ""]
        return ", ".join([self.file, *(f"{label} {value}" for label, value in parts)])


@dataclass
class Problem:
    file: str
    row: int | str
    column: str | int
    message: str

    @classmethod
    def at(cls, place: Place, message: str) -> Problem:
        return cls(place.file, place.row, place.column, message)

    def __str__(self) -> str:
        return f"{Place(self.file, self.row, self.column)}: {self.message}"


@dataclass
class AuditResult:
    problems: list[Problem] = field(default_factory=list)
    shown: int = 0       # local count cells (distinct keys) shown
    suppressed: int = 0  # ... suppressed everywhere they appear
    checked: int = 0     # ... of those, bounded by linear programming
    method: str = "suppress"

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        cells = f"{self.shown} local count cells shown, {self.suppressed} suppressed, {self.checked} bounded"
        if not self.ok:
            n = len(self.problems)
            return f"audit failed: {n} problem{'s' if n != 1 else ''}; {cells}"
        if self.method == "round":
            return f"audit passed: {cells}; counts are rounded, so no exact total is shown to work one out from"
        return f"audit passed: {cells}; no suppressed cell can be worked out"


@dataclass(frozen=True)
class Rule:
    threshold: int
    group_threshold: int
    method: str
    rounding_base: int
    marker: str


# --- what the folder shows -------------------------------------------------------------------------------

class Seen:
    """Every observation of a cell or a share, where it was made."""

    def __init__(self, marker: str):
        self.marker = marker
        self.shown: dict[str, list[tuple[float, Place]]] = {}
        self.suppressed: dict[str, list[Place]] = {}
        self.ratios: list[tuple[Ratio, Place]] = []  # shares shown (withheld ones tell nothing)
        self.problems: list[Problem] = []

    def count(self, key: str, text: str, place: Place) -> None:
        text = text.strip()
        if text == self.marker:
            self.suppressed.setdefault(key, []).append(place)
        elif not text:
            self.problems.append(Problem.at(place, f"declared count cell is blank ({key})"))
        else:
            value = _number(text)
            if value is None or value < 0 or value != value.to_integral_value():
                self.problems.append(Problem.at(place, f"declared count cell holds neither a whole number nor "
                                                       f"the marker ({key})"))
            else:
                self.shown.setdefault(key, []).append((float(value), place))

    def ratio(self, numerator: str, denominator: str | float, scale: float, text: str, place: Place) -> None:
        text = text.strip()
        if text in (self.marker, ""):
            return
        value = _number(text.removesuffix("%").strip())
        if value is None:
            self.problems.append(Problem.at(place, f"declared share holds neither a number nor the marker "
                                                   f"(share of {numerator})"))
            return
        decimals = max(0, -value.as_tuple().exponent)  # "37%" is 36.5 to 37.5, "37.0%" 36.95 to 37.05
        self.ratios.append((Ratio(numerator, denominator, float(scale), float(value), decimals), place))

    def keys(self) -> set[str]:
        return set(self.shown) | set(self.suppressed)

    def first(self, key: str) -> Place | None:
        places = self.suppressed.get(key) or [p for _, p in self.shown.get(key, [])]
        return places[0] if places else None


def _number(text: str) -> Decimal | None:
    try:
        value = Decimal(text.replace(",", ""))
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


class Grid:
    """A table as text: its header and data rows (a CSV; a workbook sheet from its WORKBOOK_HEADER_ROW)."""

    def __init__(self, rows: list[list[str]]):
        self.header = rows[0] if rows else []
        self.rows = rows[1:]

    def text(self, row: int, column: str) -> str | None:
        """The text at (data row, column), None if the table has no such place."""
        if column not in self.header or not 0 <= row < len(self.rows):
            return None
        line = self.rows[row]
        at = self.header.index(column)
        return line[at] if at < len(line) else ""


def _observe(grid: Grid, file: str, table: dict, seen: Seen) -> None:
    for cell in table.get("cells", []):
        place = Place(file, cell["row"], cell["column"])
        text = grid.text(cell["row"], cell["column"])
        if text is None:
            seen.problems.append(Problem.at(place, f"declared count cell is not in the table ({cell['key']})"))
        else:
            seen.count(cell["key"], text, place)
    for ratio in table.get("ratios", []):
        place = Place(file, ratio["row"], ratio["column"])
        text = grid.text(ratio["row"], ratio["column"])
        if text is None:
            seen.problems.append(Problem.at(place, f"declared share is not in the table ({ratio['numerator']})"))
        else:
            seen.ratio(ratio["numerator"], ratio["denominator"], ratio.get("scale", 100), text, place)


def _read_csvs(folder: Path, tables: list[dict], seen: Seen) -> None:
    for table in tables:
        path = folder / table["file"]
        if not path.is_file():
            seen.problems.append(Problem(table["file"], "", "", "declared table is missing"))
            continue
        try:
            with path.open(encoding="utf-8", newline="") as handle:
                rows = list(csv.reader(handle))
        except (OSError, UnicodeDecodeError, csv.Error):
            seen.problems.append(Problem(table["file"], "", "", "table cannot be read as CSV"))
            continue
        _observe(Grid(rows), table["file"], table, seen)


def _cell_text(value) -> str:
    """A workbook value as text: numbers as Python writes them (12.0), empty cells as ""."""
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def _csv_header(path: Path) -> list[str] | None:
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            return next(csv.reader(handle), [])
    except (OSError, UnicodeDecodeError, csv.Error):
        return None  # reported by _read_csvs


def _sheet_grid(folder: Path, file: str, rows: list[list[str]], where: str, seen: Seen) -> Grid | None:
    """A sheet's table under its CSV's column names: the sheet's header shows labels ("Age group" for
    age_group, pplib.labels), its columns are the CSV's in the CSV's order. A sheet with another number of
    columns cannot be matched, and is a problem."""
    header = _csv_header(folder / file)
    if header is None:
        return None
    shown = list(rows[0]) if rows else []
    while shown and shown[-1] == "":
        shown.pop()
    if len(shown) != len(header):
        seen.problems.append(Problem(where, "", "", f"sheet has {len(shown)} columns and its CSV {len(header)}, "
                                                    "so its cells cannot be matched to the CSV's"))
        return None
    return Grid([header, *rows[1:]])


def _read_workbook(folder: Path, tables: list[dict], seen: Seen) -> None:
    path = folder / WORKBOOK
    if not path.is_file():
        return
    try:
        from python_calamine import CalamineWorkbook
        book = CalamineWorkbook.from_path(str(path))
        sheets = {name: [[_cell_text(v) for v in row] for row in book.get_sheet_by_name(name).to_python(
            skip_empty_area=False)] for name in book.sheet_names}
    except Exception:  # noqa: BLE001 - calamine raises its own errors; an unreadable workbook fails either way
        seen.problems.append(Problem(WORKBOOK, "", "", "workbook cannot be read"))
        return
    if "Contents" not in sheets:
        seen.problems.append(Problem(WORKBOOK, "", "", "workbook has no Contents sheet, so its sheets cannot be "
                                                       "matched to their tables"))
        return
    by_file = {t["file"]: t for t in tables}
    contents = Grid(sheets.pop("Contents")[WORKBOOK_HEADER_ROW:])  # a sheet laid out otherwise lists nothing
    listed = set()
    for row in range(len(contents.rows)):
        sheet, csv_file = contents.text(row, CONTENTS_SHEET), contents.text(row, CONTENTS_FILE)
        if not sheet or sheet not in sheets:
            continue
        listed.add(sheet)
        # The Contents sheet names the file as tables/captions.csv does (x.csv); the metadata as tables/x.csv.
        table = by_file.get(csv_file) or by_file.get(f"tables/{csv_file}")
        if table is None:
            seen.problems.append(Problem(f"{WORKBOOK}:{sheet}", "", "", "sheet holds a table the build did not "
                                                                       "declare"))
        else:
            grid = _sheet_grid(folder, table["file"], sheets[sheet][WORKBOOK_HEADER_ROW:], f"{WORKBOOK}:{sheet}", seen)
            if grid is not None:
                _observe(grid, f"{WORKBOOK}:{sheet}", table, seen)
    for sheet in sorted(set(sheets) - listed):
        seen.problems.append(Problem(f"{WORKBOOK}:{sheet}", "", "", "sheet is not listed in the Contents sheet, "
                                                                   "so it cannot be audited"))


class _Spans(HTMLParser):
    """The text of every pp-n and pp-r span, with its attributes and where it starts."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, dict, str, int, int]] = []  # kind, attributes, text, line, character
        self._open: list | None = None
        self._depth = 0

    def handle_starttag(self, tag, attrs):
        if tag != "span":
            return
        if self._open is not None:
            self._depth += 1
            return
        classes = (dict(attrs).get("class") or "").split()
        kind = "pp-n" if "pp-n" in classes else "pp-r" if "pp-r" in classes else None
        if kind:
            line, offset = self.getpos()
            self._open, self._depth = [kind, dict(attrs), [], line, offset + 1], 0

    def handle_endtag(self, tag):
        if tag != "span" or self._open is None:
            return
        if self._depth:
            self._depth -= 1
            return
        kind, attrs, text, line, char = self._open
        self.found.append((kind, attrs, "".join(text), line, char))
        self._open = None

    def handle_data(self, data):
        if self._open is not None:
            self._open[2].append(data)


def _read_report(folder: Path, seen: Seen) -> None:
    path = folder / REPORT
    if not path.is_file():
        return
    try:
        parser = _Spans()
        parser.feed(path.read_text(encoding="utf-8"))
        parser.close()
    except (OSError, UnicodeDecodeError):
        seen.problems.append(Problem(REPORT, "", "", "report cannot be read"))
        return
    for kind, attrs, text, line, char in parser.found:
        place = Place(REPORT, line, char)
        if kind == "pp-n" and attrs.get("data-cell"):
            seen.count(attrs["data-cell"], text, place)
        elif kind == "pp-r" and attrs.get("data-num") and attrs.get("data-den"):
            try:
                scale = float(attrs.get("data-scale") or 100)
            except ValueError:
                seen.problems.append(Problem.at(place, "share's data-scale is not a number"))
                continue
            seen.ratio(attrs["data-num"], _denominator(attrs["data-den"]), scale, text, place)
        else:
            seen.problems.append(Problem.at(place, f"{kind} span does not say which cell it shows"))


def _denominator(text: str) -> str | float:
    """A span's data-den: a published constant (a number) or a cell key."""
    try:
        return float(text)
    except ValueError:
        return text


# --- the checks ------------------------------------------------------------------------------------------

def _check_counts(seen: Seen, rule: Rule) -> list[Problem]:
    """No count of 1 to T-1 shown; with rounding, every count shown a multiple of the base."""
    problems = []
    for key, observations in sorted(seen.shown.items()):
        for value, place in observations:
            if 0 < value < rule.threshold:
                problems.append(Problem.at(place, f"count of 1 to {rule.threshold - 1} shown ({key})"))
            elif rule.method == "round" and value % rule.rounding_base:
                problems.append(Problem.at(place, f"count shown unrounded: not 0 or a multiple of "
                                                  f"{rule.rounding_base} ({key})"))
    return problems


def _check_consistency(seen: Seen) -> list[Problem]:
    """One cell, one value: shown the same everywhere, and never shown where it is suppressed elsewhere."""
    problems = []
    for key, observations in sorted(seen.shown.items()):
        first_value, first_place = observations[0]
        for value, place in observations[1:]:
            if value != first_value:
                problems.append(Problem.at(place, f"cell shown with a different value than at {first_place} "
                                                  f"({key})"))
        if key in seen.suppressed:
            hidden = seen.suppressed[key][0]
            problems.extend(Problem.at(place, f"shows a cell that is suppressed at {hidden}, so it is recovered "
                                              f"({key})") for _, place in observations)
    return problems


def _check_ratios(seen: Seen, rule: Rule) -> tuple[list[Problem], list[Ratio]]:
    """A share of a suppressed cell gives it away; other shares shown are constraints for the attack."""
    problems, constraints = [], []
    for ratio, place in seen.ratios:
        keys = [ratio.numerator, *([ratio.denominator] if isinstance(ratio.denominator, str) else [])]
        hidden = [k for k in keys if k in seen.suppressed]
        if hidden:
            problems.append(Problem.at(place, f"share of a suppressed cell shown ({hidden[0]}, suppressed at "
                                              f"{seen.suppressed[hidden[0]][0]})"))
        elif rule.method == "round":  # an exact share of a rounded count undoes the rounding
            problems.append(Problem.at(place, f"share of a rounded count shown ({ratio.numerator})"))
        constraints.append(ratio)
    return problems, constraints


def _attack(seen: Seen, ratios: list[Ratio], domains: Domains, rule: Rule, result: AuditResult) -> None:
    """What a reader can work out from everything shown: suppressed cells pinned below T (7), small groups
    all in one category (8)."""
    shown = {k: obs[0][0] for k, obs in seen.shown.items() if len({v for v, _ in obs}) == 1}
    keys = seen.keys() | {r.numerator for r in ratios} | {r.denominator for r in ratios
                                                          if isinstance(r.denominator, str)}
    try:
        rel = relations(keys, domains)
    except ValueError as exc:
        result.problems.append(Problem(METADATA, "", "", f"the domains do not cover the cells shown, so the "
                                                         f"folder cannot be attacked: {exc}"))
        return
    model = Model(rel, shown, ratios)
    if not model.names:
        return
    if not model.feasible():
        result.problems.append(Problem(FOLDER, "", "", "the values shown contradict each other"))
        return
    _check_pinned(seen, model.bounds, rule, result)
    _check_groups(seen, rel, model.bounds, rule, result)


def _check_pinned(seen: Seen, bounds, rule: Rule, result: AuditResult) -> None:
    for key in sorted(set(seen.suppressed) - set(seen.shown)):
        lo, hi = bounds(key)
        place = seen.suppressed[key][0]
        if math.isnan(lo) or math.isnan(hi):  # fail closed: a cell the solver could not bound is not known to be safe
            result.problems.append(Problem.at(place, f"suppressed cell could not be bounded ({key})"))
            continue
        result.checked += 1
        if hi < rule.threshold - EPS:
            # the bounds themselves are not printed: they can be the withheld count
            result.problems.append(Problem.at(place, f"suppressed cell can be worked out to lie below the threshold "
                                                     f"of {rule.threshold} ({key})"))


def _check_groups(seen: Seen, rel, bounds, rule: Rule, result: AuditResult) -> None:
    observed = seen.keys()
    for parent, children in rel.equal:
        if not any(c in observed for c in children) or not personal(parent, children):
            continue  # unobserved breakdowns are many and reveal nothing new: skipping them keeps it fast
        plo, phi = bounds(parent)
        if not (plo > EPS and phi < rule.group_threshold - EPS):
            continue
        for child in children:
            if bounds(child)[0] >= phi - EPS:
                place = seen.first(child) or seen.first(parent) or Place(FOLDER)
                result.problems.append(Problem.at(place, f"all of a group of fewer than "
                                                         f"{rule.group_threshold} are in one category ({child})"))




# --- the folder ------------------------------------------------------------------------------------------

def _metadata(folder: Path) -> tuple[dict | None, Rule | None, Domains | None, Problem | None]:
    path = folder / METADATA
    if not path.is_file():
        return None, None, None, Problem(METADATA, "", "", "metadata is missing, so the folder cannot be audited")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        r = data["rule"]
        rule = Rule(int(r["threshold"]), int(r.get("group_threshold", r["threshold"])), r.get("method", "suppress"),
                    int(r.get("rounding_base") or 1), r.get("marker", "[c]"))
        _well_formed(data)
        domains = Domains.from_json(data.get("domains", {}))
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError):
        return None, None, None, Problem(METADATA, "", "", "metadata is unreadable, so the folder cannot be audited")
    return data, rule, domains, None


def _well_formed(data: dict) -> None:
    """Raise unless files, tables and each table's cells and shares are as the contract says (the checks
    then index them freely)."""
    if not isinstance(data["files"], list) or not isinstance(data["tables"], list):
        raise TypeError("files and tables must be lists")
    for table in data["tables"]:
        if not isinstance(table["file"], str):
            raise TypeError("a table's file must be text")
        for cell in table.get("cells", []):
            if not _place_ok(cell) or not isinstance(cell["key"], str):
                raise TypeError("a cell needs a row, a column and a key")
        for ratio in table.get("ratios", []):
            if not _place_ok(ratio) or not isinstance(ratio["numerator"], str) or not isinstance(
                    ratio["denominator"], (str, int, float)) or not isinstance(ratio.get("scale", 100), (int, float)):
                raise TypeError("a share needs a row, a column, a numerator, a denominator and a scale")


def _place_ok(entry: dict) -> bool:
    return isinstance(entry["row"], int) and not isinstance(entry["row"], bool) and isinstance(entry["column"], str)


def _undeclared(folder: Path, files: list[str]) -> list[Problem]:
    declared = set(files)
    held = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    return [Problem(name, "", "", "file not declared by the build") for name in held if name not in declared]


def audit_folder(folder: Path) -> AuditResult:
    """Read the partner folder back and attack it: every way it gives a suppressed count away is a problem."""
    folder = Path(folder)
    data, rule, domains, problem = _metadata(folder)
    if problem:
        return AuditResult([problem])
    result = AuditResult(_undeclared(folder, data["files"]), method=rule.method)
    seen = Seen(rule.marker)
    _read_csvs(folder, data["tables"], seen)
    _read_workbook(folder, data["tables"], seen)
    _read_report(folder, seen)
    result.problems += seen.problems + _check_counts(seen, rule) + _check_consistency(seen)
    ratio_problems, ratios = _check_ratios(seen, rule)
    result.problems += ratio_problems
    result.shown = len(seen.shown)
    result.suppressed = len(set(seen.suppressed) - set(seen.shown))
    if rule.method != "round":  # rounded counts fix no exact value, so there is no linear model to attack
        _attack(seen, ratios, domains, rule, result)
    return result
