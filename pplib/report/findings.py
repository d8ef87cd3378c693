"""Findings as sentences: the headline and per-type bullets and the executive summary's key insights.

Every count goes through ``number`` (the section's), so a sentence shows a cell exactly as the tables do.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date

import pandas as pd

from pplib.measures import areas, compare, focus, inference, national, registers
from pplib.measures.counts import crimes_by_quarter, crimes_by_type, crimes_by_year, headline_counts, of_type
from pplib.measures.quality import DATA_QUALITY_SOURCE, intelligence_gaps
from pplib.measures.value import OTHER
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
    change = year_change(data, number)  # tested: "rose" only beyond chance; none from a withheld count
    if change is not None:
        lines.append(change.text)
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
    county_lines = focus.county_lines_sentence(data, number) if exploitation_type == "criminal" else None
    lines += [county_lines] if county_lines else []  # one definition and one sentence: focus.COUNTY_LINES
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
    """Executive summary bullets, drawn from the sections' own bullet writers (numbers never typed by hand): the
    headline, crimes by type, the strongest tested findings of sections 5.2, 6 and 7 (`strongest`), the force
    against England and Wales, the national picture and the intelligence gaps."""
    lines = list(headline_bullets(data, number))
    by_type = crimes_by_type_bullet(data, number)
    if by_type:
        lines.append(by_type)
    lines += [f.text for f in strongest(data, number, compare_from, compare_to) if f.text not in lines]
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


# --- key findings: tested before they are claimed (pplib.measures.inference) ------------------------------
# Each writer returns Finding records. A local count in a sentence goes through `number` (the section's); in the
# partner edition a finding whose share, rate, ratio or verdict rests on a withheld (or rounded) count is skipped.

TESTS_NOTE = ("*How the findings are tested.* A change is claimed (\"rose\", \"fell\") only when an exact Poisson "
              "test finds it beyond chance (p < 0.05), otherwise it is \"about the same\"; shares carry Wilson 95% "
              "intervals, and a local share is higher or lower than the national one only when the national share "
              "is outside its interval. Likelihood words follow the Professional Head of Intelligence Assessment "
              "(PHIA) probability yardstick: remote chance (0–5%), highly unlikely (10–20%), unlikely (25–35%), "
              "realistic possibility (40–50%), likely (55–75%), highly likely (80–90%), almost certain (95–100%); "
              "each probability is the Jeffreys posterior probability of the claim under the test named.")

NOT_KNOWN = frozenset({"unknown", "Unknown", "not recorded", OTHER, "All other", "other"})


@dataclass(frozen=True)
class Finding:
    """One key finding: its sentence, a short headline for the summary, what it is about and how strong it is."""
    text: str
    headline: str
    topics: tuple[str, ...] = ()   # exploitation types, settings, districts: what an action must name to answer it
    strength: float | None = None  # the probability (PHIA's) that the claim holds; None for a plain statement
    claimed: bool = False          # the test supports a claim (rose, fell, concentrated, higher, lower, hotspot)
    kind: str = ""                 # change, type, setting, theme, nationality, national or hotspot

    def __str__(self) -> str:
        return self.text


def _exact(number, value: int, measure: str, **conditions) -> str | None:
    """The count as the edition writes it, or None when a finding may not rest on it: withheld, shown other than
    as recorded (rounded), or of a dimension the section cannot yet model."""
    try:
        text = number(int(value), measure, **conditions)
    except KeyError:
        return None
    if withheld(text) or re.sub(r"<[^>]+>|,", "", text).strip() != str(int(value)):
        return None
    return text


def _p(p_value: float) -> str:
    """'p = 0.049' (three places below 0.1, so a p just under 0.05 never reads as 0.05), 'p = 0.72', 'p < 0.001'."""
    return "p < 0.001" if p_value < 0.001 else f"p = {p_value:.3f}" if p_value < 0.1 else f"p = {p_value:.2f}"


def _pct(value: float) -> str:
    """A percentage as the bulletin writes it: no decimals ('less than 1%' rather than '0%' for a small share)."""
    return "less than 1%" if 0 < value < 0.005 else f"{100 * value:.0f}%"


def _interval(result) -> str:
    return f"95% CI {100 * result.lower:.0f}% to {100 * result.upper:.0f}%"


def _ratio(change: inference.Change) -> str:
    upper = "∞" if math.isinf(change.upper) else f"{change.upper:.2f}"
    return f"rate ratio {change.ratio:.2f}, 95% CI {change.lower:.2f} to {upper}; {change.test}, {_p(change.p_value)}"


CHANGE_MEANING = {
    "rose": "For the partnership: check whether this is more exploitation or more of it being found (an operation, "
            "a new referral route) before planning on it.",
    "fell": "For the partnership: check whether recording or proactive work fell before reading this as less "
            "exploitation.",
}


def _change_finding(result: inference.Change, what: str, when: str, against: str, topics: tuple) -> Finding:
    """'Recorded labour exploitation crimes rose in 2023-Q4: 21 crimes against …' with its test and meaning (a
    change beyond chance only: the callers write 'about the same')."""
    claim = f"the rate of {what} {result.verdict} in {when}"
    text = (f"{what.capitalize()} {result.verdict} in {when}: {against} ({_ratio(result)}). "
            + inference.judgement(result.probability, claim, result.basis) + " " + CHANGE_MEANING[result.verdict])
    return Finding(text, f"{what} {result.verdict} in {when}", topics, result.probability, claimed=True,
                   kind="change")


def _of(exploitation_type: str | None) -> dict:
    return {"primary_type": exploitation_type} if exploitation_type else {}


def _what(exploitation_type: str | None) -> str:
    return f"recorded {type_label(exploitation_type)} crimes" if exploitation_type else "recorded crimes"


def year_change(data, number=plain, exploitation_type: str | None = None) -> Finding | None:
    """The last year of the period against the one before (exact Poisson test; exposure in days of each year
    within the period, so a part year is compared fairly)."""
    crimes = of_type(data.crimes, exploitation_type)
    years = crimes_by_year(data, crimes)
    if len(years) < 2:
        return None
    (prev_year, prev), (last_year, last) = years.iloc[-2][["year", "crimes"]], years.iloc[-1][["year", "crimes"]]
    shown = [_exact(number, n, "crimes", **_of(exploitation_type), year=y) for y, n in ((last_year, last),
                                                                                       (prev_year, prev))]
    if None in shown or last + prev == 0:
        return None
    period = data.locality.period
    days = [(min(period.end, date(y, 12, 31)) - max(period.start, date(y, 1, 1))).days + 1
            for y in (int(last_year), int(prev_year))]
    result = inference.change(int(last), int(prev), days[1] / days[0])
    part = "" if days[0] == days[1] else f", over {days[0]} and {days[1]} days of the period"
    against = f"{counted(shown[0], 'crime')} in {last_year} against {shown[1]} in {prev_year}{part}"
    topics = (exploitation_type,) if exploitation_type else ()
    if result.verdict == "about the same":
        return Finding(f"{_what(exploitation_type).capitalize()} were about the same in {last_year} as in "
                       f"{prev_year}: {against} ({_ratio(result)}).",
                       f"{_what(exploitation_type)} about the same in {last_year}", topics)
    return _change_finding(result, _what(exploitation_type), str(last_year), against, topics)


def quarter_change(data, number=plain, exploitation_type: str | None = None,
                   only_beyond_chance: bool = False) -> Finding | None:
    """The latest quarter against the mean of the four before it (exact Poisson test, exposure 1:4).

    With `only_beyond_chance`, nothing is said (and no count is put to `number`) unless the change is beyond
    chance: a quarter spike is news, a quarter like the others is not."""
    crimes = of_type(data.crimes, exploitation_type)
    quarters = crimes_by_quarter(data, crimes)
    if len(quarters) < 5:
        return None
    latest, before = quarters.iloc[-1], quarters.iloc[-5:-1]
    result = inference.change(int(latest["crimes"]), int(before["crimes"].sum()), 4)
    if only_beyond_chance and result.verdict == "about the same":
        return None
    of = _of(exploitation_type)
    now = _exact(number, latest["crimes"], "crimes", **of, quarter=latest["quarter"])
    then = [(int(row.crimes), _exact(number, row.crimes, "crimes", **of, quarter=row.quarter))
            for row in before.itertuples()]
    if now is None or any(text is None for _, text in then) or result.count + result.baseline == 0:
        return None
    low, high = min(then)[1], max(then)[1]
    spread = low if low == high else f"{low} to {high}"
    noun = f"{type_label(exploitation_type)} crimes" if exploitation_type else "crimes"
    against = (f"{now} {noun if now != '1' else noun[:-1]} in {latest['quarter']} against {spread} in each of the "
               f"four quarters before it")
    if result.verdict == "about the same":
        return Finding(f"{_what(exploitation_type).capitalize()} in {latest['quarter']} were about the same as in "
                       f"the four quarters before: {against} ({_ratio(result)}).",
                       f"{_what(exploitation_type)} about the same in {latest['quarter']}",
                       (exploitation_type,) if exploitation_type else ())
    return _change_finding(result, _what(exploitation_type), latest["quarter"], against,
                           (exploitation_type,) if exploitation_type else ())


def _concentration_text(result: inference.Concentration, claim: str, noun: str) -> str:
    return (f"beyond an even split across the {result.categories} {noun} recorded ({_pct(result.even)} each; Wilson "
            f"{_interval(result.share)}). " + inference.judgement(result.probability, claim, result.basis))


def top_type(data, number=plain) -> Finding | None:
    """The most common primary type, and whether crimes are concentrated in it beyond an even split."""
    by_type = crimes_by_type(data)
    known = {row.primary_type: int(row.crimes) for row in by_type.itertuples() if row.primary_type not in NOT_KNOWN}
    result = inference.concentration(known, len(data.crimes))
    if result is None or result.categories < 2:
        return None
    top = _exact(number, result.count, "crimes", primary_type=result.top)
    whole = _exact(number, len(data.crimes), "crimes")
    if top is None or whole is None:
        return None
    label = type_label(result.top)
    lead = (f"{label.capitalize()} was the most common type ({counted(top, 'crime')}, {_pct(result.share.share)} "
            f"of all recorded)")
    if not result.concentrated:
        return Finding(f"{lead}, but not beyond an even split across the {result.categories} types recorded "
                       f"(Wilson {_interval(result.share)}).", f"{label} the most common type", (result.top,))
    text = (f"{lead}, concentrated {_concentration_text(result, f'crimes are concentrated in {label}', 'types')} For the "
            f"partnership: training, visits and victim support weighted towards {label} match where crimes are "
            "recorded.")
    return Finding(text, f"crimes concentrated in {label} ({_pct(result.share.share)})", (result.top,),
                   result.probability, claimed=True, kind="type")


def top_sector(data, exploitation_type: str, number=plain) -> Finding | None:
    """The type's most common sector or setting, concentrated beyond an even split over the settings recorded."""
    table = focus.sectors(data, exploitation_type)
    crimes = int((data.crimes["primary_type"] == exploitation_type).sum())
    known = {row.sector: int(row.crimes) for row in table.itertuples() if row.sector not in NOT_KNOWN}
    result = inference.concentration(known, crimes)
    if result is None or result.categories < 2 or not result.concentrated:
        return None
    top = _exact(number, result.count, "crimes", primary_type=exploitation_type, sector=result.top)
    whole = _exact(number, crimes, "crimes", primary_type=exploitation_type)
    if top is None or whole is None:
        return None
    label = type_label(exploitation_type)
    setting = md(result.top)
    text = (f"The most common sector or setting of {label} was {setting} ({counted(top, 'crime')}, "
            f"{_pct(result.share.share)} of {whole} {label} crimes), "
            f"{_concentration_text(result, f'{label} is concentrated in the setting {setting}', 'settings')} For the partnership: "
            f"work aimed at {setting} (visits, checks, disruption, intelligence) reaches the largest part of it.")
    return Finding(text, f"{setting} the top setting of {label} ({counted(top, 'crime')})",
                   (exploitation_type, str(result.top)), result.probability, claimed=True, kind="setting")


