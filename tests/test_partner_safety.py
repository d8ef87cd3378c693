"""A partner edition built for real from a locality with small counts everywhere passes the audit; each way of
giving a count away, planted in the built folder, is caught."""
from __future__ import annotations

import csv
import json
import math
import re
import shutil
from pathlib import Path

import pytest
from factories import crime, make_locality, victim

from pplib.build.batch import build
from pplib.disclosure.audit import WORKBOOK_HEADER_ROW, audit_folder

pytestmark = pytest.mark.slow  # builds reports or runs notebooks: not in the inner loop (-m "not slow")

ALL_SECTIONS = ("executive_summary", "introduction", "local_picture", "mapping", "in_focus", "appendix")


def _small_counts_locality(folder: Path) -> Path:
    """A type with 1 crime, a district with 2, a quarter with 3, a type with 4, one female victim."""
    crimes = ([crime(f"L{i}", recorded=f"{10 + i % 18:02d}/0{4 + i % 6}/2022", types="Labour",
                     lad_code="E06000018" if i % 2 else "E07000170") for i in range(24)]
              + [crime(f"C{i}", recorded=f"0{1 + i % 9}/0{4 + i % 5}/2023", types="Criminal",
                       lad_code="E07000171", county_lines="Y" if i % 3 else "N") for i in range(12)]
              + [crime(f"S{i}", recorded="15/03/2021", types="Sexual", lad_code="E07000172") for i in range(3)]
              + [crime("S3", recorded="15/07/2021", types="Sexual", lad_code="E07000174")]
              + [crime("O1", recorded="20/08/2022", types="Organ harvesting", lad_code="E07000174")])
    victims = ([victim(f"L{i}", f"VL{i}", age=str(20 + i), sex="Male", nationality="Romanian") for i in range(24)]
               + [victim(f"C{i}", f"VC{i}", age=str(15 + i % 4), sex="Male", nationality="British")
                  for i in range(12)]
               + [victim("S0", "VS0", age="16", sex="Female", nationality="Albanian")]
               + [victim("O1", "VO1", age="40", sex="Male", nationality="Eritrean")])
    return make_locality(folder, crimes, victims)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("safety")
    locality = _small_counts_locality(root / "small")
    [result] = build([locality], ALL_SECTIONS, root / "out", editions=("partner",), jobs=1)
    assert result.status == "built", result.error
    return Path(result.out_dir)


def _true_values(folder: Path) -> dict[str, int]:
    """What the build knew (kept with the internal edition, never in the partner folder)."""
    ledger = folder.parent / "internal" / "partner-build" / "disclosure" / "ledger.json"
    return {k: d["value"] for k, d in json.loads(ledger.read_text(encoding="utf-8"))["cells"].items()}


def _metadata(folder: Path) -> dict:
    return json.loads((folder / "disclosure" / "metadata.json").read_text(encoding="utf-8"))


