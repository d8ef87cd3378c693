"""Findings as sentences: the headline and per-type bullets and the executive summary's key insights.

Every count goes through ``number`` (the section's), so a sentence shows a cell exactly as the tables do.
"""
from __future__ import annotations

from pplib.measures import compare, national
from pplib.measures.counts import crimes_by_type, crimes_by_year, headline_counts, of_type
from pplib.measures.quality import DATA_QUALITY_SOURCE, intelligence_gaps
from pplib.measures.wording import counted, in_brackets, plain, share, type_label, withheld
from pplib.text import md


def headline_bullets(data, number=plain) -> list[str]:
    """Key facts as sentences, written from the numbers (never typed by hand).

    Local counts are written through `number(value, measure, **conditions)`: the section's, which shows each
    cell as the edition shows it everywhere."""
    counts = headline_counts(data)
    period = data.locality.period
    span = f"between {period.start:%d %B %Y} and {period.end:%d %B %Y}"
    referrals = (f"{number(counts['nrm_referrals'], 'referrals')} NRM referrals and "
                 f"{number(counts['duty_to_notify'], 'dtn_reports')} Duty to Notify reports were made for the area "
                 f"in the same period.")
    if counts["crimes"] == 0:
        return [f"No modern slavery crimes were recorded {span} in the records supplied.", referrals]
    crimes = number(counts["crimes"], "crimes")
    lines = [f"{counted(crimes, 'modern slavery crime')} {'was' if crimes == '1' else 'were'} recorded {span}, "
             f"with {counted(number(counts['victims'], 'victims'), 'victim')} and "
             f"{counted(number(counts['suspects'], 'suspects'), 'suspect')} linked to them."]
    by_type = crimes_by_type(data)
    known = by_type[~by_type["primary_type"].isin(["unknown", "other", "other or not recorded"])]
    if len(known) and known["crimes"].iloc[0] > 0:
        top = known.sort_values("crimes", ascending=False).iloc[0]
        text = number(int(top["crimes"]), "crimes", primary_type=top["primary_type"])
        lines.append(f"{type_label(top['primary_type']).capitalize()} was the most common primary type "
                     f"({counted(text, 'crime')}{share(text, crimes, int(top['crimes']), counts['crimes'])}).")
    years = crimes_by_year(data)
    if len(years) >= 2 and years["crimes"].iloc[-2] > 0:
        last, prev = years.iloc[-1], years.iloc[-2]
        shown = [number(int(row["crimes"]), "crimes", year=row["year"]) for row in (last, prev)]
        if not any(withheld(text) for text in shown):  # no change quoted from a suppressed count
            change = 100 * (last["crimes"] - prev["crimes"]) / prev["crimes"]
            direction = "more" if change >= 0 else "fewer"
            lines.append(f"{shown[0]} crimes were recorded in {last['year']}, {abs(change):.0f}% {direction} "
                         f"than in {prev['year']} ({shown[1]}).")
    lines.append(referrals)
    return lines


def type_bullets(data, exploitation_type: str, number=plain) -> list[str]:
    crimes = of_type(data.crimes, exploitation_type)
    victims = of_type(data.victims, exploitation_type)
    label = type_label(exploitation_type)
    if crimes.empty:
        return [f"No crimes with {label} as the primary type were recorded in the period."]
    of = {"primary_type": exploitation_type}
    shown = number(len(crimes), "crimes", **of)
    total = number(len(data.crimes), "crimes")
    of_all = in_brackets(share(shown, total, len(crimes), len(data.crimes)))
    lines = [f"{counted(shown, 'crime')}{of_all[:-1] + ' of all recorded)' if of_all else ''} had {label} as the primary type, with {counted(number(len(victims), 'victims', **of), 'victim')} "
             f"linked to them."]
    if len(victims):
        all_victims = number(len(victims), "victims", **of)
        n_children = int((victims["age_group"] == "child").sum())
        n_female = int((victims["sex"] == "female").sum())
        children = number(n_children, "victims", **of, age_group="child")
        female = number(n_female, "victims", **of, sex="female")
        nations = victims["nationality"].value_counts()
        top = nations.index[0]
        lines.append(f"Of the victims, {children}{in_brackets(share(children, all_victims, n_children, len(victims)))}"
                     f" were children and {female}{in_brackets(share(female, all_victims, n_female, len(victims)))}"
                     f" female; the most common nationality was {md(top)} "
                     f"({number(int(nations.iloc[0]), 'victims', **of, nationality=top)}).")
    if exploitation_type == "criminal" and crimes["county_lines"].notna().any():
        flagged = int(crimes["county_lines"].fillna(False).sum())
        text = number(flagged, "crimes", **of, county_lines=True)
        lines.append(f"{text} of these crimes{in_brackets(share(text, shown, flagged, len(crimes)))} were flagged "
                     f"as county lines.")
    return lines


def crimes_by_type_bullet(data, number=plain) -> str | None:
    """Recorded crimes per primary exploitation type in one sentence, each count through `number` (the
    section's: as the edition shows that cell everywhere); no share of a withheld count or total."""
    by_type = crimes_by_type(data)[["primary_type", "crimes"]]
    by_type = by_type[by_type["crimes"] > 0]
    if by_type.empty:
        return None
    total = len(data.crimes)
    whole = number(total, "crimes")
    parts = []
    for row in by_type.itertuples():
        text = number(int(row.crimes), "crimes", primary_type=row.primary_type)
        percent = "" if withheld(text) or withheld(whole) else f" ({100 * row.crimes / total:.0f}%)"
        parts.append(f"{type_label(row.primary_type)} {text}{percent}")
    return "Recorded crimes by primary exploitation type: " + "; ".join(parts) + "."


def key_insights(data, number=plain, year: int | None = None, compare_from: str | None = None,
                 compare_to: str | None = None, national_lines: int = 2, partner: bool = False) -> list[str]:
    """Executive summary bullets, drawn from the sections' own bullet writers (numbers never typed by hand)."""
    lines = list(headline_bullets(data, number))
    by_type = crimes_by_type_bullet(data, number)
    if by_type:
        lines.append(by_type)
    first, last = (compare_from, compare_to) if compare_from and compare_to else compare.latest_quarters(4)
    rates = compare.force_referral_rates(first, last)
    lines.extend(compare.force_comparison_bullets(data.locality.force_code, rates, first, last)[:1])
    year = int(year or data.locality.period.end.year)
    lines.extend(f"Nationally (UK, published NRM statistics): {line}"
                 for line in national.national_bullets(year)[:national_lines])
    gaps = intelligence_gaps(data, partner=partner)
    from_data = int((gaps["source of the gap"] == DATA_QUALITY_SOURCE).sum())
    lines.append(f"{len(gaps):,} intelligence gaps are not yet closed: {len(gaps) - from_data:,} from the "
                 f"partnership's register and {from_data:,} shown by the quality of the data (section 1.3).")
    return lines