def declare_domains(section) -> None:
    """Tell a partner section's ledger the values a sentence's modus operandi theme can take (a dimension the
    records do not hold, so the section cannot find it): before any finding quotes a theme's count."""
    if getattr(section, "partner", False):
        section.ledger.domains.add("crimes", "theme", [t for t, _ in focus.MO_THEMES], additive=False)


def top_theme(data, exploitation_type: str, number=plain) -> Finding | None:
    """The type's most common modus operandi theme: its share of the type's crimes with a Wilson interval, said
    to be 'most' only when the interval is wholly above a half."""
    themes = focus.mo_themes(data, exploitation_type)
    crimes = int((data.crimes["primary_type"] == exploitation_type).sum())
    if themes.empty or not crimes:
        return None
    row = themes.iloc[0]
    result = inference.share(int(row["crimes"]), crimes, 0.5)
    top = _exact(number, result.part, "crimes", primary_type=exploitation_type, theme=row["theme"])
    whole = _exact(number, crimes, "crimes", primary_type=exploitation_type)
    if top is None or whole is None:
        return None
    label = type_label(exploitation_type)
    lead = (f"The most common modus operandi theme in {label} was {row['theme']}: in {counted(top, 'crime')}, "
            f"{_pct(result.share)} of the {whole} {label} crimes (Wilson {_interval(result)})")
    meaning = (f" For the partnership: {row['theme']} is a sign frontline partners can be briefed to look for in "
               f"{label}.")
    if result.verdict == "higher":
        text = (f"{lead}. " + inference.judgement(result.probability, f"most {label} crimes involve {row['theme']}",
                                                   result.basis) + meaning)
        return Finding(text, f"{row['theme']} in {_pct(result.share)} of {label} crimes", (exploitation_type,),
                       result.probability, claimed=True, kind="theme")
    return Finding(f"{lead}.{meaning}", f"{row['theme']} in {_pct(result.share)} of {label} crimes",
                   (exploitation_type,))


