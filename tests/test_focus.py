"""In-focus analysis: themes, sectors, comparisons, partner entries and case studies per type."""
import logging

import pandas as pd
import pytest
from factories import crime, make_locality, victim

from pplib.config import load_locality
from pplib.measures import focus, quality
from pplib.records.dataset import load_locality_data


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


def partner_number(value, measure, **conditions):
    """A stand-in for a partner section's `number`: counts under 5 withheld."""
    return "[c]" if 0 < value < 5 else f"{int(value):,}"


def test_sectors_are_normalised(small):
    sectors = focus.sectors(small, "labour")
    assert sectors.set_index("sector")["crimes"].to_dict() == {"car wash": 2, "not recorded": 1}
    spec = sectors.attrs["cells"]
    assert (spec["measure"], spec["by"], spec["within"]) == ("crimes", {"sector": "sector"}, {"primary_type": "labour"})
    assert spec["ratios"] == {"percent": ("crimes", None)}


def test_mo_themes_are_counted_without_text_and_access_is_logged(small, caplog):
    with caplog.at_level(logging.WARNING):
        themes = focus.mo_themes(small, "labour").set_index("theme")["crimes"]
    assert themes["documents held by others"] == 1
    assert themes["debt or fees owed"] == 1
    assert themes["accommodation controlled"] == 1 and themes["wages withheld or controlled"] == 1
    assert "counting modus operandi themes for labour" in caplog.text
    rendered = focus.mo_themes(small, "labour").to_csv()
    assert "caravan" not in rendered and "Passports" not in rendered


def test_mo_themes_are_described_as_overlapping_and_shares_only_undescribed(small):
    table = focus.mo_themes(small, "labour")
    spec = table.attrs["cells"]
    assert spec["additive"] == {"theme": False} and spec["within"] == {"primary_type": "labour"}
    assert spec["domains"]["theme"] == [theme for theme, _ in focus.MO_THEMES]
    assert list(table.columns) == ["theme", "crimes"] and table.attrs["described"] == 2
    shares = focus.mo_themes(small, "labour", shares=True)  # percent of the type's 3 crimes, not of the column
    assert shares.set_index("theme").loc["debt or fees owed", "percent"] == 33.3
    assert "cells" not in shares.attrs  # so the partner edition refuses to show it


def test_local_vs_national_shares(small):
    local, national = focus.local_vs_national(small, "labour")
    row = local.iloc[0]
    assert (row["crimes of this type"], row["all crimes"], row["percent of crimes"]) == (3, 5, 60.0)
    assert row["all referrals"] == 0 and pd.isna(row["percent of referrals"])
    spec = local.attrs["cells"]
    assert spec["counts"]["referrals of this type"] == {"measure": "referrals", "conditions": {"primary_type": "labour"}}
    assert spec["ratios"]["percent of crimes"] == ("crimes of this type", "all crimes", 100)
    assert "labour" in spec["domains"]["primary_type"]
    assert 0 < national["percent"].iloc[0] < 100 and "cells" not in national.attrs


def test_county_lines_summary(small):
    summary = focus.county_lines(small)
    assert summary["bullets"][0] == ("1 crime with criminal exploitation as the primary type was flagged as county lines "
                                  "(50% of the 2 criminal exploitation crimes).")
    assert "2 of their 2 victims (100%) were children." in summary["bullets"]
    assert any("blank for" in b for b in summary["bullets"])
    assert summary["by_year"].attrs["cells"]["within"] == {"primary_type": "criminal", "county_lines": "True"}
    assert "cells" not in summary["victims_by_age"].attrs  # victims have no county lines flag of their own


def test_county_lines_partner_edition(small):
    quoted = []
    def number(value, measure, **conditions):
        quoted.append((measure, conditions))
        return partner_number(value, measure, **conditions)
    summary = focus.county_lines(small, number, partner=True)
    assert summary["bullets"][0] == ("[c] crimes with criminal exploitation as the primary type were flagged as county "
                                  "lines (among [c] criminal exploitation crimes).")
    assert not any("victim" in b for b in summary["bullets"]) and summary["victims_by_age"] is None
    assert quoted == [("crimes", focus.COUNTY_LINES), ("crimes", {"primary_type": "criminal"}),
                      ("crimes", {"primary_type": "criminal", "county_lines": "unknown"})]


def test_partner_items_case_studies_and_further_data_on_the_sample(nottinghamshire):
    data = load_locality_data(load_locality(nottinghamshire))
    items = focus.partner_items(data, "criminal")
    assert "Deliver county lines sessions in all secondary schools" in set(items["actions"]["action"])
    assert "Produce an annual problem profile" not in set(items["actions"]["action"])
    titles = [t for t, _ in focus.case_studies(data.locality, "sexual")]
    assert titles == ["Sexual exploitation in short-let flats"]
    assert len(focus.case_studies(data.locality)) == 3
    assert any("intelligence gap" in line for line in focus.further_data(data, "labour"))
    for exploitation_type in ("labour", "criminal", "sexual"):  # partner: bands, not percentages of counts
        internal, partner = (focus.further_data(data, exploitation_type, partner=p) for p in (False, True))
        assert len(internal) == len(partner)
        thin = [line for line in partner if "filled in for only" in line]
        assert all(any(band in line for _, band in quality.BANDS) for line in thin)


def test_county_lines_have_one_definition_and_one_set_of_numbers_everywhere(nottinghamshire):
    """The in-focus bullets, the by-year table and the per-type bullets (5.2, 7) count the same crimes."""
    from pplib.report import findings
    data = load_locality_data(load_locality(nottinghamshire))
    crimes = focus.county_lines_crimes(data)
    expected = len(crimes)
    assert expected == int(((data.crimes["primary_type"] == "criminal") & data.crimes["county_lines"].fillna(False)).sum())
    summary = focus.county_lines(data)
    assert int(summary["by_year"]["crimes"].sum()) == expected
    sentence = focus.county_lines_sentence(data)
    assert summary["bullets"][0] == sentence
    assert sentence in findings.type_bullets(data, "criminal")
    criminal = int((data.crimes["primary_type"] == "criminal").sum())
    assert sentence.startswith(f"{expected:,} crimes") and f"{100 * expected / criminal:.0f}% of the {criminal:,}" in sentence
