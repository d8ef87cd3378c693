"""The synthetic locality generator: deterministic, loadable, realistic and deliberately messy."""
from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import subprocess
import sys
import zipfile
from collections import Counter
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import yaml

from pplib.config import load_locality
from pplib.records.schemas import SCHEMAS
from pplib.reference.forces import all_forces, force_by_slug
from sample import generate as synth

SMALL_FORCE = "dyfed-powys"  # ~0.5M residents: the quickest to generate


@pytest.fixture(scope="session")
def locality_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("synth") / SMALL_FORCE
    synth.generate_locality(SMALL_FORCE, out)
    return out


@pytest.fixture(scope="session")
def locality(locality_dir):
    return load_locality(locality_dir / "locality.yaml")


def read_source(locality, kind: str) -> pd.DataFrame:
    """Read a source exactly as its yaml entry says (sheet, header row, encoding)."""
    source = locality.sources[kind]
    path = locality.source_path(kind)
    if path.suffix == ".xlsx":
        return pd.read_excel(path, sheet_name=source.sheet, header=(source.header_row or 1) - 1, dtype=object,
                         engine="calamine")
    return pd.read_csv(path, encoding=source.encoding or "utf-8", dtype=str, keep_default_na=False)


def canonical(locality, kind: str) -> pd.DataFrame:
    frame = read_source(locality, kind)
    return frame.rename(columns={v: k for k, v in locality.sources[kind].columns.items()})


@pytest.fixture(scope="session")
def clean_records():
    """Clean (pre-mess) records for a mid-sized force, for checking distributions."""
    ctx = synth.make_context("nottinghamshire")
    crimes, victims, suspects = synth.make_crimes(ctx)
    referrals = synth.make_nrm_referrals(ctx, len(crimes))
    return ctx, crimes, victims, referrals, synth.make_duty_to_notify(ctx, len(referrals))


