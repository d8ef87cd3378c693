"""The partnership sections: register vocabularies, the resilience grid, risks, recommendations,
intelligence gaps, provenance; and the five notebooks run end to end on the Nottinghamshire sample."""
import hashlib
import html
import re

import pandas as pd
import pytest
import yaml
from factories import crime, make_locality, victim, write_csv

from pplib.build.execute import run_section
from pplib.config import load_locality
from pplib.disclosure import cells
from pplib.disclosure import tables as cell_tables
from pplib.disclosure.plan import Ledger
from pplib.measures import counts, quality, registers
from pplib.records.dataset import load_locality_data
from pplib.report import appendix, findings

pytestmark = pytest.mark.slow  # builds reports or runs notebooks: not in the inner loop (-m "not slow")

NR = registers.NOT_RECORDED


def partner_number(value, measure, **conditions):
    """A stand-in for a partner section's `number`: counts under 5 withheld."""
    return "[c]" if 0 < value < 5 else f"{int(value):,}"

ASSETS = [
    {"asset": "Safe house", "organisation": "Charity", "asset_type": "accommodation", "level": "Personal",
     "function": "Respite & Recovery", "four_p": "prepare", "theme": "Victim support", "description": "Beds."},
    {"asset": "Welfare visits", "organisation": "Council", "asset_type": "inspection", "level": "Legal",
     "function": "discovery", "four_p": "Pursue/Protect", "theme": "Labour exploitation", "description": ""},
    {"asset": "Schools programme", "organisation": "Council", "asset_type": "Training",
     "level": "culture and locality", "function": "prevention", "four_p": "PREVENT", "theme": "county lines ",
     "description": "Sessions."},
    {"asset": "Coordinator", "organisation": "Partnership", "asset_type": "funding", "level": "",
     "function": "sustainable resilience", "four_p": "", "theme": "Governance", "description": ""},
    {"asset": "Mystery", "organisation": "Partnership", "asset_type": "", "level": "cosmic",
     "function": "hovering", "four_p": "Proceed", "theme": "Governance", "description": ""},
]
ACTIONS = [
    {"action": "Map accommodation", "theme": "Victim support", "priority": "H", "owner": "Housing Options",
     "timeframe": "Q1 2024", "status": "in progress"},
    {"action": "Agree a data return", "theme": "Intelligence", "priority": "High", "owner": "Partnership",
     "timeframe": "", "status": ""},
    {"action": "Annual profile", "theme": "Intelligence", "priority": "high", "owner": "Police",
     "timeframe": "Ongoing", "status": "Completed"},
    {"action": "Days of action", "theme": "Labour exploitation", "priority": "Med", "owner": "Police",
     "timeframe": "Apr 2024", "status": "Not started"},
    {"action": "Evaluate navigators", "theme": "County lines", "priority": "low", "owner": "",
     "timeframe": "Q3 2023", "status": "to do"},
]
RISKS = [
    {"risk": "Loss of coordinator funding", "description": "Post funded year to year.", "likelihood": "Med",
     "impact": "hi", "mitigation": "Bid for three years.", "owner": "PCC"},
    {"risk": "Staff turnover", "description": "Staff leave.", "likelihood": "H", "impact": "Low",
     "mitigation": "", "owner": "Council"},
    {"risk": "NRM backlog", "description": "Long waits.", "likelihood": "L", "impact": "M",
     "mitigation": "Escalation.", "owner": "Partnership"},
    {"risk": "Exploitation moving online", "description": "Adverts move to apps.", "likelihood": "High",
     "impact": "H", "mitigation": "Platform referrals.", "owner": "Police"},
    {"risk": "Unrated", "description": "Not assessed yet.", "likelihood": "", "impact": "High",
     "mitigation": "", "owner": "Police"},
]
GAPS = [
    {"gap": "Survivor outcomes", "description": "No follow-up after support ends.", "source": "Charity",
     "owner": "Partnership", "status": "Open"},
    {"gap": "Care work", "description": "Visa-sponsored workers.", "source": "Regulator", "owner": "Council",
     "status": "Closed"},
    {"gap": "County lines across borders", "description": "Lines cross boundaries.", "source": "ROCU",
     "owner": "Police", "status": ""},
]


def frame(rows):
    return pd.DataFrame(rows).replace("", pd.NA)


# --- vocabularies -----------------------------------------------------------------------------

