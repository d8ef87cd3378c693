import pandas as pd
import pytest

from pplib.records import clean


@pytest.mark.parametrize("raw, expected", [
    ("Labour; Criminal", ["labour", "criminal"]),
    ("LABOUR EXPLOITATION", ["labour"]),
    ("sexual exp", ["sexual"]),
    ("Criminal/County Lines", ["criminal"]),
    ("Domestic Servitude", ["domestic servitude"]),
    ("forced labour, CSE", ["labour", "sexual"]),
    ("organ harvesting", ["organ harvesting"]),
    ("unknown", ["unknown"]),
    ("", ["unknown"]),
    (None, ["unknown"]),
    ("Unknown; Labour", ["labour"]),
    ("pickpocketing ring", ["other"]),
])
def test_exploitation_types_map_free_text_to_vocabulary(raw, expected):
    assert clean.exploitation_types(raw) == expected


def test_primary_is_first_recorded_and_secondary_the_rest():
    split = clean.split_primary_secondary(pd.Series(["Sexual; Labour; criminal", "labour"]))
    assert split["primary_type"].tolist() == ["sexual", "labour"]
    assert split["secondary_types"].tolist() == ["labour; criminal", ""]


@pytest.mark.parametrize("raw", ["03/04/2022", "3/4/22", "2022-04-03", "03-Apr-2022", "44654",
                                 pd.Timestamp("2022-04-03 14:30")])
def test_uk_dates_parse_day_first(raw):
    assert clean.parse_date(raw) == pd.Timestamp("2022-04-03")


@pytest.mark.parametrize("raw", ["", None, "not a date", "31/02/2022"])
def test_unparseable_dates_are_missing(raw):
    assert pd.isna(clean.parse_date(raw))


@pytest.mark.parametrize("raw, expected", [("M", "male"), ("female", "female"), ("F", "female"),
                                           ("U", "unknown"), (None, "unknown")])
def test_sex(raw, expected):
    assert clean.sex(raw) == expected


@pytest.mark.parametrize("raw, expected", [("Y", True), ("yes", True), ("1", True), ("N", False),
                                           ("0", False), ("", None), (None, None)])
def test_flag(raw, expected):
    assert clean.flag(raw) is expected


@pytest.mark.parametrize("age, group, band", [(11, "child", "0-11"), (17, "child", "16-17"),
                                              (18, "adult", "18-24"), (60, "adult", "55+"),
                                              (None, "unknown", "unknown")])
def test_age_group_and_band(age, group, band):
    assert clean.age_group(age) == group
    assert clean.age_band(age) == band


@pytest.mark.parametrize("name, code", [
    ("Newark & Sherwood", "E07000175"), ("newark and sherwood", "E07000175"), ("Kingston upon Hull", "E06000010"),
    ("Kingston-upon-Hull", "E06000010"), ("KINGSTON UPON HULL, CITY OF", "E06000010"), ("St Helens", "E08000013"),
    ("Bristol City Council", "E06000023"), ("Bassetlow", "E07000171"), ("e07000171", "E07000171")])
def test_district_names_in_their_usual_variants_map_to_ons_codes(name, code):
    assert clean.lad_code(name) == code and clean.is_known_lad(name)


@pytest.mark.parametrize("recorded, types", [
    ("CCE", ["criminal"]), ("CSE", ["sexual"]), ("CL", ["criminal"]), ("DS", ["domestic servitude"]),
    ("CCE / county lines", ["criminal"]), ("CSE; LE", ["sexual", "labour"])])
def test_abbreviations_police_and_councils_use_map_to_their_types(recorded, types):
    assert clean.exploitation_types(recorded) == types
