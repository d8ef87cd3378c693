import math

import pytest

from pplib.measures import compare


def test_byar_interval_matches_hand_computation():
    # Byar: lower = O(1 - 1/(9O) - z/(3 sqrt O))^3, upper = (O+1)(1 - 1/(9(O+1)) + z/(3 sqrt(O+1)))^3
    lower, upper = compare.byar_interval(10)
    z = 1.959963984540054
    assert lower == pytest.approx(10 * (1 - 1 / 90 - z / (3 * math.sqrt(10))) ** 3)
    assert upper == pytest.approx(11 * (1 - 1 / 99 + z / (3 * math.sqrt(11))) ** 3)
    assert (round(lower, 2), round(upper, 2)) == (4.79, 18.39)  # exact Poisson: 4.80, 18.39
    assert compare.byar_interval(0)[0] == 0


def test_byar_interval_takes_arrays():
    lower, upper = compare.byar_interval([10, 0])
    assert lower[0] == pytest.approx(4.795, abs=0.01) and upper[0] == pytest.approx(18.390, abs=0.01)
    assert lower[1] == 0 and upper[1] == pytest.approx(3.689, abs=0.03)


def test_rate_per_100000():
    rate, lower, upper = compare.rate_with_ci(50, 1_000_000)
    assert rate == 5.0 and lower < 5.0 < upper


@pytest.mark.parametrize("lower, upper, verdict", [(6.1, 7.0, "higher"), (4.0, 5.9, "lower"), (5.0, 7.0, "similar")])
def test_fingertips_comparison(lower, upper, verdict):
    assert compare.compare_to(lower, upper, 6.0) == verdict


def test_force_rates_cover_every_force_and_sum_to_published_police_totals():
    rates = compare.force_referral_rates("2023-Q1", "2023-Q4")
    assert len(rates) == 43
    nottinghamshire = rates.set_index("force_code").loc["E23000019"]
    assert nottinghamshire["referrals"] == 59  # 2023-Q1..Q4 rows of Table 13 for Nottinghamshire Police
    assert nottinghamshire["rate"] == pytest.approx(59 / nottinghamshire["population"] * 100_000)
    assert rates["rate"].is_monotonic_decreasing


def test_quarters_between():
    assert compare.quarters_between("2022-Q3", "2023-Q1") == ["2022-Q3", "2022-Q4", "2023-Q1"]