@pytest.mark.parametrize("written, level", [
    ("Personal", "personal"), ("Culture & Locality", "culture and locality"), (" LEGAL ", "legal and regulatory"),
    ("legal/regulatory", "legal and regulatory"), ("Structural", "structural"), ("", NR), (None, NR),
    ("cosmic", NR)])
def test_levels_are_normalised(written, level):
    assert registers.level(written) == level


@pytest.mark.parametrize("written, function", [
    ("Prevention", "prevention"), ("DISCOVERY", "discovery"), ("Respite & Recovery", "respite and recovery"),
    ("respite/recovery", "respite and recovery"), ("Sustainable resilience", "sustainable resilience"),
    ("hovering", NR), (pd.NA, NR)])
def test_functions_are_normalised(written, function):
    assert registers.function(written) == function


@pytest.mark.parametrize("written, strands", [
    ("Protect/Prepare", ("Protect", "Prepare")), ("prepare, PURSUE", ("Pursue", "Prepare")),
    ("prevent", ("Prevent",)), ("Prevention and protection", ("Prevent", "Protect")), ("", (NR,)),
    ("Proceed", (NR,))])
def test_four_ps_are_split_and_normalised(written, strands):
    assert registers.four_p_strands(written) == strands


@pytest.mark.parametrize("written, expected", [("H", "High"), ("hi", "High"), ("high", "High"), ("Med", "Medium"),
                                                ("M", "Medium"), ("Medium", "Medium"), ("lo", "Low"), ("L", "Low"),
                                                ("", NR), ("urgent", NR)])
def test_priority_likelihood_and_impact_are_normalised(written, expected):
    assert registers.priority(written) == expected
    assert registers.likelihood_or_impact(written) == expected


@pytest.mark.parametrize("written, expected", [("Not started", "Not started"), ("to do", "Not started"),
                                                ("in progress", "In progress"), ("Ongoing", "In progress"),
                                                ("Completed", "Complete"), ("done", "Complete"), ("", NR),
                                                ("Green", NR)])
def test_action_statuses_are_normalised(written, expected):
    assert registers.status(written) == expected


# --- section 3 ------------------------------------------------------------------------------------

def test_resilience_grid_counts_every_cell_including_zeros_and_not_recorded():
    grid = registers.resilience_grid(frame(ASSETS)).set_index("level")
    assert list(grid.index) == [*registers.LEVELS, NR]
    assert list(grid.columns) == [*registers.FUNCTIONS, NR]
    expected = pd.DataFrame(0, index=grid.index, columns=grid.columns)
    expected.loc["personal", "respite and recovery"] = 1
    expected.loc["legal and regulatory", "discovery"] = 1
    expected.loc["culture and locality", "prevention"] = 1
    expected.loc[NR, "sustainable resilience"] = 1  # level blank
    expected.loc[NR, NR] = 1  # 'cosmic' and 'hovering' are not in the frame's vocabulary
    pd.testing.assert_frame_equal(grid, expected, check_dtype=False)
    assert grid.to_numpy().sum() == len(ASSETS)


def test_resilience_grid_of_no_assets_is_all_zeros():
    grid = registers.resilience_grid(frame(ASSETS).iloc[:0])
    assert grid.shape == (5, 6) and grid.drop(columns="level").to_numpy().sum() == 0


def test_empty_cells_name_the_pairs_without_an_asset():
    empty = registers.empty_cells(registers.resilience_grid(frame(ASSETS)))
    assert len(empty) == 16 - 3
    assert "personal level, prevention" in empty and "personal level, respite and recovery" not in empty


def test_assets_are_listed_in_grid_order_with_their_cell():
    table = registers.assets_in_grid(frame(ASSETS))
    assert table["asset"].tolist() == ["Safe house", "Schools programme", "Welfare visits", "Coordinator", "Mystery"]
    assert table.set_index("asset").loc["Welfare visits", "4Ps"] == "Pursue / Protect"
    assert table.set_index("asset").loc["Schools programme", "theme"] == "County lines"


def test_four_ps_count_an_asset_under_each_strand_it_names():
    table = registers.four_ps(frame(ASSETS)).set_index("strand")
    assert table["assets"].to_dict() == {"Pursue": 1, "Prevent": 1, "Protect": 1, "Prepare": 1, NR: 2}
    assert table.loc[NR, "percent of assets"] == 40.0


