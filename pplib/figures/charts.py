"""Every chart in the profile, in one colour-blind-safe style built on seaborn's theme.

This module owns the house style (``apply_style``: ``sns.set_theme`` with the Okabe-Ito palette) and the
rules every chart keeps:

- counts get integer axes (``MaxNLocator(integer=True)``);
- no chart without data: a chart function returns ``None``, and ``Section.chart`` writes a sentence;
- withheld values ([c]) are gaps marked [c], never bars of 0, and the caption says so;
- the locality is highlighted wherever it is compared (``HIGHLIGHT`` against ``BASE``);
- legends sit outside the axes, so they never cover data;
- each figure carries a short description of its data for the image's alt text (``alt_text``);
- a title can state the finding (``finding=``), with what is counted under it.

Each chart's title says what is counted and its caption the source and period, so a chart lifted out of
the report still says what it shows.
"""
from __future__ import annotations

import io
import textwrap

import matplotlib

matplotlib.use("Agg")  # headless: notebooks and batch builds render to PNG
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from cycler import cycler  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from pplib import labels as human  # noqa: E402  (axis labels, legends and categories as a reader reads them)

# Okabe-Ito palette: distinguishable with the common colour-vision deficiencies.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
BASE = PALETTE[0]  # blue: every other area or category
HIGHLIGHT = PALETTE[5]  # vermilion: the locality, wherever it is compared

DPI = 110  # charts are drawn at the resolution they are saved at, so text is measured once, not twice

STYLE = "whitegrid"
CONTEXT = "paper"
RC = {
    "figure.figsize": (7.5, 3.8), "figure.dpi": DPI, "savefig.dpi": DPI, "savefig.bbox": "tight",
    "axes.spines.top": False, "axes.spines.right": False, "font.size": 10, "axes.titlesize": 11,
    "axes.labelsize": 9.5, "xtick.labelsize": 8.5, "ytick.labelsize": 8.5, "legend.fontsize": 8.5,
    "axes.titleweight": "bold", "axes.titlelocation": "left", "grid.linewidth": 0.6,
}


# seaborn 0.13's theme for STYLE and CONTEXT (sns.axes_style, sns.plotting_context), as the settings it makes:
# importing seaborn costs a kernel 0.9 s (it imports scipy.stats), for nothing else. Its default colour map
# ("rocket", registered by seaborn) is left out: no chart uses a default one. tests/test_charts.py checks this
# against seaborn itself.
SEABORN_THEME = {
    "figure.facecolor": 'white', "axes.labelcolor": '.15', "xtick.direction": 'out', "ytick.direction": 'out',
    "xtick.color": '.15', "ytick.color": '.15', "axes.axisbelow": True, "grid.linestyle": '-', "text.color": '.15',
    "font.family": ['sans-serif'],
    "font.sans-serif": ['Arial', 'DejaVu Sans', 'Liberation Sans', 'Bitstream Vera Sans', 'sans-serif'],
    "lines.solid_capstyle": 'round', "patch.edgecolor": 'w', "patch.force_edgecolor": True, "xtick.top": False,
    "ytick.right": False, "axes.grid": True, "axes.facecolor": 'white', "axes.edgecolor": '.8', "grid.color": '.8',
    "axes.spines.left": True, "axes.spines.bottom": True, "axes.spines.right": True, "axes.spines.top": True,
    "xtick.bottom": False, "ytick.left": False, "axes.linewidth": 1.0, "grid.linewidth": 0.8,
    "lines.linewidth": 1.2000000000000002, "lines.markersize": 4.800000000000001, "patch.linewidth": 0.8,
    "xtick.major.width": 1.0, "ytick.major.width": 1.0, "xtick.minor.width": 0.8, "ytick.minor.width": 0.8,
    "xtick.major.size": 4.800000000000001, "ytick.major.size": 4.800000000000001, "xtick.minor.size": 3.2,
    "ytick.minor.size": 3.2, "font.size": 9.600000000000001, "axes.labelsize": 9.600000000000001,
    "axes.titlesize": 9.600000000000001, "xtick.labelsize": 8.8, "ytick.labelsize": 8.8, "legend.fontsize": 8.8,
    "legend.title_fontsize": 9.600000000000001,
}


