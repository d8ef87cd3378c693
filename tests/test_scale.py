"""The records layer at scale: the vectorised merge ledger against the per-group rule it replaces, and CSV
files read straight from disk (never held whole) giving what reading their bytes gives."""
from __future__ import annotations

import codecs
import random

import pandas as pd
import pytest
from factories import crime, make_locality, victim

from pplib.config import load_locality
from pplib.records import load
from pplib.records.dataset import LEDGER_COLUMNS, Ledger, _merge_duplicates, load_locality_data
from pplib.records.load import LoadedSource, SourceError, _csv_grid, _csv_layout, _decode_problem


def _load(folder):
    return load_locality_data(load_locality(folder / "locality.yaml"))


def _planted(tmp_path):
    """R1 three times (row 3 the fullest, row 4 next, row 2 least), R2 twice the same, R3 once; victim
    (R1, V1) twice; one crime note on a merged row."""
    crimes = [crime("R1", sector="", mo_text=""),
              crime("R1", sector="", mo_text="most", county_lines="Y", date_committed="01/05/2022"),
              crime("R1", sector="car wash", mo_text="next"),
              crime("R2"), crime("R2"),
              crime("R3", date_committed="not a date")]
    victims = [victim("R1", "V1", age=""), victim("R1", "V1", age="31", nationality="Albanian"),
               victim("R3", "V2")]
    return make_locality(tmp_path / "planted", crimes, victims)


def test_each_duplicate_row_is_merged_into_the_first_of_its_group(tmp_path):
    data = _load(_planted(tmp_path))
    ledger = data.ledger.set_index(["source", "source_row"])
    merged = ledger[ledger["status"] == "merged"]
    assert merged["merged_into"].to_dict() == {("crimes", 2): 3, ("crimes", 4): 3, ("crimes", 6): 5,
                                               ("victims", 2): 3}
    assert merged.loc[("crimes", 2), "reason"] == "duplicate of row 3 (same crime_ref)"
    assert merged.loc[("crimes", 6), "reason"] == "duplicate of row 5 (same crime_ref)"
    assert merged.loc[("victims", 2), "reason"] == "duplicate of row 3 (same crime_ref, victim_id)"
    assert (ledger.loc[[("crimes", 3), ("crimes", 5), ("crimes", 7)], "status"] == "used").all()
    assert list(data.ledger.columns) == LEDGER_COLUMNS and str(data.ledger["merged_into"].dtype) == "Int64"
    assert all(str(data.ledger[c].dtype) == "str" for c in ("source", "file", "status", "reason", "notes"))
    assert data.ledger.duplicated(["source", "source_row"]).sum() == 0


def test_the_merged_record_takes_the_fullest_row_then_the_next(tmp_path):
    data = _load(_planted(tmp_path))
    crimes = data.crimes.set_index("source_row")
    assert sorted(crimes.index) == [3, 5, 7]
    assert crimes.loc[3, "sector"] == "car wash"  # from row 4: row 3 has none
    assert crimes.loc[3, "county_lines"]
    mo = data.personal_fields("crimes", "test").set_index("source_row")["mo_text"]
    assert mo[3] == "most"
    victims = data.victims.set_index("source_row")
    assert victims.loc[3, "age"] == 31 and victims.loc[3, "nationality"] == "Albania"


