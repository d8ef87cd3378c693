"""Check every canonical value against its declared form, with pandera.

The pandera schemas are built from the declarations in pplib.records.schemas, so a
column's rules live in one place. Problems come back as a table, one row per
bad cell, each naming the file, the row as numbered in Excel, the column as
named in the file, the value and the form expected. A bad value in a required
column rejects its row; elsewhere the value is treated as missing and noted.
Messages (which reach the ledger and the terminal) never quote a value; the value
column holds it for the analyst, except in personal columns, where it is withheld.
"""
from __future__ import annotations

from functools import lru_cache

import pandas as pd
import pandera.pandas as pa

from pplib.records import clean
from pplib.records.clean import missing
from pplib.records.load import LoadedSource
from pplib.records.schemas import SCHEMAS, Field

_EXPLICIT_UNKNOWN = {"u", "unknown", "not known", "n/k", "nk", "not stated", "not recorded"}



def _is_date(v) -> bool:
    return missing(v) or pd.notna(clean.parse_date(v))


def _is_age(v) -> bool:
    if missing(v):
        return True
    try:
        number = float(str(v).strip())
    except ValueError:
        return False
    return number.is_integer() and 0 <= number <= 120


def _is_flag(v) -> bool:
    return missing(v) or clean.flag(v) is not None


def _is_sex(v) -> bool:
    return missing(v) or clean.sex(v) != "unknown" or str(v).strip().lower() in _EXPLICIT_UNKNOWN


def _is_age_group(v) -> bool:
    return clean.age_group_text(v) is not None


def _is_nationality(v) -> bool:
    return missing(v) or clean.nationality(v) is not None


def _known_exploitation(v) -> bool:
    return missing(v) or "other" not in clean.exploitation_types(v)


# canonical column or field kind -> (element check, the form expected, in words)
_CHECKS = {
    "lad_code": (clean.is_known_lad, "an ONS local authority district code or name in the UK "
                                     "(e.g. E06000018 or Nottingham)"),
    "lad_name": (clean.is_known_lad, "a local authority district name in the UK (e.g. Newark and Sherwood)"),
    "date": (_is_date, "a date, day first (31/01/2023, 2023-01-31, 31-Jan-2023 or an Excel date)"),
    "age": (_is_age, "a whole number of years from 0 to 120"),
    "flag": (_is_flag, "Y or N (also Yes/No, 1/0)"),
    "sex": (_is_sex, "Male, Female, Other or Unknown (M/F/U accepted)"),
    "age_group": (_is_age_group, "Adult, Child or Unknown (18+, Under 18 and Minor accepted)"),
    "nationality": (_is_nationality, "a nationality or country name, e.g. British, Albanian, Viet Nam"),
    "exploitation_types": (_known_exploitation,
                           "exploitation types: labour, criminal (incl. county lines), sexual, "
                           "domestic servitude, organ harvesting or unknown; others are counted as other"),
}


def _check_for(field: Field):
    key = field.name if field.name in _CHECKS else field.kind
    return _CHECKS.get(key)


@lru_cache(maxsize=None)
def pandera_schema(kind: str) -> pa.DataFrameSchema:
    """The pandera schema of a source kind, from its declaration in pplib.records.schemas."""
    columns = {}
    for field in SCHEMAS[kind].fields:
        checks = []
        found = _check_for(field)
        if found:
            test, expected = found
            # vectorised over distinct values: the same value repeated in many rows is checked once
            checks.append(pa.Check(lambda series, test=test: clean.by_value(series, test).astype(bool),
                                   error=expected, name=field.name))
        # pandera skips element checks on nulls, so a required column is declared non-nullable.
        columns[field.name] = pa.Column(object, checks=checks, nullable=not field.required, required=True)
    return pa.DataFrameSchema(columns, coerce=False)


def problems(loaded: LoadedSource, rows: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per bad cell: source_row, column, column_in_file, value, expected, severity, message."""
    frame = loaded.frame if rows is None else rows
    schema = SCHEMAS[loaded.kind]
    present = [c for c in schema.names if c in loaded.columns]
    try:
        pandera_schema(loaded.kind).validate(frame[schema.names].astype(object), lazy=True)
        return _empty_problems()
    except pa.errors.SchemaErrors as err:
        cases = err.failure_cases
    cases = cases[cases["column"].isin(present) & cases["index"].notna()]
    records = []
    for case in cases.itertuples():
        field = schema.field(case.column)
        row = int(frame.loc[case.index, "source_row"])
        column_in_file = loaded.columns[case.column]
        severity = "reject" if field.required else "note"
        value = "" if missing(case.failure_case) else str(case.failure_case)
        expected = _REQUIRED if case.check == "not_nullable" else case.check
        shown = "the value" if value else "blank"
        records.append({
            "source_row": row, "column": case.column, "column_in_file": column_in_file,
            "value": WITHHELD if value and field.personal else value, "expected": expected, "severity": severity,
            "message": f"{loaded.path.name} row {row}, column '{column_in_file}': {shown} is not {expected}",
        })
    return pd.DataFrame(records, columns=_PROBLEM_COLUMNS).drop_duplicates().reset_index(drop=True)


_REQUIRED = "a value (the column is required)"
WITHHELD = "(withheld: personal column)"
_PROBLEM_COLUMNS = ["source_row", "column", "column_in_file", "value", "expected", "severity", "message"]


def _empty_problems() -> pd.DataFrame:
    return pd.DataFrame(columns=_PROBLEM_COLUMNS)
