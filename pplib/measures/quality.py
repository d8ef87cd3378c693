"""Data quality as measures: completeness bands, the gaps the data shows, rows per source and status,
rejected values per column, and each source's span.

Counts only: never the values or messages, which can hold personal data.
"""
from __future__ import annotations

import pandas as pd

from pplib.measures import counts
from pplib.measures.registers import NOT_RECORDED, REGISTER_SOURCE, as_text, gap_status, open_gaps, register
from pplib.measures.value import describe
from pplib.records.schemas import SCHEMAS

DATA_QUALITY_SOURCE = "data quality"


# Record-level sources whose completeness is checked for intelligence gaps.
DATA_SOURCES = ("crimes", "victims", "suspects", "nrm_referrals")


COMPLETENESS_THRESHOLD = 80.0


STALE_DAYS = 90  # the latest record this long before the period ends suggests an extract cut short


DATED = {"crimes": "date_recorded", "nrm_referrals": "referral_date", "duty_to_notify": "report_date"}


SOURCE_LABELS = {"crimes": "police crime records", "victims": "police victim records",
                 "suspects": "police suspect records", "nrm_referrals": "local NRM referrals",
                 "duty_to_notify": "Duty to Notify reports", "assets": "partnership asset register",
                 "actions": "partnership action register", "risks": "partnership threat and risk register",
                 "intelligence_gaps": "partnership register of intelligence gaps"}


BANDS = ((95, "95% or more"), (80, "80% to 94%"), (50, "50% to 79%"), (0, "under 50%"))


def completeness_band(filled: int, rows: int) -> str:
    """How complete a column is, as the partner edition says it: a band, never the counts behind it."""
    if not rows:
        return "no rows"
    share = 100 * filled / rows
    return next(label for low, label in BANDS if share >= low)


def _column_label(kind: str, column: str) -> str:
    description = SCHEMAS[kind].field(column).description
    for separator in (":", " (", ", "):
        description = description.split(separator)[0]
    return description


def _rejection_kind(reason: str) -> str:
    """The kind of a ledger rejection, never its text (which can quote values)."""
    if reason == "blank row":
        return "blank"
    if "outside the report period" in reason:
        return "outside the period"
    if "not among the crimes used" in reason:
        return "not linked to a crime used"
    return "with an invalid or missing required value"


def data_quality_gaps(data, threshold: float = COMPLETENESS_THRESHOLD, partner: bool = False) -> pd.DataFrame:
    """Gaps the data itself shows: sources or columns not supplied, columns under `threshold`% complete,
    rows rejected, and extracts ending well before the period does. Counts only, never values.

    The table is text shown as it is (public), so the partner edition writes no local count in it: bands of
    completeness, and the kinds of rejection without their counts (the appendix counts rows by source)."""
    rows = []

    def gap(name, why, source, kind):
        rows.append({"gap": name, "why it matters": why, "possible source": source, "owner": NOT_RECORDED,
                     "status": "Open", "source of the gap": DATA_QUALITY_SOURCE, "_kind": kind})
    for kind in DATA_SOURCES:
        if kind not in data.loaded:
            gap(f"No {SOURCE_LABELS[kind]} supplied", f"The profile has no {SCHEMAS[kind].title.lower()}.",
                "the data owner", kind)
    completeness = data.completeness()
    for row in completeness[completeness["source"].isin(DATA_SOURCES)].itertuples():
        if row.column in SCHEMAS[row.source].personal:
            continue  # personal fields are better absent
        label, where = _column_label(row.source, row.column), SOURCE_LABELS[row.source]
        file = data.loaded[row.source].path.name
        if not row.supplied:
            gap(f"{label} not supplied in the {where}", f"The extract ({file}) has no '{row.column}' column, "
                "so nothing in the profile can use it.", f"the provider of {file}", row.source)
        elif row.percent_complete < threshold:
            share = (f"{completeness_band(row.filled, row.rows)} of rows" if partner
                     else f"{row.percent_complete:.0f}% of {row.rows:,} rows")
            gap(f"{label} incomplete in the {where}", f"Filled in for {share} (below {threshold:.0f}%), so "
                "breakdowns by it are partial.", f"the provider of {file}", row.source)
    rejected = data.ledger[data.ledger["status"] == "rejected"]
    for kind, group in rejected.groupby("source", sort=False):
        reasons = group["reason"].map(_rejection_kind).value_counts()
        detail = "; ".join(why if partner else f"{n:,} {why}" for why, n in reasons.items())
        file = group["file"].iloc[0]
        gap(f"Rows rejected from the {SOURCE_LABELS.get(kind, kind)}",
            f"{'Some' if partner else f'{len(group):,}'} rows of {file} could not be used ({detail}); the "
            "appendix counts them by source.", f"the provider of {file}", kind)
    end = pd.Timestamp(data.locality.period.end)
    for kind, column in DATED.items():
        frame = getattr(data, kind)
        if kind in data.loaded and len(frame) and (end - frame[column].max()).days > STALE_DAYS:
            gap(f"{SOURCE_LABELS[kind].capitalize()} end before the period does",
                f"The latest record used is from {frame[column].max():%B %Y}; the period ends {end:%d %B %Y}, "
                "so recent months may be missing.", f"the provider of {data.loaded[kind].path.name}", kind)
    order = {kind: i for i, kind in enumerate(SCHEMAS)}
    table = pd.DataFrame(rows, columns=["gap", "why it matters", "possible source", "owner", "status",
                                        "source of the gap", "_kind"])
    return (table.assign(_o=table["_kind"].map(order)).sort_values("_o", kind="stable")
            .drop(columns=["_o", "_kind"]).reset_index(drop=True))