def apply_style() -> None:
    """The house style: seaborn's theme (white grid, paper context) with the Okabe-Ito palette."""
    plt.rcParams.update({**SEABORN_THEME, "axes.prop_cycle": cycler(color=PALETTE), **RC})


apply_style()

NO_DATA = "No records to chart."
SUPPRESSED = "[c]"  # a value withheld by disclosure control (the ONS convention)
WITHHELD_NOTE = "[c]: withheld values are not drawn."
MISSING_NOTE = "Missing values are not drawn."


ALL_WITHHELD = "Nothing to chart: the values not shown are withheld ([c]) to protect individuals."


def nothing_drawn(table: pd.DataFrame) -> str:
    """The sentence for a chart not drawn from `table`: no records, or (partner edition) withheld values."""
    withheld = any(len(labels) for labels in (table.attrs.get("suppressed_cells") or {}).values())
    return ALL_WITHHELD if withheld else NO_DATA


def png(figure) -> bytes:
    """The figure as a palette PNG at the house resolution, cropped as savefig's bbox="tight" crops it; the
    figure is closed (pyplot keeps open ones). No figure (nothing to chart) gives no bytes.

    A chart has at most 256 colours, so its palette holds them exactly; a map's antialiased edges have more,
    and take the 256 nearest (median cut): the same to the eye, a third of the bytes of an RGBA PNG."""
    if figure is None:
        return b""
    image = _rendered(figure).quantize(PALETTE_COLOURS)
    buffer = io.BytesIO()
    image.save(buffer, format="png", compress_level=9)
    return buffer.getvalue()


PALETTE_COLOURS = 256


def _rendered(figure):
    """The figure drawn once, as an RGB image (the figure's face is opaque: alpha says nothing), then closed."""
    from PIL import Image

    buffer = io.BytesIO()
    crop = _crop_box(figure)
    figure.set_layout_engine(None)  # tight_layout leaves a placeholder engine, and savefig draws once more for one
    figure.savefig(buffer, format="png", dpi=DPI, bbox_inches=crop, pil_kwargs={"compress_level": 0})
    plt.close(figure)
    return Image.open(buffer).convert("RGB")


def _crop_box(figure):
    """The tight crop (with savefig's padding) of the figure as laid out: savefig's own bbox="tight" draws the
    whole figure once more, without rendering it, before measuring what this measures from the layout."""
    renderer = figure.canvas.get_renderer()
    for ax in figure.axes:  # a map's equal aspect shrinks its axes when drawn; text anchored to them follows
        ax.apply_aspect()
    return figure.get_tightbbox(renderer).padded(matplotlib.rcParams["savefig.pad_inches"])


CAPTION_WIDTH = 135  # characters of 8-point text across the 7.5-inch figure


def alt_text(figure) -> str:
    """The figure's title and, when the chart recorded one, a sentence describing its data."""
    if figure is None:
        return NO_DATA
    if figure._suptitle is not None and figure._suptitle.get_text():
        title = figure._suptitle.get_text()
    else:
        title = figure.axes[0].get_title(loc="left") if figure.axes else "chart"
    title = " ".join(title.replace("\n", ": ").split())  # a finding and its subject, on one line
    description = getattr(figure, "pplib_description", "")
    return f"{title}. {description}".strip() if description else title


def _finish(fig, ax, title: str, caption: str, finding: str | None = None, description: str = ""):
    ax.set_title(f"{finding}\n{title}" if finding else title, loc="left")
    # Wrapped here by characters: matplotlib's own wrapping measures the text word by word, and was the
    # largest single cost of drawing a chart.
    fig.text(0.01, -0.04, textwrap.fill(caption, CAPTION_WIDTH), fontsize=8, color="#444444", ha="left", va="top")
    fig.pplib_description = description
    fig.tight_layout()
    return fig


def _values(column: pd.Series):
    """Numbers for plotting: suppressed (missing) values become NaN, drawn as gaps and marked [c]."""
    return pd.to_numeric(column, errors="coerce").astype(float)


