"""Counts and comparisons behind the profile's sections. Pure functions of frames."""
from __future__ import annotations

import pandas as pd

from pplib.clean import AGE_BANDS
from pplib.config import Disclosure
from pplib.protect import Protector
from pplib.reference import force_referrals
from pplib.schemas import EXPLOITATION_TYPES


INTERNAL = Protector("internal", Disclosure())  # counts written as recorded


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


def crimes_by_year(data, crimes: pd.DataFrame | None = None) -> pd.DataFrame:
    crimes = data.crimes if crimes is None else crimes
    years = range(data.locality.period.start.year, data.locality.period.end.year + 1)
    counts = crimes.groupby("year").size().reindex(list(years), fill_value=0)
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


def headline_bullets(data, protect: Protector | None = None) -> list[str]:
    """Key facts as sentences, written from the numbers (never typed by hand).

    Local counts are written through `protect` (the edition's disclosure control)."""
    p = protect or INTERNAL
    counts = headline_counts(data)
    period = data.locality.period
    span = f"between {period.start:%d %B %Y} and {period.end:%d %B %Y}"
    referrals = (f"{p.count(counts['nrm_referrals'])} NRM referrals and {p.count(counts['duty_to_notify'])} "
                 f"Duty to Notify reports were made for the area in the same period.")
    if counts["crimes"] == 0:
        return [f"No modern slavery crimes were recorded {span} in the records supplied.", referrals]
    lines = [f"{counted(counts['crimes'], 'modern slavery crime', protect=p)} "
             f"{'was' if counts['crimes'] == 1 else 'were'} recorded {span}, with "
             f"{counted(counts['victims'], 'victim', protect=p)} and "
             f"{counted(counts['suspects'], 'suspect', protect=p)} linked to them."]
    by_type = crimes_by_type(data)
    known = by_type[~by_type["primary_type"].isin(["unknown"])]
    if len(known) and known["crimes"].iloc[0] > 0:
        top = known.sort_values("crimes", ascending=False).iloc[0]
        lines.append(f"{type_label(top['primary_type']).capitalize()} was the most common primary type "
                     f"({counted(int(top['crimes']), 'crime', protect=p)}, "
                     f"{p.share(int(top['crimes']), counts['crimes'])}).")
    years = crimes_by_year(data)
    if len(years) >= 2 and years["crimes"].iloc[-2] > 0:
        last, prev = years.iloc[-1], years.iloc[-2]
        shown = tuple(table_cell(years, "year", row["year"], "crimes", p) for row in (last, prev))
        if all(text.replace(",", "").isdigit() for text in shown):  # no change quoted from a suppressed count
            change = 100 * (last["crimes"] - prev["crimes"]) / prev["crimes"]
            direction = "more" if change >= 0 else "fewer"
            lines.append(f"{shown[0]} crimes were recorded in {last['year']}, {abs(change):.0f}% {direction} "
                         f"than in {prev['year']} ({shown[1]}).")
    lines.append(referrals)
    return lines


def _period_quarters(data) -> list[str]:
    start, end = data.locality.period.start, data.locality.period.end
    periods = pd.period_range(pd.Period(start, "Q"), pd.Period(end, "Q"), freq="Q")
    return [f"{p.year}-Q{p.quarter}" for p in periods]


def crimes_by_quarter(data, crimes: pd.DataFrame | None = None) -> pd.DataFrame:
    crimes = data.crimes if crimes is None else crimes
    counts = crimes.groupby("quarter").size().reindex(_period_quarters(data), fill_value=0)
    return counts.rename("crimes").rename_axis("quarter").reset_index()


def types_present(data) -> list[str]:
    """Exploitation types with at least one crime, most crimes first ('unknown' last)."""
    counts = data.crimes["primary_type"].value_counts()
    order = {t: i for i, t in enumerate(EXPLOITATION_TYPES)}  # ties keep the vocabulary's order
    known = sorted((t for t in counts.index if t != "unknown"), key=lambda t: (-counts[t], order.get(t, 99)))
    return known + (["unknown"] if "unknown" in counts.index else [])


def of_type(frame: pd.DataFrame, exploitation_type: str | None) -> pd.DataFrame:
    return frame if exploitation_type is None else frame[frame["primary_type"] == exploitation_type]


