"""Disclosure control: what a partner may see of the counts made from local records.

Two editions:

- ``internal``: for the analysts who hold the data. Everything is shown as recorded: ``table()`` returns a
  copy, ``count()`` formats with thousands separators, nothing is logged.
- ``partner``: the edition for sharing. Counts made from local records are protected as the locality's
  ``disclosure`` says (``pplib.config.Disclosure``: ``threshold`` T, ``method``, ``rounding_base`` B).
  Published national figures are public and never pass through here.

Rules, method ``suppress`` (the default)
    1. *Primary*: a count of 1 to T-1 is suppressed. Zeros are shown (a zero discloses no one).
    2. *Secondary*: cells form groups whose total may be known (default: each count column is one group;
       ``groups=[["area_code"], ["primary_type"]]`` makes the cells sharing an area a group, and the cells
       sharing a type another; ``[]`` in ``groups`` is the whole column, and ``groups=[]`` assumes no
       column totals; ``across=[[...count columns]]`` makes the cells of one row in those columns a
       group: list the parts whose row total is known, e.g. [["used", "merged", "rejected"]] when a
       "rows read" column gives their sum).
       A group whose total is T or more and which holds exactly one suppressed cell gets a second one:
       its smallest non-zero shown count, preferring one that would not be left as the lone suppressed
       cell of another group with nothing to pair it with. This repeats until every group has no
       suppressed cell, at least two, or nothing left to suppress (every non-zero cell suppressed).
       A group whose total is below T has only counts of 1 to T-1, so all its non-zero cells are already
       suppressed, and its total is itself suppressed wherever it is shown through this module.
    3. *Audit*: then, with the known totals (below) and every suppressed cell known to be at least 1,
       no suppressed count of 1 to T-1 may be worked out exactly: neither by linear algebra on the
       totals (e.g. a row total minus a column total, or a cell bridging two blocks of suppressed
       cells), nor because a total's suppressed cells must all be 1 (two [c] that add up to 2).
       Where one could, the smallest shown count that prevents it is suppressed too (looked for in the
       cell's own groups, then in the other known totals it is part of, such as the grand total, then
       in any group holding a suppressed cell; if no single count is enough, the smallest in its
       groups), and rules 2 and 3 repeat. If nothing in the table can prevent it (only
       totals published elsewhere reveal it, e.g. an area's 3 and 20 where the 20 is its type's only
       count), the cell's log reason names the totals that combine to give it (they must not all be
       published with the table), the table's ``attrs["totals_to_withhold"]`` lists them, and a warning
       is logged.
       The totals taken as known: each group's total of T or more, unless the one-column table of
       that family of totals (all the area totals, all the type totals, all the row totals), protected
       by these same rules, would suppress it; and each family's grand total.
       Missing cells are left out of every group (as if known). Cells blanked before the table gets
       here (e.g. by ``maps.publishable``) count as missing, so pass the raw counts instead.
    4. Derived columns (percentages, shares, rates, confidence limits: names containing percent, pct,
       share, rate, proportion, ratio, lower, upper, "%" or "per 100", or passed as ``derived=``) are
       blanked in every row where a count is suppressed; the rest are kept (they only reveal group
       totals, which rule 2 already assumes are known).

Rules, method ``round``
    Let L be the larger of T and the smallest count that rounds to a non-zero multiple of B (e.g. T=5,
    B=5: L=5). Counts of 1 to L-1 are suppressed as in rule 1 (so a count is never shown as 0 when it is
    not 0); every other non-zero count is rounded to the nearest multiple of B (halves up: 7 -> 5,
    8 -> 10). Zeros are shown. No secondary suppression: every count and total shown in this edition is
    rounded, so no exact total exists to subtract from. In a table with one count column, percentage
    and share columns are recomputed as 100 x rounded count / rounded column total (1 decimal); rate
    columns (names with "rate" or "per 100") are scaled to the rounded count; other derived columns
    (and percentages in tables with several count columns) are blanked. Every rounded cell is logged,
    whether or not rounding changed it (logging only the changed ones would say which are exact).

Conventions of a partner table (the frame ``table()`` returns)
    - count columns are nullable ``Int64``; a suppressed cell is ``pd.NA``;
    - ``attrs["protected_columns"]``: the count columns; ``attrs["derived_columns"]``: the derived ones;
    - ``attrs["suppressed_marker"] = "[c]"`` (the ONS convention for confidential cells);
    - ``attrs["suppressed_cells"]``: {column: [index labels]} of every suppressed or blanked cell, so a
      suppressed cell is told apart from one that was missing in the input (missing input stays missing,
      and is neither suppressed nor logged);
    - ``attrs["disclosure_rule"]``: ``rule()``, the sentence to print with the table;
    - calling ``table()`` again on a partner table keeps its marks;
    - ``render(frame)`` gives an object-dtype copy with "[c]" in suppressed cells and whole numbers as
      text, for CSV and HTML; ``suppressed(frame)`` gives the mask of those cells.

Sentences
    ``count(n)`` applies the same per-value rule as tables (primary suppression, or rounding), so a
    number written in a sentence never shows what a table shows as [c] because it is small. Secondary
    suppression depends on the table, so a sentence that quotes a cell *of a table* should read it from
    the protected table with ``Protector.cell(protected, row, column)`` ("[c]" if suppressed).
    ``share(part, whole)`` is "n/a" when either count is suppressed (from rounded counts in round mode).
    ``rule()`` is the rule as one or two sentences for the report; ``disclosure_log()`` lists every
    cell suppressed, blanked or rounded (table, row as key=value text, column, action, reason), with
    actions "suppressed (primary)", "suppressed (secondary)" (also a derived cell blanked, the reason
    says so) and "rounded".

Default count columns (``counts=None``): integer-valued numeric columns (int, Int64, or float whose
non-missing values are all whole) except booleans, derived columns, and columns named year, years,
quarter, quarters, month, rank or population, or ending in _code, _id, _year or _population.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pplib.config import Disclosure

EDITIONS = ("internal", "partner")
MARKER = "[c]"
LOG_COLUMNS = ["table", "row", "column", "action", "reason"]

PRIMARY = "suppressed (primary)"
SECONDARY = "suppressed (secondary)"
ROUNDED = "rounded"

_NOT_COUNTS = {"year", "years", "quarter", "quarters", "month", "rank", "population"}
_NOT_COUNT_ENDINGS = ("_code", "_id", "_year", "_population")
_DERIVED_NAME = re.compile(
    r"(?:^|[^a-z])(?:percent|percentage|pct|share|shares|rate|rates|proportion|ratio|lower|upper)(?:[^a-z]|$)"
    r"|%|per[ _]?100")
_RATE_NAME = re.compile(r"(?:^|[^a-z])rates?(?:[^a-z]|$)|per[ _]?100")
_PERCENT_NAME = re.compile(r"percent|pct|share|proportion|%")

logger = logging.getLogger(__name__)


# --- which columns are what --------------------------------------------------------------------

def is_derived_name(name) -> bool:
    """A column name that says it holds a percentage, share, rate or confidence limit."""
    return bool(_DERIVED_NAME.search(str(name).lower()))


def _whole_valued(series: pd.Series) -> bool:
    if pd.api.types.is_bool_dtype(series.dtype):
        return False
    if pd.api.types.is_integer_dtype(series.dtype):
        return True
    if pd.api.types.is_float_dtype(series.dtype):
        values = series.dropna().to_numpy(dtype=float)
        return bool(np.isfinite(values).all() and (values == np.round(values)).all())
    return False


def count_columns(frame: pd.DataFrame) -> list[str]:
    """The columns treated as counts when none are named (see the module docstring)."""
    found = []
    for column in frame.columns:
        name = str(column).lower()
        if name in _NOT_COUNTS or name.endswith(_NOT_COUNT_ENDINGS) or is_derived_name(column):
            continue
        if _whole_valued(frame[column]):
            found.append(column)
    return found


def derived_columns(frame: pd.DataFrame, counts: list[str]) -> list[str]:
    """Numeric, non-count columns whose names say they are derived from counts."""
    return [c for c in frame.columns if c not in counts and is_derived_name(c)
            and pd.api.types.is_numeric_dtype(frame[c].dtype) and not pd.api.types.is_bool_dtype(frame[c].dtype)]


def _label_columns(frame: pd.DataFrame, counts: list[str], derived: list[str],
                   groups: list[list[str]] | None) -> list[str]:
    """Key columns naming a row in the log: the grouping keys, else text and key columns until unique."""
    if groups:
        keys = []
        for group in groups:
            keys += [k for k in group if k not in keys]
        if keys:
            return keys
    candidates = [c for c in frame.columns if c not in counts and c not in derived
                  and not pd.api.types.is_bool_dtype(frame[c].dtype)
                  and (not pd.api.types.is_numeric_dtype(frame[c].dtype)
                       or str(c).lower() in _NOT_COUNTS - {"population", "rank"}
                       or str(c).lower().endswith(("_code", "_id", "_year")))]
    keys = []
    for column in candidates:
        keys.append(column)
        if not frame.duplicated(subset=keys).any():
            break
    return keys


def _text(value) -> str:
    return "missing" if _missing(value) else str(value)


def _missing(value) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


# --- rendering a protected table ---------------------------------------------------------------

def suppressed(frame: pd.DataFrame) -> pd.DataFrame:
    """Boolean mask of the cells a partner table shows as [c] (suppressed or blanked, not missing input)."""
    mask = pd.DataFrame(False, index=frame.index, columns=frame.columns)
    for column, labels in frame.attrs.get("suppressed_cells", {}).items():
        if column in frame.columns:
            mask[column] = frame.index.isin(labels) & frame[column].isna().to_numpy()
    return mask


def render(frame: pd.DataFrame, thousands: bool = False) -> pd.DataFrame:
    """An object-dtype copy for CSV and HTML: the marker ("[c]") in suppressed cells, whole numbers as
    text ("1234", or "1,234" with thousands=True), missing cells as ""; other values unchanged."""
    marker = frame.attrs.get("suppressed_marker", MARKER)
    hidden = suppressed(frame)
    out = frame.astype(object)
    for column in frame.columns:
        series = frame[column]
        whole = _whole_valued(series)
        values = []
        for value, hide in zip(series.tolist(), hidden[column].tolist()):
            if hide:
                values.append(marker)
            elif _missing(value):
                values.append("")
            elif whole:
                values.append(f"{int(value):,}" if thousands else str(int(value)))
            else:
                values.append(value)
        out[column] = pd.Series(values, index=frame.index, dtype=object)
    out.attrs = dict(frame.attrs)
    return out


# --- the suppression algorithm on cells --------------------------------------------------------

@dataclass
class _Group:
    cells: list[int]
    description: str
    family: int = 0  # groups of one family partition a column's cells (all areas; all types; all rows)
    family_description: str = ""  # the family's grand total, in words


def _round_half_up(n: int, base: int) -> int:
    return (2 * n + base) // (2 * base) * base


def _known_totals(values: dict[int, int], groups: list[_Group], threshold: int) -> list[_Group]:
    """The sums a reader may know: the cells of each group whose total would be shown, plus each
    family's grand total. Group totals are taken to be published in their own table protected by the
    same rule (the totals of one family are a one-column table): a total that table would suppress is
    not known, nor is any total below the threshold."""
    families: dict[int, list[int]] = {}
    for i, group in enumerate(groups):
        families.setdefault(group.family, []).append(i)
    known = []
    for members in families.values():
        totals = {i: sum(values[c] for c in groups[i].cells) for i in members}
        hidden, _ = _suppress(totals, [_Group(members, "")], threshold, {i: i for i in members}) \
            if len(members) > 1 else ({}, set())
        known += [groups[i] for i in members if totals[i] >= threshold and i not in hidden]
        if len(members) > 1 and sum(totals.values()) >= threshold:
            everything = sorted({c for i in members for c in groups[i].cells})
            known.append(_Group(everything, groups[members[0]].family_description or "the grand total"))
    return known


def _pinned(values: dict[int, int], hidden: set[int], equations: list[list[int]]) -> set[int]:
    """Suppressed cells whose value can be worked out from the known totals (suppressed cells are known
    to be at least 1): by linear algebra, or because the suppressed cells of a total add up to their
    number (so each is 1)."""
    rows = [[c for c in cells if c in hidden] for cells in equations]
    rows = [cells for cells in rows if cells]
    found: set[int] = set()
    for cells in rows:
        if sum(values[c] for c in cells) == len(cells):
            found |= set(cells)
    if rows:
        order = sorted(hidden)
        index = {c: k for k, c in enumerate(order)}
        matrix = np.zeros((len(rows), len(order)))
        for row, cells in enumerate(rows):
            matrix[row, [index[c] for c in cells]] = 1.0
        _, singular, vt = np.linalg.svd(matrix, full_matrices=False)
        rank = int((singular > 1e-9).sum())
        # a cell is determined iff its unit vector lies in the row space: its projection there has length 1
        determined = np.abs(1.0 - (vt[:rank] ** 2).sum(axis=0)) < 1e-8
        found |= {order[k] for k in np.flatnonzero(determined)}
    return found


def _first_unpinning(values: dict[int, int], hidden: set[int], equations: list[list[int]], cell: int,
                     pool: list[tuple[int, int]]) -> tuple[int, int] | None:
    """The first (candidate, group) of the pool whose suppression stops `cell` being pinned (as _pinned
    judges it), or None. One factorisation for the whole pool: with A the known totals over the
    suppressed cells, the cell is determined iff A^T y = e has a solution y0; suppressing a candidate
    (column a: the totals it is part of) keeps it determined iff a is not orthogonal to the left null
    space of A (then y can be adjusted) or a.y0 = 0."""
    order = sorted(hidden)
    index = {c: k for k, c in enumerate(order)}
    matrix = np.zeros((len(equations), len(order)))
    for row, cells in enumerate(equations):
        for c in cells:
            if c in index:
                matrix[row, index[c]] = 1.0
    unit = np.zeros(len(order))
    unit[index[cell]] = 1.0
    if len(equations):
        # the whole of U (for the left null space) but not the whole of V^T, which can be large
        left, singular, vt = np.linalg.svd(matrix, full_matrices=len(equations) > len(order))
        rank = int((singular > 1e-9).sum())
        y0 = left[:, :rank] @ ((vt[:rank] @ unit) / singular[:rank])
        determined = np.allclose(matrix.T @ y0, unit, atol=1e-8)
        left_null = left[:, rank:]
    else:
        determined, y0, left_null = False, np.zeros(0), np.zeros((0, 0))
    sets = [set(cells) for cells in equations]
    for candidate, group_index in pool:
        if determined:
            column = np.array([1.0 if candidate in cells else 0.0 for cells in sets])
            if (np.abs(left_null.T @ column) > 1e-8).any() or abs(column @ y0) < 1e-8:
                continue
        ones = False
        for cells in sets:
            if cell in cells:
                unknown = [c for c in cells if c in hidden or c == candidate]
                ones = ones or sum(values[c] for c in unknown) == len(unknown)
        if not ones:
            return candidate, group_index
    return None


def _culprits(values: dict[int, int], hidden: set[int], known: list[_Group], cell: int) -> list[str]:
    """The known totals that, combined, give the cell's value (withholding them all protects it)."""
    for group in known:
        unknown = [c for c in group.cells if c in hidden]
        if cell in unknown and sum(values[c] for c in unknown) == len(unknown):
            return [group.description]
    order = sorted(hidden)
    matrix = np.array([[1.0 if c in g.cells else 0.0 for c in order] for g in known]).reshape(len(known), len(order))
    unit = np.array([1.0 if c == cell else 0.0 for c in order])
    weights = np.linalg.lstsq(matrix.T, unit, rcond=None)[0] if len(known) else np.zeros(0)
    found = []
    for weight, group in zip(weights, known):
        if abs(weight) > 1e-9 and group.description not in found:
            found.append(group.description)
    return found


