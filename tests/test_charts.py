"""The chart rules of issue 14 ("Well drawn"), each checked on the figure objects, and each check shown to
catch a planted fault (a figure drawn the old way)."""
from types import SimpleNamespace

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import seaborn as sns
from matplotlib.patches import Rectangle

from pplib.figures import charts, heatmap, maps
from pplib.report import section as section_module
from pplib.report.section import Section


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def protected(frame: pd.DataFrame, withheld: dict) -> pd.DataFrame:
    """A table as the partner edition shows it: withheld cells NA, their labels in attrs."""
    out = frame.copy()
    for column, labels in withheld.items():
        out[column] = pd.to_numeric(out[column]).astype("Int64")
        out.loc[labels, column] = pd.NA
    out.attrs = {"suppressed_cells": withheld, "suppressed_marker": "[c]"}
    return out


SECTORS = pd.DataFrame({"sector": ["car wash", "nail bar", "agriculture", "construction"],
                        "crimes": [24, 3, 7, 5]})
YEARS = pd.DataFrame({"year": ["2021", "2022", "2023"], "recorded crimes": [5, 7, 3],
                      "recorded victims": [4, 9, 2], "NRM referrals": [6, 8, 9]})
RATES = pd.DataFrame({"label": [f"Force {i}" for i in range(12)], "code": [f"E{i:02d}" for i in range(12)],
                      "rate": np.linspace(1, 12, 12)}).assign(lower=lambda t: t.rate - 0.8,
                                                              upper=lambda t: t.rate + 0.8)


# --- checks -----------------------------------------------------------------------------------------------

def value_ticks(ax, horizontal: bool) -> np.ndarray:
    ax.figure.canvas.draw()
    axis = ax.xaxis if horizontal else ax.yaxis
    low, high = ax.get_xlim() if horizontal else ax.get_ylim()
    ticks = np.asarray(axis.get_majorticklocs())
    return ticks[(ticks >= low) & (ticks <= high)]


def integer_ticks(ax, horizontal: bool) -> bool:
    ticks = value_ticks(ax, horizontal)
    return len(ticks) > 1 and bool(np.all(ticks == np.round(ticks)))


def bars(ax) -> list[Rectangle]:
    return [p for p in ax.patches if isinstance(p, Rectangle)]


def zero_bars(ax) -> int:
    """Bars drawn with no length: a withheld value drawn as 0."""
    return sum(1 for p in bars(ax) if p.get_width() == 0 or p.get_height() == 0)


def legend_covers_data(fig) -> bool:
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    for ax in fig.axes:
        legend = ax.get_legend()
        if legend is None:
            continue
        box = legend.get_window_extent(renderer)
        marks = [p.get_window_extent(renderer) for p in bars(ax)]
        for collection in ax.collections:
            points = collection.get_offset_transform().transform(collection.get_offsets())
            marks += [matplotlib.transforms.Bbox([p - 2, p + 2]) for p in points]
        if any(box.overlaps(mark) for mark in marks):
            return True
    return False


def seaborn_themed() -> bool:
    """The rcParams seaborn's theme sets, with the house palette."""
    expected = {**sns.axes_style(charts.STYLE), **sns.plotting_context(charts.CONTEXT), **charts.RC}
    expected.pop("image.cmap")  # seaborn's own colour map, which no chart uses (charts.SEABORN_THEME)
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    same = all(plt.rcParams[k] == (list(v) if isinstance(v, tuple) else v) for k, v in expected.items())
    return same and [matplotlib.colors.to_hex(c).upper() for c in colours[:8]] == charts.PALETTE


# --- seaborn theme ------------------------------------------------------------------------------------------

def test_charts_use_the_seaborn_theme_with_the_okabe_ito_palette():
    assert seaborn_themed()
    fig = charts.bar(SECTORS, "sector", "crimes", "Crimes by sector", "Source: test.")
    assert fig.axes[0].xaxis.get_gridlines()[0].get_visible()  # whitegrid: grid on the value axis


