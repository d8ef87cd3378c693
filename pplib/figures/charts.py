"""Every chart in the profile, in one colour-blind-safe style.

Each chart's title says what is counted and its caption the source and period,
so a chart lifted out of the report still says what it shows.
"""
from __future__ import annotations

import io
import textwrap

import matplotlib

matplotlib.use("Agg")  # headless: notebooks and batch builds render to PNG
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

# Okabe-Ito palette: distinguishable with the common colour-vision deficiencies.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]

DPI = 110  # charts are drawn at the resolution they are saved at, so text is measured once, not twice

plt.rcParams.update({
    "figure.figsize": (7.5, 3.8), "figure.dpi": DPI, "savefig.dpi": DPI,
    "axes.spines.top": False, "axes.spines.right": False,
    "axes.prop_cycle": matplotlib.cycler(color=PALETTE), "font.size": 10, "axes.titlesize": 11,
    "axes.titleweight": "bold", "savefig.bbox": "tight",
})


def png(figure) -> bytes:
    """The figure as PNG bytes at the house resolution; the figure is closed (pyplot keeps open ones)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    plt.close(figure)
    return buffer.getvalue()


CAPTION_WIDTH = 135  # characters of 8-point text across the 7.5-inch figure


def _finish(fig, ax, title: str, caption: str):
    ax.set_title(title, loc="left")
    # Wrapped here by characters: matplotlib's own wrapping measures the text word by word, and was the
    # largest single cost of drawing a chart.
    fig.text(0.01, -0.04, textwrap.fill(caption, CAPTION_WIDTH), fontsize=8, color="#444444", ha="left", va="top")
    fig.tight_layout()
    return fig


SUPPRESSED = "[c]"  # a value withheld by disclosure control (the ONS convention)


def _values(column: pd.Series):
    """Numbers for plotting: suppressed (missing) values become NaN, drawn as gaps and marked [c]."""
    return pd.to_numeric(column, errors="coerce").astype(float)


def _mark_suppressed(ax, positions, values, horizontal: bool) -> None:
    for position, value in zip(positions, values):
        if pd.isna(value):
            xy = (0, position) if horizontal else (position, 0)
            ax.annotate(SUPPRESSED, xy=xy, xytext=(3, 0) if horizontal else (0, 3), textcoords="offset points",
                        ha="left" if horizontal else "center", va="center" if horizontal else "bottom",
                        fontsize=8, color="#444444")


def bar(table: pd.DataFrame, category: str, value: str, title: str, caption: str, horizontal: bool = True):
    fig, ax = plt.subplots()
    labels = list(table[category].astype(str))
    values = _values(table[value])
    if horizontal:
        ax.barh(labels[::-1], values[::-1].fillna(0), color=PALETTE[0])
        _mark_suppressed(ax, range(len(labels)), values[::-1].to_numpy(), horizontal=True)
        ax.set_xlabel(value)
    else:
        ax.bar(labels, values.fillna(0), color=PALETTE[0])
        _mark_suppressed(ax, range(len(labels)), values.to_numpy(), horizontal=False)
        ax.set_ylabel(value)
    if values.isna().any():
        caption += f" {SUPPRESSED}: withheld to protect individuals."
    return _finish(fig, ax, title, caption)


def line(table: pd.DataFrame, x: str, y: str, title: str, caption: str):
    fig, ax = plt.subplots()
    ax.plot(table[x].astype(str), _values(table[y]), marker="o", color=PALETTE[0])
    ax.set_ylabel(y)
    ax.set_ylim(bottom=0)
    ax.tick_params(axis="x", rotation=45)
    return _finish(fig, ax, title, caption)


def grouped_bar(table: pd.DataFrame, x: str, series: list[str], title: str, caption: str):
    """Several counts side by side per category (e.g. crimes, victims and referrals per year)."""
    fig, ax = plt.subplots()
    width = 0.8 / len(series)
    positions = range(len(table))
    for i, name in enumerate(series):
        values = _values(table[name])
        offsets = [p + i * width for p in positions]
        ax.bar(offsets, values.fillna(0), width=width, label=name, color=PALETTE[i])
        _mark_suppressed(ax, offsets, values.to_numpy(), horizontal=False)
    ax.set_xticks([p + width * (len(series) - 1) / 2 for p in positions], table[x].astype(str))
    ax.legend(frameon=False)
    return _finish(fig, ax, title, caption)


def rate_comparison(rates: pd.DataFrame, highlight: str, benchmark: float, title: str, caption: str):
    """Every area's rate with its 95% interval, ranked; the area in focus highlighted, benchmark as a line.

    `rates` needs columns label, rate, lower, upper and code.
    """
    ordered = rates.sort_values("rate").reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(7.5, max(4.0, 0.2 * len(ordered))))
    colours = [PALETTE[5] if code == highlight else PALETTE[0] for code in ordered["code"]]
    ax.errorbar(ordered["rate"], ordered.index, xerr=[ordered["rate"] - ordered["lower"],
                                                      ordered["upper"] - ordered["rate"]],
                fmt="none", ecolor="#999999", elinewidth=1)
    ax.scatter(ordered["rate"], ordered.index, c=colours, zorder=3, s=18)
    ax.axvline(benchmark, color="#000000", linestyle="--", linewidth=1, label="England and Wales")
    ax.set_yticks(ordered.index, ordered["label"], fontsize=7)
    for tick, code in zip(ax.get_yticklabels(), ordered["code"]):
        if code == highlight:
            tick.set_fontweight("bold")
    _clip_outliers(ax, ordered)
    ax.set_xlabel("rate per 100,000 population (95% confidence interval)")
    ax.legend(frameon=False, loc="lower right")
    return _finish(fig, ax, title, caption)


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