def _suppress(values: dict[int, int], groups: list[_Group], threshold: int, position: dict[int, int]
              ) -> tuple[dict[int, tuple[str, str | None, int | None]], dict[int, list[str]]]:
    """Primary and secondary suppression (module docstring, rules 1 to 3).

    values: cell -> count (missing cells left out); groups: cells whose total may be known.
    Returns cell -> (kind, the total it protects against, the cell it protects) and, for each small
    count still pinned by totals published elsewhere, those totals.
    """
    kinds: dict[int, tuple[str, str | None, int | None]] = {
        c: ("primary", None, None) for c, v in values.items() if 0 < v < threshold}
    primary = set(kinds)
    if not primary:
        return kinds, {}
    member: dict[int, list[int]] = {}
    for i, group in enumerate(groups):
        for c in group.cells:
            member.setdefault(c, []).append(i)
    totals = [sum(values[c] for c in g.cells) for g in groups]
    known: list[_Group] | None = None  # worked out when first needed
    equations: list[list[int]] = []

    def candidates(i: int) -> list[int]:
        return [c for c in groups[i].cells if values[c] > 0 and c not in kinds]

    def risk(cell: int, chosen_for: int) -> int:
        """Groups where this cell would be the lone suppressed cell with nothing left to pair it with."""
        alone = 0
        for j in member.get(cell, []):
            if j == chosen_for or totals[j] < threshold:
                continue
            if not any(c in kinds for c in groups[j].cells) and candidates(j) == [cell]:
                alone += 1
        return alone

    def best(pool: list[tuple[int, int]]) -> list[tuple[int, int]]:
        return sorted(set(pool), key=lambda item: (risk(item[0], item[1]), values[item[0]], position[item[0]]))

    def add(cell: int, group: int, protects: int) -> None:
        description = groups[group].description if group < len(groups) else known[group - len(groups)].description
        kinds[cell] = ("secondary", description, protects)

    def unpin(cell: int, pool: list[tuple[int, int]]) -> bool:
        """Suppress the first candidate (smallest, safest) that stops the cell being worked out."""
        found = _first_unpinning(values, set(kinds), equations, cell, pool)
        if found is not None:
            add(found[0], found[1], cell)
        return found is not None

    stuck: dict[int, list[str]] = {}
    while True:
        changed = True
        while changed:  # rule 2: no group with a total of T or more holds exactly one suppressed cell
            changed = False
            for i, group in enumerate(groups):
                if totals[i] < threshold:
                    continue
                hidden = [c for c in group.cells if c in kinds]
                if len(hidden) == 1:
                    pool = best([(c, i) for c in candidates(i)])
                    if pool:
                        add(pool[0][0], i, hidden[0])
                        changed = True
        if known is None:
            known = _known_totals(values, groups, threshold)
            equations = [g.cells for g in known]
        pinned = (_pinned(values, set(kinds), equations) & primary) - set(stuck)
        if not pinned:
            break
        cell = min(pinned, key=lambda c: position[c])
        pool = best([(c, i) for i in member.get(cell, []) if totals[i] >= threshold for c in candidates(i)])
        if unpin(cell, pool):
            continue
        # then the other known totals the cell is part of (e.g. a grand total), then any group with a suppressed cell
        offset = len(groups)
        sums = best([(c, offset + k) for k, g in enumerate(known) if cell in g.cells
                     for c in g.cells if values[c] > 0 and c not in kinds])
        if unpin(cell, sums):
            continue
        wider = best([(c, i) for i in range(len(groups)) if totals[i] >= threshold
                      and any(h in kinds for h in groups[i].cells) for c in candidates(i)])
        if unpin(cell, wider):
            continue
        if pool:  # no single cell is enough: take the smallest of its groups and look again
            add(*pool[0], cell)
        else:
            stuck[cell] = _culprits(values, set(kinds), known, cell)
    return kinds, stuck