def test_planted_fault_default_matplotlib_style_is_caught():
    try:
        matplotlib.rcdefaults()
        assert not seaborn_themed()
    finally:
        charts.apply_style()
    assert seaborn_themed()


# --- integer axes -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("horizontal", [True, False])
def test_count_axes_have_integer_ticks(horizontal):
    small = pd.DataFrame({"sex": ["female", "male"], "people": [2, 3]})  # matplotlib alone ticks 0, 0.5 ...
    fig = charts.bar(small, "sex", "people", "People by sex", "Source: test.", horizontal=horizontal)
    assert integer_ticks(fig.axes[0], horizontal)
    assert integer_ticks(charts.grouped_bar(YEARS, "year", ["recorded crimes", "NRM referrals"], "T", "C").axes[0],
                         False)
    line = charts.line(pd.DataFrame({"quarter": ["Q1", "Q2", "Q3"], "crimes": [1, 2, 3]}), "quarter", "crimes",
                       "T", "C")
    assert integer_ticks(line.axes[0], False)


def test_planted_fault_fractional_count_ticks_are_caught():
    fig, ax = plt.subplots()
    ax.barh(["female", "male"], [2, 3])
    assert not integer_ticks(ax, True)


# --- no chart without data --------------------------------------------------------------------------------

@pytest.mark.parametrize("table", [SECTORS.iloc[:0], SECTORS.assign(crimes=0),
                                   protected(SECTORS, {"crimes": [0, 1, 2, 3]})])
def test_no_chart_without_data(table):
    assert charts.bar(table, "sector", "crimes", "T", "C") is None
    assert charts.line(table, "sector", "crimes", "T", "C") is None
    assert charts.grouped_bar(table, "sector", ["crimes"], "T", "C") is None
    assert charts.rate_comparison(RATES.iloc[:0], "E01", 1.0, "T", "C") is None
    assert charts.png(None) == b""


def test_empty_register_draws_no_heatmap():
    grid = pd.DataFrame({"level": ["personal", "structural"], "prevention": [0, 0], "response": [0, 0]})
    assert heatmap.resilience_heatmap(grid, "T", "C") is None


def test_section_writes_a_sentence_instead_of_an_empty_chart(monkeypatch):
    said, shown = [], []
    monkeypatch.setattr(section_module, "display", shown.append)
    Section.chart(SimpleNamespace(statement=said.append), None)
    assert said == [charts.NO_DATA] and shown == []
    Section.chart(SimpleNamespace(statement=said.append), None, empty="No crimes to chart by sector.")
    assert said[-1] == "No crimes to chart by sector."


def draws_nothing(fig) -> bool:
    return all(not (ax.patches or ax.lines or ax.collections) for ax in fig.axes)


def test_planted_fault_empty_axes_are_caught():
    fig, ax = plt.subplots()
    ax.barh([], [])  # the old charts: axes with nothing on them
    assert draws_nothing(fig)
    assert not draws_nothing(charts.bar(SECTORS, "sector", "crimes", "T", "C"))


# --- withheld values --------------------------------------------------------------------------------------

def test_withheld_values_are_gaps_marked_and_noted():
    table = protected(SECTORS, {"crimes": [1]})
    for horizontal in (True, False):
        fig = charts.bar(table, "sector", "crimes", "T", "Source: test.", horizontal=horizontal)
        ax = fig.axes[0]
        assert len(bars(ax)) == 3 and zero_bars(ax) == 0
        assert "[c]" in [t.get_text() for t in ax.texts]
        assert charts.WITHHELD_NOTE in fig.texts[-1].get_text()
    years = protected(YEARS, {"recorded victims": [0, 2]})
    ax = charts.grouped_bar(years, "year", ["recorded crimes", "recorded victims"], "T", "C").axes[0]
    assert len(bars(ax)) == 4 and zero_bars(ax) == 0
    quarters = protected(pd.DataFrame({"quarter": ["Q1", "Q2", "Q3"], "crimes": [5, 2, 6]}), {"crimes": [1]})
    line = charts.line(quarters, "quarter", "crimes", "T", "C").axes[0].lines[0]
    assert np.isnan(line.get_ydata()[1])  # a gap in the line, not a dip to 0


