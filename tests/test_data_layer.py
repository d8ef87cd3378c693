"""Each kind of bad input gives a clear error or a ledger entry; nothing is lost."""
import logging

import pytest
from factories import crime, make_locality, victim, write_csv

from pplib.config import load_locality
from pplib.records.dataset import load_locality_data
from pplib.records.load import SourceError, load_source


def _data(folder):
    return load_locality_data(load_locality(folder))


def _ledger_row(data, source, row):
    ledger = data.ledger
    match = ledger[(ledger["source"] == source) & (ledger["source_row"] == row)]
    assert len(match) == 1, f"row {row} of {source} is in the ledger {len(match)} times"
    return match.iloc[0]


def test_missing_column_lists_expected_found_and_closest(tmp_path):
    folder = make_locality(tmp_path, [crime("A1")],
                           crimes_source={"columns": {"crime_ref": "Crime Reference", "date_recorded": "date_recorded",
                                                      "exploitation_types": "exploitation_types"}})
    with pytest.raises(SourceError) as err:
        load_source(load_locality(folder), "crimes")
    message = str(err.value)
    assert "crimes.csv" in message and "'Crime Reference' (for crime_ref)" in message
    assert "closest match 'crime_ref'" in message
    assert "found: 'crime_ref', 'date_committed'" in message


def test_required_column_not_mapped_is_an_error(tmp_path):
    folder = make_locality(tmp_path, [crime("A1")], crimes_source={"columns": {"crime_ref": "crime_ref"}})
    with pytest.raises(SourceError, match="maps no column to required date_recorded"):
        load_source(load_locality(folder), "crimes")


def test_unparseable_required_date_rejects_the_row_naming_file_row_and_column(tmp_path):
    folder = make_locality(tmp_path, [crime("A1"), crime("A2", recorded="32/13/2022")])
    data = _data(folder)
    entry = _ledger_row(data, "crimes", 3)  # header is Excel row 1, A2 is row 3
    assert entry["status"] == "rejected"
    assert entry["reason"].startswith("crimes.csv row 3, column 'date_recorded': the value is not a date")
    assert list(data.crimes["crime_key"]) == ["C00001"]


def test_wrong_type_in_optional_column_is_noted_and_treated_as_missing(tmp_path):
    folder = make_locality(tmp_path, [crime("A1")], [victim("A1", "V1", age="thirty")])
    data = _data(folder)
    entry = _ledger_row(data, "victims", 2)
    assert entry["status"] == "used"
    assert "column 'age': the value is not a whole number of years" in entry["notes"]
    assert data.victims["age_group"].tolist() == ["unknown"]


def test_unknown_category_is_reported_and_counted_as_unknown(tmp_path):
    folder = make_locality(tmp_path, [crime("A1", types="Labour; pickpocketing")],
                           [victim("A1", "V1", sex="Q", nationality="Martian")])
    data = _data(folder)
    notes = _ledger_row(data, "victims", 2)["notes"]
    assert "column 'sex': the value is not Male, Female" in notes
    assert "column 'nationality': the value is not a nationality" in notes
    assert data.victims.iloc[0]["sex"] == "unknown"
    assert data.victims.iloc[0]["nationality"] == "Other (unrecognised)"
    assert "column 'exploitation_types': the value is not exploitation types" in _ledger_row(data, "crimes", 2)["notes"]
    assert data.crimes.iloc[0]["secondary_types"] == "other"


def test_empty_file_is_an_error(tmp_path):
    folder = make_locality(tmp_path, [crime("A1")])
    (folder / "crimes.csv").write_bytes(b"")
    with pytest.raises(SourceError, match=r"crimes.csv: the file is empty \(0 bytes\)"):
        load_source(load_locality(folder), "crimes")


def test_header_only_file_gives_no_records_and_no_error(tmp_path):
    folder = make_locality(tmp_path, [crime("A1")])
    write_csv(folder / "crimes.csv", [], list(crime("x")))
    assert _data(folder).crimes.empty


def test_duplicates_are_merged_keeping_the_most_complete_values(tmp_path):
    rows = [crime("A1", sector=""), crime("A1", sector="car wash", mo_text="washing cars"),
            crime("A1", county_lines="")]
    data = _data(make_locality(tmp_path, rows))
    assert len(data.crimes) == 1 and data.crimes.iloc[0]["sector"] == "car wash"
    ledger = data.ledger
    assert ledger["status"].tolist() == ["merged", "used", "merged"]
    assert ledger["merged_into"].tolist()[0] == 3 and ledger["merged_into"].tolist()[2] == 3


def test_same_victim_recorded_twice_is_merged(tmp_path):
    folder = make_locality(tmp_path, [crime("A1")], [victim("A1", "V1", nationality=""), victim("A1", "V1")])
    data = _data(folder)
    assert len(data.victims) == 1 and data.victims.iloc[0]["nationality"] == "United Kingdom"
    assert _ledger_row(data, "victims", 2)["status"] == "merged"


def test_wrong_encoding_is_named_with_the_fix(tmp_path):
    folder = make_locality(tmp_path, [crime("A1")], [victim("A1", "V1")], victims_source={"encoding": "utf-8"})
    write_csv(folder / "victims.csv", [victim("A1", "V1", victim_name="José Núñez")], encoding="cp1252")
    with pytest.raises(SourceError, match=r"victims.csv: cannot be read as utf-8 .*set `encoding: cp1252`"):
        load_source(load_locality(folder), "victims")


