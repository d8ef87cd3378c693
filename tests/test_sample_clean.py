"""The sample's deliberately messy extracts come out clean and fully accounted for."""
import pandas as pd
import pytest

from pplib.config import load_locality
from pplib.records import clean
from pplib.records.dataset import load_locality_data
from pplib.records.schemas import AGE_GROUPS, EXPLOITATION_TYPES, SEXES
from pplib.reference.published import lad_lookup


@pytest.fixture(scope="module")
def cleaned():
    from conftest import SAMPLE_SLUGS

    from pplib.paths import LOCALITIES_DIR
    return {slug: load_locality_data(load_locality(LOCALITIES_DIR / slug)) for slug in SAMPLE_SLUGS}


@pytest.fixture
def data(cleaned, sample_locality):
    return cleaned[sample_locality.name]


@pytest.mark.slow
def test_every_row_is_accounted_for(data):
    for kind, loaded in data.loaded.items():
        entries = data.ledger[data.ledger["source"] == kind]
        assert len(entries) == loaded.rows_read
        assert not entries["source_row"].duplicated().any()


def test_duplicated_crimes_are_merged(data):
    ledger = data.ledger[data.ledger["source"] == "crimes"]
    assert (ledger["status"] == "merged").sum() > 0
    assert len(data.crimes) == (ledger["status"] == "used").sum()
    assert data.crimes["crime_key"].is_unique


def test_controlled_vocabularies(data):
    for frame in (data.crimes, data.nrm_referrals, data.duty_to_notify):
        assert set(frame["primary_type"]) <= set(EXPLOITATION_TYPES)
        for secondary in frame["secondary_types"]:
            assert all(t in EXPLOITATION_TYPES for t in secondary.split("; ") if t)
    for frame in (data.victims, data.suspects, data.nrm_referrals):
        assert set(frame["sex"]) <= set(SEXES)
    assert set(data.victims["age_group"]) <= set(AGE_GROUPS)
    assert set(data.nrm_referrals["age_group"]) <= set(AGE_GROUPS)
    assert data.crimes["county_lines"].dtype == "boolean"


def test_nationalities_are_country_names(data):
    names = pd.concat([data.victims["nationality"], data.suspects["nationality"], data.nrm_referrals["nationality"]])
    assert {"British", "UK", "English", "Albanian", "Vietnamese"}.isdisjoint(set(names))
    recognised = names[~names.isin(["Unknown", "Other (unrecognised)"])]
    assert (names == "Other (unrecognised)").mean() < 0.01
    for name in set(recognised):
        assert clean.nationality(name) == name  # a cleaned name is its own canonical form
    assert names.value_counts().index[0] == "United Kingdom"


def test_area_codes_are_ons_codes_within_england_and_wales(data):
    codes = set(lad_lookup()["LAD24CD"])
    for frame in (data.crimes, data.nrm_referrals):
        present = frame["lad_code"].dropna()
        assert present.isin(codes).all(), set(present[~present.isin(codes)])


def test_dates_are_parsed_and_inside_the_period(data):
    start, end = pd.Timestamp(data.locality.period.start), pd.Timestamp(data.locality.period.end)
    assert data.crimes["date_recorded"].between(start, end).all()
    assert data.nrm_referrals["referral_date"].between(start, end).all()
    assert set(data.crimes["year"]) == {2021, 2022, 2023}