PROFILE_COLUMNS = {"age_group": ("child", "adult", "unknown"),
                   "age_band": tuple(label for _, _, label in AGE_BANDS) + ("unknown",),
                   "sex": ("female", "male", "other", "unknown")}


def profile(people: pd.DataFrame, column: str, top: int = 8) -> pd.DataFrame:
    """People by one characteristic; nationality keeps the `top` most common and groups the rest."""
    if column == "nationality" and people[column].nunique() > top:
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
    return pd.DataFrame({"year": years, "recorded crimes": per_year(data.crimes),
                         "recorded victims": per_year(data.victims),
                         "NRM referrals": per_year(data.nrm_referrals)})


TYPE_LABELS = {"labour": "labour exploitation", "criminal": "criminal exploitation",
               "sexual": "sexual exploitation", "domestic servitude": "domestic servitude",
               "organ harvesting": "organ harvesting", "other": "other exploitation",
               "unknown": "exploitation type not recorded"}


def type_label(exploitation_type: str) -> str:
    return TYPE_LABELS.get(exploitation_type, exploitation_type)


def counted(count: int, noun: str, plural: str | None = None, protect: Protector | None = None) -> str:
    """'1 crime', '2 crimes', '1,024 victims'; 'fewer than 5 crimes' where the edition suppresses it."""
    text = (protect or INTERNAL).count(count)
    return f"{text} {noun if text == '1' else (plural or noun + 's')}"


def share(part: int, whole: int, protect: Protector | None = None) -> str:
    return (protect or INTERNAL).share(part, whole)


def table_cell(table: pd.DataFrame, key_column: str, key, value_column: str, protect: Protector | None = None) -> str:
    """A count for a sentence exactly as the same table shows it in this edition: a count withheld from
    the table (secondary suppression included) is withheld from the sentence too."""
    p = protect or INTERNAL
    if not p.partner:
        return p.count(int(table.loc[table[key_column] == key, value_column].iloc[0]))
    protected = Protector(p.edition, p.disclosure).table(table, "sentence")  # scratch: keeps the log clean
    row = protected.index[protected[key_column] == key][0]
    return p.cell(protected, row, value_column)


def _share_of_cell(text: str, part: int, whole: int, p: Protector) -> str:
    return p.share(part, whole) if text.replace(",", "").isdigit() else "n/a"


def type_bullets(data, exploitation_type: str, protect: Protector | None = None) -> list[str]:
    p = protect or INTERNAL
    crimes = of_type(data.crimes, exploitation_type)
    victims = of_type(data.victims, exploitation_type)
    label = type_label(exploitation_type)
    if crimes.empty:
        return [f"No crimes with {label} as the primary type were recorded in the period."]
    shown = table_cell(crimes_by_type(data), "primary_type", exploitation_type, "crimes", p)
    noun = "crime" if shown == "1" else "crimes"
    lines = [f"{shown} {noun} ({_share_of_cell(shown, len(crimes), len(data.crimes), p)} of all recorded) "
             f"had {label} as the primary type, with {counted(len(victims), 'victim', protect=p)} linked to them."]
    if len(victims):
        ages, sexes = profile(victims, "age_group"), profile(victims, "sex")
        nations = profile(victims, "nationality")
        children = (table_cell(ages, "age_group", "child", "people", p)
                    if "child" in set(ages["age_group"]) else "0")
        female = table_cell(sexes, "sex", "female", "people", p) if "female" in set(sexes["sex"]) else "0"
        top = nations.sort_values("people", ascending=False).iloc[0]["nationality"]
        n_children = int((victims["age_group"] == "child").sum())
        n_female = int((victims["sex"] == "female").sum())
        lines.append(f"Of the victims, {children} ({_share_of_cell(children, n_children, len(victims), p)}) were "
                     f"children and {female} ({_share_of_cell(female, n_female, len(victims), p)}) female; "
                     f"the most common nationality was {top} "
                     f"({table_cell(nations, 'nationality', top, 'people', p)}).")
    if exploitation_type == "criminal" and crimes["county_lines"].notna().any():
        flagged = int(crimes["county_lines"].fillna(False).sum())
        lines.append(f"{p.count(flagged)} of these crimes ({p.share(flagged, len(crimes))}) were flagged as "
                     f"county lines.")
    return lines