def intelligence_gaps(data, threshold: float = COMPLETENESS_THRESHOLD, partner: bool = False) -> pd.DataFrame:
    """The register's open gaps, then the gaps the data quality shows, as one table."""
    gaps = open_gaps(register(data, "intelligence_gaps"))
    from_register = pd.DataFrame({
        "gap": gaps["gap"].map(as_text), "why it matters": gaps["description"].map(as_text),
        "possible source": gaps["source"].map(as_text), "owner": gaps["owner"].map(as_text),
        "status": gaps["status"].map(gap_status), "source of the gap": REGISTER_SOURCE})
    return pd.concat([from_register, data_quality_gaps(data, threshold, partner)], ignore_index=True)


def sources_with_periods(data) -> pd.DataFrame:
    """Each source used (named as in the ledger): what it holds, its file, the span of its records used,
    and rows read, used, merged and rejected (counts.sources_summary)."""
    summary = counts.sources_summary(data)
    spans = []
    for kind in summary["source"]:
        if kind in DATED and len(getattr(data, kind)):
            dates = getattr(data, kind)[DATED[kind]]
            spans.append((f"{dates.min():%b %Y}", f"{dates.max():%b %Y}"))
        elif kind in ("victims", "suspects"):
            spans.append(("as their crimes", "as their crimes"))
        else:
            spans.append(("register as supplied", ""))
    summary.insert(1, "what it holds", summary["source"].map(lambda k: SCHEMAS[k].title))
    summary.insert(3, "records from", [s[0] for s in spans])
    summary.insert(4, "records to", [s[1] for s in spans])
    return counts.describe_rows(summary, data)


def ledger_summary(data) -> pd.DataFrame:
    """Rows per source and ledger status (used, merged, rejected) and in all: counts only."""
    by_status = data.ledger.groupby(["source", "status"]).size()
    table = by_status.unstack(fill_value=0) if len(by_status) else pd.DataFrame()
    table = table.reindex(columns=["used", "merged", "rejected"], fill_value=0).fillna(0).astype(int)
    table["rows"] = table.sum(axis=1)
    table.columns.name = None
    order = {kind: i for i, kind in enumerate(SCHEMAS)}
    table = (table.rename_axis("source").reset_index().sort_values("source", key=lambda s: s.map(order))
             .reset_index(drop=True))
    return counts.describe_rows(table, data, "rows")


SEVERITIES = ["note", "reject"]


def problems_summary(data) -> pd.DataFrame:
    """Rows with an invalid value per source, column and severity ('reject' rejected the row): counts only,
    never the values or messages, which can hold personal data. A row can have invalid values in several
    columns, of either severity, so neither column nor severity adds up to a total."""
    problems = data.problems
    if problems.empty:
        table = pd.DataFrame(columns=["source", "column", "severity", "invalid values"])
    else:
        table = (problems.groupby(["source", "column", "severity"])["source_row"].nunique()
                 .rename("invalid values").reset_index())
    columns = sorted({c for kind in data.loaded for c in SCHEMAS[kind].names})
    return describe(table, "invalid_values", by={c: c for c in ("source", "column", "severity")},
                    counts={"invalid values": {}}, additive={"column": False, "severity": False},
                    domains={"source": counts.input_sources(data), "column": columns, "severity": SEVERITIES})


def completeness_table(data, partner: bool = False) -> pd.DataFrame:
    """Share of each canonical column filled in, per source (data.completeness()). The partner edition gives
    only a band of percent complete (completeness_band), no row counts: nothing to protect (public)."""
    table = data.completeness()
    if partner:
        complete = [completeness_band(f, r) if s else "not supplied"
                    for f, r, s in zip(table["filled"], table["rows"], table["supplied"])]
        return pd.DataFrame({"source": table["source"], "column": table["column"],
                             "column in file": table["column_in_file"], "supplied": table["supplied"],
                             "complete": complete})
    return table.rename(columns={"column_in_file": "column in file", "percent_complete": "percent complete"})