def nationality(data, number=plain, exploitation_type: str | None = None) -> Finding | None:
    """The victims' most common nationality, concentrated beyond an even split over the nationalities recorded."""
    victims = of_type(data.victims, exploitation_type)
    counts = victims["nationality"].value_counts()
    known = {k: int(v) for k, v in counts.items() if k not in NOT_KNOWN}
    result = inference.concentration(known, len(victims))
    if result is None or result.categories < 2 or not result.concentrated:
        return None
    of = _of(exploitation_type)
    top = _exact(number, result.count, "victims", **of, nationality=result.top)
    whole = _exact(number, len(victims), "victims", **of)
    if top is None or whole is None:
        return None
    among = f"victims of {type_label(exploitation_type)}" if exploitation_type else "victims"
    who = md(result.top)
    text = (f"{among.capitalize()} were most often {who} nationals ({counted(top, 'victim')}, "
            f"{_pct(result.share.share)} of {whole}), "
            f"{_concentration_text(result, f'{among} are concentrated among {who} nationals', 'nationalities')} For the "
            + ("partnership: UK nationals are the largest group of victims, so awareness and safeguarding must not assume "
               "exploitation is only of people from abroad." if result.top == "United Kingdom" else
               f"partnership: outreach, interpreting and support should be planned for {who} nationals."))
    return Finding(text, f"{among} concentrated among {who} nationals ({_pct(result.share.share)})",
                   tuple(filter(None, (exploitation_type, str(result.top)))), result.probability, claimed=True,
                   kind="nationality")


