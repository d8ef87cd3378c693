"""Human labels for what a reader sees: table headers, chart axes and legends, category values and numbers.

One place for every label. The CSVs in ``tables/`` keep the canonical (machine) names, such as
``age_group`` and ``rate_per_100k``: they are the data, the disclosure audit's metadata names their cells by
those names, and analysts' scripts read them. What is *shown* is labelled from here: the report's HTML
tables (``pplib.report.section``), each sheet's header row in ``tables.xlsx`` (``pplib.build.workbook``)
and the charts' axes and legends (``pplib.figures.charts``).

- ``column(name)``: the label of a column ("Age group", "Rate per 100,000"); a name not listed falls back to
  its words, underscores as spaces and the first letter capital, with known abbreviations written out.
- ``value(column, value)``: a category as a reader reads it ("labour" in an exploitation type column is
  "Labour exploitation"; "female" is "Female").
- ``number(column, value)``: thousands separators, counts whole, other numbers to one decimal place;
  years, quarters and codes without separators.
- ``shown_columns(frame)``: the columns a reader is shown; internal flags (``HIDDEN``) never are.

This module sits beside ``text.py``: measures, figures, the report and the build all use it, and it imports
nothing of theirs but the wording of exploitation types.
"""
from __future__ import annotations

import math
import numbers
import re

import pandas as pd

from pplib.measures.wording import type_label

# Canonical field and measure names -> what a reader sees.
COLUMNS = {
    "age_band": "Age band",
    "age_group": "Age group",
    "age at exploitation": "Age at exploitation",
    "area_code": "Area code",
    "area_name": "Area",
    "change_percent": "Change on previous year (%)",
    "count": "Count",
    "crime_ref": "Crime reference",
    "csv file": "CSV file",
    "dtn_reports": "Duty to Notify reports",
    "exploitation_type": "Exploitation type",
    "force_code": "Force code",
    "force_name": "Force",
    "four_p": "4Ps strand",
    "lad_code": "Local authority district code",
    "lad_name": "Local authority district",
    "lower": "95% CI lower",
    "nrm_referrals": "NRM referrals",
    "percent": "Percent",
    "percent_complete": "Percent complete",
    "primary_type": "Primary exploitation type",
    "rate": "Rate per 100,000",
    "rate_per_100k": "Rate per 100,000",
    "rate_lower": "95% CI lower",
    "rate_upper": "95% CI upper",
    "sha256": "SHA-256",
    "upper": "95% CI upper",
}

# Words written out or cased in the fallback: 'nrm_referrals_uk' -> 'NRM referrals UK'.
_WORDS = {"nrm": "NRM", "dtn": "Duty to Notify", "uk": "UK", "ci": "CI", "id": "ID", "csv": "CSV",
          "lad": "local authority district", "csp": "community safety partnership", "100k": "100,000",
          "pct": "%", "mo": "MO", "ms1": "MS1", "sha256": "SHA-256"}

# Internal flags that a table may carry for drawing (which areas a map hatches) but no reader is shown.
HIDDEN = frozenset({"suppressed", "withheld", "is_suppressed"})

# Columns whose values are exploitation types, written as the report writes them.
TYPE_COLUMNS = frozenset({"primary_type", "exploitation_type", "exploitation type", "type of exploitation"})
# Columns of categories from a fixed vocabulary, shown with a capital letter ('female' -> 'Female').
CATEGORY_COLUMNS = frozenset({
    "sex", "age_group", "age_band", "age at exploitation", "nationality", "sector", "level", "function", "strand",
    "four_p", "compared", "impact", "likelihood", "rating", "priority", "status", "basis", "type", "source",
    "location of exploitation", "measure", "first_responder", "decision", "outcome"})

# Columns whose whole numbers are years or codes: no thousands separator (2023, not 2,023).
NO_SEPARATOR = re.compile(r"year|quarter|month|code|\bid\b|_id$|period", re.I)
# A number as Python and pandas write one; no leading zeros: '007' is a code, not 7.
PLAIN_NUMBER = re.compile(r"^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:e[-+]?\d+)?$", re.I)
MARKER = "[c]"


def column(name) -> str:
    """The label of a column: listed, or its words with the first letter capital."""
    name = str(name)
    if name in COLUMNS:
        return COLUMNS[name]
    words = [_WORDS.get(word.lower(), word) for word in re.split(r"[_\s]+", name.strip()) if word]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def noun(name) -> str:
    """A column's label inside a sentence: "recorded crimes", "NRM referrals", "Duty to Notify reports"."""
    text = column(name)
    first = text.split(" ", 1)[0]
    keep = first.isupper() or text.startswith("Duty to Notify")
    return text if keep else text[:1].lower() + text[1:]


def columns(names) -> list[str]:
    return [column(name) for name in names]


def shown_columns(frame) -> list:
    """The columns of `frame` a reader sees: every one but the internal flags."""
    return [name for name in frame.columns if str(name).lower() not in HIDDEN]


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def value(column_name, item):
    """A category value as a reader reads it; numbers and other text unchanged (see ``number``)."""
    if isinstance(item, bool):
        return "Yes" if item else "No"
    if not isinstance(item, str) or not item or item == MARKER:
        return item
    name = str(column_name)
    if item in ("True", "False"):  # a flag read back from a CSV
        return "Yes" if item == "True" else "No"
    if name in TYPE_COLUMNS:
        return _capital(type_label(item))
    return _capital(item) if name in CATEGORY_COLUMNS else item


def blank(item) -> bool:
    """Nothing in the cell: None, NaN, pandas' NA or empty text."""
    if item is None or item is pd.NA or item is pd.NaT or (isinstance(item, str) and not item):
        return True
    return isinstance(item, float) and math.isnan(item)


def as_number(item):
    """The number a cell holds (a real number, or text written as one), else None. True/False are not."""
    if isinstance(item, bool):
        return None
    if isinstance(item, numbers.Real):
        return None if blank(item) else item
    if isinstance(item, str) and PLAIN_NUMBER.match(item.strip()):
        text = item.strip()
        return int(text) if text.lstrip("-").isdigit() else float(text)
    return None


def number(column_name, item, decimal: bool | None = None) -> str:
    """A number as shown: counts whole with thousands separators, others to one decimal place (rates and
    percents); years, quarters and codes as written. Not a number: as ``value`` shows it. `decimal`: whether
    the column holds fractions (``has_fractions``), so that its whole values are shown alike (35.0 by 34.2);
    by default decided by the value alone."""
    if blank(item):
        return ""
    figure = as_number(item)
    if figure is None:
        return str(value(column_name, item))
    if isinstance(figure, float) and not math.isfinite(figure):
        return str(figure)
    whole = float(figure).is_integer() if decimal is None else not decimal
    if NO_SEPARATOR.search(str(column_name)):
        return str(int(figure)) if whole else f"{figure:.1f}"
    return f"{int(figure):,}" if whole else f"{figure:,.1f}"


def is_numeric(cells) -> bool:
    """A column of numbers (right-aligned): every cell a number, the marker or blank, and at least one number."""
    seen = False
    for item in cells:
        if blank(item) or item == MARKER:
            continue
        if as_number(item) is None:
            return False
        seen = True
    return seen


def has_fractions(cells) -> bool:
    """Whether any number of a column is not whole (a rate, a percent): then all are shown to 1 decimal place."""
    for item in cells:
        figure = None if blank(item) else as_number(item)
        if figure is not None and math.isfinite(figure) and not float(figure).is_integer():
            return True
    return False
