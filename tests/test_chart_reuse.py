"""A chart of published figures is drawn once per process and reused (the national picture's are the same for
every force); a chart that could differ unseen is drawn every time."""
import pandas as pd
import pytest
from factories import crime, make_locality

from pplib.config import load_locality
from pplib.figures import charts
from pplib.report import section as section_module
from pplib.report.section import Section

TABLE = pd.DataFrame({"year": [str(y) for y in range(2018, 2024)], "referrals": [6985, 10616, 10608, 12706, 16921, 17004]})


@pytest.fixture
def drawn(monkeypatch, tmp_path):
    """(a section, what it displayed, the tables a bar chart was drawn from), the process's cache emptied."""
    monkeypatch.setattr(section_module, "_PUBLISHED_CHARTS", {})
    shown, calls, bar = [], [], charts.bar
    monkeypatch.setattr(section_module, "display", lambda *args: shown.append(str(args[0].data)))
    monkeypatch.setattr(charts, "bar", lambda table, *args, **kw: calls.append(table) or bar(table, *args, **kw))
    locality = load_locality(make_locality(tmp_path / "area", [crime("C1")]))
    return Section("test", locality, tmp_path / "out", "internal"), shown, calls


def test_the_same_published_chart_is_drawn_once(drawn):
    section, shown, calls = drawn
    for _ in range(3):
        section.show("Referrals by year", TABLE, "caption", public=True,
                     chart=lambda t: charts.bar(t, "year", "referrals", "Referrals by year", "Source: Home Office."))
    assert len(calls) == 1
    images = [s for s in shown if s.startswith("<img")]
    assert len(images) == 3 and len(set(images)) == 1


def test_another_table_or_title_is_drawn_again(drawn):
    section, _, calls = drawn
    for table, title in ((TABLE, "Referrals by year"), (TABLE.assign(referrals=range(1, 7)), "Referrals by year"),
                         (TABLE, "Another title")):
        section.show("Referrals by year", table, "caption", public=True,
                     chart=lambda t: charts.bar(t, "year", "referrals", title, "Source: Home Office."))
    assert len(calls) == 3


def test_local_counts_and_charts_naming_other_objects_are_drawn_every_time(drawn):
    section, _, calls = drawn
    holder = {"title": "Referrals by year"}  # a dict: could change between calls unseen
    for public in (True, True, False):
        section.show("Referrals by year", TABLE.assign(referrals=range(1, 7)), "caption", public=public,
                     chart=lambda t: charts.bar(t, "year", "referrals", holder["title"], "Source: Home Office."))
    assert len(calls) == 3
