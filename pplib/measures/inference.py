"""Tests behind the report's findings: changes, shares, hotspots and concentrations, and the words for them.

Pure: each function takes counts and returns a small record of what was tested and what it found; the report
(``pplib.report.findings``) writes the sentences. Every verdict comes from a stated test at the 5% level:

- **Change** between two counts (year on year; a quarter against the four before it): the exact conditional
  binomial test of two Poisson counts (as R's ``poisson.test``): given n = a + b, a ~ Binomial(n, t_a / (t_a +
  t_b)) when the rates are equal. The rate ratio's 95% interval is the Clopper-Pearson interval of that
  binomial proportion, turned into a ratio. "rose" or "fell" only when p < 0.05, otherwise "about the same".
- **Share** with a Wilson 95% score interval; a local share is "higher" or "lower" than a national one only
  when the national share lies outside the local interval, otherwise "similar" (the Fingertips rule).
- **Hotspot**: a district whose rate per 100,000 has a 95% interval (Byar's, ``compare.byar_interval``)
  wholly above the force's overall rate.
- **Concentration**: the largest category's share of a breakdown, "beyond an even split" when its Wilson
  interval lies wholly above 1 / (number of categories).

Likelihood words follow the Professional Head of Intelligence Assessment (PHIA) probability yardstick
(``yardstick``). The probability a finding is given is the posterior probability, under a Jeffreys prior, that
what it claims holds (``Change.probability``, ``Share.probability``, ``Concentration.probability``), so each
use names its test.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping

import numpy as np
from scipy import stats

from pplib.measures.compare import PER, Z95, byar_interval

LEVEL = 0.05  # two-sided significance level of every test here


# --- change between two counts -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Change:
    """A count `count` over exposure 1 against `baseline` over exposure `exposure` (4: four quarters)."""
    count: int
    baseline: int
    exposure: float
    ratio: float        # rate ratio, count / (baseline / exposure)
    lower: float        # exact 95% interval of the rate ratio
    upper: float
    p_value: float      # two-sided, exact conditional binomial test
    verdict: str        # "rose", "fell" or "about the same"
    probability: float  # Jeffreys posterior probability that the rate moved the way the ratio points

    @property
    def baseline_mean(self) -> float:
        return self.baseline / self.exposure

    test = "exact Poisson test"
    basis = "the Jeffreys posterior probability from an exact Poisson test"


def change(count: int, baseline: int, exposure: float = 1.0) -> Change:
    """Test `count` (over exposure 1) against `baseline` (over `exposure`, e.g. 4 for the previous four
    quarters' total, or the ratio of days when two years are not equally long).

    Exact conditional test: given n = count + baseline, count ~ Binomial(n, 1 / (1 + exposure)) if the two
    rates are equal. The Clopper-Pearson interval (pL, pU) of count / n gives the rate ratio's interval
    exposure * p / (1 - p). The probability is the posterior P(rate ratio > 1) (or < 1 when it points down),
    with a Jeffreys prior on each Poisson rate: then count / n's share of the exposure-weighted rates is
    Beta(count + 1/2, baseline + 1/2).
    """
    count, baseline = int(count), int(baseline)
    if count < 0 or baseline < 0 or exposure <= 0:
        raise ValueError("counts must be 0 or more and the exposure positive")
    n = count + baseline
    null = 1 / (1 + exposure)
    if n == 0:
        return Change(count, baseline, exposure, math.nan, 0.0, math.inf, 1.0, "about the same", 0.5)
    p_value = float(stats.binomtest(count, n, null).pvalue)
    low = stats.beta.ppf(LEVEL / 2, count, n - count + 1) if count > 0 else 0.0
    high = stats.beta.ppf(1 - LEVEL / 2, count + 1, n - count) if count < n else 1.0
    ratio = math.inf if baseline == 0 else count / (baseline / exposure)
    lower = float(exposure * low / (1 - low))
    upper = math.inf if high >= 1 else float(exposure * high / (1 - high))
    above = float(stats.beta.sf(null, count + 0.5, baseline + 0.5))
    up = ratio >= 1
    verdict = "about the same" if p_value >= LEVEL else ("rose" if up else "fell")
    return Change(count, baseline, exposure, ratio, lower, upper, p_value, verdict, above if up else 1 - above)


# --- shares ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Share:
    part: int
    whole: int
    share: float       # part / whole, 0 to 1
    lower: float       # Wilson 95% interval
    upper: float
    benchmark: float | None = None   # the share compared with (national, or an even split), 0 to 1
    verdict: str | None = None       # "higher", "lower" or "similar" than the benchmark
    probability: float | None = None  # Jeffreys posterior probability the share is on the verdict's side

    test = "Wilson 95% interval"
    basis = "the Jeffreys posterior probability for the share"


def wilson_interval(part: int, whole: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval: (p + z²/2n ± z sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n); (0, 1) when whole is 0."""
    if whole <= 0:
        return 0.0, 1.0
    p = part / whole
    denominator = 1 + z * z / whole
    centre = p + z * z / (2 * whole)
    spread = z * math.sqrt(p * (1 - p) / whole + z * z / (4 * whole * whole))
    return max(0.0, (centre - spread) / denominator), min(1.0, (centre + spread) / denominator)


def _posterior_above(part: int, whole: int, benchmark: float) -> float:
    """P(share > benchmark) with a Jeffreys Beta(1/2, 1/2) prior: Beta(part + 1/2, whole - part + 1/2)."""
    return float(stats.beta.sf(benchmark, part + 0.5, whole - part + 0.5))


def share(part: int, whole: int, benchmark: float | None = None) -> Share:
    """`part` of `whole` with its Wilson interval, compared with `benchmark` (a share from 0 to 1) when given:
    "higher" when the benchmark is below the interval, "lower" when above it, otherwise "similar"."""
    part, whole = int(part), int(whole)
    if part < 0 or whole < part:
        raise ValueError("a share needs 0 <= part <= whole")
    lower, upper = wilson_interval(part, whole)
    value = part / whole if whole else math.nan
    if benchmark is None:
        return Share(part, whole, value, lower, upper)
    verdict = "higher" if lower > benchmark else "lower" if upper < benchmark else "similar"
    above = _posterior_above(part, whole, benchmark) if whole else 0.5
    return Share(part, whole, value, lower, upper, benchmark, verdict, 1 - above if verdict == "lower" else above)


# --- hotspots ------------------------------------------------------------------------------------------

def hotspots(counts, populations, per: int = PER) -> dict:
    """Areas whose rate has a 95% Byar interval wholly above the overall rate of all the areas given.

    Returns {"rate": overall rate per `per`, "areas": list of dicts (index, count, rate, lower, upper,
    hotspot, probability: the Jeffreys posterior probability that the area's rate is above the overall one)}: the
    overall rate is the areas' counts over their populations (areas without a population
    are left out of both)."""
    counts = np.asarray(counts, dtype=float)
    populations = np.asarray(populations, dtype=float)
    known = np.isfinite(populations) & (populations > 0)
    overall = counts[known].sum() / populations[known].sum() * per if known.any() else math.nan
    lower, upper = byar_interval(counts)
    areas = []
    for i in np.flatnonzero(known):
        rate = counts[i] / populations[i] * per
        low, high = lower[i] / populations[i] * per, upper[i] / populations[i] * per
        # Jeffreys prior on the area's Poisson rate: its posterior is Gamma(count + 1/2, rate = population).
        above = float(stats.gamma.sf(overall / per, counts[i] + 0.5, scale=1 / populations[i]))
        areas.append({"index": int(i), "count": int(counts[i]), "rate": float(rate), "lower": float(low),
                      "upper": float(high), "hotspot": bool(low > overall), "probability": above})
    return {"rate": float(overall), "areas": areas}


HOTSPOT_BASIS = "the Jeffreys posterior probability for the district's rate, beside its Byar interval"


# --- concentration ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Concentration:
    top: str
    count: int
    total: int
    categories: int      # how many categories the breakdown has (an even split is 1 / categories)
    share: Share         # the top category's share, compared with an even split

    @property
    def even(self) -> float:
        return 1 / self.categories

    @property
    def concentrated(self) -> bool:
        return self.share.verdict == "higher"

    @property
    def probability(self) -> float:
        return self.share.probability

    test = "Wilson 95% interval against an even split"
    basis = "the Jeffreys posterior probability that the top share exceeds an even split"


def concentration(counts: Mapping[str, int], total: int | None = None) -> Concentration | None:
    """The largest category of `counts` (ties: the first given) and its share of `total` (default: the sum of
    the counts), tested against an even split over the categories with a count. None when nothing is counted.

    Pass only the categories that count (not 'not recorded'); `total` may be larger than their sum (the share
    is then of everything, which only makes the test stricter)."""
    counted = {k: int(v) for k, v in counts.items() if v and v > 0}
    if not counted:
        return None
    whole = int(total if total is not None else sum(counted.values()))
    top = max(counted, key=lambda k: counted[k])
    return Concentration(top, counted[top], whole, len(counted), share(counted[top], whole, 1 / len(counted)))


# --- the PHIA probability yardstick ------------------------------------------------------------------------

@dataclass(frozen=True)
class Band:
    words: str
    low: int    # percent
    high: int

    @property
    def range(self) -> str:
        return f"{self.low}–{self.high}%"


YARDSTICK = (Band("remote chance", 0, 5), Band("highly unlikely", 10, 20), Band("unlikely", 25, 35),
             Band("realistic possibility", 40, 50), Band("likely", 55, 75), Band("highly likely", 80, 90),
             Band("almost certain", 95, 100))


def yardstick(probability: float) -> Band:
    """The PHIA probability yardstick's band for a probability (0 to 1).

    The published bands leave gaps (5–10%, 20–25%, 35–40%, 50–55%, 75–80%, 90–95%) so that no judgement sits
    on a boundary. A probability in a gap is given the nearer band: the gap is split at its midpoint (7.5%,
    22.5%, 37.5%, 52.5%, 77.5%, 92.5%), and a probability exactly at a midpoint goes to the higher band. So
    0.05 is a remote chance, 0.07 a remote chance, 0.075 highly unlikely, 0.95 almost certain, 0.925 almost
    certain and 0.92 highly likely."""
    if not 0 <= probability <= 1 or math.isnan(probability):
        raise ValueError(f"a probability is between 0 and 1, not {probability}")
    percent = 100 * probability
    for band, following in zip(YARDSTICK, YARDSTICK[1:]):
        if percent < (band.high + following.low) / 2:
            return band
    return YARDSTICK[-1]


def judgement(probability: float, claim: str, basis: str) -> str:
    """A PHIA sentence: 'It is likely (a 55–75% chance, from <basis>) that <claim>.' ('There is a remote
    chance…', 'There is a realistic possibility…' for those bands)."""
    band = yardstick(probability)
    opening = {"remote chance": "There is a remote chance",
               "realistic possibility": "There is a realistic possibility"}.get(band.words, f"It is {band.words}")
    return f"{opening} (a {band.range} chance, from {basis}) that {claim}."
