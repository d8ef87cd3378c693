"""One suite of bad inputs, each run through the real CLI (`pplib build`, or `pplib check` for rows a build
rejects and carries on without). A new class of bad input is one line in CASES: its name, how to spoil a
good locality, the command, and the fragments its message must hold (file, row or line, column, what was
expected). Every case also asserts that no planted personal value (crime reference, name, date of birth,
modus operandi text) reaches the terminal or any file the build wrote.

Almost every case fails while the build checks the locality's files, before any notebook runs.
"""
from __future__ import annotations

import zipfile
from pathlib import Path

import pandas as pd
import pytest
import yaml

from pplib.cli import main

PLANTED = "PLANTED"  # every personal value below holds it; none may be echoed anywhere
CRIMES = ("crime_ref,date_recorded,exploitation_types,lad_code,mo_text\n"
          "PLANTED-REF-1,01/06/2022,Labour,E06000018,PLANTED modus operandi one\n"
          "PLANTED-REF-2,02/06/2022,Sexual,E06000018,PLANTED modus operandi two\n")
VICTIMS = ("crime_ref,victim_name,date_of_birth,age,sex,nationality\n"
           "PLANTED-REF-1,PLANTED Name One,01/02/1990,30,Female,British\n"
           "PLANTED-REF-2,PLANTED Name Two,03/04/1991,31,Male,Albanian\n")


def _good(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "crimes.csv").write_text(CRIMES, encoding="utf-8")
    (folder / "victims.csv").write_text(VICTIMS, encoding="utf-8")
    columns = {"crimes": CRIMES.splitlines()[0].split(","), "victims": VICTIMS.splitlines()[0].split(",")}
    _write_yaml(folder, {
        "name": "Bad input test", "force_code": "E23000019", "partnership": "Test partnership",
        "period": {"start": "2021-01-01", "end": "2023-12-31"},
        "sources": {kind: {"path": f"{kind}.csv", "columns": {c: c for c in cols}} for kind, cols in columns.items()},
    })
    return folder


def _write_yaml(folder: Path, config: dict) -> None:
    (folder / "locality.yaml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")


def _config(folder: Path) -> dict:
    return yaml.safe_load((folder / "locality.yaml").read_text(encoding="utf-8"))


# --- ways to spoil a good locality -------------------------------------------------------------------------

def setting(**changes):
    def spoil(folder):
        _write_yaml(folder, {**_config(folder), **changes})
    return spoil


def source(kind, **changes):
    def spoil(folder):
        config = _config(folder)
        config["sources"][kind].update(changes)
        _write_yaml(folder, config)
    return spoil


def mapping(kind, canonical, name):
    def spoil(folder):
        config = _config(folder)
        if name is None:
            del config["sources"][kind]["columns"][canonical]
        else:
            config["sources"][kind]["columns"][canonical] = name
        _write_yaml(folder, config)
    return spoil


def text(name, content, encoding="utf-8"):
    def spoil(folder):
        (folder / name).write_bytes(content.encode(encoding) if isinstance(content, str) else content)
    return spoil


