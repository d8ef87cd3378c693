"""Local analysis functions against hand-computed results on small frames."""
import pandas as pd
import pytest
from factories import crime, make_locality, victim

from pplib.config import load_locality
from pplib.measures import counts
from pplib.records.dataset import load_locality_data
from pplib.report import findings


@pytest.fixture
def small(tmp_path):
    crimes = [crime("A1", "01/02/2021", "Labour"), crime("A2", "01/05/2021", "Sexual; Labour"),
              crime("A3", "10/01/2022", "labour", county_lines="N"), crime("A4", "15/08/2023", "County lines", county_lines="Y"),
              crime("A5", "20/08/2023", "criminal", county_lines="N")]
    victims = [victim("A1", "V1", age="15", sex="M", nationality="British"),
               victim("A1", "V2", age="40", sex="F", nationality="Albanian"),
               victim("A2", "V3", age="22", sex="F", nationality="Viet Nam"),
               victim("A4", "V4", age="16", sex="M", nationality="English"),
               victim("A5", "V5", age="", sex="", nationality="")]
    return load_locality_data(load_locality(make_locality(tmp_path / "loc", crimes, victims)))


def test_headline_counts(small):
    assert counts.headline_counts(small) == {"crimes": 5, "victims": 5, "suspects": 0, "nrm_referrals": 0,
                                              "duty_to_notify": 0}


def test_crimes_by_type_counts_primary_type_only(small):
    table = counts.crimes_by_type(small).set_index("primary_type")
    assert table.loc["labour", "crimes"] == 2 and table.loc["sexual", "crimes"] == 1
    assert table.loc["criminal", "crimes"] == 2
    assert table.loc["labour", "percent"] == 40.0


def test_crimes_by_year_and_quarter_include_empty_periods(small):
    assert counts.crimes_by_year(small)["crimes"].tolist() == [2, 1, 2]
    quarters = counts.crimes_by_quarter(small).set_index("quarter")["crimes"]
    assert len(quarters) == 12 and quarters["2021-Q1"] == 1 and quarters["2021-Q3"] == 0 and quarters["2023-Q3"] == 2


def test_types_present_ordered_by_volume(small):
    assert counts.types_present(small) == ["labour", "criminal", "sexual"]


def test_victim_profiles(small):
    groups = counts.profile(small.victims, "age_group").set_index("age_group")["people"]
    assert groups.to_dict() == {"child": 2, "adult": 2, "unknown": 1}
    nations = counts.profile(small.victims, "nationality").set_index("nationality")["people"]
    assert nations["United Kingdom"] == 2 and nations["Vietnam"] == 1 and nations["Unknown"] == 1
    bands = counts.profile(small.victims, "age_band").set_index("age_band")["people"]
    assert bands.to_dict() == {"12-15": 1, "16-17": 1, "18-24": 1, "35-44": 1, "unknown": 1}


def test_type_bullets(small):
    bullets = findings.type_bullets(small, "criminal")
    assert bullets[0] == ("2 crimes (40% of all recorded) had criminal exploitation as the primary type, "
                          "with 2 victims linked to them.")
    assert ("1 crime with criminal exploitation as the primary type was flagged as county lines (50% of the 2 "
            "criminal exploitation crimes).") in bullets
    assert findings.type_bullets(small, "domestic servitude") == [
        "No crimes with domestic servitude as the primary type were recorded in the period."]


def test_headline_bullets(small):
    bullets = findings.headline_bullets(small)
    assert bullets[0].startswith("5 modern slavery crimes were recorded between 01 January 2021 and 31 December 2023")
    # 2 against 1 is no change beyond chance: tested, not "100% more" (exact Poisson test, p = 1)
    assert ("Recorded crimes were about the same in 2023 as in 2022: 2 crimes in 2023 against 1 in 2022 (rate "
            "ratio 2.00, 95% CI 0.10 to 117.99; exact Poisson test, p = 1.00).") in bullets


def test_empty_locality(tmp_path):
    data = load_locality_data(load_locality(make_locality(tmp_path / "e", [crime("A1", "01/01/2019")], [])))
    assert data.crimes.empty
    assert findings.headline_bullets(data)[0].startswith("No modern slavery crimes were recorded")
    assert counts.crimes_by_type(data).empty
    assert counts.crimes_by_year(data)["crimes"].sum() == 0
    assert counts.types_present(data) == []
    assert counts.profile(data.victims, "sex").empty


def test_sentences_withhold_what_the_tables_withhold(tmp_path):
    """A count hidden from a table by secondary suppression is not stated in a sentence either, nor its share."""
    from pplib.report.section import Section
    crimes = ([crime(f"L{i}", types="Labour") for i in range(20)] + [crime(f"C{i}", types="criminal") for i in range(9)]
              + [crime("S1", types="sexual")])
    locality = load_locality(make_locality(tmp_path / "loc", crimes, []))
    section = Section("test", locality, tmp_path / "out", "partner")
    section.table("types", counts.crimes_by_type(section.data), "caption")
    shown = pd.read_csv(tmp_path / "out" / "tables" / "types.csv", dtype=str).set_index("primary_type")["crimes"]
    assert shown["other or not recorded"] == "[c]" and shown["criminal"] == "[c]"  # 1 primary, 9 secondary
    assert findings.type_bullets(section.data, "criminal", section.number)[0].startswith(
        '<span class="pp-n" data-cell="crimes|primary_type=criminal">[c]</span> crimes had')
    assert ">20</span> crimes (67% of all recorded)" in findings.type_bullets(section.data, "labour", section.number)[0]
    internal = load_locality_data(locality)
    assert findings.type_bullets(internal, "criminal")[0].startswith("9 crimes (30% of all recorded)")