def test_missing_published_figures_are_gaps_not_withheld():
    table = YEARS.assign(**{"NRM referrals": [np.nan, 8, 9]})
    fig = charts.grouped_bar(table, "year", ["recorded crimes", "NRM referrals"], "T", "C")
    assert zero_bars(fig.axes[0]) == 0 and "[c]" not in [t.get_text() for t in fig.axes[0].texts]
    assert charts.MISSING_NOTE in fig.texts[-1].get_text()


def test_planted_fault_withheld_drawn_as_zero_is_caught():
    table = protected(SECTORS, {"crimes": [1]})
    fig, ax = plt.subplots()
    ax.barh(table["sector"], pd.to_numeric(table["crimes"]).astype(float).fillna(0))  # the old drawing
    assert zero_bars(ax) == 1


# --- palette and highlight --------------------------------------------------------------------------------

def test_the_locality_is_highlighted_where_it_is_compared():
    fig = charts.rate_comparison(RATES, "E03", 6.0, "Rates", "C")
    ax = fig.axes[0]
    own = [c for c in ax.collections if c.get_label() == "Force 3"]
    assert own and matplotlib.colors.to_hex(own[0].get_facecolor()[0]).upper() == charts.HIGHLIGHT
    others = [c for c in ax.collections if c.get_label() == "other areas"]
    assert matplotlib.colors.to_hex(others[0].get_facecolor()[0]).upper() == charts.BASE
    assert "Force 3" in [t.get_text() for t in ax.get_legend().get_texts()]
    bar = charts.bar(SECTORS, "sector", "crimes", "T", "C", highlight="nail bar").axes[0]
    colours = [matplotlib.colors.to_hex(p.get_facecolor()).upper() for p in bars(bar)]
    assert colours.count(charts.HIGHLIGHT) == 1 and colours.count(charts.BASE) == 3
    assert set(charts.PALETTE) >= {charts.BASE, charts.HIGHLIGHT}


def test_planted_fault_one_colour_for_everyone_is_caught():
    fig, ax = plt.subplots()
    ax.scatter(RATES["rate"], RATES.index, color=charts.BASE, label="forces")
    colours = {matplotlib.colors.to_hex(c).upper() for coll in ax.collections for c in coll.get_facecolor()}
    assert charts.HIGHLIGHT not in colours


# --- legends ----------------------------------------------------------------------------------------------

def test_legends_never_cover_data():
    tall = YEARS.assign(**{"NRM referrals": [6, 8, 40]})  # the tallest bar at the top right, where legends go
    assert not legend_covers_data(charts.grouped_bar(tall, "year", list(tall.columns[1:]), "T", "C"))
    assert not legend_covers_data(charts.rate_comparison(RATES, "E11", 6.0, "T", "C"))


def test_planted_fault_legend_over_the_bars_is_caught():
    fig, ax = plt.subplots()
    ax.bar([0, 1, 2], [6, 8, 40], label="referrals")
    ax.legend(loc="upper right")
    assert legend_covers_data(fig)


# --- alt text and titles ----------------------------------------------------------------------------------

def test_alt_text_describes_the_data(monkeypatch):
    fig = charts.bar(SECTORS, "sector", "crimes", "Crimes by sector", "C")
    alt = charts.alt_text(fig)
    assert alt.startswith("Crimes by sector.") and "highest: Car wash (24)" in alt and "lowest: Nail bar (3)" in alt
    shown = []
    monkeypatch.setattr(section_module, "display", shown.append)
    Section.chart(SimpleNamespace(), charts.bar(SECTORS, "sector", "crimes", "Crimes by sector", "C"))
    assert "highest: Car wash (24)" in shown[0].data
    rates = charts.alt_text(charts.rate_comparison(RATES, "E03", 6.0, "Rates", "C"))
    assert "Force 3: 4.0 (rank 9 of 12)" in rates