def _digests(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


# --- determinism and scale --------------------------------------------------

def test_two_runs_are_byte_identical(tmp_path, locality_dir):
    again = tmp_path / SMALL_FORCE
    synth.generate_locality(SMALL_FORCE, again)
    first, second = _digests(locality_dir), _digests(again)
    assert len(first) == 11  # yaml, README, 6 data files, 3 case studies
    assert first == second


def test_workbooks_carry_fixed_timestamps_not_the_clock(locality_dir):
    """Byte-identical runs a few seconds apart would not prove this, so check the stamps themselves."""
    for name in ("police_crimes_SYNTHETIC.xlsx", "partnership_registers_SYNTHETIC.xlsx"):
        path = locality_dir / name
        with zipfile.ZipFile(path) as archive:
            assert {info.date_time for info in archive.infolist()} == {(2024, 1, 5, 7, 30, 0)}
        props = openpyxl.load_workbook(path, read_only=True).properties
        assert props.created == props.modified == dt.datetime(2024, 1, 5, 7, 30)


def test_another_seed_gives_different_records(tmp_path, locality_dir):
    other = tmp_path / "other"
    synth.generate_locality(SMALL_FORCE, other, seed=12345)
    name = "police_victims_SYNTHETIC.csv"
    assert (other / name).read_bytes() != (locality_dir / name).read_bytes()


def test_crimes_scale_with_population():
    totals = {slug: sum(synth.crimes_per_year(synth.make_context(slug))) for slug in synth.SAMPLE_SLUGS}
    assert totals["greater-manchester"] > totals["nottinghamshire"] > totals["dyfed-powys"]
    assert 250 <= totals["nottinghamshire"] <= 480
    assert 700 <= totals["greater-manchester"] <= 1100
    assert 100 <= totals["dyfed-powys"] <= 200


def test_recorded_crime_rises_year_on_year():
    rising = 0
    for slug in synth.SAMPLE_SLUGS:
        per_year = synth.crimes_per_year(synth.make_context(slug))
        rising += per_year[-1] > per_year[0]
    assert rising == len(synth.SAMPLE_SLUGS)


# --- the folder and its yaml --------------------------------------------------

def test_yaml_loads_and_describes_a_synthetic_locality(locality):
    assert locality.synthetic is True
    assert locality.name == "Dyfed-Powys"
    assert locality.force_code == "W15000004"
    assert locality.partnership == "Dyfed-Powys Modern Slavery Partnership"
    assert locality.period.start == dt.date(2021, 1, 1) and locality.period.end == dt.date(2023, 12, 31)
    assert locality.handling_marking == "OFFICIAL-SENSITIVE"
    assert locality.disclosure.threshold == 5 and locality.disclosure.method == "suppress"
    assert set(locality.sources) == set(SCHEMAS)


def test_yaml_header_says_synthetic_and_how_to_adapt(locality_dir):
    head = (locality_dir / "locality.yaml").read_text(encoding="utf-8").splitlines()[:12]
    assert head[0].startswith("# SYNTHETIC")
    assert any("sample.generate" in line for line in head)
    assert any("real extract" in line for line in head)


@pytest.mark.parametrize("kind", list(SCHEMAS))
def test_mapped_columns_exist_at_declared_header_row(locality, kind):
    frame = read_source(locality, kind)
    mapped = locality.sources[kind].columns
    assert set(mapped.values()) <= set(frame.columns)
    assert set(SCHEMAS[kind].required) <= set(mapped)
    assert len(frame) > 0


def test_every_canonical_column_is_mapped_in_at_least_one_style():
    for kind, schema in SCHEMAS.items():
        mapped = {key for style in synth.HOUSE_STYLES for key, _ in synth.STYLES[style][kind]}
        assert set(schema.names) <= mapped, kind


def test_house_styles_use_different_column_names(tmp_path, locality):
    assert synth.default_house_style(locality.force) == "b"
    a = load_locality(synth.generate_locality(SMALL_FORCE, tmp_path / "a", house_style="a"))
    b = locality
    assert a.sources["crimes"].columns["crime_ref"] == "Crime Reference"
    assert b.sources["crimes"].columns["crime_ref"] == "URN"
    assert a.sources["crimes"].header_row != b.sources["crimes"].header_row
    for kind in SCHEMAS:
        assert set(a.sources[kind].columns.values()) <= set(read_source(a, kind).columns), kind
    assert set(a.sources["crimes"].columns) - set(b.sources["crimes"].columns) == {"lad_name"}


def test_sample_uses_both_house_styles():
    styles = {synth.default_house_style(force_by_slug(slug)) for slug in synth.SAMPLE_SLUGS}
    assert styles == {"a", "b"}


def test_files_are_labelled_synthetic(locality_dir):
    data_files = [p for p in locality_dir.iterdir() if p.suffix in (".csv", ".xlsx")]
    assert len(data_files) == 6
    assert all("SYNTHETIC" in p.name for p in data_files)
    assert "SYNTHETIC" in (locality_dir / "README.txt").read_text(encoding="utf-8")
    wb = openpyxl.load_workbook(locality_dir / "police_crimes_SYNTHETIC.xlsx", read_only=True)
    assert wb["Crimes"]["A1"].value == synth.LABEL


def test_case_studies_are_short_anonymous_markdown(locality):
    files = sorted(Path(locality.base_dir / locality.case_studies).glob("*.md"))
    assert 2 <= len(files) <= 3
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert text.startswith("# ")
        assert "synthetic illustration" in text.lower()
        assert len(text) < 2500


def test_postcode_districts_belong_to_the_force_areas(locality):
    crimes = canonical(locality, "crimes")
    districts = crimes["postcode_district"].dropna()
    assert len(districts) > 0.8 * len(crimes)
    assert districts.str.fullmatch(r"(SA|SY|LD)\d{1,2}").all()


# --- deliberate mess ------------------------------------------------------------

def test_crimes_are_duplicated_exactly_and_nearly(locality):
    crimes = canonical(locality, "crimes")
    repeated = crimes[crimes["crime_ref"].duplicated(keep=False)]
    assert 0.005 < crimes["crime_ref"].duplicated().mean() < 0.08
    exact = crimes.duplicated(keep=False).sum()
    near = len(repeated) - exact
    assert exact > 0 and near > 0


DATE_PATTERNS = {
    "dd/mm/yyyy": r"\d{2}/\d{2}/\d{4}", "d/m/yy": r"\d{1,2}/\d{1,2}/\d{2}", "iso": r"\d{4}-\d{2}-\d{2}",
    "dd-Mon-yyyy": r"\d{2}-[A-Z][a-z]{2}-\d{4}", "excel serial": r"4\d{4}",
}


def test_text_dates_come_in_several_formats(locality):
    dates = canonical(locality, "nrm_referrals")["referral_date"]
    dates = dates[dates != ""]
    found = {name for name, pattern in DATE_PATTERNS.items() if dates.str.fullmatch(pattern).any()}
    assert found == set(DATE_PATTERNS)


def test_crime_workbook_mixes_date_cells_and_text_dates(locality):
    crimes = canonical(locality, "crimes")
    kinds = {column: Counter(type(v).__name__ for v in crimes[column].dropna())
             for column in ("date_committed", "date_recorded")}
    assert any("datetime" in k for k in kinds.values())
    assert any("str" in k for k in kinds.values())


def test_exploitation_types_are_spelled_inconsistently(locality):
    values = pd.concat([canonical(locality, "crimes")["exploitation_types"].dropna(),
                        canonical(locality, "nrm_referrals")["exploitation_types"]])
    labour = {v for v in values if "labo" in v.lower()}
    assert len(labour) >= 4
    assert any(re.search(r"[;/|,&]| and ", v) for v in values)  # several types in one cell
    assert (values == "").any() or values.isna().any()


def test_victims_csv_is_windows_1252_not_utf8(locality):
    raw = locality.source_path("victims").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    text = raw.decode("cp1252")
    assert re.search(r"[À-ÿ]", text)  # accented names survive in cp1252


def test_suspects_csv_has_bom_and_nrm_has_blank_trailing_rows(locality):
    assert locality.source_path("suspects").read_bytes().startswith(b"\xef\xbb\xbf")
    for kind in ("nrm_referrals", "duty_to_notify"):
        tail = locality.source_path(kind).read_text(encoding="utf-8").rstrip("\n").splitlines()[-2:]
        assert all(set(line) == {","} for line in tail), kind


def test_sex_nationality_and_flags_are_written_many_ways(locality):
    victims = canonical(locality, "victims")
    assert {"M", "F"} <= set(victims["sex"]) and len(set(victims["sex"])) >= 5
    british = {"British", "UK", "United Kingdom", "English", "Welsh", "BRITISH", "GB"}
    assert len(british & set(victims["nationality"])) >= 3
    flags = set(canonical(locality, "crimes")["county_lines"].dropna().astype(str))
    assert len(flags & {"Y", "N", "Yes", "No", "1", "0", "YES", "NO"}) >= 4


def test_age_sometimes_missing_while_date_of_birth_present(locality):
    victims = canonical(locality, "victims")
    assert ((victims["age"] == "") & (victims["date_of_birth"] != "")).any()


def test_nrm_has_missing_or_unknown_age_groups(locality):
    groups = canonical(locality, "nrm_referrals")["age_group"].str.lower()
    assert (groups.isin(["", "unknown", "not known"])).sum() >= 3


def test_free_text_contains_planted_personal_data(locality):
    mo = canonical(locality, "crimes")["mo_text"].dropna()
    planted = mo.str.contains(r"07700 900\d{3}|01632 960\d{3}|Victim [A-Z].* \(DOB|Premises at \d")
    assert planted.any()
    # only Ofcom's drama ranges, never a real-looking number
    numbers = mo.str.findall(r"\b0\d{3,4} ?\d{3} ?\d{3,4}\b").explode().dropna()
    assert numbers.str.match(r"07700 900|01632 960").all()


# --- realism (clean records of a mid-sized force) ------------------------------

def test_nrm_referrals_outnumber_crimes_and_dtn_is_smaller(clean_records):
    _, crimes, _, referrals, reports = clean_records
    assert 1.4 * len(crimes) <= len(referrals) <= 2.1 * len(crimes)
    assert len(reports) < len(referrals)


def test_age_and_sex_follow_published_shares(clean_records):
    _, _, victims, referrals, _ = clean_records
    ages = Counter(r["age_group"] for r in referrals)
    child_share = ages["child"] / (ages["adult"] + ages["child"])
    assert 0.35 < child_share < 0.55
    sexes = Counter(v["sex"] for v in victims)
    assert 0.68 < sexes["male"] / (sexes["male"] + sexes["female"]) < 0.88


def test_uk_is_the_largest_nationality_then_albania(clean_records):
    _, _, victims, referrals, _ = clean_records
    for rows in (victims, referrals):
        top = [c for c, _ in Counter(r["nationality"] for r in rows if r["nationality"]).most_common(2)]
        assert top == ["UK", "Albania"]


def test_exploitation_types_differ_by_age_and_sex(clean_records):
    _, _, _, referrals, _ = clean_records
    def share(age, kind):
        rows = [r for r in referrals if r["age_group"] == age]
        return sum(kind in r["types"] for r in rows) / len(rows)
    assert share("child", "criminal") > 0.5 > share("adult", "criminal")
    assert share("adult", "labour") > share("child", "labour")
    sexual = [r for r in referrals if "sexual" in r["types"] and r["sex"] != "unknown"]
    others = [r for r in referrals if "sexual" not in r["types"] and r["sex"] != "unknown"]
    assert 0.10 < len(sexual) / len(referrals) < 0.25
    female = lambda rows: sum(r["sex"] == "female" for r in rows) / len(rows)  # noqa: E731
    assert female(sexual) > 0.6 > 0.2 > female(others)
    county_lines = [r for r in referrals if r["age_group"] == "child" and "criminal" in r["types"]]
    assert 0.25 < sum(r["county_lines"] for r in county_lines) / len(county_lines) < 0.8


def test_victim_ages_match_dates_of_birth(clean_records):
    _, crimes, victims, _, _ = clean_records
    committed = {c["crime_ref"]: c["date_committed"] for c in crimes}
    for v in victims:
        if v["date_of_birth"] is not None:
            assert v["age"] == synth._age_on(v["date_of_birth"], committed[v["crime_ref"]])
            assert 10 <= v["age"] <= 75


def test_registers_cover_the_resilience_frame_and_4ps(locality):
    assets = canonical(locality, "assets")
    assert 15 <= len(assets) <= 34
    assert set(synth.LEVELS) <= set(assets["level"].dropna())
    assert set(synth.FUNCTIONS) <= set(assets["function"].dropna())
    four_p = " ".join(assets["four_p"].dropna()).lower()
    assert all(p in four_p for p in ("pursue", "prevent", "protect", "prepare"))
    assert 10 <= len(canonical(locality, "actions")) <= 15
    assert 6 <= len(canonical(locality, "risks")) <= 10
    assert 6 <= len(canonical(locality, "intelligence_gaps")) <= 10


# --- run-time independence -----------------------------------------------------

@pytest.mark.slow
def test_generator_needs_no_geopandas_or_shared_folder(tmp_path):
    script = (
        "import sys; from pathlib import Path; from sample import generate as synth; "
        f"synth.generate_locality('{SMALL_FORCE}', Path(r'{tmp_path}') / 'x'); "
        "assert 'geopandas' not in sys.modules, 'geopandas imported'"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=Path(__file__).resolve().parents[1],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert not any("/work/shared" in line for line in (tmp_path / "x" / "locality.yaml").read_text().splitlines()
                   if not line.startswith("#"))


def test_yaml_is_plain_and_readable(locality_dir):
    raw = yaml.safe_load((locality_dir / "locality.yaml").read_text(encoding="utf-8"))
    assert list(raw)[:4] == ["name", "force_code", "partnership", "period"]
    assert raw["sources"]["victims"]["encoding"] == "cp1252"
    assert raw["sources"]["suspects"]["encoding"] == "utf-8-sig"


def test_lad_postcode_areas_cover_every_lad_with_codes_only():
    from pplib.paths import REFERENCE_DIR
    from pplib.reference.published import districts

    table = pd.read_csv(REFERENCE_DIR / "lad_postcode_area.csv", dtype=str, keep_default_na=False)
    assert list(table.columns) == ["lad_code", "postcode_area"]
    assert set(table["lad_code"]) == set(districts()["lad_code"]) and len(table) == 361
    great_britain = ~table["lad_code"].str.startswith("N")
    assert table.loc[great_britain, "postcode_area"].str.fullmatch(r"[A-Z]{1,2}").all()
    assert (table.loc[~great_britain, "postcode_area"] == "").all()  # GeoLytix has no BT polygons
    areas = dict(zip(table["lad_code"], table["postcode_area"]))
    assert areas["E06000018"] == "NG" and areas["E08000003"] == "M"  # Nottingham, Manchester
    assert areas["S12000049"] == "G" and areas["S12000036"] == "EH"  # Glasgow, Edinburgh


# --- every force in the registry ----------------------------------------------------

NEW_FORCES = ("police-scotland", "psni", "british-transport-police")
# Generating and loading all 46 forces takes about 40 s, so files are written for the three
# forces outside England and Wales and three others (smallest, Welsh, a county); every force
# is checked in memory by test_every_force_in_the_registry_has_districts_and_crimes.
# PPLIB_TEST_ALL_FORCES=1 writes and loads every force in the registry instead.
WRITTEN_FORCES = (tuple(f.slug for f in all_forces()) if os.environ.get("PPLIB_TEST_ALL_FORCES")
                  else NEW_FORCES + ("city-of-london", "north-wales", "cumbria"))


@pytest.fixture(scope="session")
def generated(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("forces")
    return {slug: synth.generate_locality(slug, root / slug).parent for slug in WRITTEN_FORCES}


@pytest.mark.slow
@pytest.mark.parametrize("slug", WRITTEN_FORCES)
def test_force_generates_a_locality_that_loads_with_crimes(generated, slug):
    from pplib.records.dataset import load_locality_data

    locality = load_locality(generated[slug] / "locality.yaml")
    assert locality.force_code == force_by_slug(slug).code
    data = load_locality_data(locality)
    assert len(data.crimes) > 0 and len(data.victims) > 0 and len(data.nrm_referrals) > 0
    own = {lad.code for lad in synth.force_lads(force_by_slug(slug))}
    assert data.crimes["lad_code"].dropna().isin(own).all()  # codes and typed names alike
    # Scottish and Northern Irish district codes and names are recognised like any others
    assert data.problems.empty or not (data.problems["column"] == "lad_code").any()


@pytest.mark.slow
def test_every_force_in_the_registry_has_districts_and_crimes():
    from pplib.measures.areas import force_areas

    for force in all_forces():
        ctx = synth.make_context(force)
        assert ctx.lads and all(lad.population > 0 and lad.postcode_area and lad.districts for lad in ctx.lads)
        assert sum(synth.crimes_per_year(ctx)) > 0, force.slug
        assert {lad.code for lad in ctx.lads} == set(force_areas("lad", force.code)["area_code"]), force.slug


@pytest.mark.slow
def test_scotland_and_northern_ireland_have_an_empty_duty_to_notify_file(generated):
    for slug, country in (("police-scotland", "Scotland"), ("psni", "Northern Ireland")):
        folder = generated[slug]
        style = synth.default_house_style(force_by_slug(slug))
        header = ",".join(name for _, name in synth.STYLES[style]["duty_to_notify"])
        assert (folder / synth.FILES["duty_to_notify"]).read_text(encoding="utf-8") == header + "\n"
        readme = " ".join((folder / "README.txt").read_text(encoding="utf-8").split())
        assert f"England and Wales only, not in {country}" in readme
        data = canonical(load_locality(folder / "locality.yaml"), "duty_to_notify")
        assert data.empty and "report_id" in data.columns


def test_new_forces_records_are_in_their_own_districts_and_postcode_areas(generated):
    expected = {"police-scotland": (r"S12", r"(AB|DD|DG|EH|FK|G|HS|IV|KA|KW|KY|ML|PA|PH|TD|ZE)\d{1,2}"),
                "psni": (r"N09", r"BT\d{1,2}")}
    for slug, (lad_prefix, postcode) in expected.items():
        crimes = canonical(load_locality(generated[slug] / "locality.yaml"), "crimes")
        codes = crimes["lad_code"].dropna().astype(str)
        assert codes[codes.str.match(r"[A-Z]\d{8}$")].str.startswith(lad_prefix).all()
        assert crimes["postcode_district"].dropna().str.fullmatch(postcode).all()


def test_btp_is_scaled_from_its_nrm_referrals_and_spans_great_britain(generated):
    btp = force_by_slug("british-transport-police")
    population = synth.equivalent_population(btp)
    assert 500_000 < population < 2_500_000  # 64 referrals in 2023 at 5.9 per 100,000: about 1.08 million
    assert synth.equivalent_population(force_by_slug("cumbria")) == force_by_slug("cumbria").population
    ctx = synth.make_context(btp)
    assert {lad.code[0] for lad in ctx.lads} == {"E", "W", "S"} and len(ctx.lads) == 350
    locality = load_locality(generated["british-transport-police"] / "locality.yaml")
    crimes = canonical(locality, "crimes")["lad_code"].dropna().astype(str)
    assert {"E", "S"} <= set(crimes.str[0])
    dtn = canonical(locality, "duty_to_notify")["lad_code"].dropna().astype(str)
    assert len(dtn) and dtn[dtn.str.match(r"[A-Z]\d{8}$")].str[0].isin(["E", "W"]).all()  # the duty: E&W only
    assert "population equivalent of" in (generated["british-transport-police"] / "README.txt").read_text()


def test_new_forces_are_deterministic(tmp_path, generated):
    again = tmp_path / "psni"
    synth.generate_locality("psni", again)
    assert _digests(again) == _digests(generated["psni"])


def test_no_drawn_name_is_a_word_the_case_studies_write():
    # Lancashire's case study is set in "the Preston area"; a suspect surnamed Preston made the partner
    # edition refuse it, failing the national batch.
    ctx = synth.make_context("lancashire")
    assert "Preston" in ctx.case_study_words
    names = [synth.person_name(ctx.draw, "UK", "male", "a", ctx.case_study_words) for _ in range(3000)]
    assert not {w for n in names for w in re.findall(r"\w+", n)} & ctx.case_study_words


def test_a_generated_force_passes_its_own_case_study_screen(tmp_path):
    from pplib.measures.focus import screen_case_studies
    from pplib.records.dataset import load_locality_data

    yaml_path = synth.generate_locality("lancashire", tmp_path / "lancashire")
    assert screen_case_studies(load_locality_data(load_locality(yaml_path))) == []