def test_assets_by_type_most_first_not_recorded_last():
    table = registers.assets_by_type(frame(ASSETS))
    assert table["type"].tolist() == ["accommodation", "funding", "inspection", "training", NR]


# --- section 1 ------------------------------------------------------------------------------------

@pytest.mark.parametrize("likelihood, impact, score, rating", [
    ("High", "High", 9, "High"), ("High", "Medium", 6, "High"), ("Medium", "Medium", 4, "Medium"),
    ("Low", "High", 3, "Medium"), ("Medium", "Low", 2, "Low"), ("Low", "Low", 1, "Low"),
    (NR, "High", None, "not rated")])
def test_risk_rating_is_likelihood_times_impact(likelihood, impact, score, rating):
    assert registers.risk_rating(likelihood, impact) == (score, rating)


def test_risk_table_is_ordered_by_rating_with_unrated_last():
    table = registers.risk_table(frame(RISKS))
    assert table["risk"].tolist() == ["Exploitation moving online", "Loss of coordinator funding", "Staff turnover",
                                      "NRM backlog", "Unrated"]
    assert table["rating"].tolist() == ["High", "High", "Medium", "Low", "not rated"]
    assert table["score"].tolist()[:4] == [9, 6, 3, 2] and pd.isna(table["score"].iloc[4])
    assert table.set_index("risk").loc["Loss of coordinator funding", ["likelihood", "impact"]].tolist() == \
        ["Medium", "High"]
    assert table.set_index("risk").loc["Staff turnover", "mitigation"] == "none recorded"
    assert list(table.columns) == ["risk", "description", "likelihood", "impact", "score", "rating", "mitigation",
                                   "owner"]


def test_recommendations_are_high_priority_actions_not_complete():
    assert registers.recommendations(frame(ACTIONS)) == [
        "Housing Options: Map accommodation (Q1 2024)",
        "Partnership: Agree a data return (timeframe not recorded)"]


def test_actions_by_theme_high_priority_first_within_theme():
    table = registers.actions_by_theme(frame(ACTIONS))
    intelligence = table[table["theme"] == "Intelligence"]
    assert intelligence["action"].tolist() == ["Agree a data return", "Annual profile"]
    assert intelligence["status"].tolist() == [NR, "Complete"]
    assert table.set_index("action").loc["Evaluate navigators", ["priority", "owner", "status"]].tolist() == \
        ["Low", NR, "Not started"]


def test_actions_summary_counts_priority_by_status():
    table = registers.actions_summary(frame(ACTIONS)).set_index("priority")
    assert table.loc["High"].to_dict() == {"Not started": 0, "In progress": 1, "Complete": 1, NR: 1, "all": 3}
    assert table.loc["Low", "Not started"] == 1 and table["all"].sum() == len(ACTIONS)


# --- a small locality with registers ---------------------------------------------------------------

