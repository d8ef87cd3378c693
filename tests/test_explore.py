"""The explorer's controls drive its outputs, through the same functions as the report."""
import pytest

from pplib.measures import areas, counts
from pplib.paths import LOCALITIES_DIR
from pplib.report.explore import ALL_TYPES, Explorer, cached_data, select


@pytest.fixture
def explorer():
    return Explorer(LOCALITIES_DIR / "dyfed-powys")


def test_starts_on_the_given_locality_with_all_its_quarters_and_types(explorer):
    data = cached_data(LOCALITIES_DIR / "dyfed-powys")
    assert explorer.locality.label == "dyfed-powys"
    assert explorer.period.value == ("2021-Q1", "2023-Q4")
    assert list(explorer.exploitation_type.options) == [ALL_TYPES, *counts.types_present(data)]
    expected = counts.profile(data.victims, "age_group")
    assert explorer.table.equals(expected)


def test_type_breakdown_and_period_change_the_outputs(explorer):
    data = cached_data(LOCALITIES_DIR / "dyfed-powys")
    explorer.exploitation_type.value = "labour"
    labour_victims = counts.of_type(data.victims, "labour")
    assert explorer.table.equals(counts.profile(labour_victims, "age_group"))
    explorer.breakdown.value = "sex (suspects)"
    by_sex = counts.profile(counts.of_type(data.suspects, "labour"), "sex")
    assert explorer.table.equals(by_sex.sort_values("people", ascending=False, kind="stable").reset_index(drop=True))
    explorer.breakdown.value = "area (crimes by district)"
    explorer.period.value = ("2022-Q1", "2022-Q4")
    crimes = data.crimes[(data.crimes["primary_type"] == "labour") & data.crimes["quarter"].between("2022-Q1", "2022-Q4")]
    expected, _ = areas.area_counts(crimes, "lad", data.locality.force_code)
    assert explorer.table["count"].tolist() == sorted(expected["count"].tolist(), reverse=True)
    assert f"<b>{explorer.table['count'].sum():,}</b> crimes selected" in explorer.status.value
    explorer.breakdown.value = "quarter (crimes)"
    assert explorer.table["quarter"].tolist() == ["2022-Q1", "2022-Q2", "2022-Q3", "2022-Q4"]
    assert explorer.table["crimes"].sum() == len(crimes)


def test_changing_locality_resets_the_controls(explorer):
    explorer.exploitation_type.value = "labour"
    explorer.locality.value = LOCALITIES_DIR / "nottinghamshire"
    assert explorer.exploitation_type.value == ALL_TYPES
    data = cached_data(LOCALITIES_DIR / "nottinghamshire")
    assert explorer.table.equals(counts.profile(data.victims, "age_group"))


def test_outputs_are_drawn_and_follow_the_controls(explorer, monkeypatch, tmp_path):
    first_chart = bytes(explorer.chart_out.value)
    assert first_chart.startswith(b"\x89PNG") and "<table" in explorer.table_out.value
    assert "Child" in explorer.table_out.value
    explorer.breakdown.value = "nationality (victims)"
    assert bytes(explorer.chart_out.value) != first_chart and "United Kingdom" in explorer.table_out.value


def test_map_drawn_with_boundaries_and_a_note_without(explorer, shared_boundaries, monkeypatch, tmp_path):
    explorer.update()
    assert bytes(explorer.map_out.value).startswith(b"\x89PNG") and "boundaries" not in explorer.note.value
    monkeypatch.setenv("PPLIB_GEO_DIR", str(tmp_path))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    explorer.update()
    assert bytes(explorer.map_out.value) == b"" and "pplib boundaries download" in explorer.note.value


def test_people_are_selected_by_their_crime_quarter():
    data = cached_data(LOCALITIES_DIR / "dyfed-powys")
    victims = select(data, "victims", ("2021-Q1", "2021-Q4"), ALL_TYPES)
    keys = set(data.crimes.loc[data.crimes["year"] == 2021, "crime_key"])
    assert set(victims["crime_key"]) <= keys and len(victims) == data.victims["crime_key"].isin(keys).sum()


def test_the_table_and_titles_read_as_the_report_does_and_name_the_selection(explorer):
    import base64
    import io
    import re

    import pandas as pd
    explorer.exploitation_type.value = "labour"
    explorer.period.value = ("2022-Q1", "2022-Q4")
    explorer.breakdown.value = "nationality (victims)"
    shown = explorer.table_out.value
    assert ">Nationality</th>" in shown and ">People</th>" in shown and "nationality</th>" not in shown
    people = explorer.table["people"].tolist()
    assert people == sorted(people, reverse=True)  # a ranking, largest first
    title = re.search(r"<strong>Table: (.*?)\.</strong>", shown).group(1)
    assert "labour exploitation" in title and "2022-Q1 to 2022-Q4" in title and "Dyfed" in title
    link = re.search(r'href="data:text/csv;base64,([^"]+)"', shown).group(1)
    taken = pd.read_csv(io.BytesIO(base64.b64decode(link)))
    assert taken["people"].tolist() == people and list(taken.columns) == list(explorer.table.columns)


def test_the_csv_download_cannot_run_as_a_formula():
    import base64
    import re

    import pandas as pd

    from pplib.report.explore import csv_link
    link = csv_link(pd.DataFrame({"sector": ["=HYPERLINK(1)", "car wash"], "crimes": [3, 4]}), "t")
    text = base64.b64decode(re.search(r"base64,([^\"]+)", link).group(1)).decode()
    assert "'=HYPERLINK(1)" in text and "\n=" not in text