NATIONAL_MEANING = {
    "higher": "a larger part of the local picture than of police referrals nationally: a local priority.",
    "lower": "a smaller part of the local picture than nationally: check whether it is under-identified here "
             "(part of the gap is how the two are counted: see below).",
}


def against_national(data, exploitation_type: str, number=plain, first: str | None = None,
                     last: str | None = None) -> Finding | None:
    """The type's share of local NRM referrals against its share of police NRM referrals nationally (published),
    higher or lower only when the national share is outside the local share's Wilson interval."""
    first, last = (first, last) if first and last else compare.latest_quarters(4)
    _, published = focus.local_vs_national(data, exploitation_type, first, last)
    national_percent = published["percent"].iloc[0]
    referrals = data.nrm_referrals
    part, whole = int((referrals["primary_type"] == exploitation_type).sum()), len(referrals)
    if national_percent is None or pd.isna(national_percent) or national_percent < 1 or not whole:
        return None  # a type under 1% of referrals nationally gives nothing to compare
    result = inference.share(part, whole, float(national_percent) / 100)
    shown = _exact(number, part, "referrals", primary_type=exploitation_type)
    total = _exact(number, whole, "referrals")
    if shown is None or total is None:
        return None
    label = type_label(exploitation_type)
    national_text = _pct(float(national_percent) / 100)
    lead = (f"{label.capitalize()} was {_pct(result.share)} of local NRM referrals ({shown} of {total}; Wilson "
            f"{_interval(result)}) against {national_text} of police NRM referrals nationally in {first} to {last}")
    if result.verdict == "similar":
        return Finding(f"{lead}: similar.", f"{label} similar to nationally", (exploitation_type,), kind="national")
    claim = f"{label} is a {'larger' if result.verdict == 'higher' else 'smaller'} share locally than nationally"
    text = (f"{lead}: {result.verdict}. " + inference.judgement(result.probability, claim, result.basis)
            + f" For the partnership: {label} is {NATIONAL_MEANING[result.verdict]} (Nationally a referral can "
              "record several types; locally each counts under its primary type.)")
    # Only "higher" is claimed: a primary-type share locally against an any-type share nationally is biased low,
    # so a local share above the national one is conservative, one below it may be the counting.
    return Finding(text, f"{label} {result.verdict} than nationally ({_pct(result.share)} against "
                         f"{national_text})", (exploitation_type,), result.probability,
                   claimed=result.verdict == "higher", kind="national")


