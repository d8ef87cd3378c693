"""`pplib new-locality` on exports shaped the way forces shape them, and `pplib check` on what it wrote.

Every file is synthetic, drawn here with a seeded numpy generator (the sample generator's style): other
column names, title rows above the header, Windows-1252 text, semicolon and tab separators, month-first
dates. Each personal value holds PLANTED, and none may reach the terminal or the YAML.
"""
from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from openpyxl import Workbook

from pplib.cli import main
from pplib.config import load_locality
from pplib.paths import LOCALITIES_DIR
from pplib.records.scaffold import ScaffoldError, profile, resolve_force

PLANTED = "planted"
N = 60
TYPES = ("Labour exploitation", "Criminal; county lines", "Sexual", "Domestic servitude", "Labour; Criminal")
NOTTS_LADS = ("E06000018", "E07000170", "E07000171", "E07000172", "E07000173", "E07000174", "E07000175")
NATIONALITIES = ("British", "Albanian", "Vietnamese", "Romanian", "Eritrean", "Sudanese", "Polish")
GIVEN = ("Plantedana", "Plantedbo", "Plantedcy", "Planteddi", "Plantedeo")
FAMILY = ("Plantedson", "Plantedley", "Plantedman", "Plantedworth")
WORDS = ("apple", "river", "stone", "cloud", "ember", "violet", "harbour", "lantern", "meadow", "quartz", "saddle",
         "thimble", "walnut", "zephyr", "breeze", "copper", "dune", "fable", "garnet", "hollow")


def _dates(rng, n: int, month_first: bool = False, start=dt.date(2022, 1, 1), days=700) -> list[str]:
    picked = [start + dt.timedelta(days=int(d)) for d in rng.integers(0, days, n)]
    return [d.strftime("%m/%d/%Y" if month_first else "%d/%m/%Y") for d in picked]


def _refs(n: int) -> list[str]:
    return [f"PLANTED-{22000 + i:06d}" for i in range(n)]


def crimes_frame(rng) -> pd.DataFrame:
    return pd.DataFrame({
        "Occurrence No.": _refs(N),
        "Date Reported": _dates(rng, N),
        "Offence Date": _dates(rng, N, start=dt.date(2021, 10, 1)),
        "HO Offence": rng.choice(["Modern Slavery Act 2015 s.1", "Modern Slavery Act 2015 s.2"], N),
        "Type of Exploitation": rng.choice(TYPES, N),
        "LA Code": rng.choice(NOTTS_LADS, N),
        "CL Marker": rng.choice(["Y", "N", "Yes", "No", ""], N),
        "Occurrence Summary": [f"Planted summary of what happened in case {i}, several words long" for i in range(N)],
        "Officer": rng.choice(WORDS, N),
    })


def victims_frame(rng) -> pd.DataFrame:
    refs = _refs(N)
    return pd.DataFrame({
        "Occurrence No.": [refs[i] for i in rng.integers(0, N, 80)],
        "Victim Name": [f"{rng.choice(GIVEN)} {rng.choice(FAMILY)}" for _ in range(80)],
        "Victim Gender": rng.choice(["Male", "Female", "M", "F", "Unknown"], 80),
        "Victim Age": rng.integers(9, 70, 80).astype(str),
        "Victim Nationality": rng.choice(NATIONALITIES, 80),
        "Notes (£)": rng.choice(["café visit", "paid £20", ""], 80),
    })


def referrals_frame(rng, month_first: bool) -> pd.DataFrame:
    dates = _dates(rng, N, month_first=month_first)
    dates[0] = "02/13/2023" if month_first else "13/02/2023"  # a date that settles the order
    return pd.DataFrame({
        "Referral Ref": [f"PLANTED-NRM-{i:05d}" for i in range(N)],
        "Date Referred": dates,
        "Age Category": rng.choice(["Adult", "Child", "Unknown"], N),
        "Sex": rng.choice(["Male", "Female"], N),
        "Nationality": rng.choice(NATIONALITIES, N),
        "Exploitation": rng.choice(TYPES, N),
        "RG": rng.choice(["Positive", "Negative", "Pending"], N),
        "Exploited in": rng.choice(["UK", "Overseas", "UK and overseas"], N),
        "Council Area Code": rng.choice(NOTTS_LADS, N),
    })


