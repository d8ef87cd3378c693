"""The ledger: one decision per cell, primary and secondary suppression chosen over every linked table."""
import json
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pplib.config import Disclosure
from pplib.disclosure import cells
from pplib.disclosure.audit import audit_folder
from pplib.disclosure.plan import GROUP, PRIMARY, Ledger


def k(measure="crimes", **conditions):
    return cells.key(measure, conditions)


def ledger_with(**domains):
    ledger = Ledger(threshold=5, group_threshold=10)
    for dim, values in domains.items():
        ledger.domains.add("crimes", dim, values)
    return ledger


def test_keys_name_a_count_whatever_the_order_and_survive_odd_text():
    assert k(type="a", lad="b") == k(lad="b", type="a")
    odd = {"type": "a|b=c%", "lad": "x"}
    assert cells.parse(cells.key("crimes", odd)) == ("crimes", odd)


def test_a_small_count_and_the_cell_that_would_give_it_away_are_suppressed():
    ledger = ledger_with(type=["a", "b", "c"])
    hidden = ledger.decide("types", {k(type="a"): 10, k(type="b"): 3, k(type="c"): 30, k(): 43})
    assert hidden[k(type="b")] and ledger.decided[k(type="b")].reason == PRIMARY
    assert hidden[k(type="a")], "the smallest other count is the complement, not the total or the largest"
    assert not hidden[k()] and not hidden[k(type="c")]


def test_a_later_linked_table_cannot_undo_an_earlier_suppression():
    ledger = ledger_with(type=["a", "b", "c"], lad=["x", "y"])
    ledger.decide("types", {k(type="a"): 10, k(type="b"): 3, k(type="c"): 30, k(): 43})
    cross = {k(type="a", lad="x"): 6, k(type="a", lad="y"): 4, k(type="b", lad="x"): 1, k(type="b", lad="y"): 2,
             k(type="c", lad="x"): 20, k(type="c", lad="y"): 10, k(lad="x"): 27, k(lad="y"): 16}
    hidden = ledger.decide("types by district", cross)
    assert ledger.weaknesses(cells.relations(ledger.decided, ledger.domains)) == []
    assert hidden[k(type="b", lad="x")] and hidden[k(type="b", lad="y")]
    assert ledger.decided[k(type="a")].suppressed, "decided by the first table, kept"


def test_the_same_cell_is_shown_the_same_way_in_every_table():
    ledger = ledger_with(type=["a", "b", "c"])
    first = ledger.decide("types", {k(type="a"): 10, k(type="b"): 3, k(type="c"): 30, k(): 43})
    again = ledger.decide("a sentence", {k(type="a"): 10, k(): 43})
    assert again[k(type="a")] == first[k(type="a")] and again[k()] == first[k()]


def test_a_small_group_all_in_one_category_is_not_shown():
    ledger = Ledger(threshold=5, group_threshold=10)
    ledger.domains.add("victims", "sex", ["female", "male", "unknown"])
    ledger.domains.add("victims", "primary_type", ["a", "b"])
    hidden = ledger.decide("victims of a by sex", {
        k("victims", primary_type="a"): 7, k("victims", primary_type="a", sex="female"): 7,
        k("victims", primary_type="a", sex="male"): 0, k("victims", primary_type="a", sex="unknown"): 0})
    assert any(hidden.values())
    assert any(d.reason.startswith(GROUP) for d in ledger.decided.values())
    assert ledger.weaknesses(cells.relations(ledger.decided, ledger.domains)) == []


def test_without_secondary_suppression_the_check_finds_the_recoverable_cell(monkeypatch):
    monkeypatch.setattr(Ledger, "_secondary", lambda self, candidates: None)
    ledger = ledger_with(type=["a", "b", "c"])
    ledger.decide("types", {k(type="a"): 10, k(type="b"): 3, k(type="c"): 30, k(): 43})
    assert [w.key for w in ledger.weaknesses(cells.relations(ledger.decided, ledger.domains))] == [k(type="b")]


def test_rounding_shows_no_exact_count_and_no_small_one():
    ledger = Ledger(threshold=5, group_threshold=10, rounding_base=5)
    ledger.domains.add("crimes", "type", ["a", "b", "c", "d"])
    hidden = ledger.decide("types", {k(type="a"): 7, k(type="b"): 8, k(type="c"): 2, k(type="d"): 0, k(): 17})
    assert [ledger.shown(k(type=t)) for t in "abcd"] == [5, 10, None, 0] and ledger.shown(k()) == 15
    assert hidden[k(type="c")] and not hidden[k(type="a")]
    assert {r["action"] for r in ledger.log_rows()} == {"rounded", PRIMARY}