def test_planted_fault_title_only_alt_text_is_caught():
    fig, ax = plt.subplots()
    ax.set_title("Crimes by sector", loc="left")
    assert charts.alt_text(fig) == "Crimes by sector"  # no description: says nothing about the data


def test_titles_carry_a_finding_when_given_and_stay_as_they_were_otherwise():
    plain = charts.bar(SECTORS, "sector", "crimes", "Crimes by sector", "C")
    assert plain.axes[0].get_title(loc="left") == "Crimes by sector"
    found = charts.bar(SECTORS, "sector", "crimes", "Crimes by sector", "C", finding="Car washes lead")
    assert found.axes[0].get_title(loc="left") == "Car washes lead\nCrimes by sector"
    assert charts.alt_text(found).startswith("Car washes lead: Crimes by sector.")
    line = charts.line(pd.DataFrame({"q": ["Q1", "Q2"], "n": [3, 9]}), "q", "n", "Crimes by quarter", "C",
                       finding="Crimes rose in Q2")
    assert line.axes[0].get_title(loc="left").startswith("Crimes rose in Q2")


# --- map classes ------------------------------------------------------------------------------------------

def test_small_counts_get_few_classes():
    assert len(maps.classify([0, 1, 2, 3, 4, 5, 6, 8], classes=5).bins) <= maps.SMALL_CLASSES
    assert len(maps.classify([1, 2], classes=5).bins) == 2  # never more classes than distinct values
    assert len(maps.classify([0, 5, 12, 20, 31, 44, 60], classes=5).bins) == 5  # larger counts keep five
    assert len(maps.classify([0.5, 1.2, 2.4, 3.3, 4.8, 6.1], classes=5).bins) == 5  # rates are not counts


def test_planted_fault_five_classes_of_small_counts_is_caught():
    noisy = maps.classify([0, 1, 2, 3, 4, 5, 6, 8], classes=5, scheme="EqualInterval")
    assert len(noisy.bins) <= maps.SMALL_CLASSES  # EqualInterval alone would give five classes of 1 or 2


def _layer(n: int):
    import geopandas
    from shapely.geometry import box

    layer = geopandas.GeoDataFrame({"area_code": [f"A{i}" for i in range(n)], "area_name": [f"Area {i}" for i in range(n)]},
                                   geometry=[box(i, 0, i + 1, 1) for i in range(n)], crs=27700)
    layer.attrs["attribution"] = ["test boundaries"]
    return layer


def test_small_count_maps_write_each_areas_count():
    table = pd.DataFrame({"area_code": ["A0", "A1", "A2", "A3"], "count": [0, 2, 7, 3]})
    fig = maps.choropleth(table, _layer(4), "count", "Crimes by area", "C")
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts == ["Area 0\n0", "Area 1\n2", "Area 2\n7", "Area 3\n3"]
    big = maps.choropleth(table.assign(count=[0, 20, 70, 30]), _layer(4), "count", "Crimes by area", "C")
    assert [t.get_text() for t in big.axes[0].texts] == ["Area 0", "Area 1", "Area 2", "Area 3"]


def test_a_chart_of_withheld_values_only_says_so_not_no_records():
    table = protected(SECTORS, {"crimes": [0, 1, 2, 3]})
    assert charts.bar(table, "sector", "crimes", "T", "C") is None
    assert charts.nothing_drawn(table) == charts.ALL_WITHHELD
    assert charts.nothing_drawn(SECTORS.iloc[:0]) == charts.NO_DATA


def test_a_title_finding_names_the_largest_category_only_when_it_is_clear():
    assert charts.most(SECTORS, "sector", "crimes", "recorded crimes") == "Car wash has the most recorded crimes (24)"
    assert charts.most(SECTORS.assign(crimes=[5, 5, 1, 0]), "sector", "crimes") is None  # a tie names nobody
    assert charts.most(protected(SECTORS, {"crimes": [0, 1, 2, 3]}), "sector", "crimes") is None
    assert charts.most(protected(SECTORS, {"crimes": [2]}), "sector", "crimes") is None  # withheld may be larger
