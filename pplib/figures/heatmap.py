"""The resilience frame heatmap: assets per level and function of the partnership's register.
"""
from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.colors import LinearSegmentedColormap

from pplib import labels
from pplib.figures import charts
from pplib.measures.registers import FUNCTIONS, LEVELS


def resilience_heatmap(grid: pd.DataFrame, title: str, caption: str):
    """The level x function grid as shaded cells with their counts written in; None when the register
    holds no assets (nothing to chart)."""
    cells = grid.set_index("level")
    values = cells.to_numpy(dtype=float)
    if not values.size or not np.nansum(values):
        return None
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    colours = LinearSegmentedColormap.from_list("assets", ["#FFFFFF", charts.PALETTE[0]])
    ax.imshow(values, cmap=colours, vmin=0, vmax=max(values.max(), 1), aspect="auto")
    top = max(values.max(), 1)
    for (row, col), value in pd.DataFrame(values).stack().items():
        ax.text(col, row, f"{int(value)}", ha="center", va="center", fontsize=10,
                color="white" if value > top * 0.6 else "black")
    ax.set_xticks(range(len(cells.columns)), [textwrap.fill(str(labels.value("function", c)), 12) for c in cells.columns], fontsize=8)
    ax.axhline(len(LEVELS) - 0.5, color="#999999", linewidth=1, linestyle="--")  # not recorded set apart
    ax.axvline(len(FUNCTIONS) - 0.5, color="#999999", linewidth=1, linestyle="--")
    ax.set_yticks(range(len(cells.index)), [labels.value("level", v) for v in cells.index], fontsize=8)
    ax.set_xlabel("Function")
    ax.set_ylabel("Level")
    ax.tick_params(length=0)
    for side in ax.spines.values():
        side.set_visible(False)
    ax.grid(False)
    busiest = np.unravel_index(np.nanargmax(values), values.shape)
    description = (f"{int(np.nansum(values)):,} assets; most at {cells.index[busiest[0]]}, "
                   f"{cells.columns[busiest[1]]} ({int(values[busiest]):,}).")
    return charts._finish(fig, ax, title, caption, description=description)