def _withheld(table: pd.DataFrame, column: str) -> np.ndarray:
    """Which rows of `column` are withheld: the labels a protected table records (pplib.disclosure.tables);
    any other missing value is a figure not held (a published series that starts later), not a [c]."""
    values = _values(table[column]).to_numpy()
    marks = table.attrs.get("suppressed_cells") or {}
    return table.index.isin(marks.get(column, [])) & np.isnan(values)


def _has_data(*series: pd.Series) -> bool:
    """Something to draw: at least one value that is neither missing nor zero."""
    return any(bool((s.dropna() != 0).any()) for s in series)


def _is_count(*series: pd.Series) -> bool:
    values = pd.concat(series).dropna().to_numpy(dtype=float)
    return bool(len(values)) and bool(np.all(values == np.round(values)))


def _integer_axis(axis, *series: pd.Series) -> None:
    """Counts get whole-number ticks (no 2.5 crimes)."""
    if _is_count(*series):
        axis.set_major_locator(MaxNLocator(integer=True))


def _gap_note(caption: str, withheld: bool, missing: bool) -> str:
    notes = [n for n, present in ((WITHHELD_NOTE, withheld), (MISSING_NOTE, missing)) if present]
    notes = [n for n in notes if n not in caption]
    return " ".join([caption.rstrip(), *notes]) if notes else caption


def _mark_suppressed(ax, positions, withheld, horizontal: bool) -> None:
    for position, hidden in zip(positions, withheld):
        if hidden:
            xy = (0, position) if horizontal else (position, 0)
            ax.annotate(SUPPRESSED, xy=xy, xytext=(3, 0) if horizontal else (0, 3), textcoords="offset points",
                        ha="left" if horizontal else "center", va="center" if horizontal else "bottom",
                        fontsize=8, color="#444444")


MAX_LABELLED_BARS = 24  # up to this many bars, each carries its value (a short breakdown is its chart alone)


def _label_bars(ax, container, values, horizontal: bool, size: float = 8) -> None:
    """Each drawn bar's value at its end ("1,234"; "12.5" for a rate), with room made for the labels."""
    numbers = pd.Series(values, dtype=float).dropna()
    whole = _is_count(numbers) if len(numbers) else True
    ax.bar_label(container, labels=[f"{v:,.0f}" if whole else f"{v:,.1f}" for v in container.datavalues],
                 padding=2, fontsize=size, color="#222222")
    low, high = ax.get_xlim() if horizontal else ax.get_ylim()
    (ax.set_xlim if horizontal else ax.set_ylim)(low, high + 0.08 * (high - low))


def _height(bars: int, horizontal: bool) -> float:
    """A figure's height in inches: a few bars get a short chart (print is paid for by the page)."""
    if horizontal:
        return min(RC["figure.figsize"][1], max(1.8, 1.1 + 0.3 * bars))
    return 2.7 if bars <= 6 else RC["figure.figsize"][1]


def _extremes(labels, values: pd.Series, noun: str = "") -> str:
    """'Highest: car wash (24); lowest: nail bar (2).' from the drawn values."""
    drawn = pd.Series(values.to_numpy(), index=list(labels)).dropna()
    if drawn.empty:
        return ""
    fmt = (lambda v: f"{v:,.0f}") if _is_count(drawn) else (lambda v: f"{v:,.1f}")
    top, low = drawn.idxmax(), drawn.idxmin()
    text = f"{len(drawn)} {noun or 'values'} drawn; highest: {top} ({fmt(drawn[top])})"
    if len(drawn) > 1:
        text += f"; lowest: {low} ({fmt(drawn[low])})"
    return text + "."


def most(table: pd.DataFrame, category: str, value: str, noun: str = "") -> str | None:
    """A finding for a title: "Car wash has the most crimes (24)", when one category's shown value is
    larger than every other's; None on a tie, or when any value is not shown (a withheld cell may be a large
    one, withheld so that a small one cannot be worked out)."""
    values = pd.Series(_values(table[value]).to_numpy(), index=_categories(table, category))
    if values.empty or values.isna().any() or values.max() <= 0:
        return None
    ranked = values.sort_values(ascending=False)
    if len(ranked) > 1 and ranked.iloc[0] == ranked.iloc[1]:
        return None
    top = ranked.index[0]
    amount = f"{ranked.iloc[0]:,.0f}" if _is_count(ranked) else f"{ranked.iloc[0]:,.1f}"
    return f"{top[:1].upper()}{top[1:]} has the most {noun or human.noun(value)} ({amount})"


