"""The tests behind findings: exact Poisson changes, Wilson shares, hotspots, concentration, the PHIA yardstick."""
import math

import pytest
from scipy import stats

from pplib.measures import compare, inference


def test_change_of_10_against_12_is_about_the_same():
    result = inference.change(10, 12)
    assert result.verdict == "about the same"
    # two-sided exact binomial p for 10 of 22 at 1/2: symmetric, so twice the lower tail
    assert result.p_value == pytest.approx(2 * stats.binom.cdf(10, 22, 0.5))
    assert result.ratio == pytest.approx(10 / 12)
    assert result.lower < 1 < result.upper


def test_change_of_30_against_10_rose_with_the_exact_interval():
    result = inference.change(30, 10)
    assert result.verdict == "rose" and result.ratio == 3
    # R: poisson.test(c(30, 10)) gives p-value = 0.002221 and 95% CI 1.427408 to 6.879302
    assert result.p_value == pytest.approx(0.0022214, abs=1e-6)
    assert result.lower == pytest.approx(1.427408, abs=1e-5) and result.upper == pytest.approx(6.879302, abs=1e-5)
    # Jeffreys posterior P(rate ratio > 1) = P(Beta(30.5, 10.5) > 1/2)
    assert result.probability == pytest.approx(stats.beta.sf(0.5, 30.5, 10.5))
    assert inference.change(10, 30).verdict == "fell"


def test_quarter_against_four_quarters_uses_exposure_four():
    """2023-Q4 with 21 labour crimes against 46 in the four quarters before (mean 11.5)."""
    result = inference.change(21, 46, 4)
    assert result.ratio == pytest.approx(21 / 11.5)
    # under the null, 21 of 67 ~ Binomial(67, 1/5); the two-sided p sums outcomes no likelier than 21
    pmf = stats.binom.pmf(range(68), 67, 0.2)
    assert result.p_value == pytest.approx(pmf[pmf <= pmf[21] * (1 + 1e-7)].sum())
    assert result.verdict == "rose" and result.p_value < 0.05
    # 12 against 46 over four quarters is a quarter like the others
    assert inference.change(12, 46, 4).verdict == "about the same"


def test_change_edges():
    nothing = inference.change(0, 0)
    assert nothing.verdict == "about the same" and nothing.p_value == 1
    from_zero = inference.change(8, 0)
    assert math.isinf(from_zero.ratio) and math.isinf(from_zero.upper) and from_zero.verdict == "rose"
    with pytest.raises(ValueError):
        inference.change(-1, 3)


def test_wilson_interval_against_known_values():
    # 1 of 10: 0.0179 to 0.4042 (Newcombe 1998, table I); 0 of 10: 0 to 0.2775
    assert inference.wilson_interval(1, 10) == pytest.approx((0.017876, 0.404150), abs=1e-6)
    assert inference.wilson_interval(0, 10) == pytest.approx((0.0, 0.277532), abs=1e-6)
    ci = stats.binomtest(82, 147).proportion_ci(method="wilson")
    assert inference.wilson_interval(82, 147) == pytest.approx((ci.low, ci.high))


def test_share_against_a_national_share():
    assert inference.share(50, 100, 0.3).verdict == "higher"   # 0.40 to 0.60 lies above 0.30
    assert inference.share(50, 100, 0.7).verdict == "lower"
    similar = inference.share(50, 100, 0.45)
    assert similar.verdict == "similar"
    higher = inference.share(50, 100, 0.3)
    assert higher.probability == pytest.approx(stats.beta.sf(0.3, 50.5, 50.5))
    assert inference.share(50, 100, 0.7).probability == pytest.approx(stats.beta.cdf(0.7, 50.5, 50.5))


def test_hotspots_reuse_byar_and_compare_with_the_overall_rate():
    # three areas of 100,000 people: 60, 20 and 20 crimes; overall 33.3 per 100,000
    tested = inference.hotspots([60, 20, 20], [100_000] * 3)
    assert tested["rate"] == pytest.approx(100 / 3)
    lower, upper = compare.byar_interval(60)
    first = tested["areas"][0]
    assert (first["lower"], first["upper"]) == pytest.approx((lower, upper))
    assert [a["hotspot"] for a in tested["areas"]] == [True, False, False]
    assert first["probability"] > 0.99
    # 40 against 30 and 30: the interval of 40 (28.6 to 54.5) includes the overall 33.3: no hotspot
    assert not any(a["hotspot"] for a in inference.hotspots([40, 30, 30], [100_000] * 3)["areas"])


def test_hotspots_leave_out_areas_without_population():
    tested = inference.hotspots([10, 5], [50_000, float("nan")])
    assert tested["rate"] == pytest.approx(20.0) and [a["index"] for a in tested["areas"]] == [0]


def test_concentration_beyond_an_even_split():
    result = inference.concentration({"car wash": 24, "construction": 21, "food processing": 18, "hospitality": 17,
                                      "agriculture": 10, "factory": 10, "nail bar": 9, "retail": 8, "other": 7}, 147)
    assert result.top == "car wash" and result.categories == 9 and result.even == pytest.approx(1 / 9)
    assert result.share.lower == pytest.approx(inference.wilson_interval(24, 147)[0])
    assert result.concentrated  # 11.2% to 23.1% lies above 11.1%
    assert not inference.concentration({"a": 11, "b": 10, "c": 9}).concentrated
    assert inference.concentration({"a": 0}) is None


@pytest.mark.parametrize("probability, words", [
    (0.0, "remote chance"), (0.05, "remote chance"), (0.0749, "remote chance"), (0.075, "highly unlikely"),
    (0.2, "highly unlikely"), (0.225, "unlikely"), (0.35, "unlikely"), (0.375, "realistic possibility"),
    (0.5, "realistic possibility"), (0.52, "realistic possibility"), (0.525, "likely"), (0.75, "likely"),
    (0.775, "highly likely"), (0.9, "highly likely"), (0.92, "highly likely"), (0.925, "almost certain"),
    (0.95, "almost certain"), (1.0, "almost certain")])
def test_yardstick_bands_and_gaps(probability, words):
    assert inference.yardstick(probability).words == words


def test_yardstick_refuses_what_is_not_a_probability():
    with pytest.raises(ValueError):
        inference.yardstick(1.2)


def test_judgement_names_the_band_and_its_basis():
    assert inference.judgement(0.6, "labour exploitation rose", "an exact Poisson test") == (
        "It is likely (a 55–75% chance, from an exact Poisson test) that labour exploitation rose.")
    assert inference.judgement(0.45, "x", "y").startswith("There is a realistic possibility (a 40–50% chance")
    assert inference.judgement(0.01, "x", "y").startswith("There is a remote chance (a 0–5% chance")