def row(name, number, new):
    """Line `number` (1 = header) of a CSV replaced by `new`."""
    def spoil(folder):
        lines = (folder / name).read_text(encoding="utf-8").splitlines()
        lines[number - 1] = new
        (folder / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return spoil


def both(*spoils):
    def spoil(folder):
        for s in spoils:
            s(folder)
    return spoil


def raw_yaml(content):
    return text("locality.yaml", content)


def no_yaml(folder):
    (folder / "locality.yaml").unlink()


def crimes_as(suffix):
    """crimes.csv renamed, and the configuration pointing at the new name."""
    def spoil(folder):
        (folder / "crimes.csv").rename(folder / f"crimes{suffix}")
        source("crimes", path=f"crimes{suffix}")(folder)
    return spoil


def crimes_workbook(sheet="Crimes"):
    def spoil(folder):
        frame = pd.read_csv(folder / "crimes.csv", dtype=str)
        frame.to_excel(folder / "crimes.xlsx", sheet_name=sheet, index=False)
        source("crimes", path="crimes.xlsx", sheet="Nope")(folder)
    return spoil


def folder_as_path(folder):
    (folder / "crimes_dir.csv").mkdir()
    source("crimes", path="crimes_dir.csv")(folder)


def zip_junk(folder):
    with zipfile.ZipFile(folder / "crimes.xlsx", "w") as archive:
        archive.writestr("not-a-workbook.txt", "PLANTED nothing here")
    source("crimes", path="crimes.xlsx")(folder)


LONG = "x" * 140_000
BUILD = ["build", "--quiet", "--edition", "partner", "--section", "introduction"]
CHECK = ["check"]

# name, how to spoil the good locality, command (+ extra arguments), fragments the message must hold
CASES = [
    # the locality file
    ("no locality file", no_yaml, BUILD, ["locality.yaml", "is a folder without a locality.yaml"]),
    ("not YAML", raw_yaml("name: [unclosed\n"), BUILD, ["locality.yaml", "not valid YAML"]),
    ("YAML not a mapping", raw_yaml("- a\n- b\n"), BUILD, ["locality.yaml", "expected a mapping"]),
    ("unknown force code", setting(force_code="E23999999"), BUILD, ["locality.yaml", "force_code"]),
    ("unknown setting", setting(colour="red"), BUILD, ["locality.yaml", "colour", "Extra inputs are not permitted"]),
    ("period backwards", setting(period={"start": "2023-01-01", "end": "2021-01-01"}), BUILD,
     ["locality.yaml", "period", "before start"]),
    ("threshold out of range", setting(disclosure={"threshold": 0}), BUILD, ["locality.yaml", "disclosure.threshold"]),
    ("unknown source kind", lambda f: setting(sources={**_config(f)["sources"], "crimez": {"path": "crimes.csv"}})(f),
     BUILD, ["locality.yaml", "unknown source 'crimez'", "expected one of"]),
    ("unknown canonical column", mapping("crimes", "crime_reff", "crime_ref"), BUILD,
     ["locality.yaml", "unknown canonical column", "crime_reff"]),
    ("source file missing", source("victims", path="nothere.csv"), BUILD,
     ["source file(s) not found", "victims", "nothere.csv"]),
    # the file itself
    ("path is a folder", folder_as_path, BUILD, ["crimes_dir.csv", "is a folder, not a file"]),
    ("empty file", text("victims.csv", ""), BUILD, ["victims.csv", "the file is empty (0 bytes)"]),
    ("unsupported file type", crimes_as(".pdf"), BUILD, ["crimes.pdf", "unsupported file type", ".csv or .xlsx"]),
    ("wrong encoding", both(text("victims.csv", VICTIMS.replace("British", "Brit\u00e9sh"), "cp1252"),
                            source("victims", encoding="utf-8")), BUILD,
     ["victims.csv", "cannot be read as utf-8", "byte 0xe9", "set `encoding: cp1252`"]),
    ("not text at all", text("victims.csv", b"\x81\x8d\x8f\x90\x9d" * 20), BUILD,
     ["victims.csv", "not text in UTF-8 or Windows-1252"]),
    ("workbook saved as .csv", text("crimes.csv", b"PK\x03\x04" + b"\0" * 64), BUILD,
     ["crimes.csv", "Excel workbook saved with a .csv name"]),
    ("CSV renamed .xlsx", crimes_as(".xlsx"), BUILD, ["crimes.xlsx", "is not an Excel workbook", "save it from Excel"]),
    ("password-protected workbook", both(crimes_as(".xlsx"), text("crimes.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
                                                                  + b"\0" * 512)), BUILD,
     ["crimes.xlsx", "password-protected (encrypted)", "remove the password"]),
    ("corrupt workbook", zip_junk, BUILD, ["crimes.xlsx", "workbook is damaged", "save it again"]),
    ("unknown sheet", crimes_workbook(), BUILD, ["crimes.xlsx", "Nope", "not found"]),
    # the header
    ("required column not mapped", mapping("crimes", "date_recorded", None), BUILD,
     ["crimes.csv", "maps no column to required date_recorded", "sources.crimes.columns"]),
    ("mapped column not in file", mapping("crimes", "crime_ref", "Crime Reference"), BUILD,
     ["crimes.csv", "row 1", "'Crime Reference' (for crime_ref)", "closest match 'crime_ref'"]),
    ("header_row one too low", source("crimes", header_row=2), BUILD,
     ["crimes.csv", "header (row 2)", "row 2 holds none of the mapped column names", "set `header_row: 1`"]),
    ("header_row past the end", source("victims", header_row=40), BUILD,
     ["victims.csv", "header_row 40 is past the end of the file (3 rows)"]),
    ("duplicate mapped header", row("victims.csv", 1, "crime_ref,victim_name,date_of_birth,age,sex,age"), BUILD,
     ["victims.csv", "row 1", "'age' (mapped to age) appears 2 times, in columns D, F"]),
    # quoting and row structure
    ("quote never closed", row("victims.csv", 3, 'PLANTED-REF-2,"PLANTED Name Two,03/04/1991,31,Male,Albanian'),
     BUILD, ["victims.csv", "line 3", "never closed"]),
    ("quote swallows the next row", both(row("victims.csv", 2, 'PLANTED-REF-1,"PLANTED Name One,01/02/1990,30,F,'),
                                         row("victims.csv", 3, 'PLANTED-REF-2,PLANTED Name Two",03/04/1991,31,M,B')),
     BUILD, ["victims.csv", "line 2 (row 2), column 'victim_name'", "runs over several lines", "quote is probably"]),
    ("quote swallows rows, count wrong", both(row("victims.csv", 2, 'PLANTED-REF-1,"PLANTED One,01/02/1990,30,F,B'),
                                              row("victims.csv", 3, 'PLANTED-REF-2,PLANTED Two",03/04/1991,31,M,B,x,y')),
     BUILD, ["victims.csv", "line 2 (row 2)", "ends with 8 fields where the header has 6", "not closed"]),
    ("text after a closing quote", row("victims.csv", 2, 'PLANTED-REF-1,"PLANTED Name" One,01/02/1990,30,F,British'),
     BUILD, ["victims.csv", "line 2", "closing quote is followed by more text"]),
    ("field over 131,072 characters", row("crimes.csv", 3, f'PLANTED-REF-2,02/06/2022,Sexual,E06000018,"{LONG}"'),
     BUILD, ["crimes.csv", "line 3", "longer than 131,072 characters"]),
    ("row with a field too few", row("victims.csv", 3, "PLANTED-REF-2,PLANTED Name Two,03/04/1991,31,Male"), CHECK,
     ["victims.csv row 3 (line 3)", "5 fields where the header has 6", "the row is not read", "1 used"]),
    ("row with a field too many", row("crimes.csv", 2, "PLANTED-REF-1,01/06/2022,Labour,E06000018,PLANTED mo,extra"),
     CHECK, ["crimes.csv row 2 (line 2)", "6 fields where the header has 5"]),
    # dates
    ("day-first and month-first mixed", row("crimes.csv", 3, "PLANTED-REF-2,06/25/2022,Sexual,E06000018,PLANTED"),
     BUILD, ["crimes.csv", "column 'date_recorded'", "row 3 holds a month-first date", "day first (DD/MM/YYYY)"]),
    ("both conventions, each evident", both(
        row("crimes.csv", 2, "PLANTED-REF-1,25/06/2022,Labour,E06000018,PLANTED"),
        row("crimes.csv", 3, "PLANTED-REF-2,06/25/2022,Sexual,E06000018,PLANTED")),
     BUILD, ["crimes.csv", "column 'date_recorded'", "row 3", "row 2 a day-first one", "mixes both"]),
    ("personal date column mixed", row("victims.csv", 3, "PLANTED-REF-2,PLANTED Two,04/13/1991,31,Male,Albanian"),
     BUILD, ["victims.csv", "column 'date_of_birth'", "row 3 holds a month-first date"]),
    ("required date unreadable", row("crimes.csv", 3, "PLANTED-REF-2,32/13/2022,Sexual,E06000018,PLANTED"), CHECK,
     ["crimes.csv row 3, column 'date_recorded': the value is not a date, day first"]),
    ("required value blank", row("crimes.csv", 3, ",02/06/2022,Sexual,E06000018,PLANTED"), CHECK,
     ["crimes.csv row 3, column 'crime_ref': blank is not a value (the column is required)"]),
    ("crime outside the period", row("crimes.csv", 3, "PLANTED-REF-2,02/06/2019,Sexual,E06000018,PLANTED"), CHECK,
     ["crimes.csv row 3", "outside the report period"]),
    ("victim of an unknown crime", row("victims.csv", 3, "PLANTED-REF-9,PLANTED Two,03/04/1991,31,Male,Albanian"),
     CHECK, ["victims.csv row 3", "crime reference not among the crimes used"]),
    # the command line
    ("unknown section", lambda f: None, ["build", "--quiet", "--edition", "internal", "--section", "summary"],
     ["--section summary: no such section", "did you mean 'executive_summary'", "sections: executive_summary"]),
    ("misspelt --set parameter", lambda f: None, BUILD[:-2] + ["--section", "national_picture", "--set", "yeer=2022"],
     ["--set yeer", "did you mean 'year'"]),
    ("--set without a value", lambda f: None, BUILD + ["--set", "year"], ["--set expects NAME=VALUE"]),
]


def _run(argv: list[str], capsys) -> tuple[int, str]:
    try:
        code = main(argv)
    except SystemExit as exc:  # argument errors
        code = exc.code if isinstance(exc.code, int) else 2
        captured = capsys.readouterr()
        return code, captured.out + captured.err + ("" if isinstance(exc.code, int) else str(exc.code))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def _written(out: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in sorted(out.rglob("*")) if p.is_file())


@pytest.mark.parametrize("name, spoil, command, fragments", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_reported_by_file_row_and_column(name, spoil, command, fragments, tmp_path, capsys,
                                                     monkeypatch):
    monkeypatch.chdir(tmp_path)
    folder = _good(tmp_path / "loc")
    spoil(folder)
    out = tmp_path / "out"
    argv = [*command, "--locality", str(folder)] + (["--out", str(out)] if command[0] == "build" else [])
    code, printed = _run(argv, capsys)
    written = _written(out) if out.exists() else ""
    if command is not CHECK:
        assert code != 0, printed
        if command is BUILD and "--set" not in command:  # the failure is recorded beside the edition
            # refused before any work, or recorded beside the edition
            assert not out.exists() or (out / "loc" / "partner" / "BUILD-FAILED.txt").exists(), printed
    told = printed + written
    for fragment in fragments:
        assert fragment in told, f"{name}: {fragment!r} not in:\n{told[-3000:]}"
    assert PLANTED not in told, f"{name}: a personal value was echoed:\n{told[-3000:]}"
    assert "Traceback" not in printed


def test_the_good_locality_is_accepted(tmp_path, capsys):
    """The spoiled localities start from one the checks accept: each case fails for its own reason."""
    folder = _good(tmp_path / "loc")
    code, printed = _run(["check", "--locality", str(folder)], capsys)
    assert code == 0 and "crimes: 2 used, 0 merged, 0 rejected" in printed and "victims: 2 used" in printed


def test_there_are_at_least_thirty_classes():
    assert len({c[0] for c in CASES}) == len(CASES) >= 30
