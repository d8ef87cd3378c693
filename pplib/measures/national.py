"""The national picture from published NRM statistics (public figures, never suppressed).

Published figures are patchy: a year may have its total in a bulletin and its
age split only in the quarterly data tables. Each figure therefore carries its
basis: the published annual figure, or the sum of the four published quarters.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from pplib.reference.published import national_figures

SOURCE = "Home Office, Modern Slavery: National Referral Mechanism and Duty to Notify statistics"
PUBLISHED = "published annual figure"
QUARTER_SUM = "sum of the four published quarters"
AGE_GROUPS = {"adult": "adult_referrals", "child": "child_referrals", "unknown": "unknown_age_referrals"}
LOCATIONS = {"UK only": "location:uk_only", "overseas only": "location:overseas_only",
             "UK and overseas": "location:uk_and_overseas", "unknown": "location:unknown"}


@dataclass(frozen=True)
class Figure:
    value: float
    basis: str
    source_url: str = ""
    note: str = ""  # when official statements disagree: which figure was chosen, by which rule, and the other


# Two official statements can give one period's figure differently (the EOY 2024 annex gives UK nationals
# as 4,411 in its prose and 4,441 in its list). The figure shown is chosen by this rule, and says so.
CONFLICT_RULE = ("a data table over bulletin text; then the later publication; then the figure more statements "
                 "give (copies of official publications counted)")
_SOURCE_RANK = {"official_data_table_via_github_extract": 0, "official_gov_uk": 1}


def choose(rows: pd.DataFrame) -> tuple[pd.Series, str]:
    """One figure from rows giving one period's measure, by CONFLICT_RULE; and a note naming each figure
    when they disagree (empty when they agree)."""
    values = rows["value"].unique()
    if len(values) <= 1:
        return rows.iloc[0], ""
    ranked = rows.assign(rank=rows["source_type"].map(_SOURCE_RANK).fillna(2),
                         published_=rows["published"].fillna(""),
                         support=rows.groupby("value")["value"].transform("size"))
    official = ranked[ranked["rank"] < 2]
    pool = official if len(official) else ranked
    pool = pool[pool["rank"] == pool["rank"].min()]
    pool = pool[pool["published_"] == pool["published_"].max()]
    pool = pool.sort_values(["support", "percent"], ascending=False, na_position="last")
    chosen = pool.iloc[0]
    others = ", ".join(f"{v:,.0f}" for v in values if v != chosen["value"])
    note = (f"Official statements give this figure as {chosen['value']:,.0f} and as {others}; "
            f"{chosen['value']:,.0f} is shown (rule: {CONFLICT_RULE}).")
    return chosen, note


def _rows(measure: str) -> pd.DataFrame:
    table = national_figures()
    return table[(table["measure"] == measure) & table["value"].notna()]


def quarterly(measure: str) -> pd.Series:
    """Published quarterly values of a measure, indexed by 'YYYY-Qn'."""
    rows = _rows(measure)
    rows = rows[rows["period"].str.len() == 7]
    return rows.set_index("period")["value"].sort_index()


def _quarter_sum(measure: str, year: int) -> float | None:
    """Sum of a year's four quarters; suffix-split measures (':adult', ':child'...) are added up."""
    table = national_figures()
    wanted = table["measure"].eq(measure) | table["measure"].str.startswith(measure + ":")
    if measure in AGE_GROUPS.values():
        wanted = table["measure"].eq(measure)
    rows = table[wanted & table["period"].str.match(rf"^{year}-Q[1-4]$") & table["value"].notna()]
    if rows.empty:
        return None
    if rows["measure"].nunique() > 1:  # split measures: age suffixes must all be there each quarter
        per_quarter = rows.groupby("period")["measure"].nunique()
        if per_quarter.min() != rows["measure"].nunique():
            return None
    quarters = rows["period"].nunique()
    return float(rows["value"].sum()) if quarters == 4 else None


def annual(measure: str, year: int) -> Figure | None:
    """A year's figure: the published annual one, else the sum of four published quarters."""
    rows = _rows(measure)
    rows = rows[rows["period"] == str(year)]
    if not rows.empty:
        row, note = choose(rows)
        return Figure(float(row["value"]), PUBLISHED, row["source_url"], note)
    summed = _quarter_sum(measure, year)
    return Figure(summed, QUARTER_SUM) if summed is not None else None


def quarterly_totals() -> pd.DataFrame:
    """Total referrals per quarter: published totals, else adult + child + unknown age (data tables)."""
    published = quarterly("total_referrals")
    by_age = pd.concat([quarterly(m) for m in AGE_GROUPS.values()], axis=1)
    by_age = by_age.dropna().sum(axis=1)
    periods = sorted(set(published.index) | set(by_age.index))
    rows = [{"quarter": p,
             "referrals": published.get(p, by_age.get(p)),
             "basis": "published total" if p in published.index else "sum of adult, child and unknown age"}
            for p in periods]
    return pd.DataFrame(rows)