def district_hotspots(data, number=plain, exploitation_type: str | None = None) -> list[Finding]:
    """Districts whose rate per 100,000 has a 95% Byar interval wholly above the force's rate (every district's
    crimes over their population; crimes no district holds are left out)."""
    crimes = of_type(data.crimes, exploitation_type)
    if crimes.empty:
        return []
    table, _ = areas.area_counts(crimes, "lad", data.locality.force_code)
    tested = inference.hotspots(table["count"], table["population"])
    label = type_label(exploitation_type) if exploitation_type else "modern slavery"
    found = []
    for area in (a for a in tested["areas"] if a["hotspot"]):
        row = table.iloc[area["index"]]
        shown = _exact(number, area["count"], "crimes", **_of(exploitation_type), lad=row["area_code"])
        if shown is None:
            continue
        name = md(row["area_name"])
        text = (f"{name} is a hotspot of recorded {label} crimes: {counted(shown, 'crime')}, {area['rate']:.1f} per "
                f"100,000 population (95% CI {area['lower']:.1f} to {area['upper']:.1f}, Byar's method), above the "
                f"force's {tested['rate']:.1f} per 100,000. "
                + inference.judgement(area["probability"], f"{name}'s rate is above the force's",
                                      inference.HOTSPOT_BASIS)
                + f" For the partnership: {name} is where visits and partner resources reach most of it.")
        found.append(Finding(text, f"{name} a hotspot of {label} ({area['rate']:.1f} per 100,000)",
                             tuple(filter(None, (exploitation_type, str(row["area_name"])))), area["probability"],
                             claimed=True, kind="hotspot"))
    return found


def hotspot_lines(data, number=plain, types: list[str] | None = None) -> list[str]:
    """Section 6's key findings: hotspot districts for all crimes and for each type, or a sentence saying none."""
    found = district_hotspots(data, number)
    for exploitation_type in types or []:
        found += district_hotspots(data, number, exploitation_type)
    if found:
        return [f.text for f in found]
    return ["No district's rate of recorded crimes, of all types or of any one type, was above the force's "
            "beyond chance (no 95% interval, Byar's method, lay wholly above the force's rate): the crimes are "
            "spread across the force in line with where people live."]


