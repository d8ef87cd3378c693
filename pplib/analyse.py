"""Counts and comparisons behind the profile's sections. Pure functions of frames."""
from __future__ import annotations

import pandas as pd

from pplib.reference import force_referrals
from pplib.schemas import EXPLOITATION_TYPES


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
    counts = frame[column].value_counts(dropna=False)
    if order is not None:
        counts = counts.reindex([o for o in order if o in counts.index] +
                                [v for v in counts.index if v not in order], fill_value=0)
    table = counts.rename(label).rename_axis(column).reset_index()
    total = table[label].sum()
    table["percent"] = (100 * table[label] / total).round(1) if total else 0.0
    return table


def crimes_by_type(data) -> pd.DataFrame:
    return count_by(data.crimes, "primary_type", order=EXPLOITATION_TYPES, label="crimes")


def crimes_by_year(data) -> pd.DataFrame:
    years = range(data.locality.period.start.year, data.locality.period.end.year + 1)
    counts = data.crimes.groupby("year").size().reindex(list(years), fill_value=0)
    return counts.rename("crimes").rename_axis("year").reset_index()


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
                     **{status: int(counts.get(status, 0)) for status in ("used", "merged", "rejected")}})
    return pd.DataFrame(rows)


def headline_bullets(data) -> list[str]:
    """Key facts as sentences, written from the numbers (never typed by hand)."""
    counts = headline_counts(data)
    period = data.locality.period
    span = f"between {period.start:%d %B %Y} and {period.end:%d %B %Y}"
    lines = [f"{counts['crimes']:,} modern slavery crimes were recorded {span}, with "
             f"{counts['victims']:,} victims and {counts['suspects']:,} suspects linked to them."]
    by_type = crimes_by_type(data)
    known = by_type[~by_type["primary_type"].isin(["unknown"])]
    if len(known) and known["crimes"].iloc[0] > 0:
        top = known.sort_values("crimes", ascending=False).iloc[0]
        lines.append(f"{top['primary_type'].capitalize()} exploitation was the most common primary type "
                     f"({top['crimes']:,} crimes, {top['percent']}%).")
    years = crimes_by_year(data)
    if len(years) >= 2 and years["crimes"].iloc[-2] > 0:
        last, prev = years.iloc[-1], years.iloc[-2]
        change = 100 * (last["crimes"] - prev["crimes"]) / prev["crimes"]
        direction = "more" if change >= 0 else "fewer"
        lines.append(f"{last['crimes']:,} crimes were recorded in {last['year']}, {abs(change):.0f}% {direction} "
                     f"than in {prev['year']} ({prev['crimes']:,}).")
    lines.append(f"{counts['nrm_referrals']:,} NRM referrals and {counts['duty_to_notify']:,} Duty to Notify "
                 f"reports were made for the area in the same period.")
    return lines
