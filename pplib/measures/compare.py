"""Rates per 100,000 with confidence intervals, and how an area compares (Fingertips style).

Confidence intervals for counts use Byar's approximation to the Poisson
distribution, as in the Public Health England / OHID Fingertips technical
guidance; an area is 'higher' or 'lower' than the benchmark only when its 95%
interval excludes the benchmark's value, otherwise 'similar'.
"""
from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from pplib.reference.forces import england_and_wales, force_by_code
from pplib.reference.published import force_referrals

log = logging.getLogger(__name__)

Z95 = 1.959963984540054
PER = 100_000


def byar_interval(count, z: float = Z95):
    """95% confidence interval for a Poisson count (Byar's method; lower limit 0 at zero).

    lower = O (1 - 1/(9O) - z/(3 sqrt O))^3, upper = (O+1) (1 - 1/(9(O+1)) + z/(3 sqrt(O+1)))^3.
    Takes a number or an array of counts.
    """
    o = np.asarray(count, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        lower = np.where(o > 0, o * (1 - 1 / (9 * o) - z / (3 * np.sqrt(o))) ** 3, 0.0)
    upper = (o + 1) * (1 - 1 / (9 * (o + 1)) + z / (3 * np.sqrt(o + 1))) ** 3
    return (float(lower), float(upper)) if o.ndim == 0 else (lower, upper)


def rate_with_ci(count: float, population: float, per: int = PER) -> tuple[float, float, float]:
    lower, upper = byar_interval(count)
    return count / population * per, lower / population * per, upper / population * per


def compare_to(value_lower: float, value_upper: float, benchmark: float) -> str:
    if value_lower > benchmark:
        return "higher"
    if value_upper < benchmark:
        return "lower"
    return "similar"


def quarters_between(first: str, last: str) -> list[str]:
    periods = pd.period_range(pd.Period(first.replace("-", ""), "Q"), pd.Period(last.replace("-", ""), "Q"), freq="Q")
    return [f"{p.year}-Q{p.quarter}" for p in periods]


def force_referral_rates(first: str = "2023-Q1", last: str = "2023-Q4") -> pd.DataFrame:
    """NRM referrals made by each force of England and Wales in the quarters, per 100,000 population.

    Columns: force_code, force, referrals, quarters (with a published figure), population, rate,
    lower, upper, compared (with E&W). A force with no published row for a quarter counts zero
    for it (the tables list only forces that referred); a warning names such forces.
    """
    quarters = quarters_between(first, last)
    table = force_referrals()
    made = table[(table["measure"] == "referrals_made") & table["period"].isin(quarters)]
    summed = made.groupby("force_code").agg(referrals=("value", "sum"), quarters=("period", "nunique"))
    forces = pd.DataFrame([{"force_code": f.code, "force": f.force_name, "population": f.population}
                           for f in england_and_wales()])
    rates = forces.join(summed, on="force_code").fillna({"referrals": 0, "quarters": 0})
    rates = rates.astype({"referrals": int, "quarters": int})[
        ["force_code", "force", "referrals", "quarters", "population"]]
    short = rates[rates["quarters"] < len(quarters)]
    if len(short):
        log.warning("no published figure for some of %s to %s (counted as zero): %s", first, last,
                    ", ".join(short["force"]))
    lower, upper = byar_interval(rates["referrals"].to_numpy())
    rates["rate"] = rates["referrals"] / rates["population"] * PER
    rates["lower"] = lower / rates["population"] * PER
    rates["upper"] = upper / rates["population"] * PER
    benchmark = england_and_wales_rate(rates)["rate"]
    rates["compared"] = [compare_to(lo, up, benchmark) for lo, up in zip(rates["lower"], rates["upper"])]
    rates.attrs["period"] = (first, last)
    return rates.sort_values("rate", ascending=False).reset_index(drop=True)


def england_and_wales_rate(rates: pd.DataFrame) -> dict:
    count, population = rates["referrals"].sum(), rates["population"].sum()
    rate, lower, upper = rate_with_ci(count, population)
    return {"force": "England and Wales", "referrals": int(count), "population": int(population),
            "rate": rate, "lower": lower, "upper": upper}


def force_comparison_bullets(force_code: str, rates: pd.DataFrame, first: str, last: str) -> list[str]:
    force = force_by_code(force_code)
    row = rates[rates["force_code"] == force_code]
    if row.empty:
        return [f"{force.force_name} is not among the forces of England and Wales compared here."]
    row = row.iloc[0]
    ew = england_and_wales_rate(rates)
    rank = int(rates.index[rates["force_code"] == force_code][0]) + 1
    period = first if first == last else f"{first} to {last}"
    verdict = {"higher": "higher than", "lower": "lower than", "similar": "similar to"}[row["compared"]]
    return [f"{force.force_name} made {row['referrals']:,} NRM referrals in {period}: "
            f"{row['rate']:.1f} per 100,000 population (95% CI {row['lower']:.1f} to {row['upper']:.1f}), "
            f"{verdict} England and Wales ({ew['rate']:.1f} per 100,000).",
            f"It ranks {rank} of {len(rates)} forces by rate (1 = highest)."]


def latest_quarters(count: int = 4) -> tuple[str, str]:
    """The first and last of the most recent `count` quarters in the published force figures."""
    periods = sorted(force_referrals()["period"].unique())
    quarters = [p for p in periods if len(p) == 7 and "-Q" in p]
    return quarters[-count], quarters[-1]
