"""A partner section's ledger reaches its file once each notebook cell ends (written whole after every
sentence and table, it was most of a section's time), and at once outside a notebook."""
import json

import pytest
from factories import crime, make_locality
from IPython.core.interactiveshell import InteractiveShell

from pplib.config import load_locality
from pplib.report import section as section_module
from pplib.report.section import Section


def _locality(tmp_path):
    folder = make_locality(tmp_path / "area", [crime(f"C{i}", types="Labour") for i in range(12)])
    return load_locality(folder)


@pytest.fixture
def shell():
    """An IPython shell as a kernel runs cells, taken away after (else every later test would be 'in one')."""
    shell = InteractiveShell.instance()
    yield shell
    shell.user_ns.clear()
    InteractiveShell.clear_instance()


def _cells_in(out):
    return json.loads((out / "disclosure" / "ledger.json").read_text())["cells"]


def test_in_a_notebook_the_ledger_is_written_when_the_cell_ends(tmp_path, shell):
    out = tmp_path / "out"
    shell.user_ns.update(Section=Section, locality=_locality(tmp_path), out=out, cells_in=_cells_in)
    result = shell.run_cell("section = Section('test', locality, out, 'partner')\n"
                            "sentence = section.number(12, 'crimes')\n"
                            "written_during_the_cell = (out / 'disclosure' / 'ledger.json').exists()")
    result.raise_error()
    assert shell.user_ns["written_during_the_cell"] is False
    assert list(_cells_in(out)) == ["crimes"], "written once the cell ended"
    shell.run_cell("section.number(3, 'crimes', primary_type='labour')").raise_error()
    assert set(_cells_in(out)) == {"crimes", "crimes|primary_type=labour"}
    assert (out / "disclosure" / "metadata.json").exists() and (out / "disclosure_log.csv").exists()


def test_a_second_section_opened_in_the_same_cell_reads_the_first_ones_decisions(tmp_path, shell):
    out = tmp_path / "out"
    shell.user_ns.update(Section=Section, locality=_locality(tmp_path), out=out)
    shell.run_cell("first = Section('one', locality, out, 'partner')\n"
                   "first.number(12, 'crimes')\n"
                   "second = Section('two', locality, out, 'partner')\n"
                   "known = 'crimes' in second.ledger.decided").raise_error()
    assert shell.user_ns["known"] is True


def test_outside_a_notebook_the_ledger_is_written_at_once(tmp_path, monkeypatch):
    monkeypatch.setattr(section_module, "_save_after_each_cell", lambda: False)
    out = tmp_path / "out"
    Section("test", _locality(tmp_path), out, "partner").number(12, "crimes")
    assert list(_cells_in(out)) == ["crimes"]
