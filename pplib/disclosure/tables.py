"""From a table a measure made to the cells it shows, and back: the partner copy of the table.

A measure says what its table counts in ``frame.attrs["cells"]`` (see ``pplib.measures.value.describe``); nothing here knows about
sections or files. ``protect`` reads the spec, asks the ledger which cells to suppress, and returns the table
as a partner sees it, with the metadata the audit reads.
"""
from __future__ import annotations

import pandas as pd

from pplib.disclosure import cells
from pplib.disclosure.plan import Ledger


def _count_columns(spec: dict, frame: pd.DataFrame) -> dict[str, dict]:
    return spec["counts"] or {c: {} for c in frame.columns if c in (spec["measure"],)}


def keyed(frame: pd.DataFrame, spec: dict) -> tuple[dict[tuple[int, str], str], dict[str, int]]:
    """(row position, column) -> key, and key -> value, for every count cell of the table."""
    places, values = {}, {}
    for position, (_, row) in enumerate(frame.iterrows()):
        conditions = {**spec["within"], **{dim: str(row[col]) for col, dim in spec["by"].items()}}
        for column, extra in _count_columns(spec, frame).items():
            value = row[column]
            if _missing(value):
                continue
            k = cells.key(extra.get("measure", spec["measure"]), {**conditions, **extra.get("conditions", {})})
            places[(position, column)] = k
            values[k] = int(value)
    return places, values


def _missing(value) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def total_key(spec: dict, column_extra: dict) -> str:
    return cells.key(column_extra.get("measure", spec["measure"]),
                     {**spec["within"], **column_extra.get("conditions", {})})


def register_domains(ledger: Ledger, spec: dict, frame: pd.DataFrame, dataset_domain) -> None:
    """The values of each dimension the table's cells use: the spec's own, else the records' (all of them)."""
    for column, extra in _count_columns(spec, frame).items():
        measure = extra.get("measure", spec["measure"])
        dims = set(spec["by"].values()) | set(spec["within"]) | set(extra.get("conditions", {}))
        for dim in dims:
            values = spec["domains"].get(dim)
            if values is None:
                values = dataset_domain(measure, dim)
            shown = [str(v) for col, d in spec["by"].items() if d == dim for v in frame[col]]  # a zero row too
            if dim in extra.get("conditions", {}):  # a column of a value no record has (a zero column)
                shown.append(str(extra["conditions"][dim]))
            ledger.domains.add(measure, dim, [*values, *shown], spec["additive"].get(dim, True))


def protect(ledger: Ledger, name: str, frame: pd.DataFrame, spec: dict, dataset_domain
            ) -> tuple[pd.DataFrame, list[dict], list[dict]]:
    """The partner copy (suppressed counts NA, their ratios blanked), and the audit's cells and ratios."""
    register_domains(ledger, spec, frame, dataset_domain)
    places, values = keyed(frame, spec)
    for conditions, value in spec.get("also", []):
        values.setdefault(cells.key(spec["measure"], {**spec["within"], **conditions}), int(value))
    columns = _count_columns(spec, frame)
    totals = {}
    for column, extra in columns.items():  # a ratio's denominator is a cell too: the reader can work it out
        if any(r[0] == column and r[1] is None for r in spec["ratios"].values()):
            totals[column] = total_key(spec, extra)
            values.setdefault(totals[column], int(pd.to_numeric(frame[column], errors="coerce").fillna(0).sum()))
    hidden = ledger.decide(name, values)
    out = frame.copy()
    for column in columns:
        out[column] = pd.to_numeric(out[column], errors="coerce").astype("Int64")
    marks: dict[str, list] = {}
    cell_rows = []
    for (position, column), k in places.items():
        cell_rows.append({"row": position, "column": column, "key": k})
        out.iloc[position, out.columns.get_loc(column)] = pd.NA if hidden[k] else ledger.shown(k)
        if hidden[k]:
            marks.setdefault(column, []).append(out.index[position])
    ratio_rows = _ratios(out, spec, places, hidden, totals, marks, exact=not ledger.rounding_base)
    out.attrs = {**frame.attrs, "suppressed_cells": marks, "suppressed_marker": "[c]",
                 "protected_columns": list(columns), "derived_columns": list(spec["ratios"])}
    return out, cell_rows, ratio_rows


def _ratios(out, spec, places, hidden, totals, marks, exact: bool = True) -> list[dict]:
    """Ratios of shown cells kept; of suppressed ones blanked. Every one is declared to the audit, shown or
    not, so a share written into a blank cell is caught. Rounded counts (method round) keep no ratio: an exact
    share would undo the rounding."""
    rows = []
    for derived, (column, denominator, *scale) in spec["ratios"].items():
        scale = scale[0] if scale else (100 if denominator is None else 100_000)
        out[derived] = pd.to_numeric(out[derived], errors="coerce").astype("Float64")
        for position in range(len(out)):
            numerator = places.get((position, column))
            den = totals.get(column) if denominator is None else out.iloc[position][denominator]
            if numerator is None or _missing(den):
                continue
            rows.append({"row": position, "column": derived, "numerator": numerator,
                         "denominator": den if isinstance(den, str) else float(den), "scale": scale})
            if not exact or hidden[numerator] or (denominator is None and hidden[den]):
                out.iloc[position, out.columns.get_loc(derived)] = pd.NA
                marks.setdefault(derived, []).append(out.index[position])
    return rows