def _categories(table: pd.DataFrame, column: str) -> list[str]:
    """A category column's values as tick labels: "Labour exploitation", not "labour" (pplib.labels)."""
    return [str(human.value(column, v)) for v in table[column].astype(str)]


def _outside_legend(ax, **options):
    """A legend to the right of the axes: it can never cover a bar or a point."""
    return ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0, frameon=False, **options)


def bar(table: pd.DataFrame, category: str, value: str, title: str, caption: str, horizontal: bool = True,
        finding: str | None = None, highlight: str | None = None):
    """One count per category; `highlight` (a category, e.g. the locality) drawn in the highlight colour.
    None when there is nothing to draw."""
    values = _values(table[value]) if len(table) else pd.Series(dtype=float)
    if not _has_data(values):
        return None
    fig, ax = plt.subplots(figsize=(RC["figure.figsize"][0], _height(len(table), horizontal)))
    keys = list(table[category].astype(str))  # as the table holds them: what `highlight` names
    labels = _categories(table, category)
    withheld = _withheld(table, value)
    drawn = ~np.isnan(values.to_numpy())
    colours = [HIGHLIGHT if highlight is not None and key == str(highlight) else BASE for key in keys]
    positions = np.arange(len(labels))
    if horizontal:
        positions = positions[::-1]  # first row at the top
        bars = ax.barh(positions[drawn], values.to_numpy()[drawn], color=np.array(colours)[drawn])
        ax.set_yticks(positions, labels)
        ax.set_ylim(-0.6, len(labels) - 0.4)
        ax.set_xlabel(human.column(value))
        _integer_axis(ax.xaxis, values)
        ax.grid(False, axis="y")
    else:
        bars = ax.bar(positions[drawn], values.to_numpy()[drawn], color=np.array(colours)[drawn])
        ax.set_xticks(positions, labels)
        ax.set_xlim(-0.6, len(labels) - 0.4)
        ax.set_ylabel(human.column(value))
        _integer_axis(ax.yaxis, values)
        ax.grid(False, axis="x")
    if len(labels) <= MAX_LABELLED_BARS:
        _label_bars(ax, bars, values, horizontal)
    _mark_suppressed(ax, positions, withheld, horizontal)
    caption = _gap_note(caption, withheld.any(), bool((~drawn & ~withheld).any()))
    return _finish(fig, ax, title, caption, finding, _extremes(labels, values, "bars"))


def line(table: pd.DataFrame, x: str, y: str, title: str, caption: str, finding: str | None = None):
    """A series over time; withheld points are gaps in the line, marked [c]. None when nothing to draw."""
    values = _values(table[y]) if len(table) else pd.Series(dtype=float)
    if not _has_data(values):
        return None
    fig, ax = plt.subplots()
    labels = _categories(table, x)
    positions = np.arange(len(labels))
    ax.plot(positions, values.to_numpy(), marker="o", color=BASE)  # NaN breaks the line: a gap
    ax.set_xticks(positions, labels)
    withheld = _withheld(table, y)
    _mark_suppressed(ax, positions, withheld, horizontal=False)
    ax.set_ylabel(human.column(y))
    ax.set_ylim(bottom=0)
    _integer_axis(ax.yaxis, values)
    ax.tick_params(axis="x", rotation=45)
    caption = _gap_note(caption, withheld.any(), bool((values.isna().to_numpy() & ~withheld).any()))
    return _finish(fig, ax, title, caption, finding, _extremes(labels, values, "points"))