def test_the_ledger_is_kept_between_sections(tmp_path):
    ledger = ledger_with(type=["a", "b", "c"])
    ledger.decide("types", {k(type="a"): 10, k(type="b"): 3, k(type="c"): 30, k(): 43})
    ledger.save(tmp_path / "ledger.json")
    again = Ledger.load(tmp_path / "ledger.json", Disclosure(threshold=5, group_threshold=10))
    assert again.decided == ledger.decided
    assert again.domains.as_json() == ledger.domains.as_json()


@st.composite
def linked_tables(draw):
    """A rows x columns table of counts, many of them small, with its margins and grand total."""
    n_rows, n_cols = draw(st.integers(2, 4)), draw(st.integers(2, 4))
    body = [[draw(st.one_of(st.integers(0, 6), st.integers(5, 40))) for _ in range(n_cols)] for _ in range(n_rows)]
    return body


@pytest.mark.slow
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(linked_tables(), st.booleans())
def test_no_suppressed_cell_of_random_linked_tables_can_be_pinned(tmp_path_factory, body, margins_first):
    """Random linked tables, protected by the ledger, written out as a partner folder: the audit, reading
    only the folder, finds nothing to work out."""
    rows = [f"r{i}" for i in range(len(body))]
    cols = [f"c{j}" for j in range(len(body[0]))]
    ledger = ledger_with(row=rows, col=cols)
    inner = {k(row=r, col=c): body[i][j] for i, r in enumerate(rows) for j, c in enumerate(cols)}
    by_row = {k(row=r): sum(body[i]) for i, r in enumerate(rows)}
    by_col = {k(col=c): sum(body[i][j] for i in range(len(rows))) for j, c in enumerate(cols)}
    total = {k(): sum(map(sum, body))}
    tables = [("rows", by_row | total), ("columns", by_col | total), ("cross", inner)]
    for name, values in (tables if margins_first else tables[::-1]):
        ledger.decide(name, values)
    folder = _as_partner_folder(tmp_path_factory.mktemp("random"), ledger, tables)
    result = audit_folder(folder)
    assert result.ok, [str(p) for p in result.problems]
    assert result.suppressed == ledger.suppressed_count()


def _as_partner_folder(folder, ledger, tables):
    """Each table a CSV of key and count as the ledger shows it, with the metadata a build writes."""
    entries = []
    for name, values in tables:
        lines = ["cell,count"] + [f"{i},{'[c]' if ledger.shown(key) is None else ledger.shown(key)}"
                                  for i, key in enumerate(values)]
        (folder / "tables").mkdir(exist_ok=True)
        (folder / "tables" / f"{name}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
        entries.append({"file": f"tables/{name}.csv", "title": name, "origin": "local", "ratios": [],
                        "cells": [{"row": i, "column": "count", "key": key} for i, key in enumerate(values)]})
    files = [e["file"] for e in entries] + ["disclosure/metadata.json"]
    metadata = {"format": 1, "rule": {"threshold": 5, "group_threshold": 10, "method": "suppress", "marker": "[c]"},
                "files": files, "domains": ledger.domains.as_json(), "tables": entries}
    (folder / "disclosure").mkdir()
    (folder / "disclosure" / "metadata.json").write_text(json.dumps(metadata), encoding="utf-8")
    return folder


def test_the_solver_cannot_print_into_a_report(capfd):
    """HiGHS's MIP solver can write straight to file descriptor 1; a notebook would show it in the report."""
    from pplib.disclosure.plan import _quiet
    with _quiet():
        os.write(1, b"tmpSolver.run();\n")
        os.write(2, b"solver noise\n")
    os.write(1, b"after\n")
    out, err = capfd.readouterr()
    assert out == "after\n" and err == ""


def test_a_cell_withdrawn_after_it_was_shown_names_the_sections_that_asked_about_it(tmp_path):
    ledger = ledger_with(type=["a", "b", "c"])
    ledger.reader = "first"
    ledger.decide("types", {k(type="a"): 10, k(type="c"): 30, k(): 43})
    ledger.reader = "other"
    ledger.decide("a sentence", {k(): 43})
    ledger.reader = "second"
    ledger.decide("b alone", {k(type="b"): 3})  # 43 - 10 - 30 would give it away: an earlier cell must go
    assert ledger.revised and ledger.withdrawn and ledger.withdrawn <= {k(type="a"), k(type="c")}
    ledger.save(tmp_path / "ledger.json")
    again = Ledger.load(tmp_path / "ledger.json", Disclosure(threshold=5, group_threshold=10))
    assert again.withdrawn == ledger.withdrawn and again.read_by == ledger.read_by
    assert again.readers_of_withdrawn(["other", "second", "first", "unknown"]) == ["first"]


def test_a_withdrawn_cell_no_section_is_known_to_have_read_makes_every_section_again():
    ledger = ledger_with(type=["a", "b", "c"])
    ledger.decide("types", {k(type="a"): 10, k(type="c"): 30, k(): 43})
    ledger.decide("b alone", {k(type="b"): 3})
    assert ledger.withdrawn and ledger.readers_of_withdrawn(["x", "y"]) == ["x", "y"]
