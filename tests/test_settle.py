"""After a partner build, a cell withdrawn once it had been shown makes again only the sections that asked
about it and those that read the others' work (the appendix), on the ledger's kept decisions."""
from types import SimpleNamespace

import pandas as pd

from pplib.build import locality as building
from pplib.config import Disclosure
from pplib.disclosure import cells
from pplib.disclosure.plan import Ledger

RULE = Disclosure(threshold=5, group_threshold=10)
SECTIONS = ["national_picture", "local_picture", "mapping", "appendix"]


def k(**conditions):
    return cells.key("crimes", conditions)


def _first_pass(work):
    """As the sections left it: local_picture showed the types, mapping a small count that withdrew one."""
    ledger = Ledger.for_rule(RULE)
    ledger.domains.add("crimes", "type", ["a", "b", "c"])
    ledger.reader = "local_picture"
    ledger.decide("types", {k(type="a"): 10, k(type="c"): 30, k(): 43})
    ledger.reader = "mapping"
    ledger.decide("b alone", {k(type="b"): 3})
    ledger.reader = "national_picture"
    ledger.decide("published", {})
    tables = work / "tables"
    tables.mkdir(parents=True)
    owners = {"national.csv": "national_picture", "types.csv": "local_picture", "dropped.csv": "local_picture",
              "b.csv": "mapping"}
    for name, section in owners.items():
        (tables / name).write_text("x\n1\n")
        ledger.tables.append({"file": f"tables/{name}", "title": name, "origin": "local", "cells": [],
                              "ratios": [], "section": section})
    pd.DataFrame({"file": list(owners), "table": list(owners), "caption": "", "published": "no",
                  "section": list(owners.values())}).to_csv(tables / "captions.csv", index=False)
    ledger.save(work / "disclosure" / "ledger.json")
    return ledger


def test_only_the_sections_that_showed_a_withdrawn_cell_and_the_appendix_are_made_again(tmp_path, monkeypatch):
    work = tmp_path / "work"
    first = _first_pass(work)
    assert first.withdrawn == {k(type="a")} or first.withdrawn == {k(type="c")}
    made = []

    def run_again(locality, locality_dir, section, digests, out_root, parameters, edition, folder):
        made.append(section)
        ledger = Ledger.load(folder / "disclosure" / "ledger.json", RULE)
        assert ledger.shown(next(iter(first.withdrawn))) is None, "made again on the kept decisions"
        if section == "local_picture":  # makes one of its two tables this time
            assert not (folder / "tables" / "types.csv").exists(), "its old tables taken away first"
            (folder / "tables" / "types.csv").write_text("x\n[c]\n")

    monkeypatch.setattr(building, "_run_stamped", run_again)
    digests = {section: "digest" for section in SECTIONS}
    building._settle(SimpleNamespace(name="Somewhere", disclosure=RULE), tmp_path, digests, tmp_path, {}, work)

    assert made == ["local_picture", "appendix"]
    assert (work / "tables" / "national.csv").exists() and (work / "tables" / "b.csv").exists()
    captions = pd.read_csv(work / "tables" / "captions.csv")
    assert list(captions["file"]) == ["national.csv", "types.csv", "b.csv"], "in place, the one not made gone"
    settled = Ledger.load(work / "disclosure" / "ledger.json", RULE)
    assert not settled.revised and not settled.withdrawn
    assert "local_picture" not in settled.read_by, "its record of what it read goes with it (the run says again)"


def test_a_ledger_that_needs_nothing_withdrawn_makes_nothing_again(tmp_path, monkeypatch):
    ledger = Ledger.for_rule(RULE)
    ledger.domains.add("crimes", "type", ["a", "b"])
    ledger.reader = "local_picture"
    ledger.decide("types", {k(type="a"): 10, k(type="b"): 30, k(): 40})
    ledger.save(tmp_path / "disclosure" / "ledger.json")
    monkeypatch.setattr(building, "_run_stamped", lambda *args: (_ for _ in ()).throw(AssertionError("ran")))
    digests = {section: "digest" for section in SECTIONS}
    building._settle(SimpleNamespace(name="Somewhere", disclosure=RULE), tmp_path, digests, tmp_path, {}, tmp_path)