def years_available(first: int = 2014) -> list[int]:
    periods = _rows("total_referrals")["period"]
    return sorted(int(p) for p in periods if len(p) == 4 and int(p) >= first)


def totals_by_year(years: list[int] | None = None) -> pd.DataFrame:
    years = years or years_available()
    rows = []
    for year in years:
        total, dtn = annual("total_referrals", year), annual("dtn_reports", year)
        rows.append({"year": year, "referrals": total.value if total else None,
                     "dtn_reports": dtn.value if dtn else None})
    table = pd.DataFrame(rows)
    table["change_percent"] = (100 * table["referrals"].pct_change()).round(1)
    return table


def _split(parts: dict[str, str], year: int, label: str) -> pd.DataFrame:
    total = annual("total_referrals", year)
    rows, notes = [], []
    for name, measure in parts.items():
        figure = annual(measure, year)
        if figure is not None:
            rows.append({label: name, "referrals": figure.value, "basis": figure.basis})
            notes += [figure.note] if figure.note else []
    table = pd.DataFrame(rows, columns=[label, "referrals", "basis"])
    if total and not table.empty:
        table.insert(2, "percent", (100 * table["referrals"] / total.value).round(1))
    table.attrs["notes"] = notes  # figures official statements give differently, and which is shown
    return table


def age_split(year: int) -> pd.DataFrame:
    return _split(AGE_GROUPS, year, "age at exploitation")


def sex_split(year: int) -> pd.DataFrame:
    return _split({"male": "male", "female": "female"}, year, "sex")


def location_split(year: int) -> pd.DataFrame:
    return _split(LOCATIONS, year, "location of exploitation")


def nationalities(year: int) -> pd.DataFrame:
    """Published nationality counts for the year (bulletins give the top few), largest first."""
    table = national_figures()
    names = table.loc[table["measure"].str.fullmatch(r"nationality:[A-Za-z ]+"), "measure"].unique()
    parts = {m.split(":", 1)[1].replace("UK", "United Kingdom"): m for m in names}
    split = _split(parts, year, "nationality")
    notes = split.attrs.get("notes", [])
    split = split.sort_values("referrals", ascending=False).reset_index(drop=True)
    split.attrs["notes"] = notes
    return split


def nationality_note(year: int) -> str:
    """For a caption: the nationality figures official statements give differently, and which is shown."""
    return " ".join(f"{year}: {n}" for n in nationalities(year).attrs.get("notes", []))


# The data tables' exploitation types (a referral can record several), grouped as the bulletins group them.
SINGLE_TYPES = {"labour": "labour", "criminal": "criminal", "sexual": "sexual", "domestic": "domestic servitude",
                "organ_harvesting": "organ harvesting", "not_specified_or_unknown": "not specified or unknown"}
MULTIPLE = "more than one type"
TYPE_ORDER = ["criminal", "labour", "sexual", "domestic servitude", "organ harvesting", MULTIPLE,
              "not specified or unknown"]
DETAIL_AGES = {"adult": "adult", "child": "child", "unknown_age": "unknown"}
DETAIL_BASIS = ("sum of the four quarters' data tables (Tables 11 to 14 in 2023, 10 to 13 in 2022: referrals by "
                "first responder, exploitation type and age at exploitation)")


def _detail() -> pd.DataFrame:
    """Quarterly data-table cells of exploitation type by age at exploitation ('exploitation_detail:*')."""
    table = national_figures()
    rows = table[table["measure"].str.startswith("exploitation_detail:") & table["value"].notna()]
    parts = rows["measure"].str.split(":", expand=True)
    return pd.DataFrame({"period": rows["period"].to_numpy(),
                         "exploitation type": parts[1].map(lambda t: SINGLE_TYPES.get(t, MULTIPLE)).to_numpy()
                         if len(rows) else [],
                         "age": parts[2].map(DETAIL_AGES).to_numpy() if len(rows) else [],
                         "referrals": rows["value"].to_numpy(), "source_url": rows["source_url"].to_numpy()})


def _detail_years() -> list[int]:
    """Years whose four quarters of the type-by-age data tables are all held."""
    quarters = _detail()["period"].drop_duplicates()
    years = quarters.str[:4].value_counts()
    return sorted(int(y) for y, n in years.items() if n == 4)


def exploitation_years() -> list[int]:
    """Every year with an exploitation-type breakdown by age: the data tables' full years, and years whose
    bulletins publish headline pairs (e.g. labour for adults, criminal for children)."""
    table = national_figures()
    pairs = table[table["measure"].str.match(r"^exploitation:[a-z_]+:(adult|child|all)$")
                  & table["period"].str.fullmatch(r"\d{4}") & table["value"].notna()]
    return sorted(set(_detail_years()) | {int(p) for p in pairs["period"]})