def local_findings(data, number=plain, first: str | None = None, last: str | None = None) -> list[Finding]:
    """Section 5.2's key findings beside the headline (which gives the year on year change): the latest quarter
    against the four before, the top type, each type's top setting, the victims' top nationality, and the types
    whose share of local referrals differs from the national one."""
    types = focus.ranked_types(data)
    found = [quarter_change(data, number), top_type(data, number)]
    found += [top_sector(data, t, number) for t in types]
    found.append(nationality(data, number))
    found += [against_national(data, t, number, first, last) for t in types]
    return [f for f in found if f is not None and (f.kind != "national" or "similar" not in f.headline)]


def type_findings(data, exploitation_type: str, number=plain, first: str | None = None,
                  last: str | None = None) -> list[Finding]:
    """Section 7's key findings for one type: top setting, top modus operandi theme, a quarter spike beyond chance,
    district hotspots, and its share against the national one."""
    found = [top_sector(data, exploitation_type, number), top_theme(data, exploitation_type, number),
             quarter_change(data, number, exploitation_type, only_beyond_chance=True),
             *district_hotspots(data, number, exploitation_type),
             against_national(data, exploitation_type, number, first, last)]
    return [f for f in found if f is not None]


def strongest(data, number=plain, first: str | None = None, last: str | None = None, count: int = 6
              ) -> list[Finding]:
    """The findings the tests support best, from sections 5.2, 6 and 7: claimed findings only, the strongest
    (highest probability) of each kind first, so the summary is not six of one kind, then the next strongest."""
    found = local_findings(data, number, first, last)
    for exploitation_type in focus.ranked_types(data):
        found += type_findings(data, exploitation_type, number, first, last)
    found += district_hotspots(data, number)
    unique = {f.text: f for f in found if f.claimed}
    ranked = sorted(unique.values(), key=lambda f: -(f.strength or 0.0))
    leaders = list({f.kind: f for f in reversed(ranked)}.values())
    leaders = sorted(leaders, key=lambda f: -(f.strength or 0.0))
    return (leaders + [f for f in ranked if f not in leaders])[:count]


def _answers(action_text: str, finding: Finding) -> bool:
    """An action answers a finding when its theme or text names the finding's exploitation type (its keywords,
    pplib.measures.focus.TYPE_KEYWORDS) or one of its other topics (a setting, a district, a nationality)."""
    text = action_text.casefold()
    for topic in finding.topics:
        pattern = focus.TYPE_KEYWORDS.get(topic)
        if pattern is not None and pattern.search(text):
            return True
        if pattern is None and re.search(r"\b" + re.escape(topic.casefold().rstrip("s")), text):
            return True
    return False


def recommendation_links(actions: pd.DataFrame, found: list[Finding]) -> dict[str, list[str]]:
    """Each recommendation (a High priority action not complete, as registers.recommendations) with the findings
    it answers, or the theme it serves when it answers none; then the findings no open action answers.

    Returns {"recommendations": lines, "unanswered": lines}."""
    wanted = actions[(actions["priority"].map(registers.priority) == "High")
                     & (actions["status"].map(registers.status) != "Complete")]
    every_open = actions[actions["status"].map(registers.status) != "Complete"]
    lines = []
    for row, written in zip(wanted.itertuples(), registers.recommendations(actions)):
        text = f"{registers.theme_name(row.theme)} {registers.as_text(row.action)}"
        answered = [f.headline for f in found if _answers(text, f)]
        lines.append(f"{written}. Answers: {'; '.join(answered)}." if answered else
                     f"{written}. Serves the theme {md(registers.theme_name(row.theme))}; no key finding above "
                     "tests it.")
    unanswered = []
    for finding in found:
        texts = [f"{registers.theme_name(r.theme)} {registers.as_text(r.action)}" for r in every_open.itertuples()]
        helping = [md(registers.as_text(r.action)) for r, t in zip(every_open.itertuples(), texts)
                   if _answers(t, finding)]
        headline = finding.headline[:1].upper() + finding.headline[1:]
        if not helping:
            unanswered.append(headline)
        elif not any(_answers(f"{registers.theme_name(r.theme)} {registers.as_text(r.action)}", finding)
                     for r in wanted.itertuples()):
            unanswered.append(f"{headline} (only by a lower priority action: {'; '.join(helping)})")
    return {"recommendations": lines, "unanswered": unanswered}