# --- the protector -----------------------------------------------------------------------------

@dataclass
class Protector:
    edition: str
    disclosure: Disclosure = field(default_factory=Disclosure)
    log: list[dict] = field(default_factory=list)  # one entry per cell suppressed, blanked or rounded

    def __post_init__(self):
        if self.edition not in EDITIONS:
            raise ValueError(f"edition must be one of {', '.join(EDITIONS)}, not '{self.edition}'")
        if self.disclosure is None:
            self.disclosure = Disclosure()

    @property
    def partner(self) -> bool:
        return self.edition == "partner"

    # the per-value rule, shared by sentences and tables

    @property
    def _rounding(self) -> bool:
        return self.disclosure.method == "round"

    @property
    def smallest_shown(self) -> int:
        """The smallest non-zero count shown in this edition (counts from 1 to this - 1 are suppressed)."""
        if not self.partner:
            return 1
        threshold = self.disclosure.threshold
        if self._rounding:
            base = self.disclosure.rounding_base
            threshold = max(threshold, (base + 1) // 2)  # the smallest count that rounds to base
        return threshold

    def _small(self, n: int) -> bool:
        return self.partner and 0 < n < self.smallest_shown

    def _shown_value(self, n: int) -> int:
        if self.partner and self._rounding and n > 0:
            return _round_half_up(n, self.disclosure.rounding_base)
        return n

    def _range(self) -> str:
        top = self.smallest_shown - 1
        return "1" if top == 1 else f"1 to {top}"

    def _primary_reason(self) -> str:
        return f"{self._range()}: below the threshold of {self.smallest_shown}"

    def count(self, n: int) -> str:
        """A local count as it may be written in a sentence in this edition ('12', 'fewer than 5', '10')."""
        if _missing(n):
            return "n/a"
        n = int(n)
        if self._small(n):
            return f"fewer than {self.smallest_shown}"
        return f"{self._shown_value(n):,}"

    def share(self, part: int, whole: int) -> str:
        """A percentage of local counts, or 'n/a' where it could reveal a suppressed count."""
        if _missing(part) or _missing(whole):
            return "n/a"
        part, whole = int(part), int(whole)
        if self._small(part) or self._small(whole):
            return "n/a"
        part, whole = self._shown_value(part), self._shown_value(whole)
        return f"{100 * part / whole:.0f}%" if whole else "n/a"

    def cell(self, frame: pd.DataFrame, row, column) -> str:
        """One cell of a table returned by table(), for a sentence: the marker if suppressed, else count()."""
        value = frame.at[row, column]
        if suppressed(frame).at[row, column]:
            return frame.attrs.get("suppressed_marker", MARKER)
        if not self.partner:
            return self.count(value)
        return "n/a" if _missing(value) else f"{int(value):,}"  # already protected

    def rule(self) -> str:
        """The disclosure rule applied, as a sentence for the report."""
        if not self.partner:
            return ("Internal edition: counts are shown as recorded; do not share it beyond the analysts "
                    "who hold the data.")
        national = "Published national figures are not suppressed."
        if self._rounding:
            base = self.disclosure.rounding_base
            return (f"Partner edition. Counts from local records of {self._range()} are suppressed and shown as "
                    f"{MARKER}; all other counts are rounded to the nearest {base}, so totals may not add up, "
                    f"and percentages are worked out from the rounded counts. Zeros are shown. "
                    f"Published national figures are not rounded or suppressed.")
        if self.smallest_shown <= 1:
            return ("Partner edition. No threshold is set, so counts from local records are shown as "
                    f"recorded. {national}")
        return (f"Partner edition. Counts from local records of {self._range()} are suppressed and shown as "
                f"{MARKER}; where a suppressed count could be worked out from a total, another count is "
                f"suppressed too, and percentages and rates in rows with a suppressed count are left blank. "
                f"Zeros are shown. {national}")

    def disclosure_log(self) -> pd.DataFrame:
        return pd.DataFrame(self.log, columns=LOG_COLUMNS)

    # tables

    def table(self, frame: pd.DataFrame, name: str, counts: list[str] | None = None,
              groups: list[list[str]] | None = None, *, across: list[list[str]] | None = None,
              derived: list[str] | None = None) -> pd.DataFrame:
        """A copy of a table of local counts safe for this edition (rules in the module docstring).

        counts: the count columns (default: integer columns other than year/population, see module).
        groups: sets of key columns within which a suppressed cell could be recovered from a
        total (default [[]]: the whole column; an empty set in the list is the whole column, and
        groups=[] assumes no column totals); secondary suppression works within each.
        across: sets of count columns whose cells in one row add up to a known total.
        derived: percentage/rate columns to blank with their row (default: by name).
        Raises KeyError for a column that is not in the frame, ValueError for a count column that
        does not hold whole numbers.
        """
        out = frame.copy()
        if not self.partner:
            return out
        counts = count_columns(frame) if counts is None else list(counts)
        derived = derived_columns(frame, counts) if derived is None else list(derived)
        groups = [list(g) for g in groups] if groups is not None else [[]]
        across = [list(a) for a in across] if across is not None else []
        missing = [c for c in counts + derived + [k for g in groups for k in g] + [k for a in across for k in a]
                   if c not in frame.columns]
        if missing:
            raise KeyError(f"table '{name}': no column(s) {sorted(set(map(str, missing)))}")
        unknown = [c for a in across for c in a if c not in counts]
        if unknown:
            raise ValueError(f"table '{name}': across names column(s) that are not counts: {unknown}")
        for column in counts:
            out[column] = _as_counts(out[column], name, column)
        true = {column: _floats(out[column]) for column in counts}

        hidden_cells: dict = {k: list(v) for k, v in frame.attrs.get("suppressed_cells", {}).items()}
        labels = _row_labels(out, _label_columns(out, counts, derived, [g for g in groups if g]))
        n_rows = len(out)
        values: dict[int, int] = {}
        position: dict[int, int] = {}
        for j, column in enumerate(counts):
            for pos, value in enumerate(out[column].tolist()):
                if not _missing(value):
                    values[j * n_rows + pos] = int(value)
                    position[j * n_rows + pos] = pos * len(counts) + j

        def where(cell: int) -> tuple[int, str]:
            return cell % n_rows, counts[cell // n_rows]

        entries: list[dict] = []
        withheld: list[str] = []
        blank_rows = np.zeros(n_rows, bool)
        if self._rounding:
            for cell, value in values.items():
                pos, column = where(cell)
                if self._small(value):
                    entries.append(self._entry(name, labels[pos], column, PRIMARY, self._primary_reason()))
                    blank_rows[pos] = True
                    self._hide(out, hidden_cells, pos, column)
                elif value > 0:
                    entries.append(self._entry(name, labels[pos], column, ROUNDED,
                                               f"rounded to the nearest {self.disclosure.rounding_base}"))
                    out.iloc[pos, out.columns.get_loc(column)] = self._shown_value(value)
            self._round_derived(frame, out, counts, derived, true, name, labels, blank_rows, hidden_cells, entries)
        else:
            cell_groups = _cell_groups(out, counts, groups, across, values, labels)
            kinds, stuck = _suppress(values, cell_groups, self.disclosure.threshold, position)
            for cell in sorted(kinds, key=lambda c: position[c]):
                kind, total, protects = kinds[cell]
                pos, column = where(cell)
                if kind == "primary":
                    reason = self._primary_reason()
                else:
                    ppos, pcolumn = where(protects)
                    reason = (f"would let the suppressed '{pcolumn}' count for {labels[ppos]} be recovered from "
                              f"the total for {total}")
                if cell in stuck:
                    totals = stuck[cell]
                    withheld += [t for t in totals if t not in withheld]
                    reason += (f"; it can still be worked out by combining the totals for {' and '.join(totals)}, "
                               f"which must not all be published with this table")
                    logger.warning("table '%s': the suppressed '%s' count for %s can be worked out by combining the "
                                   "totals for %s; do not publish them all with it", name, column, labels[pos],
                                   " and ".join(totals))
                entries.append(self._entry(name, labels[pos], column,
                                           PRIMARY if kind == "primary" else SECONDARY, reason))
                blank_rows[pos] = True
                self._hide(out, hidden_cells, pos, column)
            for column in derived:
                self._blank(out, column, blank_rows & frame[column].notna().to_numpy(), name, labels,
                            hidden_cells, entries)
        self.log.extend(entries)
        out.attrs.update(protected_columns=list(counts), derived_columns=list(derived),
                         suppressed_marker=MARKER, suppressed_cells=hidden_cells,
                         disclosure_rule=self.rule())
        if withheld:
            out.attrs["totals_to_withhold"] = withheld
        return out

    # helpers of table()

    @staticmethod
    def _entry(table: str, row: str, column, action: str, reason: str) -> dict:
        return {"table": table, "row": row, "column": str(column), "action": action, "reason": reason}

    @staticmethod
    def _hide(out: pd.DataFrame, hidden_cells: dict, pos: int, column) -> None:
        out.iloc[pos, out.columns.get_loc(column)] = pd.NA
        label = out.index[pos]
        hidden_cells.setdefault(column, [])
        if label not in hidden_cells[column]:
            hidden_cells[column].append(label)

    def _blank(self, out: pd.DataFrame, column, rows: np.ndarray, name: str, labels: list[str],
               hidden_cells: dict, entries: list[dict],
               reason: str = "a percentage or rate in a row with a suppressed count would reveal it") -> None:
        """Blank a derived column in the given rows, logging each cell."""
        targets = np.flatnonzero(rows)
        if not len(targets):
            return
        if pd.api.types.is_integer_dtype(out[column].dtype):
            out[column] = out[column].astype("Float64")
        for pos in targets:
            entries.append(self._entry(name, labels[pos], column, SECONDARY, reason))
            self._hide(out, hidden_cells, int(pos), column)

    def _round_derived(self, frame: pd.DataFrame, out: pd.DataFrame, counts: list[str], derived: list[str],
                       true: dict[str, np.ndarray], name: str, labels: list[str], blank_rows: np.ndarray,
                       hidden_cells: dict, entries: list[dict]) -> None:
        """Round mode: percentages recomputed from rounded counts, rates scaled to them, the rest blanked."""
        for column in derived:
            present = frame[column].notna().to_numpy()
            lowered = str(column).lower()
            if len(counts) == 1 and _RATE_NAME.search(lowered):
                actual = true[counts[0]]
                shown = _floats(out[counts[0]])
                with np.errstate(divide="ignore", invalid="ignore"):
                    factor = np.where(actual > 0, shown / actual, 1.0)
                out[column] = np.where(present, _floats(frame[column]) * factor, np.nan)
            elif len(counts) == 1 and _PERCENT_NAME.search(lowered):
                total = _round_half_up(int(np.nansum(true[counts[0]])), self.disclosure.rounding_base)
                shown = _floats(out[counts[0]])
                new = np.round(100 * shown / total, 1) if total else np.where(np.isnan(shown), np.nan, 0.0)
                out[column] = np.where(present, new, np.nan)
            else:
                self._blank(out, column, present, name, labels, hidden_cells, entries,
                            reason="a percentage or rate of exact counts would reveal the counts that are rounded")
                continue
            self._blank(out, column, present & blank_rows, name, labels, hidden_cells, entries)


def _floats(series: pd.Series) -> np.ndarray:
    return pd.to_numeric(series, errors="coerce").astype("Float64").to_numpy(dtype=float, na_value=np.nan)


def _as_counts(series: pd.Series, name: str, column) -> pd.Series:
    """A count column as nullable Int64 (whole-valued floats included)."""
    if pd.api.types.is_bool_dtype(series.dtype):
        raise ValueError(f"table '{name}': column '{column}' is true/false, not a count")
    numeric = series if pd.api.types.is_numeric_dtype(series.dtype) else pd.to_numeric(series, errors="raise")
    if not _whole_valued(numeric):
        raise ValueError(f"table '{name}': column '{column}' holds values that are not whole numbers")
    return numeric.astype("Int64")


def _row_labels(frame: pd.DataFrame, keys: list[str]) -> list[str]:
    if not keys:
        return [f"row {label}" for label in frame.index]
    rows = frame[keys].itertuples(index=False, name=None)
    return [", ".join(f"{k}={_text(v)}" for k, v in zip(keys, row)) for row in rows]


def _cell_groups(frame: pd.DataFrame, counts: list[str], groups: list[list[str]], across: list[list[str]],
                 values: dict[int, int], labels: list[str]) -> list[_Group]:
    """The groups of cells (ids j * rows + position) whose totals may be known; missing cells left out."""
    n_rows = len(frame)
    found: list[_Group] = []
    family = 0
    for j, column in enumerate(counts):
        for keys in groups:
            family += 1
            if not keys:
                parts = {(): list(range(n_rows))} if n_rows else {}
            else:
                parts = {}
                for pos, key in enumerate(frame[keys].itertuples(index=False, name=None)):
                    parts.setdefault(tuple("\0missing" if _missing(v) else v for v in key), []).append(pos)
            for key, positions in parts.items():
                cells = [j * n_rows + p for p in positions if j * n_rows + p in values]
                if len(cells) < 1:
                    continue
                if keys:
                    first = frame[keys].iloc[positions[0]]
                    where = ", ".join(f"{k}={_text(first[k])}" for k in keys)
                    description = f"'{column}' where {where}"
                else:
                    description = f"the whole '{column}' column"
                found.append(_Group(cells, description, family, f"the whole '{column}' column"))
    for columns in across:
        family += 1
        indices = [counts.index(c) for c in columns if c in counts]
        for pos in range(n_rows):
            cells = [j * n_rows + pos for j in indices if j * n_rows + pos in values]
            if cells:
                found.append(_Group(cells, f"{labels[pos]} across {', '.join(map(str, columns))}", family,
                                    f"{', '.join(map(str, columns))} over all rows"))
    return found
