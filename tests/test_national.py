"""The national picture's numbers and bullets against the published bulletins."""

from pplib.measures import national
from pplib.reference.published import national_figures


def _published_percent(measure, period):
    table = national_figures()
    row = table[(table["measure"] == measure) & (table["period"] == period)]
    return float(row["percent"].iloc[0])


def test_2022_bullet_matches_the_published_bulletin():
    # EOY 2023 release: 16,921 referrals in 2022; 2021 revised to 12,706; bulletin change +33%.
    bullets = national.national_bullets(2022)
    assert bullets[0] == "16,921 potential victims were referred in 2022, 33% more than in 2021 (12,706)."
    assert round(100 * (16921 - 12706) / 12706) == _published_percent("total_referrals_change_vs_prev_year", "2022")
    assert "Albania was the most common nationality (4,609, 27%), followed by United Kingdom (4,172), " \
           "Eritrea (1,172)." in bullets


def test_2023_bullets_use_the_latest_revision():
    bullets = national.national_bullets(2023)
    assert bullets[0] == "16,990 potential victims were referred in 2023, about the same as in 2022 (16,921)."
    assert "8,622 (51%) were exploited as adults and 7,432 (44%) as children." in bullets
    assert "76% of potential victims were male (12,903)." in bullets
    assert any(b.startswith("4,929 Duty to Notify reports") and "8% more than in 2022" in b for b in bullets)


def test_annual_figure_falls_back_to_the_sum_of_quarters():
    adults = national.annual("adult_referrals", 2022)
    assert adults.basis == national.QUARTER_SUM
    quarters = national.quarterly("adult_referrals")
    assert adults.value == sum(quarters[f"2022-Q{q}"] for q in range(1, 5))
    published = national.annual("adult_referrals", 2023)
    assert published.basis == national.PUBLISHED and published.value == 8622


def test_quarterly_totals_add_up_age_groups_where_no_total_is_published():
    table = national.quarterly_totals().set_index("quarter")
    q = "2019-Q1"
    expected = sum(national.quarterly(m)[q] for m in national.AGE_GROUPS.values())
    assert table.loc[q, "referrals"] == expected
    assert table.loc["2023-Q4", "referrals"] == 4134 and table.loc["2023-Q4", "basis"] == "published total"


def test_a_year_with_no_figures_says_so():
    assert national.national_bullets(1990) == ["No published total of NRM referrals for 1990 is held."]
    assert national.age_split(1990).empty
