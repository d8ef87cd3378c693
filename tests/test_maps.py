"""Maps: records joined to areas (every row accounted for), rates and intervals, legends, rendering."""
from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from pplib.disclosure.plan import Ledger
from pplib.disclosure.tables import protect as protect_table
from pplib.figures import maps
from pplib.measures import areas
from pplib.reference import boundaries
from pplib.reference.forces import england_and_wales, force_by_code

SHARED_GEO = Path(__file__).resolve().parents[2] / "shared" / "geo"
NOTTS, GMP, CUMBRIA = "E23000019", "E23000005", "E23000002"
NOTTINGHAM, MANSFIELD = "E06000018", "E07000174"


@pytest.fixture
def geo(monkeypatch) -> Path:
    if not SHARED_GEO.is_dir():
        pytest.skip("../shared/geo is not beside the project")
    monkeypatch.setenv("PPLIB_GEO_DIR", str(SHARED_GEO))
    return SHARED_GEO


@pytest.fixture
def no_boundaries(tmp_path, monkeypatch):
    monkeypatch.delenv("PPLIB_GEO_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _records(**columns) -> pd.DataFrame:
    return pd.DataFrame(columns)


def _texts(fig) -> str:
    texts = [t.get_text() for t in fig.texts]
    for ax in fig.axes:
        texts += [t.get_text() for t in ax.texts] + [ax.get_title(loc="left")]
        if ax.get_legend():
            texts += [t.get_text() for t in ax.get_legend().get_texts()]
    for legend in fig.legends:
        texts += [t.get_text() for t in legend.get_texts()]
    return "\n".join(texts)


def _flat(text: str) -> str:
    return " ".join(text.split())


# --- joining records to areas -----------------------------------------------------

def test_districts_join_with_every_row_in_the_table_or_unmatched():
    frame = _records(lad_code=[NOTTINGHAM, NOTTINGHAM, NOTTINGHAM, MANSFIELD, " e07000174 ", None, "", pd.NA,
                               "XYZ", "E08000003", "E08000003"])
    table, unmatched = areas.area_counts(frame, "lad", NOTTS)
    assert len(table) == 8 and set(table["area_code"]) == set(areas.force_areas("lad", NOTTS)["area_code"])
    counts = table.set_index("area_code")["count"]
    assert counts[NOTTINGHAM] == 3 and counts[MANSFIELD] == 2 and counts.drop([NOTTINGHAM, MANSFIELD]).eq(0).all()
    reasons = unmatched.set_index("reason")["count"].to_dict()
    assert reasons == {
        "no area recorded": 3,
        "'XYZ' is not a known district in the UK": 1,
        "E08000003 (Manchester) is in Greater Manchester, outside this force": 2,
    }
    assert table["count"].sum() + unmatched["count"].sum() == len(frame)


def test_district_rates_by_hand():
    frame = _records(lad_code=[NOTTINGHAM] * 3 + [MANSFIELD])
    table, _ = areas.area_counts(frame, "lad", NOTTS)
    row = table.set_index("area_code").loc[NOTTINGHAM]
    assert row["population"] == 329276
    assert row["rate_per_100k"] == pytest.approx(3 * 100_000 / 329276)
    assert table.set_index("area_code").loc["E07000170", "rate_per_100k"] == 0


def test_partnerships_sum_their_districts_and_split_districts_follow_the_documented_rule():
    frame = _records(lad_code=["E07000172", "E07000173", "E07000176", NOTTINGHAM])
    table, unmatched = areas.area_counts(frame, "csp", NOTTS)
    south = table.set_index("area_name").loc["South Nottinghamshire"]
    assert south["count"] == 3 and south["population"] == 113172 + 118563 + 123854
    assert unmatched.empty

    cumbria, _ = areas.area_counts(_records(lad_code=["E06000063", "E06000064", "E06000064"]), "csp", CUMBRIA)
    by_code = cumbria.set_index("area_code")
    # Cumberland is split across Allerdale, Carlisle and Copeland: counted in the lowest code, Allerdale.
    assert set(by_code.index) == {"E22000031", "E22000032"}
    assert by_code.loc["E22000031", "count"] == 1 and by_code.loc["E22000032", "count"] == 2
    assert "Cumberland" in by_code.loc["E22000031", "note"] and "Carlisle" in by_code.loc["E22000031", "note"]


def test_messy_postcode_districts_are_read_or_reported():
    frame = _records(postcode_district=["NG7", "ng7 ", " NG 7", "NG7 1AB", "NG", "DN22", "S80", "M1", "XX1",
                                        "N/A", None, "  "])
    table, unmatched = areas.area_counts(frame, "postcode_area", NOTTS)
    # S and LE straddle the force boundary (Bassetlaw is partly in S): with no district, S80 is not guessed in
    assert table.set_index("area_code")["count"].to_dict() == {"DN": 1, "LE": 0, "NG": 5, "S": 0}
    assert table["rate_per_100k"].isna().all() and "no population" in table.attrs["rate_note"]
    reasons = unmatched.set_index("reason")["count"].to_dict()
    assert reasons == {
        "no area recorded": 2,
        "S straddles the force boundary and the record has no district recorded": 1,
        "M is not one of this force's postcode areas (DN, LE, NG, S)": 1,
        "'XX1' is not a recognisable postcode district": 1,
        "'N/A' is not a recognisable postcode district": 1,
    }
    assert table["count"].sum() + unmatched["count"].sum() == len(frame)


def test_inside_the_force_follows_the_district_where_recorded():
    frame = _records(postcode_district=["S80", "S1", "S81"], lad_code=["E07000171", "E08000019", None])
    table, unmatched = areas.area_counts(frame, "postcode_area", NOTTS)
    assert table.set_index("area_code").loc["S", "count"] == 1  # Worksop, Bassetlaw: Nottinghamshire
    assert unmatched.set_index("kind")["count"].to_dict() == {"outside force": 1, areas.STRADDLES: 1}


def test_straddling_postcode_areas_are_drawn_clipped_to_the_force(geo):
    from pplib.figures import maps
    table, _ = areas.area_counts(_records(postcode_district=["NG7"]), "postcode_area", NOTTS)
    shapes = maps._shapes_for(table, "postcode_area")
    whole = maps.area_shapes("postcode_area").set_index("area_code").loc["S"].geometry
    drawn = shapes.set_index("area_code").loc["S"].geometry
    assert 0 < drawn.area < 0.5 * whole.area  # only the Bassetlaw part of S
    assert maps.force_outline(NOTTS).buffer(100).union_all().contains(drawn)


def test_a_missing_column_puts_every_row_in_unmatched():
    table, unmatched = areas.area_counts(_records(lad_code=[NOTTINGHAM, None]), "postcode_area", NOTTS)
    assert table["count"].sum() == 0
    assert unmatched.to_dict("records") == [
        {"kind": "missing", "reason": "no postcode_district column in the data", "count": 2}]


def test_small_counts_are_suppressed_with_a_second_area_so_they_cannot_be_recovered():
    frame = _records(lad_code=[NOTTINGHAM] * 9 + [MANSFIELD] * 3 + ["E07000170"] * 6 + ["E07000171"] * 7
                     + ["E07000172"] * 8 + ["E07000173"] * 10 + ["E07000175"] * 11 + ["E07000176"] * 12)
    frame.attrs["measure"] = "crimes"
    table, _ = areas.area_counts(frame, "lad", NOTTS)
    ledger = Ledger(5, 10)
    ledger.domains.add("crimes", "lad", table.attrs["cells"]["domains"]["lad"])
    # the report's sentences give the total and the records not on the map
    ledger.decide("text", {"crimes": len(frame), f"crimes|lad={areas.NOT_PLACED}": 0})
    shown, cells_shown, ratios = protect_table(ledger, "districts", table, table.attrs["cells"], None)
    hidden = set(shown.loc[areas.withheld(shown), "area_code"])
    assert hidden == {MANSFIELD, "E07000170"}  # 3 is below 5; 6 is the next smallest
    assert shown.set_index("area_code").loc[list(hidden), "rate_per_100k"].isna().all()
    assert shown.set_index("area_code").loc[NOTTINGHAM, "count"] == 9
    assert {c["key"] for c in cells_shown} >= {f"crimes|lad={MANSFIELD}", f"crimes|lad={NOTTINGHAM}"}
    assert areas.NOT_PLACED in ledger.domains.dims["crimes"]["lad"].values
    assert all(r["denominator"] > 0 for r in ratios)  # rates are shares of published populations


def test_the_records_not_placed_are_decided_with_the_area_table_so_the_sentence_withdraws_nothing():
    # one record with no district: a 1 in the sentence under the table. Decided after the table, it would
    # withdraw a district already on the page (the section would run again); decided with it, nothing is.
    frame = _records(lad_code=[NOTTINGHAM] * 9 + [MANSFIELD] * 6 + ["E07000170"] * 7 + [None])
    frame.attrs["measure"] = "crimes"
    table, unmatched = areas.area_counts(frame, "lad", NOTTS)
    ledger = Ledger(5, 10)
    ledger.decide("text", {"crimes": len(frame)})
    protect_table(ledger, "districts", table, table.attrs["cells"], None)
    not_placed = f"crimes|lad={areas.NOT_PLACED}"
    assert ledger.decided[not_placed].suppressed and ledger.decided[not_placed].table == "districts"
    ledger.decide("text", {not_placed: int(unmatched["count"].sum())})
    assert not ledger.withdrawn and not ledger.revised
    # without the cell decided beside the table, the same sentence withdraws a district already shown
    table.attrs["cells"]["also"] = []
    before = Ledger(5, 10)
    before.decide("text", {"crimes": len(frame)})
    protect_table(before, "districts", table, table.attrs["cells"], None)
    before.decide("text", {not_placed: 1})
    assert before.withdrawn


# --- Police Scotland, PSNI and British Transport Police ------------------------------

SCOTLAND, NORTHERN_IRELAND, BTP = "S92000003", "N92000002", "BTP"
GLASGOW, EDINBURGH, BELFAST = "S12000049", "S12000036", "N09000003"


def test_scotland_and_northern_ireland_place_records_on_their_districts():
    frame = _records(lad_code=[GLASGOW] * 3 + [EDINBURGH, BELFAST, NOTTINGHAM, None])
    table, unmatched = areas.area_counts(frame, "lad", SCOTLAND)
    assert len(table) == 32 and table["area_code"].str.startswith("S12").all()
    counts = table.set_index("area_code")["count"]
    assert counts[GLASGOW] == 3 and counts[EDINBURGH] == 1 and counts.sum() == 4
    glasgow = table.set_index("area_code").loc[GLASGOW]
    assert glasgow["area_name"] == "Glasgow City" and glasgow["population"] == 622820  # ONS mid-2022
    assert glasgow["rate_per_100k"] == pytest.approx(3 * 100_000 / 622820)
    assert "mid-2022" in table.attrs["note"]
    assert unmatched.set_index("reason")["count"].to_dict() == {
        "N09000003 (Belfast) is in Northern Ireland, outside this force": 1,
        "E06000018 (Nottingham) is in Nottinghamshire, outside this force": 1,
        "no area recorded": 1,
    }

    table, unmatched = areas.area_counts(frame, "lad", NORTHERN_IRELAND)
    assert len(table) == 11 and table["area_code"].str.startswith("N09").all()
    assert table.set_index("area_code")["count"].to_dict()[BELFAST] == 1 and table["count"].sum() == 1
    assert table["count"].sum() + unmatched["count"].sum() == len(frame)


@pytest.mark.parametrize("force_code", [SCOTLAND, NORTHERN_IRELAND])
def test_no_partnerships_outside_england_and_wales_gives_an_empty_table_with_a_note(force_code):
    frame = _records(lad_code=[GLASGOW, BELFAST, None])
    table, unmatched = areas.area_counts(frame, "csp", force_code)
    assert table.empty
    assert list(table.columns) == ["area_code", "area_name", "count", "population", "rate_per_100k", "note"]
    assert "only in England and Wales" in table.attrs["note"]
    assert "district table" in table.attrs["note"]
    assert table["count"].sum() + unmatched["count"].sum() == len(frame)
    assert (unmatched["kind"] == areas.NO_AREA).sum() == 1  # its own district, with no partnership
    assert "no community safety partnerships" in " ".join(unmatched["reason"])


def test_postcode_areas_in_scotland_but_none_in_northern_ireland():
    frame = _records(postcode_district=["G1", "EH1 1AA", "KY7", "BT1", "NG7", None])
    table, unmatched = areas.area_counts(frame, "postcode_area", SCOTLAND)
    assert {"G", "EH", "KY", "AB", "ZE"} <= set(table["area_code"])
    assert table.set_index("area_code")["count"][["G", "EH", "KY"]].tolist() == [1, 1, 1]
    assert unmatched["count"].sum() == 3

    table, unmatched = areas.area_counts(frame, "postcode_area", NORTHERN_IRELAND)
    assert table.empty and "Great Britain only" in table.attrs["note"]
    reasons = unmatched.set_index("reason")["count"].to_dict()
    assert reasons["BT (Northern Ireland) has no postcode area boundary in the data"] == 1
    assert reasons["G is in Great Britain, outside this force"] == 1


def test_btp_area_is_every_district_of_great_britain():
    lads = areas.force_areas("lad", BTP)
    assert len(lads) == 350 and set(lads["area_code"].str[0]) == {"E", "W", "S"}
    assert "railways" in lads.attrs["note"]
    frame = _records(lad_code=[NOTTINGHAM, GLASGOW, "W06000015", BELFAST])
    table, unmatched = areas.area_counts(frame, "lad", BTP)
    assert table["count"].sum() == 3
    assert unmatched.to_dict("records") == [
        {"kind": "outside force", "reason": "N09000003 (Belfast) is in Northern Ireland, outside this force",
         "count": 1}]
    partnerships, unplaced = areas.area_counts(frame, "csp", BTP)
    assert partnerships["count"].sum() == 2 and (unplaced["kind"] == areas.NO_AREA).sum() == 1
    assert "Scotland" in partnerships.attrs["note"]
    postcodes = areas.force_areas("postcode_area", BTP)
    assert set(postcodes["area_code"]) == areas.UK_POSTCODE_AREAS - {"BT"}


def test_district_codes_and_names_of_scotland_and_northern_ireland_are_known():
    from pplib.records import clean

    assert clean.lad_code("Fife") == "S12000047" and clean.lad_code(" glasgow city ") == GLASGOW
    assert clean.lad_code("Belfast") == BELFAST and clean.is_known_lad("n09000011")
    assert clean.lad_code("Atlantis") == "Atlantis" and not clean.is_known_lad("Atlantis")


def test_scottish_district_and_postcode_maps_draw_with_the_force_outlined(geo):
    frame = _records(lad_code=[GLASGOW] * 6 + [EDINBURGH] * 2, postcode_district=["G1"] * 6 + ["EH1"] * 2)
    table, _ = areas.area_counts(frame, "lad", SCOTLAND)
    _withhold(table, EDINBURGH)
    fig = maps.choropleth(table, "lad", "count", "Crimes by council area", "Counted: crimes.")
    assert len(fig.axes[0].collections) >= 2  # shown and withheld areas
    table, _ = areas.area_counts(frame, "postcode_area", SCOTLAND)
    fig = maps.choropleth(table, "postcode_area", "count", "Crimes by postcode area", "Counted: crimes.")
    flat = _flat(_texts(fig))
    assert boundaries.layer_info("postcode_area").attribution in flat
    assert boundaries.layer_info("lad").attribution in flat  # no PFA polygon: outlined from its districts


# --- rates and intervals ------------------------------------------------------------

def test_force_rates_cover_england_and_wales_with_intervals():
    rates = areas.force_rates(period=("2023-Q1", "2023-Q4"))
    assert set(rates["force_code"]) == {f.code for f in england_and_wales()}
    notts = rates.set_index("force_code").loc[NOTTS]
    assert notts["count"] == 22 + 9 + 15 + 13 and notts["quarters"] == 4
    assert notts["rate_per_100k"] == pytest.approx(59 * 100_000 / force_by_code(NOTTS).population)
    assert (rates["lower_95"] < rates["rate_per_100k"]).all() and (rates["rate_per_100k"] < rates["upper_95"]).all()


# --- classes and legends -------------------------------------------------------------

def test_count_legend_labels_are_integer_ranges_that_meet():
    assert maps.classify([0, 1, 4, 5, 12], classes=3, scheme="EqualInterval").labels == ("0 to 4", "5 to 8", "9 to 12")
    assert maps.classify([0, 0, 0, 10, 11, 12, 30], classes=3).labels == ("0", "1 to 12", "13 to 30")
    assert maps.classify([0, 0, 0, 10, 11, 12, 30], classes=3, threshold=5).labels == ("0", "5 to 12", "13 to 30")


def test_rate_legend_labels_use_one_decimal_and_more_only_when_needed():
    assert maps.classify([2.34, 2.36, 7.0, 7.04], classes=2).labels == ("2.3 to 2.4", "7.0")
    assert maps.classify([4.2, 5.466, 5.548], classes=3).labels == ("4.20", "5.47", "5.55")


def test_classes_are_deterministic_and_skip_missing_values():
    values = [0, 3, 8, 8, 15, 22, 40, None, 61, 2]
    first, second = maps.classify(values), maps.classify(values)
    assert first == second and len(first.labels) == 5
    assert list(first.index([None, 0, 61])) == [-1, 0, 4]


# --- drawing with the shared boundaries ----------------------------------------------

def _withhold(table, code):
    """Mark an area's count withheld, as a section's protected table does."""
    table["count"] = table["count"].astype("Int64").mask(table["area_code"] == code)
    table.attrs["suppressed_cells"] = {"count": list(table.index[table["area_code"] == code])}


def test_choropleth_shows_suppressed_and_no_data_classes_and_attribution(geo, tmp_path):
    frame = _records(lad_code=[NOTTINGHAM] * 20 + [MANSFIELD] * 2 + ["E07000170"] * 9 + ["E07000171"] * 14)
    table, _ = areas.area_counts(frame, "lad", NOTTS)
    _withhold(table, MANSFIELD)
    table.loc[table["area_code"] == "E07000176", "rate_per_100k"] = pd.NA  # e.g. population unknown
    fig = maps.choropleth(table, "lad", "rate_per_100k", "Crimes per 100,000 population by district",
                          "Counted: recorded crimes, 2021 to 2023. Source: Nottinghamshire Police.", classes=3)
    fig.savefig(tmp_path / "map.png")
    text = _texts(fig)
    assert "Withheld ([c]) to protect individuals" in text and "No data" in text
    assert "Counted: recorded crimes" in text
    assert boundaries.layer_info("lad").attribution in _flat(text)
    assert "Mansfield" in text  # area labels on a force-sized map


def test_postcode_area_map_outlines_the_force_and_credits_both_layers(geo):
    table, _ = areas.area_counts(_records(postcode_district=["NG1", "NG2", "DN22"]), "postcode_area", NOTTS)
    fig = maps.choropleth(table, "postcode_area", "count", "Crimes by postcode area", "Counted: crimes.")
    flat = _flat(_texts(fig))
    assert boundaries.layer_info("postcode_area").attribution in flat
    assert boundaries.layer_info("pfa").attribution in flat


def test_small_multiples_share_one_classification(geo):
    frame = _records(lad_code=[NOTTINGHAM] * 12 + [MANSFIELD] * 6 + [None] * 2,
                     year=[2022] * 10 + [2023] * 10)
    tables, unmatched = areas.area_counts_by(frame, "year", "lad", NOTTS)
    fig = maps.small_multiples(tables, "year", "lad", "Crimes by district and year", "Counted: recorded crimes.",
                               ncols=2)
    assert [ax.get_title(loc="left") for ax in fig.axes[:2]] == ["2022", "2023"]
    assert len(fig.legends) == 1
    flat = _flat(_texts(fig))
    assert areas.unmatched_note(unmatched) == "2 records not on the map (2 no area recorded)."
    assert boundaries.layer_info("lad").attribution in flat


def test_national_context_outlines_the_force_and_shows_forces_without_figures(geo):
    rates = areas.force_rates()
    fig = maps.national_context(NOTTS, rates[rates["force_code"] != "E23000034"])
    flat = _flat(_texts(fig))
    assert boundaries.layer_info("pfa").attribution in flat
    assert "Nottinghamshire is outlined" in flat and "not where the exploitation happened" in flat
    assert "No data" in flat  # City of London left out above: drawn grey, not dropped
    assert any(np.max(c.get_linewidth()) >= 2 for c in fig.axes[0].collections)


def test_postcode_areas_known_to_the_code_match_the_boundary_layer(geo):
    layer = boundaries.load_layer("postcode_area")
    assert areas.UK_POSTCODE_AREAS == set(layer["PostArea"]) | {"BT"}


# --- without boundaries ---------------------------------------------------------------

def test_tile_grid_renders_without_boundaries(no_boundaries, tmp_path):
    assert not boundaries.available()
    fig = maps.national_map(NOTTS, areas.force_rates())
    fig.savefig(tmp_path / "tiles.png")
    text = _texts(fig)
    assert "pplib boundaries download" in _flat(text)
    assert {"NOT", "MPS", "DPP"} <= set(text.splitlines())


def test_tile_layout_has_one_cell_per_force_north_up_wales_west():
    grid = areas.tile_layout()
    assert len(grid) == 43
    assert not grid.duplicated(["col", "row"]).any() and not grid["abbreviation"].duplicated().any()
    assert set(grid["code"]) == {f.code for f in england_and_wales()}
    at = grid.set_index("code")
    assert at.loc["E23000007", "row"] < at.loc["E23000035", "row"]  # Northumbria above Devon & Cornwall
    welsh, english = grid[grid["code"].str.startswith("W")], grid[grid["code"].str.startswith("E")]
    for row, cols in welsh.groupby("row")["col"]:
        assert cols.max() < english.loc[english["row"] == row, "col"].min()


def test_a_force_without_a_police_force_area_is_not_claimed_to_be_outlined(geo):
    """Police Scotland (and PSNI, BTP) have no polygon on the England and Wales map: nothing to outline, no
    warning printed into the report, and the caption says so."""
    import warnings

    from pplib.reference.forces import force_by_slug
    scotland = force_by_slug("police-scotland")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = maps.national_context(scotland.code, areas.force_rates())
    flat = _flat(_texts(fig))
    assert f"{scotland.name} has no police force area on this map" in flat
    assert f"{scotland.name} is outlined" not in flat
    assert not any(np.max(c.get_linewidth()) >= 2 for c in fig.axes[0].collections)
