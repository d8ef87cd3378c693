"""Counts of a locality's records: by type, year, quarter and profile, and rows per source.

Pure: each returns a plain table that says what it counts (``measures.value.describe``); protection is
the report's (``pplib.report.section``).
"""
from __future__ import annotations

import pandas as pd

from pplib.measures.value import describe
from pplib.records.clean import AGE_BANDS
from pplib.records.schemas import EXPLOITATION_TYPES
from pplib.reference.published import force_referrals


def headline_counts(data) -> dict[str, int]:
    """Recorded crimes, victims and suspects, local NRM referrals and Duty to Notify reports in the period."""
    return {
        "crimes": len(data.crimes),
        "victims": len(data.victims),
        "suspects": len(data.suspects),
        "nrm_referrals": len(data.nrm_referrals),
        "duty_to_notify": len(data.duty_to_notify),
    }


def count_by(frame: pd.DataFrame, column: str, order=None, label: str = "count") -> pd.DataFrame:
    """Counts per value of `column` with each value's share of the total, in a stable order."""
    counts = frame[column].astype("object").fillna("unknown").value_counts()
    if order is not None:
        counts = counts.reindex([o for o in order if o in counts.index] +
                                [v for v in counts.index if v not in order], fill_value=0)
    table = counts.rename(label).rename_axis(column).reset_index()
    total = table[label].sum()
    table["percent"] = (100 * table[label] / total).round(1) if total else 0.0
    return _described(table, frame, {column: column}, label, ratios={"percent": (label, None)})


def _described(table: pd.DataFrame, records: pd.DataFrame, by: dict, column: str, **spec) -> pd.DataFrame:
    """Say what the table counts, from the records it was counted from (their measure and filter)."""
    measure = records.attrs.get("measure")
    if measure is None:  # records not from a locality's dataset (a unit test's frame): nothing to say
        return table
    return describe(table, measure, by=by, counts={column: {}}, within=records.attrs.get("within"), **spec)


def crimes_by_type(data) -> pd.DataFrame:
    return count_by(data.crimes, "primary_type", order=EXPLOITATION_TYPES, label="crimes")


def crimes_by_year(data, crimes: pd.DataFrame | None = None) -> pd.DataFrame:
    crimes = data.crimes if crimes is None else crimes
    years = range(data.locality.period.start.year, data.locality.period.end.year + 1)
    counts = crimes.groupby("year").size().reindex(list(years), fill_value=0)
    return _described(counts.rename("crimes").rename_axis("year").reset_index(), crimes, {"year": "year"}, "crimes")


def force_nrm_referrals_by_quarter(force_code: str) -> pd.DataFrame:
    """Published NRM referrals made by the force as first responder, per quarter."""
    table = force_referrals()
    rows = table[(table["force_code"] == force_code) & (table["measure"] == "referrals_made")]
    return (rows[["period", "value", "source_url"]].rename(columns={"period": "quarter", "value": "referrals"})
            .sort_values("quarter").reset_index(drop=True))


def sources_summary(data) -> pd.DataFrame:
    """Each source used: its file, rows read, and how many were used, merged as duplicates or rejected."""
    statuses = data.ledger.groupby(["source", "status"]).size().unstack(fill_value=0)
    rows = []
    for kind, loaded in data.loaded.items():
        counts = statuses.loc[kind] if kind in statuses.index else {}
        rows.append({"source": kind, "file": loaded.path.name, "rows read": loaded.rows_read,
                     **{status: int(counts.get(status, 0)) for status in STATUSES}})
    return describe_rows(pd.DataFrame(rows), data)


STATUSES = ("used", "merged", "rejected")  # each source's rows read add up to these


def describe_rows(table: pd.DataFrame, data, total: str = "rows read") -> pd.DataFrame:
    """A table of input rows per source (the data quality ledger): `total` counts the rows read, and used,
    merged and rejected (where shown) each a part of them."""
    counts = {total: {}, **{s: {"conditions": {"status": s}} for s in STATUSES if s in table}}
    return describe(table, "rows", by={"source": "source"} if "source" in table else {"input": "source"},
                    counts=counts, domains={"source": input_sources(data), "status": list(STATUSES)})


def input_sources(data) -> list[str]:
    """Every source a row can come from: those in the ledger and those loaded."""
    return sorted(set(data.ledger["source"]) | set(data.loaded))


def _period_quarters(data) -> list[str]:
    start, end = data.locality.period.start, data.locality.period.end
    periods = pd.period_range(pd.Period(start, "Q"), pd.Period(end, "Q"), freq="Q")
    return [f"{p.year}-Q{p.quarter}" for p in periods]


def crimes_by_quarter(data, crimes: pd.DataFrame | None = None) -> pd.DataFrame:
    crimes = data.crimes if crimes is None else crimes
    counts = crimes.groupby("quarter").size().reindex(_period_quarters(data), fill_value=0)
    return _described(counts.rename("crimes").rename_axis("quarter").reset_index(), crimes, {"quarter": "quarter"},
                      "crimes")


def types_present(data) -> list[str]:
    """Exploitation types with at least one crime, most crimes first ('unknown' last)."""
    counts = data.crimes["primary_type"].value_counts()
    order = {t: i for i, t in enumerate(EXPLOITATION_TYPES)}  # ties keep the vocabulary's order
    last = [t for t in ("other or not recorded", "unknown") if t in counts.index]
    known = sorted((t for t in counts.index if t not in last), key=lambda t: (-counts[t], order.get(t, 99)))
    return known + last


def of_type(frame: pd.DataFrame, exploitation_type: str | None) -> pd.DataFrame:
    """The records of one primary type, remembering the filter (so their counts say what they count)."""
    if exploitation_type is None:
        return frame
    chosen = frame[frame["primary_type"] == exploitation_type].copy()
    chosen.attrs = {**frame.attrs, "within": {**frame.attrs.get("within", {}), "primary_type": exploitation_type}}
    return chosen


PROFILE_COLUMNS = {"age_group": ("child", "adult", "unknown"),
                   "age_band": tuple(label for _, _, label in AGE_BANDS) + ("unknown",),
                   "sex": ("female", "male", "other", "unknown")}


def profile(people: pd.DataFrame, column: str, top: int = 8) -> pd.DataFrame:
    """People by one characteristic; nationality keeps the `top` most common and groups the rest."""
    # Recoded records (partner edition) already count small nationalities as "other", the same in every table.
    if column == "nationality" and people[column].nunique() > top and not people.attrs.get("recoded"):
        keep = people[column].value_counts().index[:top]
        people = people.assign(nationality=people[column].where(people[column].isin(keep), "All other"))
        order = list(keep) + ["All other"]
    else:
        order = PROFILE_COLUMNS.get(column)
    table = count_by(people, column, order=order, label="people")
    return table[table["people"] > 0].reset_index(drop=True)


def crimes_victims_referrals_by_year(data) -> pd.DataFrame:
    """The three local measures side by side: they count different things, so they differ."""
    years = crimes_by_year(data)["year"]
    def per_year(frame):
        return frame.groupby("year").size().reindex(years, fill_value=0).to_numpy() if len(frame) else [0] * len(years)
    table = pd.DataFrame({"year": years, "recorded crimes": per_year(data.crimes),
                          "recorded victims": per_year(data.victims),
                          "NRM referrals": per_year(data.nrm_referrals)})
    return describe(table, "crimes", by={"year": "year"},
                    counts={"recorded crimes": {"measure": "crimes"}, "recorded victims": {"measure": "victims"},
                            "NRM referrals": {"measure": "referrals"}})