def _xlsx_with_titles(path: Path, frame: pd.DataFrame, titles: list[str], sheet: str = "Export") -> None:
    book = Workbook()
    book.active.title = "Read me"
    book.active.append(["OFFICIAL-SENSITIVE. This workbook is an extract; see the next sheet."])
    data = book.create_sheet(sheet)
    for title in titles:
        data.append([title] if title else [])
    data.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        data.append(list(row))
    book.save(path)


@pytest.fixture
def exports(tmp_path) -> dict[str, Path]:
    rng = np.random.default_rng(15)
    folder = tmp_path / "exports"
    folder.mkdir()
    files = {"crimes": folder / "MSA_OCCURRENCES.xlsx", "victims": folder / "victim_nominals.csv",
             "nrm_referrals": folder / "nrm_referrals_us_dates.txt"}
    _xlsx_with_titles(files["crimes"], crimes_frame(rng),
                      ["SYNTHETIC - Modern slavery occurrences", "Run by the force's analysis team", ""])
    victims_frame(rng).to_csv(files["victims"], sep=";", index=False, encoding="cp1252")
    referrals_frame(rng, month_first=True).to_csv(files["nrm_referrals"], sep="\t", index=False, encoding="utf-8")
    return files


def _new(files, to: Path, capsys, force="Nottinghamshire") -> tuple[int, str, dict, str]:
    code = main(["new-locality", "--from", *map(str, files), "--force", force, "--to", str(to)])
    captured = capsys.readouterr()
    text = (to / "locality.yaml").read_text(encoding="utf-8")
    return code, captured.out + captured.err, yaml.safe_load(text), text


def test_force_shaped_exports_get_the_right_map_and_pass_check(exports, tmp_path, capsys):
    to = tmp_path / "my-area"
    code, printed, config, text = _new(exports.values(), to, capsys)
    sources = config["sources"]
    assert set(sources) == {"crimes", "victims", "nrm_referrals"}, printed
    crimes = sources["crimes"]
    assert crimes["sheet"] == "Export" and crimes["header_row"] == 4  # three title rows, the first sheet a note
    assert crimes["columns"] == {
        "crime_ref": "Occurrence No.", "date_committed": "Offence Date", "date_recorded": "Date Reported",
        "offence": "HO Offence", "exploitation_types": "Type of Exploitation", "lad_code": "LA Code",
        "county_lines": "CL Marker", "mo_text": "Occurrence Summary"}
    assert crimes["dayfirst"] is True
    victims = sources["victims"]
    assert victims["encoding"] == "cp1252" and victims["delimiter"] == ";"
    assert victims["columns"] == {"crime_ref": "Occurrence No.", "victim_name": "Victim Name",
                                  "age": "Victim Age", "sex": "Victim Gender", "nationality": "Victim Nationality"}
    nrm = sources["nrm_referrals"]
    assert nrm["delimiter"] == "\t" and nrm["dayfirst"] is False and nrm["encoding"] == "utf-8"
    assert nrm["columns"] == {
        "referral_id": "Referral Ref", "referral_date": "Date Referred", "age_group": "Age Category",
        "sex": "Sex", "nationality": "Nationality", "exploitation_types": "Exploitation",
        "rg_decision": "RG", "exploitation_location": "Exploited in", "lad_code": "Council Area Code"}
    # what was guessed and how sure, in the YAML; the columns that fit nothing as comments
    assert "# not mapped: Officer (values are a few repeated values)" in text
    assert "# not mapped: Notes (£)" in text and "# not used: MSA_OCCURRENCES.xlsx, sheet 'Read me'" in text
    assert "month first: dates whose second number is over 12 settle it" in text
    assert "; sure" in text and "header like" in text
    assert config["force_code"] == "E23000019" and config["period"] == {"start": dt.date(2022, 1, 1),
                                                                         "end": dt.date(2023, 12, 31)}
    locality = load_locality(to)
    assert locality.sources["nrm_referrals"].dayfirst is False
    # it ends with the check, and the check passes
    assert code == 0, printed
    assert "pplib check --locality" in printed and "ready to build" in printed
    assert "nrm_referrals: 60 used, 0 merged, 0 rejected" in printed
    assert "crime_ref          <- 'Occurrence No.'" in printed
    assert PLANTED not in printed.lower() and PLANTED not in text.lower()
    assert main(["check", "--locality", str(to)]) == 0