def test_encoding_is_detected_when_not_configured(tmp_path):
    folder = make_locality(tmp_path, [crime("A1")], [victim("A1", "V1")])
    write_csv(folder / "victims.csv", [victim("A1", "V1", victim_name="José Núñez")], encoding="cp1252")
    loaded = load_source(load_locality(folder), "victims")
    assert loaded.encoding == "cp1252" and loaded.frame.iloc[0]["victim_name"] == "José Núñez"


def test_title_rows_above_the_header_are_found_and_rows_numbered_as_in_excel(tmp_path):
    folder = make_locality(tmp_path, [crime("A1")])
    write_csv(folder / "crimes.csv", [crime("A1"), crime("A2", recorded="bad")],
              title_rows=["SYNTHETIC extract,,", "Run 05/01/2024,,", ""])
    loaded = load_source(load_locality(folder), "crimes")
    assert loaded.header_row == 4
    data = _data(folder)
    assert "crimes.csv row 6, column 'date_recorded'" in _ledger_row(data, "crimes", 6)["reason"]


def test_blank_rows_and_rows_outside_the_period_are_rejected_with_reasons(tmp_path):
    folder = make_locality(tmp_path, [crime("A1"), {k: "" for k in crime("x")}, crime("A3", recorded="01/01/2019")])
    data = _data(folder)
    assert _ledger_row(data, "crimes", 3)["reason"] == "blank row"
    assert "date_recorded 01/01/2019 is outside the report period" in _ledger_row(data, "crimes", 4)["reason"]


def test_victims_of_unknown_crimes_are_rejected(tmp_path):
    data = _data(make_locality(tmp_path, [crime("A1")], [victim("A1", "V1"), victim("ZZ9", "V2")]))
    assert "crime reference not among the crimes used" in _ledger_row(data, "victims", 3)["reason"]


def test_personal_fields_are_kept_apart_and_access_is_logged(tmp_path, caplog):
    data = _data(make_locality(tmp_path, [crime("A1", mo_text="call 07700 900123")], [victim("A1", "V1")]))
    for frame in (data.crimes, data.victims):
        assert not {"crime_ref", "mo_text", "victim_name", "victim_id", "date_of_birth"} & set(frame.columns)
    assert "07700 900123" not in data.crimes.to_csv()
    with caplog.at_level(logging.WARNING):
        personal = data.personal_fields("crimes", "modus operandi themes")
    assert personal.iloc[0]["mo_text"] == "call 07700 900123"
    assert "personal fields of crimes accessed" in caplog.text and "modus operandi themes" in caplog.text
    with pytest.raises(ValueError):
        data.personal_fields("crimes", " ")


def test_completeness_per_column(tmp_path):
    data = _data(make_locality(tmp_path, [crime("A1", sector="farm"), crime("A2")]))
    table = data.completeness().set_index(["source", "column"])
    assert table.loc[("crimes", "sector"), "percent_complete"] == 50.0
    assert table.loc[("crimes", "crime_ref"), "percent_complete"] == 100.0
    assert not table.loc[("crimes", "outcome"), "supplied"]


def test_blank_required_value_rejects_the_row(tmp_path):
    data = _data(make_locality(tmp_path, [crime("A1"), crime("", sector="farm")], [victim("", "V1")]))
    assert _ledger_row(data, "crimes", 3)["reason"] == \
        "crimes.csv row 3, column 'crime_ref': blank is not a value (the column is required)"
    assert _ledger_row(data, "victims", 2)["status"] == "rejected"


def test_csv_grid_matches_the_csv_module_row_for_row():
    """pandas reads the cells (less memory), but rows and cells are exactly what the csv module reads:
    title rows, blank lines (so row numbers match Excel's), quoted commas, quotes, line breaks in a cell,
    short rows, non-ASCII text, CRLF line ends."""
    import csv
    import io

    from pplib.records.load import _csv_grid
    text = ('Modern slavery crimes export\r\n\r\nCrime Reference,Offence,Notes,Nationality\r\n'
            'A1,"Forced labour, car wash","He said ""no""",Côte d’Ivoire\r\n'
            'A2,Sexual exploitation,"line one\r\nline two",\r\n'
            'A3,Criminal exploitation\r\n\r\n,,,\r\n')
    for encoding in ("utf-8-sig", "cp1252"):
        data = text.replace("’", "'").encode(encoding) if encoding == "cp1252" else text.encode(encoding)
        expected = list(csv.reader(io.StringIO(data.decode(encoding), newline="")))
        width = max(len(r) for r in expected)
        grid = _csv_grid(data, encoding)
        assert grid.values.tolist() == [r + [""] * (width - len(r)) for r in expected], encoding
        assert grid.iloc[3, 2] == 'He said "no"' and grid.iloc[4, 2] == "line one\r\nline two"


def test_a_district_recorded_by_name_only_places_the_crime(tmp_path):
    rows = [crime("A1", lad_code="", lad_name="Newark & Sherwood"), crime("A2", lad_code="", lad_name="Hull")]
    data = _data(make_locality(tmp_path, rows))
    assert data.crimes.set_index("crime_key")["lad_code"].tolist() == ["E07000175", "E06000010"]
