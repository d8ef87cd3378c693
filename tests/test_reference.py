import pandas as pd
from conftest import shared_dir

from pplib.paths import REFERENCE_DIR
from pplib.reference.published import import_reference, national_figures


def test_import_reproduces_committed_reference_files(tmp_path):
    written = import_reference(shared_dir(), tmp_path)
    for path in written:
        assert path.read_bytes() == (REFERENCE_DIR / path.name).read_bytes(), path.name


def test_only_latest_official_rows_with_sources():
    national = national_figures()
    totals = national[national["measure"] == "total_referrals"].set_index("period")["value"]
    assert totals["2023"] == 16990  # EOY 2024 revision of 2023, not the first-published 17,004
    assert totals["2022"] == 16921
    assert national["source_url"].str.startswith("http").all()
    # One figure per period and measure, except where official statements on one date disagree: those are all
    # kept (with copies of the publication), for pplib.measures.national.choose to pick one by its rule.
    repeated = national[national.duplicated(["period", "measure"], keep=False)]
    assert set(zip(repeated["period"], repeated["measure"])) == {("2024", "nationality:UK")}
    assert sorted(repeated["value"]) == [4411, 4441, 4441]


def test_the_project_s_own_extracts_survive_a_reimport(tmp_path):
    """import_reference rewrites nrm_national.csv from the shared folder; the extracts live beside it."""
    import shutil

    from pplib.reference import published
    shutil.copytree(published.REFERENCE_DIR, tmp_path / "reference")
    published.import_reference(shared_dir(), tmp_path / "reference")
    extracts = (tmp_path / "reference" / published.NATIONAL_EXTRACTS).read_bytes()
    assert extracts == (published.REFERENCE_DIR / published.NATIONAL_EXTRACTS).read_bytes()
    assert b"exploitation_detail:" not in (tmp_path / "reference" / "nrm_national.csv").read_bytes()


def test_districts_cover_the_uk_with_the_force_that_polices_each():
    from pplib.reference.forces import force_by_code
    from pplib.reference.published import districts, force_districts, lad_lookup, lad_population

    table = districts()
    assert len(table) == 361 and table["lad_code"].is_unique
    assert table["lad_code"].str[0].value_counts().to_dict() == {"E": 296, "S": 32, "W": 22, "N": 11}
    assert set(lad_lookup()["LAD24CD"]) == set(table.loc[table["country"].isin(["England", "Wales"]), "lad_code"])
    assert (force_districts("S92000003")["lad_code"].str.startswith("S12")).sum() == 32
    assert len(force_districts("N92000002")) == 11 and len(force_districts("BTP")) == 296 + 22 + 32
    assert force_districts("XYZ").empty
    population = lad_population().set_index("lad_code")
    assert set(population.index) == set(table["lad_code"])
    assert population.loc["S12000049", "population_year"] == 2022
    assert "mid-2022" in population.loc["S12000049", "population_source"]
    assert population.loc["E06000018", "population_mid2023"] == population.loc["E06000018", "population"]
    assert pd.isna(population.loc["N09000003", "population_mid2023"])  # older readers: no mid-2023 figure
    for code in ("S92000003", "N92000002"):  # a force's population is the sum of its districts
        codes = force_districts(code)["lad_code"]
        assert population.loc[codes, "population"].sum() == force_by_code(code).population