def test_month_first_dates_are_read_as_written(exports, tmp_path, capsys):
    from pplib.records.dataset import load_locality_data
    to = tmp_path / "area"
    _new(exports.values(), to, capsys)
    data = load_locality_data(load_locality(to))
    dates = data.nrm_referrals["referral_date"]
    assert pd.Timestamp("2023-02-13") in set(dates)  # 02/13/2023, read month first
    written = pd.read_csv(exports["nrm_referrals"], sep="\t", dtype=str)["Date Referred"]
    expected = sorted(pd.to_datetime(written, format="%m/%d/%Y"))
    assert sorted(dates) == expected


def test_only_ambiguous_dates_say_could_not_tell_and_read_day_first(tmp_path, capsys):
    rng = np.random.default_rng(3)
    frame = referrals_frame(rng, month_first=False)
    days = rng.integers(1, 13, N)
    months = rng.integers(1, 13, N)
    frame["Date Referred"] = [f"{d:02d}/{m:02d}/2022" for d, m in zip(days, months)]  # every one either way
    path = tmp_path / "nrm.csv"
    frame.to_csv(path, index=False)
    code, printed, config, text = _new([path], tmp_path / "x", capsys)
    nrm = config["sources"]["nrm_referrals"]
    assert nrm["dayfirst"] is True and nrm["columns"]["referral_date"] == "Date Referred"
    assert "could not tell: no date has a number over 12" in text
    assert "assumed day first" in text and "could not tell" in printed


def test_a_column_of_random_words_is_left_unmapped_saying_so(tmp_path, capsys):
    rng = np.random.default_rng(4)
    frame = crimes_frame(rng).drop(columns=["Officer"])
    frame["Xq7"] = [" ".join(rng.choice(WORDS, 2)) for _ in range(N)]
    path = tmp_path / "crimes.csv"
    frame.to_csv(path, index=False)
    _, printed, config, text = _new([path], tmp_path / "x", capsys)
    assert "Xq7" not in config["sources"]["crimes"]["columns"].values()
    assert "# not mapped: Xq7 (could not tell what it holds)" in text
    assert "not mapped: 'Xq7' (could not tell what it holds)" in printed
    assert profile(list(frame["Xq7"])) == "words"


def test_a_file_like_no_source_is_not_used_and_a_missing_required_column_is_named(tmp_path, capsys):
    rng = np.random.default_rng(5)
    words = tmp_path / "words.csv"
    pd.DataFrame({"Aa": rng.choice(WORDS, N), "Bb": rng.choice(WORDS, N)}).to_csv(words, index=False)
    crimes = tmp_path / "crimes.csv"
    crimes_frame(rng).drop(columns=["Occurrence No."]).to_csv(crimes, index=False)
    code, printed, config, text = _new([words, crimes], tmp_path / "x", capsys)
    assert list(config["sources"]) == ["crimes"]
    assert "# not used: words.csv: could not tell which source it is" in text
    assert "# crime_ref: REQUIRED, and no column looked like it" in text
    assert code == 1 and "a build would stop" in printed and "crime_ref" in printed


@pytest.mark.slow
def test_the_sample_exports_give_back_the_sample_maps(tmp_path, capsys):
    for slug in ("nottinghamshire", "greater-manchester"):
        source = LOCALITIES_DIR / slug
        files = sorted(p for p in source.iterdir() if p.suffix in (".csv", ".xlsx"))
        code, printed, config, _ = _new(files, tmp_path / slug, capsys, force=slug)
        want = yaml.safe_load((source / "locality.yaml").read_text(encoding="utf-8"))["sources"]
        assert code == 0, printed
        for kind, setting in want.items():
            got = config["sources"][kind]
            assert got["columns"] == setting["columns"], kind
            assert (got.get("sheet"), got.get("header_row", 1)) == (setting.get("sheet"), setting.get("header_row", 1))


def test_force_by_name_code_or_slug_and_did_you_mean():
    assert resolve_force("E23000019").code == resolve_force("Nottinghamshire Police").code == \
        resolve_force("nottinghamshire").code == "E23000019"
    assert resolve_force("Devon and Cornwall").slug == "devon-and-cornwall" or resolve_force("Devon & Cornwall")
    with pytest.raises(ScaffoldError, match="did you mean Nottinghamshire Police"):
        resolve_force("Notinghamshire")


def test_an_existing_locality_yaml_is_not_overwritten(exports, tmp_path, capsys):
    to = tmp_path / "area"
    _new(exports.values(), to, capsys)
    with pytest.raises(SystemExit, match="already exists"):
        main(["new-locality", "--from", str(exports["crimes"]), "--force", "E23000019", "--to", str(to)])


# --- pplib check ------------------------------------------------------------------------------------------------