def grouped_bar(table: pd.DataFrame, x: str, series: list[str], title: str, caption: str,
                finding: str | None = None):
    """Several counts side by side per category (e.g. crimes, victims and referrals per year); the legend
    outside the axes. None when nothing to draw."""
    columns = [_values(table[name]) for name in series] if len(table) else []
    if not _has_data(*columns):
        return None
    fig, ax = plt.subplots(figsize=(RC["figure.figsize"][0], _height(len(table), horizontal=False)))
    width = 0.8 / len(series)
    positions = np.arange(len(table))
    any_withheld = any_missing = False
    for i, (name, values) in enumerate(zip(series, columns)):
        offsets = positions + i * width
        drawn = ~np.isnan(values.to_numpy())
        bars = ax.bar(offsets[drawn], values.to_numpy()[drawn], width=width, label=human.column(name),
                      color=PALETTE[i % len(PALETTE)])
        if len(table) * len(series) <= MAX_LABELLED_BARS:
            _label_bars(ax, bars, values, horizontal=False, size=7)
        withheld = _withheld(table, name)
        _mark_suppressed(ax, offsets, withheld, horizontal=False)
        any_withheld |= bool(withheld.any())
        any_missing |= bool((~drawn & ~withheld).any())
    ax.set_xticks(positions + width * (len(series) - 1) / 2, _categories(table, x))
    ax.grid(False, axis="x")
    _integer_axis(ax.yaxis, *columns)
    _outside_legend(ax)
    totals = ", ".join(f"{human.column(name)} {v.sum():,.0f}" for name, v in zip(series, columns) if _is_count(v))
    description = f"{len(table)} groups of {len(series)} bars" + (f"; totals: {totals}." if totals else ".")
    caption = _gap_note(caption, any_withheld, any_missing)
    return _finish(fig, ax, title, caption, finding, description)


def rate_comparison(rates: pd.DataFrame, highlight: str, benchmark: float, title: str, caption: str,
                    finding: str | None = None):
    """Every area's rate with its 95% interval, ranked; the area in focus highlighted, benchmark as a line.

    `rates` needs columns label, rate, lower, upper and code. None when no area has a rate.
    """
    ordered = rates.assign(rate=_values(rates["rate"])).dropna(subset=["rate"]) if len(rates) else rates
    if not len(ordered):
        return None
    ordered = ordered.sort_values("rate").reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(7.5, max(4.0, 0.2 * len(ordered))))
    own = (ordered["code"] == highlight).to_numpy()
    ax.errorbar(ordered["rate"], ordered.index, xerr=[ordered["rate"] - ordered["lower"],
                                                      ordered["upper"] - ordered["rate"]],
                fmt="none", ecolor="#999999", elinewidth=1)
    ax.scatter(ordered["rate"][~own], ordered.index[~own], color=BASE, zorder=3, s=18, label="other areas")
    if own.any():
        name = ordered.loc[own, "label"].iloc[0]
        ax.scatter(ordered["rate"][own], ordered.index[own], color=HIGHLIGHT, zorder=4, s=36, label=str(name))
    ax.axvline(benchmark, color="#000000", linestyle="--", linewidth=1, label="England and Wales")
    ax.set_yticks(ordered.index, ordered["label"], fontsize=7)
    ax.set_ylim(-0.8, len(ordered) - 0.2)
    ax.grid(False, axis="y")
    for tick, code in zip(ax.get_yticklabels(), ordered["code"]):
        if code == highlight:
            tick.set_fontweight("bold")
            tick.set_color(HIGHLIGHT)
    _clip_outliers(ax, ordered)
    ax.set_xlabel("rate per 100,000 population (95% confidence interval)")
    _outside_legend(ax)
    description = _extremes(ordered["label"], ordered["rate"], "areas")
    if own.any():
        row = ordered[own].iloc[0]
        rank = len(ordered) - int(ordered.index[own][0])
        description += (f" {row['label']}: {row['rate']:,.1f} (rank {rank} of {len(ordered)}); "
                        f"England and Wales: {benchmark:,.1f}.")
    return _finish(fig, ax, title, caption, finding, description)


def _clip_outliers(ax, ordered: pd.DataFrame) -> None:
    """Keep the axis readable when one tiny area's rate dwarfs the rest: clip it and print its value."""
    uppers = ordered["upper"].sort_values()
    if len(uppers) < 3 or uppers.iloc[-1] <= 3 * uppers.median():
        return
    limit = uppers.iloc[-2] * 1.15
    ax.set_xlim(0, limit)
    for index, row in ordered[ordered["upper"] > limit].iterrows():
        ax.annotate(f"{row['rate']:.1f} (off scale) \u2192", xy=(limit, index), xytext=(-4, 0),
                    textcoords="offset points", ha="right", va="center", fontsize=7)
