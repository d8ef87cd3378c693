"""What `pplib check` prints: a locality's files read, validated and reconciled as a build would, without
building.

For each source: the column map used (canonical <- column in the file) and how the file was read; the rows
read, used, merged and rejected; then every problem found, grouped by file and column, with the rows it is
on and what was expected. Nothing here quotes a value read from a file: only file, column and row.
"""
from __future__ import annotations

import re

import pandas as pd

from pplib.records.dataset import LocalityData
from pplib.records.schemas import SCHEMAS

STATUSES = ("used", "merged", "rejected")
_PERIOD = re.compile(r"^(?P<column>\w+) .* is outside the report period (?P<period>.+)$")
_MALFORMED = re.compile(r"^(?P<file>.+?) row (?P<row>\d+) \(line (?P<line>\d+)\): (?P<rest>.+)$")


def _rows(rows: list, limit: int) -> str:
    """'row 3', or 'rows 3, 5, 9', or 'rows 3, 5, ... and 12 more'."""
    shown = ", ".join(str(r) for r in rows[:limit])
    more = f" and {len(rows) - limit} more" if len(rows) > limit else ""
    return f"row{'s' if len(rows) > 1 else ''} {shown}{more}"


def map_lines(data: LocalityData) -> list[str]:
    """Per source: how its file was read, then canonical <- file column, and the canonical columns it lacks."""
    lines = []
    for kind, loaded in data.loaded.items():
        source = data.locality.sources[kind]
        how = [loaded.path.name]
        if source.sheet:
            how.append(f"sheet '{source.sheet}'")
        how.append(f"header on row {loaded.header_row}")
        if loaded.encoding:
            how.append(f"read as {loaded.encoding}")
        if source.delimiter and source.delimiter != ",":
            how.append({";": "semicolon", "\t": "tab", "|": "pipe"}[source.delimiter] + "-separated")
        if not source.dayfirst:
            how.append("dates month first")
        lines.append(f"  {kind} ({', '.join(how)}): canonical <- file column")
        width = max((len(c) for c in loaded.columns), default=0)
        for canonical in SCHEMAS[kind].names:
            if canonical in loaded.columns:
                lines.append(f"    {canonical:<{width}} <- '{loaded.columns[canonical]}'")
        absent = [c for c in SCHEMAS[kind].names if c not in loaded.columns]
        if absent:
            lines.append(f"    not in the file: {', '.join(absent)}")
    return lines


def count_lines(data: LocalityData) -> list[str]:
    """Rows read, then used, merged and rejected, per source: every row read ends in one of the three."""
    counts = data.ledger.groupby("source")["status"].value_counts().unstack(fill_value=0)
    lines = []
    for kind, loaded in data.loaded.items():
        row = counts.loc[kind] if kind in counts.index else pd.Series(dtype=int)
        told = ", ".join(f"{int(row.get(s, 0))} {s}" for s in STATUSES)
        lines.append(f"  {kind}: {told} (of {loaded.rows_read} rows read from {loaded.path.name})")
    return lines


def problem_groups(data: LocalityData) -> dict[str, list[tuple[str, list, str]]]:
    """file -> [(where, rows, what)], from the values validation found wrong and the rows reconciliation
    rejected for other reasons (blank, malformed, outside the period, linked to no crime used)."""
    groups: dict[tuple[str, str, str], list] = {}
    order = {kind: i for i, kind in enumerate(data.loaded)}
    problems = data.problems
    if not problems.empty:
        for p in problems.itertuples():
            shown = "the value" if p.value else "blank"
            outcome = "the row is rejected" if p.severity == "reject" else "the row is used without it"
            where = f"column '{p.column_in_file}'" + (f" ({p.column})" if p.column != p.column_in_file else "")
            groups.setdefault((p.file, where, f"{shown} is not {p.expected}; {outcome}"), []).append(p.source_row)
    rejected = data.ledger[data.ledger["status"] == "rejected"]
    columns = {loaded.path.name: loaded.columns for loaded in data.loaded.values()}
    for r in rejected.itertuples():
        if r.reason.startswith(f"{r.file} row {r.source_row}, column"):
            continue  # a bad value in a required column: among the problems above
        named = columns.get(r.file, {})
        period, malformed = _PERIOD.match(r.reason), _MALFORMED.match(r.reason)
        if period:  # the ledger's reason holds the date itself: here only the column and the period
            column = period["column"]
            key = (r.file, f"column '{named.get(column, column)}' ({column})",
                   f"outside the report period {period['period']}; the row is rejected")
            groups.setdefault(key, []).append(r.source_row)
        elif malformed:
            key = (r.file, "", malformed["rest"])
            groups.setdefault(key, []).append(f"{r.source_row} (line {malformed['line']})")
        elif r.reason.startswith("crime reference not among"):
            key = (r.file, f"column '{named.get('crime_ref', 'crime_ref')}' (crime_ref)",
                   f"{r.reason}; the row is rejected")
            groups.setdefault(key, []).append(r.source_row)
        else:
            groups.setdefault((r.file, "", r.reason), []).append(r.source_row)
    kinds = {loaded.path.name: kind for kind, loaded in data.loaded.items()}
    by_file: dict[str, list[tuple[str, list, str]]] = {}
    for (file, where, what), rows in sorted(groups.items(), key=lambda g: (order.get(kinds.get(g[0][0]), 99),
                                                                            g[0][0], g[0][1], g[0][2])):
        rows = sorted(rows, key=lambda r: int(str(r).split()[0]))
        by_file.setdefault(file, []).append((where, rows, what))
    return by_file


def problem_lines(data: LocalityData, rows: int = 20) -> list[str]:
    groups = problem_groups(data)
    if not groups:
        return ["problems: none"]
    lines = ["problems, by file and column (rows as numbered in Excel; values are never shown):"]
    for file, found in groups.items():
        lines.append(f"  {file}: {len(found)} kind{'s' if len(found) > 1 else ''} of problem")
        for where, listed, what in found:
            place = f"{file} {_rows(listed, rows)}" + (f", {where}" if where else "")
            lines.append(f"    {place}: {what}")
    return lines


def stoppers(data: LocalityData) -> list[str]:
    """What stops a build even though every file could be read."""
    used = int((data.ledger[data.ledger["source"] == "crimes"]["status"] == "used").sum())
    if used == 0:
        return ["no crime is used (every row of the crimes file is rejected or outside the period): "
                "a profile needs at least one"]
    return []


def check_lines(data: LocalityData, rows: int = 20) -> list[str]:
    """Everything `pplib check` prints for a locality that could be read."""
    lines = [f"{data.locality.name}: loaded {data.locality.base_dir / 'locality.yaml'}", "column map:"]
    lines += map_lines(data)
    lines.append("rows:")
    lines += count_lines(data)
    lines += problem_lines(data, rows)
    stop = stoppers(data)
    rejected = int((data.ledger["status"] == "rejected").sum())
    if stop:
        lines += [f"a build would stop: {s}" for s in stop]
    else:
        lines.append(f"ready to build ({rejected} row{'s' if rejected != 1 else ''} rejected, listed above)"
                     if rejected else "ready to build")
    return lines