def test_check_prints_the_map_rows_and_problems_of_a_sample_locality(capsys):
    code = main(["check", "--locality", str(LOCALITIES_DIR / "nottinghamshire")])
    printed = capsys.readouterr().out
    assert code == 0
    assert "column map:" in printed and "crime_ref          <- 'Crime Reference'" in printed
    assert "crimes (police_crimes_SYNTHETIC.xlsx, sheet 'Crimes', header on row 4)" in printed
    assert "not in the file:" not in printed.split("victims (")[0]  # crimes maps every canonical column
    assert "(of 410 rows read from police_crimes_SYNTHETIC.xlsx)" in printed
    assert "problems, by file and column" in printed and ": blank row" in printed
    assert printed.rstrip().endswith("listed above)")


def _broken_copy(tmp_path: Path, exports: dict[str, Path], capsys) -> Path:
    to = tmp_path / "broken"
    _new(exports.values(), to, capsys)
    data = pd.read_csv(exports["victims"], sep=";", encoding="cp1252", dtype=str, keep_default_na=False)
    data.loc[[2, 5, 9], "Victim Age"] = ["two hundred", "300", "-1"]
    data.loc[4, "Victim Gender"] = "Planted gender word"
    data.loc[7, "Occurrence No."] = "PLANTED-UNKNOWN-1"
    data.to_csv(exports["victims"], sep=";", index=False, encoding="cp1252")
    return to


def test_check_groups_problems_by_file_and_column_without_values(exports, tmp_path, capsys):
    to = _broken_copy(tmp_path, exports, capsys)
    code = main(["check", "--locality", str(to)])
    printed = capsys.readouterr().out
    assert code == 0  # bad values are rejected or noted: nothing stops a build
    assert "victim_nominals.csv: 3 kinds of problem" in printed
    assert ("victim_nominals.csv rows 4, 7, 11, column 'Victim Age' (age): the value is not a whole number of "
            "years from 0 to 120; the row is used without it") in printed
    assert "victim_nominals.csv row 6, column 'Victim Gender' (sex): the value is not Male" in printed
    assert ("victim_nominals.csv row 9, column 'Occurrence No.' (crime_ref): crime reference not among the crimes "
            "used") in printed
    assert "victims: 79 used, " in printed and "1 rejected (of 80 rows read" in printed
    assert PLANTED not in printed.lower() and "two hundred" not in printed and "300" not in printed


def test_check_exits_1_when_a_build_would_stop(exports, tmp_path, capsys):
    to = tmp_path / "area"
    _new(exports.values(), to, capsys)
    config = yaml.safe_load((to / "locality.yaml").read_text(encoding="utf-8"))
    config["sources"]["victims"]["columns"]["age"] = "Age of Victim"  # not in the file
    (to / "locality.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    assert main(["check", "--locality", str(to)]) == 1
    told = capsys.readouterr()
    assert "'Age of Victim' (for age); closest match 'Victim Age'" in told.err and "a build would stop" in told.err
    config["sources"]["victims"]["columns"]["age"] = "Victim Age"
    config["period"] = {"start": dt.date(2010, 1, 1), "end": dt.date(2010, 12, 31)}  # no crime in it
    (to / "locality.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    assert main(["check", "--locality", str(to)]) == 1
    printed = capsys.readouterr().out
    assert "a build would stop: no crime is used" in printed
    assert "column 'Date Reported' (date_recorded): outside the report period 01/01/2010 to 31/12/2010" in printed
    del config["sources"]["crimes"]
    (to / "locality.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    assert main(["check", "--locality", str(to)]) == 1
    assert "no crimes source" in capsys.readouterr().err


def test_a_month_first_source_refuses_a_day_first_date(exports, tmp_path, capsys):
    to = tmp_path / "area"
    _new(exports.values(), to, capsys)
    frame = pd.read_csv(exports["nrm_referrals"], sep="\t", dtype=str)
    frame.loc[3, "Date Referred"] = "25/06/2022"
    frame.to_csv(exports["nrm_referrals"], sep="\t", index=False)
    assert main(["check", "--locality", str(to)]) == 1
    err = capsys.readouterr().err
    assert "row 5 holds a day-first date" in err and "row 2 a month-first one" in err


def test_the_sample_locality_copied_still_checks(tmp_path, capsys):
    copy = tmp_path / "notts"
    shutil.copytree(LOCALITIES_DIR / "nottinghamshire", copy)
    assert main(["check", "--locality", str(copy)]) == 0
