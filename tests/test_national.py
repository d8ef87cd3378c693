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


def test_every_year_held_has_its_exploitation_type_by_age_and_it_adds_up():
    years = national.exploitation_years()
    assert 2023 in years  # the guide's headline national figure
    for year in years:
        table = national.exploitation_by_age(year)
        assert not table.empty, year
        if "all ages" in table:  # from the data tables: every type, every age
            assert (table[["adult", "child", "unknown"]].sum(axis=1) == table["all ages"]).all()
            for age, share in (("adult", "percent of adults"), ("child", "percent of children")):
                assert abs(table[share].sum() - 100) < 0.5
            total = national.annual("total_referrals", year).value
            assert abs(table["all ages"].sum() - total) / total < 0.01  # the tables' cells against the bulletin
    table = national.exploitation_by_age(2023).set_index("exploitation type")
    # Q4 2023 bulletin: labour the most common type for adults (680 in the quarter); the year's sum holds it too.
    assert table["adult"].drop(["more than one type", "not specified or unknown"]).idxmax() == "labour"
    assert table["child"].drop(["more than one type", "not specified or unknown"]).idxmax() == "criminal"
    quarters = national.exploitation_by_quarter().set_index("quarter")
    assert quarters.loc["2023-Q4"].sum() == table["all ages"].sum() - quarters.loc[
        ["2023-Q1", "2023-Q2", "2023-Q3"]].sum().sum()


def test_figures_official_statements_give_differently_are_chosen_by_a_stated_rule():
    nations = national.nationalities(2024)
    assert nations.iloc[0]["nationality"] == "United Kingdom" and nations.iloc[0]["referrals"] == 4441
    note = national.nationality_note(2024)
    assert "4,441" in note and "4,411" in note and national.CONFLICT_RULE in note
    assert any(b.startswith("United Kingdom was the most common nationality (4,441") for b in national.national_bullets(2024))
