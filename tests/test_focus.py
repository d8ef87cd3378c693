"""In-focus analysis: themes, sectors, comparisons, partner entries and case studies per type."""
import logging

import pandas as pd
import pytest

from pplib import focus
from pplib.config import load_locality
from pplib.dataset import load_locality_data

from factories import crime, make_locality, victim


@pytest.fixture
def small(tmp_path):
    crimes = [crime("A1", types="Labour", sector="Hand car wash", mo_text="Passports held; owed a debt for travel"),
              crime("A2", types="labour", sector="CAR WASH", mo_text="Housed in a caravan; wages unpaid"),
              crime("A3", types="Labour", sector="", mo_text=""),
              crime("A4", types="county lines", county_lines="Y", mo_text="Found with wraps of crack in a trap house"),
              crime("A5", types="criminal", county_lines="", mo_text="Cannabis grow, locked in")]
    victims = [victim("A4", "V1", age="15"), victim("A4", "V2", age="17"), victim("A5", "V3", age="30")]
    return load_locality_data(load_locality(make_locality(tmp_path / "loc", crimes, victims)))


def test_ranked_types_exclude_type_not_recorded(small):
    assert focus.ranked_types(small) == ["labour", "criminal"]


def test_sectors_are_normalised(small):
    table = focus.sectors(small, "labour").set_index("sector")["crimes"]
    assert table.to_dict() == {"car wash": 2, "not recorded": 1}


def test_mo_themes_are_counted_without_text_and_access_is_logged(small, caplog):
    with caplog.at_level(logging.WARNING):
        themes = focus.mo_themes(small, "labour").set_index("theme")["crimes"]
    assert themes["documents held by others"] == 1
    assert themes["debt or fees owed"] == 1
    assert themes["accommodation controlled"] == 1 and themes["wages withheld or controlled"] == 1
    assert "counting modus operandi themes for labour" in caplog.text
    rendered = focus.mo_themes(small, "labour").to_csv()
    assert "caravan" not in rendered and "Passports" not in rendered


def test_local_vs_national_shares(small):
    table = focus.local_vs_national(small, "labour").set_index("measure")["percent"]
    assert table["local recorded crimes (primary type)"] == 60.0
    national = table.iloc[2]
    assert 0 < national < 100


def test_county_lines_summary(small):
    summary = focus.county_lines(small)
    assert summary["bullets"][0] == "1 crime was flagged as county lines (50% of the 2 criminal exploitation crimes)."
    assert "2 of their 2 victims (100%) were children." in summary["bullets"]
    assert any("blank for" in b for b in summary["bullets"])


def test_partner_items_case_studies_and_further_data_on_the_sample(nottinghamshire):
    data = load_locality_data(load_locality(nottinghamshire))
    items = focus.partner_items(data, "criminal")
    assert "Deliver county lines sessions in all secondary schools" in set(items["actions"]["action"])
    assert "Produce an annual problem profile" not in set(items["actions"]["action"])
    titles = [t for t, _ in focus.case_studies(data.locality, "sexual")]
    assert titles == ["Sexual exploitation in short-let flats"]
    assert len(focus.case_studies(data.locality)) == 3
    assert any("intelligence gap" in line for line in focus.further_data(data, "labour"))