def _per_group_ledger(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """The rule the vectorised ledger replaces: one entry per duplicate group, built group by group."""
    ranked = frame.assign(_filled=frame.notna().sum(axis=1)).sort_values(
        ["_filled", "source_row"], ascending=[False, True])
    rows = []
    for _, group in ranked[ranked.duplicated(keys, keep=False)].groupby(keys, sort=False):
        kept = int(group["source_row"].iloc[0])
        rows += [(int(r), kept, f"duplicate of row {kept} (same {', '.join(keys)})")
                 for r in group["source_row"].iloc[1:]]
    return pd.DataFrame(rows, columns=["source_row", "merged_into", "reason"]).sort_values("source_row")


@pytest.mark.parametrize("seed", range(5))
def test_the_vectorised_ledger_matches_the_per_group_rule(seed, tmp_path):
    generator = random.Random(seed)
    frame = pd.DataFrame({
        "source_row": range(2, 402),
        "crime_ref": [generator.choice(["A", "B", "C", None, *map(str, range(150))]) for _ in range(400)],
        "victim_id": [generator.choice(["V1", "V2", None]) for _ in range(400)],
        "sex": [generator.choice(["F", "M", pd.NA]) for _ in range(400)],
        "age": [generator.choice(["20", pd.NA, pd.NA]) for _ in range(400)],
    }).astype({c: object for c in ("crime_ref", "victim_id", "sex", "age")})
    loaded = LoadedSource("victims", tmp_path / "victims.csv", frame, len(frame), 1, None, {})
    for keys in (["crime_ref"], ["crime_ref", "victim_id"]):
        ledger = Ledger()
        notes = {r: f"note {r}" for r in frame["source_row"] if r % 7 == 0}
        result = _merge_duplicates(frame, keys, loaded, ledger, notes)
        got = ledger.frame()
        expected = _per_group_ledger(frame.dropna(subset=keys), keys)
        assert got["source_row"].tolist() == expected["source_row"].tolist()
        assert got["merged_into"].tolist() == expected["merged_into"].tolist()
        assert got["reason"].tolist() == expected["reason"].tolist()
        assert got["notes"].tolist() == [notes.get(r, "") for r in got["source_row"]]
        assert set(got["status"]) <= {"merged"}
        # every row used once or merged once
        assert sorted(result["source_row"].tolist() + got["source_row"].tolist()) == frame["source_row"].tolist()


def test_a_csv_read_from_disk_matches_its_bytes(tmp_path):
    path = tmp_path / "x.csv"
    data = 'title\na,b,c\n1,"two\nlines",3\n\n4,5\n'.encode()
    path.write_bytes(data)
    assert _csv_layout(path, path, "utf-8") == _csv_layout(path, data, "utf-8")
    pd.testing.assert_frame_equal(_csv_grid(path, "utf-8"), _csv_grid(data, "utf-8"))
    bad = b"a,b\n" * 400_000 + b"caf\xe9,1\n"  # past the first megabyte
    path.write_bytes(bad)
    assert _decode_problem(path, "utf-8") == _decode_problem(bad, "utf-8")
    assert "at byte 1,600,003" in _decode_problem(path, "utf-8")


# Pieces a CSV is made of, the awkward ones included: quoted separators and line breaks, doubled quotes,
# CR LF, blank lines, a BOM, text after a closing quote, a quote inside an unquoted field, a lone CR, NUL.
_PIECES = ["a", "b", ",", ",", ";", "\n", "\r\n", '"x,y"', '"two\nlines"', '"q""d"', '""', " ", "é", '"\r\n"',
           '"a"b', 'c"d', "\r", "\x00"]


@pytest.mark.parametrize("chunk", [1, 7, 1 << 20])
def test_the_numpy_layout_is_the_csv_modules_wherever_it_gives_one(chunk, tmp_path, monkeypatch):
    monkeypatch.setattr(load, "DECODE_CHUNK", chunk)
    path, plain = tmp_path / "x.csv", 0
    for seed in range(1500):
        generator = random.Random(seed)
        text = "".join(generator.choice(_PIECES) for _ in range(generator.randint(0, 40)))
        encoding, delimiter = generator.choice(["utf-8", "utf-8-sig", "cp1252"]), generator.choice([",", ";"])
        data = (codecs.BOM_UTF8 if seed % 5 == 0 else b"") + text.encode("cp1252" if encoding == "cp1252" else "utf-8")
        path.write_bytes(data)
        try:
            strict = load._strict_csv_layout(path, data, encoding, delimiter)
        except SourceError as error:
            strict = str(error)
        fast = load._plain_csv_layout(path if seed % 2 else data, encoding, delimiter)
        if fast is not None:
            plain += 1
            assert fast == strict, (seed, data)
        whole = _csv_layout(path, data, encoding, delimiter) if not isinstance(strict, str) else None
        assert whole is None or whole == strict
    assert plain > 100  # most plain files take the fast way


def test_an_irregular_csv_is_still_refused_with_its_line(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(b'a,b\n1,"2"x\n3,4\n')
    with pytest.raises(SourceError, match="line 2: a closing quote is followed by more text"):
        _csv_layout(path, path, "utf-8")
    path.write_bytes(b'a,b\n1,"2\n3,4\n')
    with pytest.raises(SourceError, match="line 2: a quote opened on this line is never closed"):
        _csv_layout(path, path, "utf-8")


def test_the_ledger_frame_is_str_text_whatever_each_entry_held(tmp_path):
    frame = pd.DataFrame({"source_row": [4, 2, 3]})
    ledger = Ledger()
    crimes = LoadedSource("crimes", tmp_path / "c.csv", frame, 3, 1, None, {})
    victims = LoadedSource("victims", tmp_path / "v.csv", frame, 3, 1, None, {})
    ledger.record(victims, frame.iloc[:1], "used")
    ledger.record(crimes, frame, "rejected", pd.Series(["x", "y", "x"]), merged_into=pd.Series([2, 3, 2]),
                  notes={2: "n"})
    got = ledger.frame()
    assert got[["source", "source_row"]].values.tolist() == [["crimes", 2], ["crimes", 3], ["crimes", 4],
                                                             ["victims", 4]]
    assert got["reason"].tolist() == ["y", "x", "x", ""] and got["notes"].tolist() == ["n", "", "", ""]
    assert got["merged_into"].tolist()[:3] == [3, 2, 2] and pd.isna(got["merged_into"].iloc[3])
    assert [str(got[c].dtype) for c in LEDGER_COLUMNS] == ["str", "str", "int64", "str", "Int64", "str", "str"]
    counts = got.groupby("source")["status"].value_counts().unstack(fill_value=0)
    assert list(counts.columns) == ["rejected", "used"]  # no column for a status no row has