@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """Four crimes in June 2022 (period 2021-2023), one outside the period and one blank row; victims;
    the registers above; no suspects or NRM referrals."""
    folder = tmp_path_factory.mktemp("small") / "loc"
    blank = {k: "" for k in crime("x")}
    crimes = [crime("A1", sector="Car wash"), crime("A2"), crime("A3"), crime("A4", types="criminal"), blank,
              crime("A5", recorded="01/06/2019")]
    make_locality(folder, crimes, [victim("A1", "V1"), victim("A2", "V2")])
    config = yaml.safe_load((folder / "locality.yaml").read_text(encoding="utf-8"))
    for kind, rows in (("assets", ASSETS), ("actions", ACTIONS), ("risks", RISKS), ("intelligence_gaps", GAPS)):
        write_csv(folder / f"{kind}.csv", rows)
        config["sources"][kind] = {"path": f"{kind}.csv", "columns": {c: c for c in rows[0]}}
    (folder / "locality.yaml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return load_locality_data(load_locality(folder))


def test_data_quality_gaps_from_completeness_missing_sources_rejections_and_staleness(small):
    gaps = quality.data_quality_gaps(small)
    assert (gaps["source of the gap"] == "data quality").all() and (gaps["status"] == "Open").all()
    assert gaps["gap"].tolist() == [
        # crimes: 5 rows with data (4 in the period, 1 outside it); columns in schema order
        "Date the offence was committed incomplete in the police crime records",  # 0 of 5 filled
        "Offence description not supplied in the police crime records",
        "Local authority district name not supplied in the police crime records",
        "Postcode district of the location not supplied in the police crime records",
        "Police beat or neighbourhood not supplied in the police crime records",
        "Sector or setting incomplete in the police crime records",  # 1 of 5 filled: 20%
        "Investigation outcome not supplied in the police crime records",
        "Rows rejected from the police crime records",
        "Police crime records end before the period does",  # latest June 2022, period ends December 2023
        "No police suspect records supplied",
        "No local NRM referrals supplied",
    ]
    why = gaps.set_index("gap")["why it matters"]
    assert why["Sector or setting incomplete in the police crime records"].startswith("Filled in for 20% of 5 rows")
    assert why["Rows rejected from the police crime records"].startswith(
        "2 rows of crimes.csv could not be used (1 blank; 1 outside the period)")
    assert "June 2022" in why["Police crime records end before the period does"]
    # personal columns (mo_text blank, victims' date_of_birth blank) are never gaps
    assert not gaps["gap"].str.contains("Modus operandi|birth", case=False).any()


def test_partner_data_quality_gaps_hold_no_counts(small):
    gaps = quality.data_quality_gaps(small, partner=True)
    assert gaps["gap"].tolist() == quality.data_quality_gaps(small)["gap"].tolist()
    why = gaps.set_index("gap")["why it matters"]
    assert why["Rows rejected from the police crime records"].startswith(
        "Some rows of crimes.csv could not be used (blank; outside the period); the appendix counts them")
    assert why["Sector or setting incomplete in the police crime records"].startswith(
        "Filled in for under 50% of rows (below 80%)")
    assert not why.str.contains(r"\d+ rows|\d+%? of \d", regex=True).any()


@pytest.mark.parametrize("filled, rows, band", [(95, 100, "95% or more"), (949, 1000, "80% to 94%"),
                                                (80, 100, "80% to 94%"), (79, 100, "50% to 79%"),
                                                (1, 5, "under 50%"), (0, 0, "no rows")])
def test_completeness_bands(filled, rows, band):
    assert quality.completeness_band(filled, rows) == band


def test_partner_completeness_is_bands_without_counts(small):
    internal = quality.completeness_table(small)
    assert {"rows", "filled", "percent complete"} <= set(internal.columns)
    table = quality.completeness_table(small, partner=True)
    assert list(table.columns) == ["source", "column", "column in file", "supplied", "complete"]
    sector = table.set_index(["source", "column"]).loc[("crimes", "sector"), "complete"]
    assert sector == "under 50%"  # 1 of 5
    assert set(table.loc[~table["supplied"], "complete"]) == {"not supplied"}
    assert "cells" not in table.attrs


def test_intelligence_gaps_are_open_register_gaps_then_data_quality(small):
    gaps = quality.intelligence_gaps(small)
    register = gaps[gaps["source of the gap"] == "partnership register"]
    assert register["gap"].tolist() == ["Survivor outcomes", "County lines across borders"]  # 'Care work' closed
    assert register["status"].tolist() == ["Open", NR]
    assert len(gaps) == 2 + len(quality.data_quality_gaps(small))
    assert list(gaps.columns) == ["gap", "why it matters", "possible source", "owner", "status", "source of the gap"]


def test_themes_most_pressing_first_and_vulnerabilities_matched_by_what_they_say(small):
    assert registers.themes(small) == ["Intelligence", "Victim support", "Labour exploitation", "County lines",
                                         "Governance"]
    found = registers.assets_and_vulnerabilities(small)
    assert list(found) == [*registers.themes(small), registers.CROSS_CUTTING]
    assert found["Governance"]["assets"]["asset"].tolist() == ["Coordinator", "Mystery"]
    assert found["Governance"]["vulnerabilities"]["vulnerability"].tolist() == ["Loss of coordinator funding"]
    assert found["Victim support"]["vulnerabilities"]["vulnerability"].tolist() == ["Survivor outcomes"]
    assert found["County lines"]["vulnerabilities"]["vulnerability"].tolist() == ["County lines across borders"]
    assert found["Intelligence"]["assets"].empty
    assert sorted(found[registers.CROSS_CUTTING]["vulnerabilities"]["vulnerability"]) == [
        "Exploitation moving online", "NRM backlog", "Staff turnover", "Unrated"]
    summary = registers.theme_summary(small).set_index("theme")
    assert summary.loc["Intelligence", ["open actions", "open High priority actions"]].tolist() == [1, 1]
    assert summary.loc["Governance", ["assets", "risks", "open intelligence gaps"]].tolist() == [2, 1, 0]


def test_key_insights_reuse_the_sections_bullets_and_count_types(small):
    from pplib.measures import national
    lines = findings.key_insights(small, year=2023, compare_from="2023-Q1", compare_to="2023-Q4")
    assert lines[:len(findings.headline_bullets(small))] == findings.headline_bullets(small)
    headline = findings.headline_bullets(small, partner_number)
    partner = findings.key_insights(small, partner_number, 2023, "2023-Q1", "2023-Q4", partner=True)
    assert partner[:len(headline)] == headline
    assert partner[-1] == lines[-1]  # the same gaps, counted
    assert ("Recorded crimes by primary exploitation type: labour exploitation 3 (75%); "
            "criminal exploitation 1 (25%).") in lines
    assert f"Nationally (UK, published NRM statistics): {national.national_bullets(2023)[0]}" in lines
    assert any(line.startswith("Nottinghamshire Police made ") for line in lines)
    gaps = quality.intelligence_gaps(small)
    assert lines[-1] == (f"{len(gaps)} intelligence gaps are not yet closed: 2 from the partnership's register "
                         f"and {len(gaps) - 2} shown by the quality of the data (section 1.3).")
    assert findings.crimes_by_type_bullet(small, partner_number) == (
        "Recorded crimes by primary exploitation type: labour exploitation [c]; criminal exploitation [c].")
    quoted = []
    findings.crimes_by_type_bullet(small, lambda v, measure, **c: quoted.append((v, measure, c)) or str(v))
    assert quoted == [(4, "crimes", {}), (3, "crimes", {"primary_type": "labour"}),
                      (1, "crimes", {"primary_type": "criminal"})]
    # a shown count whose total is withheld gets no share either
    shown_parts = findings.crimes_by_type_bullet(small, lambda v, m, **c: "[c]" if not c else str(v))
    assert shown_parts == "Recorded crimes by primary exploitation type: labour exploitation 3; criminal exploitation 1."


def test_provenance_hashes_the_inputs_and_derives_a_stable_run_id(small, tmp_path):
    parameters = {"locality": "/somewhere", "output_dir": "/out", "edition": "internal", "run_id": None}
    record = appendix.provenance(small, parameters)
    inputs = record["inputs"].set_index("input")
    base = small.locality.base_dir
    for name, kind in (("crimes.csv", "crimes"), ("victims.csv", "victims"), ("risks.csv", "risks"),
                       ("locality.yaml", "configuration")):
        content = (base / name).read_bytes()
        assert inputs.loc[kind, "sha256"] == hashlib.sha256(content).hexdigest()
        assert inputs.loc[kind, "bytes"] == len(content)
    assert inputs.loc["crimes", "rows read"] == small.loaded["crimes"].rows_read
    assert pd.isna(inputs.loc["configuration", "rows read"])
    assert (record["inputs"]["input"] == "reference").any()
    run_id = record["run"].set_index("item").loc["run id", "value"]
    assert re.fullmatch(r"[0-9a-f]{16}", run_id)
    # the same inputs and parameters give the same id, wherever they are; other parameters another
    moved = {**parameters, "locality": "/elsewhere", "output_dir": str(tmp_path)}
    assert appendix.derive_run_id(record["inputs"], moved) == run_id
    assert appendix.derive_run_id(record["inputs"], {**parameters, "edition": "partner"}) != run_id
    assert appendix.provenance(small, parameters, run_id="given")["run"]["value"].iloc[0] == "given"
    versions = record["versions"].set_index("package")["version"]
    assert {"python", "pplib", "pandas", "numpy", "matplotlib", "geopandas", "papermill", "nbconvert",
            "pandera"} <= set(versions.index)


def test_table_list_names_each_table_its_section_csv_and_sheet_without_the_appendix_own(tmp_path):
    """The appendix lists the tables (each is shown once, in its section); sheets named as the workbook names them."""
    from pplib.build.workbook import tables_workbook
    tables = tmp_path / "tables"
    tables.mkdir()
    long = "Recorded crimes by primary exploitation type and community safety partnership"
    (tables / "a.csv").write_text("area,count\nNA,007\n", encoding="utf-8")
    (tables / "b.csv").write_text("area,count\nNB,1\n", encoding="utf-8")
    (tables / "appendix_run.csv").write_text("item,value\nrun id,x\n", encoding="utf-8")
    (tables / "captions.csv").write_text("file,table,caption,published,section\na.csv,Table A,Caption A,no,6. Mapping\n"
                                         f"b.csv,{long},Holds B. Source: somewhere.,yes,7. In focus\n"
                                         "appendix_run.csv,Appendix: run,Run,yes,8. Appendix\n", encoding="utf-8")
    listed = appendix.table_list(tmp_path)
    assert list(listed.columns) == list(appendix.TABLE_LIST_COLUMNS)
    assert listed.to_dict("records")[0] == {"table": "Table A", "what it holds": "Caption A", "section": "6",
                                            "csv file": "a.csv", "sheet": "Table A"}
    from openpyxl import load_workbook
    sheets = load_workbook(tables_workbook(tmp_path), read_only=True).sheetnames
    assert set(listed["sheet"]) <= set(sheets) and len(listed["sheet"].iloc[1]) <= 31
    assert listed["what it holds"].iloc[1] == "Holds B."  # the caption less its source
    assert appendix.table_list(tmp_path / "nothing").empty
    (tables / "captions.csv").write_text("file,table,caption\na.csv,Table A,Caption A\n", encoding="utf-8")
    assert appendix.table_list(tmp_path)["section"].tolist() == [""]  # written before sections were recorded


def test_ledger_and_problem_summaries_hold_counts_only(small):
    ledger = quality.ledger_summary(small).set_index("source")
    assert ledger.loc["crimes"].to_dict() == {"used": 4, "merged": 0, "rejected": 2, "rows": 6}
    problems = quality.problems_summary(small)
    assert list(problems.columns) == ["source", "column", "severity", "invalid values"]
    spec = problems.attrs["cells"]
    assert spec["measure"] == "invalid_values" and spec["additive"] == {"column": False, "severity": False}
    assert {"crimes", "victims", "assets"} <= set(spec["domains"]["source"])
    assert "sector" in spec["domains"]["column"] and spec["domains"]["severity"] == ["note", "reject"]


def _protected(frame, ledger):
    def no_domain(measure, dim):
        raise AssertionError(f"{measure} {dim}: the table should declare its domain")
    return cell_tables.protect(ledger, "t", frame, frame.attrs["cells"], no_domain)


def test_tables_of_rows_name_the_same_cells_and_are_protected_as_one(small):
    """Rows read per source are one cell wherever shown (introduction, appendix, input files); used, merged and
    rejected add up to it, so a withheld part is not given away by the others."""
    ledger = Ledger(threshold=5, group_threshold=1)
    sources, _, _ = _protected(quality.sources_with_periods(small), ledger)
    summary, summary_cells, _ = _protected(quality.ledger_summary(small), ledger)
    inputs, input_cells, _ = _protected(appendix.input_files(small), ledger)
    key = cells.key("rows", {"source": "crimes"})
    assert {"row": 0, "column": "rows", "key": key} in summary_cells
    assert any(c["key"] == key and c["column"] == "rows read" for c in input_cells)
    crimes = summary.set_index("source").loc["crimes"]
    assert crimes["rows"] == 6 and pd.isna(crimes["rejected"])  # 2 rejected: withheld
    assert pd.isna(crimes["merged"]) or pd.isna(crimes["used"])  # and another part, else 6 - 4 - 0 gives it
    row = sources.set_index("source").loc["crimes"]
    assert [pd.isna(row[c]) for c in ("used", "merged", "rejected")] == [pd.isna(crimes[c]) for c in
                                                                         ("used", "merged", "rejected")]
    assert inputs.set_index("input").loc["crimes", "rows read"] == 6
    problems, _, _ = _protected(quality.problems_summary(small), ledger)  # its domains are declared
    assert list(problems.columns) == ["source", "column", "severity", "invalid values"]


def test_invalid_values_are_counted_per_row_and_protected_with_declared_domains(tmp_path):
    folder = make_locality(tmp_path / "loc", [crime("A1"), crime("A2", recorded="not a date"),
                                              crime("A3", county_lines="maybe")], [victim("A1", "V1", age="old")])
    data = load_locality_data(load_locality(folder))
    problems = quality.problems_summary(data)
    assert problems.to_dict("records") == [
        {"source": "crimes", "column": "county_lines", "severity": "note", "invalid values": 1},
        {"source": "crimes", "column": "date_recorded", "severity": "reject", "invalid values": 1},
        {"source": "victims", "column": "age", "severity": "note", "invalid values": 1}]
    shown, shown_cells, _ = _protected(problems, Ledger(threshold=5, group_threshold=1))
    assert shown["invalid values"].isna().all()
    assert shown_cells[0]["key"] == cells.key("invalid_values", {"source": "crimes", "column": "county_lines",
                                                                 "severity": "note"})


def test_handling_guidance_follows_the_edition(small):
    lines = appendix.handling_guidance(small.locality, True, "The rule.")
    assert lines[1].startswith("Partner edition: for the members of") and lines[2] == "The rule."
    assert appendix.handling_guidance(small.locality, False, "rule")[1].startswith("Internal edition")


def test_disclosure_notes_name_recoded_types_but_only_count_other_categories():
    recoded = [{"measure": "crimes", "dimension": "primary_type", "value": "organ harvesting"},
               {"measure": "victims", "dimension": "nationality", "value": "Narnia"},
               {"measure": "victims", "dimension": "nationality", "value": "Ruritania"},
               {"measure": "referrals", "dimension": "nationality", "value": "Narnia"},
               {"measure": "crimes", "dimension": "sector", "value": "circus"}]
    lines = appendix.disclosure_notes(recoded, 5, 12)
    text = " ".join(lines)
    assert lines[0] == ("Exploitation types with fewer than 5 crimes, counted as 'other or not recorded' everywhere: "
                        "organ harvesting.")
    assert "2 among victims" in text and "1 among NRM referrals" in text and "1 among crimes" in text
    assert "Narnia" not in text and "Ruritania" not in text and "circus" not in text
    assert lines[-1].endswith(": 12.")
    assert appendix.disclosure_notes([], 5, 0)[0] == "No exploitation type was counted as 'other or not recorded'."


# --- the notebooks, end to end ------------------------------------------------------------------

def _text(page: str) -> str:
    """What a reader sees: tags, styles and scripts removed, entities decoded."""
    visible = re.sub(r"<(style|script)[^>]*>.*?</\1>", " ", page, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", visible)))


@pytest.fixture(scope="module")
def notts():
    from pplib.paths import LOCALITIES_DIR
    folder = LOCALITIES_DIR / "nottinghamshire"
    return folder, load_locality_data(load_locality(folder))


def _run(notts, section, tmp_path):
    result = run_section(notts[0], section, tmp_path)
    return _text(result.html.read_text(encoding="utf-8")), result


def test_executive_summary_notebook(notts, tmp_path):
    text, _ = _run(notts, "executive_summary", tmp_path)
    data = notts[1]
    assert "Nottinghamshire: 1. Executive summary" in text
    for line in registers.recommendations(data.registers["actions"]):
        assert line in text
    assert "Filled in for 76% of 721 rows" in text  # the NRM extract's conclusive grounds decisions
    top = registers.risk_table(data.registers["risks"]).iloc[0]
    assert f"{top['risk']} {top['description']} {top['likelihood']} {top['impact']} {top['score']} High" in text
    assert findings.crimes_by_type_bullet(data) in text


def test_introduction_notebook(notts, tmp_path):
    text, _ = _run(notts, "introduction", tmp_path)
    data = notts[1]
    assert "Nottinghamshire: 2. Introduction" in text
    row = counts.sources_summary(data).set_index("source").loc["crimes"]
    assert f"{row['file']} Jan 2021 Dec 2023 {row['rows read']} {row['used']} {row['merged']} {row['rejected']}" in text
    assert "Handling marking: OFFICIAL-SENSITIVE" in text
    assert "Internal edition: counts are shown as recorded" in text  # the section's rule
    assert "Duty to Notify" in text and "MS1" in text and "county lines" in text


def test_partnership_progress_notebook(notts, tmp_path):
    text, result = _run(notts, "partnership_progress", tmp_path)
    assets = notts[1].registers["assets"]
    assert "Nottinghamshire: 3. Partnership progress" in text
    grid = registers.resilience_grid(assets)
    for row in grid.itertuples(index=False):
        assert " ".join(str(v) for v in row).lower() in text.lower()  # e.g. "Personal 2 0 3 1 0"
    strands = registers.four_ps(assets).set_index("strand")["assets"]
    page = result.html.read_text(encoding="utf-8")
    assert 'alt="Partnership assets by resilience level and function. ' in page  # then what the grid holds
    assert 'alt="Partnership assets by 4Ps strand. ' in page  # the chart stands for its table (a CSV)
    table = result.html.parent.parent / "tables" / "partnership_assets_by_4ps_strand.csv"
    assert f"Prepare,{strands['Prepare']}," in table.read_text(encoding="utf-8")


def test_partnership_priorities_notebook(notts, tmp_path):
    text, _ = _run(notts, "partnership_priorities", tmp_path)
    data = notts[1]
    assert "Nottinghamshire: 4. Partnership priorities" in text
    for theme in registers.themes(data):
        assert f"{theme} ¶ Assets:" in text
    actions = registers.actions_by_theme(data.registers["actions"])
    first = actions.iloc[0]
    assert f"{first['priority']} {first['action']} {first['owner']} {first['timeframe']} {first['status']}" in text
    assert "Under-identification of labour exploitation: Few referrals" in text  # a risk under its theme


def test_appendix_notebook(notts, tmp_path):
    folder, data = notts
    out_dir = tmp_path / "nottinghamshire" / "internal"
    (out_dir / "tables").mkdir(parents=True)
    (out_dir / "tables" / "earlier.csv").write_text("type,crimes\nlabour,147\n", encoding="utf-8")
    (out_dir / "tables" / "captions.csv").write_text("file,table,caption\nearlier.csv,An earlier table,"
                                                     "Written by another section.\n", encoding="utf-8")
    text, _ = _run(notts, "appendix", tmp_path)
    assert "Nottinghamshire: 8. Appendix" in text
    listed = text.split("8.1 Tables behind the report")[1].split("8.2")[0]
    assert "An earlier table" in listed  # by name; what it holds and its file are in the list's own sheet
    assert "labour 147" not in listed  # listed, not shown again: a table appears once
    saved = (out_dir / "tables" / "appendix_tables_of_the_report.csv").read_text(encoding="utf-8")
    assert "An earlier table,Written by another section." in saved and "earlier.csv" in saved
    for name in ("locality.yaml", data.loaded["crimes"].path.name, data.loaded["assets"].path.name):
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() in text
    parameters = {"locality": str(folder), "output_dir": str(out_dir), "edition": "internal", "run_id": None}
    run_id = appendix.derive_run_id(appendix.input_files(data), parameters)
    assert f"Run id: {run_id}" in text
    assert "Crimes 398 12 0 410" in text  # rows by source and status
    assert "Made with Python 3." in text  # the versions of every package are in the workbook
    assert "pandas,3." in (out_dir / "tables" / "appendix_package_versions.csv").read_text(encoding="utf-8")


def test_appendix_notebook_partner_edition(notts, tmp_path):
    """The partner appendix lists the earlier tables without showing them again, protects its own counts,
    states what was recoded and withheld, and leaves the audit's place."""
    from pplib.build.outputs import work_dir
    out_dir = work_dir(tmp_path, "nottinghamshire", "partner")
    (out_dir / "tables").mkdir(parents=True)
    (out_dir / "tables" / "earlier.csv").write_text("type,crimes\nlabour,147\n", encoding="utf-8")
    (out_dir / "tables" / "captions.csv").write_text("file,table,caption,published\nearlier.csv,An earlier table,"
                                                     "Written by another section.,no\n", encoding="utf-8")
    result = run_section(notts[0], "appendix", tmp_path, edition="partner")
    page = result.html.read_text(encoding="utf-8")
    text = _text(page)
    assert "An earlier table" in text and "labour 147" not in text and "tables.xlsx" in text
    assert '<p class="pp-audit"></p>' in page
    assert "Counts withheld ([c]) across the report" in text
    assert "organ harvesting" in text.split("8.4 Disclosure control")[1]  # the sample's one small type
    assert "Partner edition. Small categories are first counted together" in text  # Section.rule()
    captions = pd.read_csv(out_dir / "tables" / "captions.csv", dtype=str).set_index("table")["published"]
    assert captions["Appendix: rows by source and status"] == "no"
    assert captions["Appendix: input files"] == "no" and captions["Appendix: completeness of each column"] == "yes"
    completeness = pd.read_csv(out_dir / "tables" / "appendix_completeness_of_each_column.csv")
    assert "rows" not in completeness.columns and "filled" not in completeness.columns