def exploitation_by_age(year: int) -> pd.DataFrame:
    """Referrals by exploitation type and age at exploitation in the year: from the data tables where all four
    quarters are held (every type, adults, children and age unknown, with each type's percent of the age
    group), else the headline pairs the bulletin publishes as text."""
    if year in _detail_years():
        detail = _detail()
        detail = detail[detail["period"].str.startswith(str(year))]
        table = (detail.pivot_table(index="exploitation type", columns="age", values="referrals", aggfunc="sum",
                                    fill_value=0)
                 .reindex(index=[t for t in TYPE_ORDER if t in set(detail["exploitation type"])],
                          columns=list(DETAIL_AGES.values()), fill_value=0).astype(int))
        table["all ages"] = table.sum(axis=1)
        for age in ("adult", "child"):
            table[f"percent of {age}ren" if age == "child" else f"percent of {age}s"] = (
                100 * table[age] / table[age].sum()).round(1)
        table = table.rename_axis(None, axis=1).reset_index()
        table.attrs.update(basis=DETAIL_BASIS, source_urls=sorted(set(detail["source_url"])))
        return table
    table = national_figures()
    rows = table[table["measure"].str.match(r"^exploitation:[a-z_]+:(adult|child|all)$")
                 & (table["period"] == str(year)) & table["value"].notna()]
    parsed = rows["measure"].str.split(":", expand=True)
    out = pd.DataFrame({"exploitation type": parsed[1].str.replace("_", " ") if len(rows) else [],
                        "age group": parsed[2] if len(rows) else [],
                        "referrals": rows["value"].to_numpy(),
                        "percent of age group": rows["percent"].to_numpy()})
    out.attrs.update(basis=PUBLISHED, source_urls=sorted(set(rows["source_url"])))
    return out


def exploitation_by_quarter() -> pd.DataFrame:
    """Referrals by exploitation type (all ages) per quarter held in the data tables: the trend across years."""
    detail = _detail()
    table = (detail.pivot_table(index="period", columns="exploitation type", values="referrals", aggfunc="sum",
                                fill_value=0)
             .reindex(columns=[t for t in TYPE_ORDER if t in set(detail["exploitation type"])]).astype(int))
    return table.rename_axis(None, axis=1).rename_axis("quarter").reset_index()


def exploitation_bullets(year: int) -> list[str]:
    """What the type-by-age breakdown shows: the most common type for adults and for children."""
    table = exploitation_by_age(year)
    if "all ages" not in table:
        return []
    known = table[~table["exploitation type"].isin([MULTIPLE, "not specified or unknown"])].set_index("exploitation type")
    lines = []
    for age, share in (("adult", "percent of adults"), ("child", "percent of children")):
        top = known[age].idxmax()
        noun = "adults" if age == "adult" else "children"
        lines.append(f"{top.capitalize()} exploitation was the most common type recorded for {noun} exploited "
                     f"in {year} ({known.loc[top, age]:,.0f}, {known.loc[top, share]:.0f}% of {noun}; "
                     f"a referral recording several types is counted once, as more than one type).")
    return lines


def _change(now: float, before: float) -> str:
    change = 100 * (now - before) / before
    if round(change) == 0:
        return "about the same as"
    return f"{abs(change):.0f}% {'more' if change > 0 else 'fewer'} than"


def national_bullets(year: int, compare_year: int | None = None) -> list[str]:
    """Insights written from the published numbers."""
    compare_year = compare_year or year - 1
    lines = []
    total, before = annual("total_referrals", year), annual("total_referrals", compare_year)
    if total is None:
        return [f"No published total of NRM referrals for {year} is held."]
    comparison = (f", {_change(total.value, before.value)} in {compare_year} ({before.value:,.0f})"
                  if before else "")
    lines.append(f"{total.value:,.0f} potential victims were referred in {year}{comparison}.")
    ages = age_split(year).set_index("age at exploitation")
    if {"adult", "child"} <= set(ages.index):
        lines.append(f"{ages.loc['adult', 'referrals']:,.0f} ({ages.loc['adult', 'percent']:.0f}%) were "
                     f"exploited as adults and {ages.loc['child', 'referrals']:,.0f} "
                     f"({ages.loc['child', 'percent']:.0f}%) as children.")
    sexes = sex_split(year).set_index("sex")
    if "male" in sexes.index:
        lines.append(f"{sexes.loc['male', 'percent']:.0f}% of potential victims were male "
                     f"({sexes.loc['male', 'referrals']:,.0f}).")
    nations = nationalities(year)
    if not nations.empty:
        top = nations.iloc[0]
        others = ", ".join(f"{r['nationality']} ({r['referrals']:,.0f})" for _, r in nations.iloc[1:3].iterrows())
        lines.append(f"{top['nationality']} was the most common nationality ({top['referrals']:,.0f}, "
                     f"{top['percent']:.0f}%){', followed by ' + others if others else ''}.")
    dtn, dtn_before = annual("dtn_reports", year), annual("dtn_reports", compare_year)
    if dtn:
        comparison = f", {_change(dtn.value, dtn_before.value)} in {compare_year}" if dtn_before else ""
        lines.append(f"{dtn.value:,.0f} Duty to Notify reports were made about adults who did not enter "
                     f"the NRM{comparison}.")
    return lines