def _read(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def _write(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


def _suppressed_cells(folder: Path):
    """(file, row, column, key) of every [c] count cell in the folder's CSVs."""
    for table in _metadata(folder)["tables"]:
        rows = _read(folder / table["file"])
        for cell in table["cells"]:
            column = rows[0].index(cell["column"])
            if rows[cell["row"] + 1][column] == "[c]":
                yield table["file"], cell["row"], cell["column"], cell["key"]


def _copy(built: Path, tmp_path: Path) -> Path:
    target = tmp_path / "partner"
    shutil.copytree(built, target)
    return target


def test_the_real_build_of_small_counts_passes_its_audit_and_holds_only_what_partners_get(built):
    result = audit_folder(built)
    assert result.ok, [p.message for p in result.problems]
    assert result.suppressed > 0 and result.checked == result.suppressed
    files = {p.relative_to(built).as_posix() for p in built.rglob("*") if p.is_file()}
    assert not any(f.endswith((".ipynb", ".log")) or f.startswith(("sections/", "data_quality/")) for f in files)
    machine = [str(built.parents[2]), str(Path(__file__).resolve().parents[1])]  # the build's and the project's
    for path in built.rglob("*"):
        if path.is_file() and path.suffix in (".html", ".csv", ".json"):
            text = path.read_text(encoding="utf-8")
            assert not any(folder in text for folder in machine), f"{path.name} holds a machine path"
    values = _true_values(built)
    assert values["crimes|primary_type=other or not recorded"] == 5  # organ harvesting and sexual, recoded
    shown_types = {row[0] for row in _read(built / "tables" / "recorded_crimes_by_primary_exploitation_type.csv")}
    assert "organ harvesting" not in shown_types and "sexual" not in shown_types


def test_a_suppressed_count_written_back_into_a_table_is_caught(built, tmp_path):
    folder = _copy(built, tmp_path)
    file, row, column, key = next(_suppressed_cells(folder))
    rows = _read(folder / file)
    rows[row + 1][rows[0].index(column)] = str(_true_values(built)[key])
    _write(folder / file, rows)
    assert not audit_folder(folder).ok


def test_a_complementary_cell_revealed_gives_the_small_one_away_and_is_caught(built, tmp_path):
    folder = _copy(built, tmp_path)
    values = _true_values(built)
    ledger = json.loads((built.parent / "internal" / "partner-build" / "disclosure" / "ledger.json").read_text())
    secondary = [c for c in _suppressed_cells(folder)
                 if ledger["cells"][c[3]]["reason"].startswith("suppressed (secondary)")]
    assert secondary, "the small-count locality needs secondary suppression somewhere"
    file, row, column, key = secondary[0]
    rows = _read(folder / file)
    rows[row + 1][rows[0].index(column)] = str(values[key])
    _write(folder / file, rows)
    problems = audit_folder(folder).problems
    assert any("worked out" in p.message or "recovered" in p.message or "shown" in p.message for p in problems)


def test_an_undeclared_file_is_caught(built, tmp_path):
    folder = _copy(built, tmp_path)
    (folder / "notes.txt").write_text("victim list", encoding="utf-8")
    assert any(p.file == "notes.txt" for p in audit_folder(folder).problems)


def test_a_sentence_quoting_a_suppressed_count_is_caught(built, tmp_path):
    folder = _copy(built, tmp_path)
    page = (folder / "report.html").read_text(encoding="utf-8")
    values = _true_values(built)
    spans = re.findall(r'<span class="pp-n" data-cell="([^"]+)">\[c\]</span>', page)
    if not spans:  # plant one: the report quotes a withheld cell as a number
        file, row, column, key = next(_suppressed_cells(folder))
        page = page.replace("</body>", f'<p><span class="pp-n" data-cell="{key}">{values[key]}</span></p></body>')
    else:
        key = spans[0]
        page = page.replace(f'data-cell="{key}">[c]</span>', f'data-cell="{key}">{values[key.replace("&amp;", "&")]}</span>', 1)
    (folder / "report.html").write_text(page, encoding="utf-8")
    assert any(p.file == "report.html" for p in audit_folder(folder).problems)


def test_the_built_workbook_holds_every_csv_cell_by_cell_numbers_as_numbers_and_is_marked(built):
    """The real partner workbook against its CSVs: every cell, its type, and the rows and print setup around it."""
    from openpyxl import load_workbook

    from pplib import labels
    from pplib.text import from_csv_cell
    book = load_workbook(built / "tables.xlsx")
    top = WORKBOOK_HEADER_ROW + 1
    contents = book["Contents"]
    assert [c.value for c in contents[top]] == ["Sheet", "Table", "Caption", "CSV file"]
    listed = list(contents.iter_rows(min_row=top + 1))
    csvs = sorted(p.name for p in (built / "tables").glob("*.csv") if p.name != "captions.csv")
    assert sorted(row[3].value for row in listed) == csvs
    assert [row[0].value for row in listed] == book.sheetnames[1:]
    assert all(len(n) <= 31 for n in book.sheetnames) and len({n.lower() for n in book.sheetnames}) == len(csvs) + 1
    numbers = withheld = 0
    for sheet_link, title, caption, csv_file in listed:
        sheet = book[sheet_link.value]
        assert sheet_link.hyperlink.location == f"'{sheet.title}'!A1".replace("''", "'")
        assert (sheet["A1"].value, sheet["A3"].value) == (title.value, "Handling marking: OFFICIAL-SENSITIVE")
        assert caption.value and sheet["A2"].value.startswith(caption.value)
        for page in (sheet.oddHeader, sheet.oddFooter):
            assert page.left.text == "OFFICIAL-SENSITIVE", sheet.title
        assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.fitToHeight == 0
        assert sheet.freeze_panes == f"A{top + 1}"
        rows = _read(built / "tables" / csv_file.value)
        assert sheet.auto_filter.ref.startswith(f"A{top}:") and sheet.auto_filter.ref.endswith(str(top + len(rows) - 1))
        assert sheet.max_row == top + len(rows) - 1
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                cell = sheet.cell(row=top + r, column=c + 1)
                where = (sheet.title, cell.coordinate, text)
                if r and re.fullmatch(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?", text):
                    # Excel keeps 15 to 17 significant digits: 3.6443591394453287 is 3.644359139445329 there
                    assert cell.data_type == "n" and math.isclose(cell.value, float(text), rel_tol=1e-14), where
                    numbers += 1
                elif text == "":
                    assert cell.value is None, where
                elif r == 0:  # the header: the CSV's canonical name as a reader reads it
                    assert cell.data_type == "s" and cell.value == labels.column(from_csv_cell(text)), where
                else:
                    assert cell.data_type == "s" and cell.value == from_csv_cell(text), where
                    withheld += text == "[c]"
    assert numbers > 100 and withheld > 0


def test_a_workbook_sheet_that_shows_a_suppressed_count_is_caught(built, tmp_path):
    from openpyxl import load_workbook
    folder = _copy(built, tmp_path)
    file, row, column, key = next(_suppressed_cells(folder))
    workbook = load_workbook(folder / "tables.xlsx")
    contents = workbook["Contents"]
    top = WORKBOOK_HEADER_ROW + 1  # Excel's row of each sheet's table header, under title, source and marking
    header = [c.value for c in contents[top]]
    sheet = next(r[header.index("Sheet")] for r in contents.iter_rows(min_row=top + 1, values_only=True)
                 if "tables/" + str(r[header.index("CSV file")]) == file or r[header.index("CSV file")] == file)
    target = workbook[sheet]
    names = _read(folder / file)[0]  # the sheet's columns are its CSV's, under their labels
    assert target.cell(row=top + row + 1, column=names.index(column) + 1).value == "[c]"
    target.cell(row=top + row + 1, column=names.index(column) + 1, value=_true_values(built)[key])
    workbook.save(folder / "tables.xlsx")
    assert any(p.file.endswith("tables.xlsx") or "tables.xlsx" in p.file for p in audit_folder(folder).problems)


def test_a_share_of_a_suppressed_count_is_caught(built, tmp_path):
    folder = _copy(built, tmp_path)
    for table in _metadata(folder)["tables"]:
        rows = _read(folder / table["file"])
        if "percent" not in rows[0] or "[c]" not in {r[rows[0].index("percent")] for r in rows[1:]}:
            continue
        at = next(i for i, r in enumerate(rows) if i and r[rows[0].index("percent")] == "[c]")
        rows[at][rows[0].index("percent")] = "2.5"
        _write(folder / table["file"], rows)
        break
    else:
        pytest.fail("no table with a withheld percentage")
    assert not audit_folder(folder).ok
