"""Maps drawn with matplotlib from the official boundary files (pplib.reference.boundaries), never from web
map tiles, so rendered reports open offline: choropleths of the areas of pplib.measures.areas, small
multiples, and the force among all forces. Without boundary files the national view falls back to a tile
grid of the 43 forces. Every map carries the ONS Open Government Licence attribution.
"""
from __future__ import annotations

import logging
import math
import textwrap
import warnings
from dataclasses import dataclass
from functools import lru_cache

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.colors import to_hex, to_rgb

from pplib.figures import breaks
from pplib.figures.charts import PALETTE  # importing charts also selects the headless backend and the house style
from pplib.labels import column as column_label
from pplib.measures.areas import LEVEL_LAYER, district_table, force_district_codes, tile_layout, withheld
from pplib.reference import boundaries
from pplib.reference.forces import all_forces, england_and_wales, force_by_code
from pplib.reference.published import ONS_OGL

log = logging.getLogger(__name__)




# Neutral, distinct from every class colour: no data is plain grey, suppressed is hatched.
NO_DATA_COLOUR = "#d4d4d4"


SUPPRESSED_FACE, SUPPRESSED_HATCH, SUPPRESSED_EDGE = "#ffffff", "////", "#8c8c8c"


CLASS_CMAP = "viridis_r"  # colour-blind-safe; no grey in it to be confused with "No data"


HIGHLIGHT = PALETTE[7]  # black outline for "this force"


VALUE_LABELS = {"count": "Count", "rate_per_100k": "Rate per 100,000 population"}


def _value_label(value: str) -> str:
    """A legend's title: the map's own wording, else the column's label (pplib.labels)."""
    return VALUE_LABELS.get(value) or column_label(value)


@dataclass(frozen=True)
class Classes:
    """Upper bounds, legend labels and colours of the value classes shared by one figure."""
    bins: tuple[float, ...]
    labels: tuple[str, ...]
    colours: tuple

    def index(self, values) -> np.ndarray:
        """Class number of each value; -1 for missing values."""
        v = pd.to_numeric(pd.Series(values), errors="coerce").astype(float).to_numpy()
        found = np.searchsorted(np.asarray(self.bins), v, side="left")
        return np.where(np.isnan(v), -1, np.minimum(found, len(self.bins) - 1))


def _is_integer_valued(values: np.ndarray) -> bool:
    return bool(len(values)) and bool(np.all(np.equal(np.mod(values, 1), 0)))


def _upper_bounds(values: np.ndarray, k: int, scheme: str) -> np.ndarray:
    if k <= 1:
        return np.array([values.max()])
    # "NaturalBreaks" is computed by Fisher's exact Jenks method: mapclassify's NaturalBreaks is
    # k-means from random starts and could draw a different map on each run.
    name = "FisherJenks" if scheme in ("NaturalBreaks", "natural_breaks", "FisherJenks") else scheme
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # duplicate quantile edges are merged below
        bins = breaks.SCHEMES[name](values, k) if name in breaks.SCHEMES else _mapclassify_bins(values, k, name)
    return np.unique(np.append(bins[bins < values.max()], values.max()))


def _mapclassify_bins(values: np.ndarray, k: int, name: str) -> np.ndarray:
    """Any other scheme mapclassify knows: imported only then (it brings scipy.stats and scikit-learn)."""
    import mapclassify

    classifier = getattr(mapclassify, name, None)
    if classifier is None:
        raise ValueError(f"unknown classification scheme '{name}' (try NaturalBreaks, Quantiles, EqualInterval)")
    return classifier(values, k=k).bins


def _range_labels(ranges: list[tuple[float, float]], integer: bool) -> list[str]:
    """'low to high' (or one number) per class: counts as integers, rates to 1 d.p., or more
    decimals when 1 d.p. would print two classes alike."""
    for decimals in ((0,) if integer else (1, 2, 3)):
        texts = [(f"{low:,.{decimals}f}", f"{high:,.{decimals}f}") for low, high in ranges]
        labels = [low if low == high else f"{low} to {high}" for low, high in texts]
        if len(set(labels)) == len(labels):
            break
    return labels


SMALL_COUNT = 10  # counts whose largest is below this are small: few classes, and each area labelled
SMALL_CLASSES = 3


def small_counts(values) -> bool:
    """Whole-number values all below SMALL_COUNT: classes of them would split small counts into noise."""
    y = pd.to_numeric(pd.Series(values), errors="coerce").dropna().astype(float).to_numpy()
    return _is_integer_valued(y) and float(y.max()) < SMALL_COUNT


def classify(values, classes: int = 5, scheme: str = "NaturalBreaks", cmap: str = CLASS_CMAP,
             threshold: int | None = None) -> Classes:
    """Classes for the values given (missing values ignored), with labels such as '0', '1 to 4'.

    Small counts (all below SMALL_COUNT) get at most SMALL_CLASSES classes, and never more classes than
    distinct values; choropleth then writes each area's count on the map.

    Counts are labelled as whole-number ranges that meet (class i covers previous bound + 1 to
    its bound), starting at `threshold` above zero when smaller counts are suppressed; rates as
    the lowest to highest value in each class.
    """
    y = pd.to_numeric(pd.Series(values), errors="coerce").dropna().astype(float).to_numpy()
    if not len(y):
        return Classes((), (), ())
    integer = _is_integer_valued(y)
    if integer and small_counts(y):
        classes = min(classes, SMALL_CLASSES)  # a 1 and a 2 are not two kinds of area
    bins = _upper_bounds(y, min(classes, len(np.unique(y))), scheme)
    members = np.minimum(np.searchsorted(bins, y, side="left"), len(bins) - 1)
    kept, ranges = [], []
    for i, bound in enumerate(bins):
        inside = y[members == i]
        if not len(inside):
            continue  # a class no area falls in says nothing on the legend
        if integer:
            low = y.min() if not kept else math.floor(kept[-1]) + 1
            if threshold and 0 < low < threshold:
                low = threshold  # counts below it are never shown, so the legend does not offer them
            ranges.append((low, math.floor(bound)))
        else:
            ranges.append((inside.min(), inside.max()))
        kept.append(bound)
    labels = _range_labels(ranges, integer)
    colours = plt.get_cmap(cmap)(np.linspace(0.05, 0.95, len(kept)) if len(kept) > 1 else [0.5])
    return Classes(tuple(float(b) for b in kept), tuple(labels), tuple(to_hex(c) for c in colours))


def _legend_handles(classes: Classes, no_data: bool, suppressed_label: str | None):
    from matplotlib.patches import Patch

    handles = [Patch(facecolor=c, edgecolor="#808080", linewidth=0.5, label=label)
               for c, label in zip(classes.colours, classes.labels)]
    if suppressed_label:
        handles.append(Patch(facecolor=SUPPRESSED_FACE, edgecolor=SUPPRESSED_EDGE, hatch=SUPPRESSED_HATCH,
                             linewidth=0.5, label=suppressed_label))
    if no_data:
        handles.append(Patch(facecolor=NO_DATA_COLOUR, edgecolor="#808080", linewidth=0.5, label="No data"))
    return handles


def _count_threshold(table: pd.DataFrame, value: str) -> int | None:
    return table.attrs.get("threshold") if value == "count" else None


def _suppressed_label(table: pd.DataFrame, label: str | None) -> str:
    if label:
        return label
    return "Withheld ([c]) to protect individuals"


def area_shapes(level: str):
    """Polygons of every area at `level` ('lad', 'csp', 'postcode_area', 'pfa') in British National Grid."""
    return _shapes(level, str(boundaries.boundaries_dir())).copy()


@lru_cache(maxsize=8)
def _shapes(level: str, folder: str):
    # folder is part of the key so a changed PPLIB_GEO_DIR is honoured.
    layer = boundaries.layer_info(LEVEL_LAYER[level])
    frame = boundaries.load_layer(layer.key).to_crs(27700)  # metres, so shapes are not stretched
    shapes = frame.rename(columns={layer.code_column: "area_code", layer.name_column: "area_name"})
    if level == "csp":
        districts = district_table()
        districts = districts[districts["csp_code"].notna()]  # partnerships: England and Wales only
        shapes = shapes[shapes["area_code"].isin(districts.index)]
        shapes = shapes.assign(area_code=shapes["area_code"].map(districts["csp_code"]),
                               area_name=shapes["area_code"].map(districts["csp_name"]))
        shapes = shapes.dissolve(by=["area_code", "area_name"], as_index=False)
    return shapes[["area_code", "area_name", "geometry"]]


def attribution(level: str) -> str:
    return boundaries.layer_info(LEVEL_LAYER[level]).attribution


def _footer(fig, caption: str, statements: list[str], width: int = 120, ax=None) -> None:
    """Caption (what is counted, source, period) then the attribution of the data drawn, under the map.

    Anchored to the bottom of `ax` when given (so a map's unused figure height is cropped away),
    else to the bottom of the figure.
    """
    from matplotlib.transforms import offset_copy

    anchor = ax.transAxes if ax is not None else fig.transFigure
    text = textwrap.fill(caption, width)
    fig.text(0.0 if ax is not None else 0.01, 0.0, text, fontsize=8, color="#333333", ha="left", va="top",
             transform=offset_copy(anchor, fig=fig, y=-6, units="points"))
    unique = list(dict.fromkeys(s for s in statements if s))
    if unique:
        lines = text.count("\n") + 1
        below = offset_copy(anchor, fig=fig, y=-(6 + lines * 8 * 1.35 + 4), units="points")
        fig.text(0.0 if ax is not None else 0.01, 0.0, textwrap.fill(" ".join(unique), int(width * 1.2)),
                 fontsize=6.5, color="#555555", ha="left", va="top", transform=below)


def _plot(shapes, ax, **style) -> None:
    """geopandas' plot, without the redraw of the whole figure it asks for after every layer (on a
    non-interactive canvas draw_idle draws at once, so a small-multiples figure was redrawn per panel).
    The figure is drawn once, when it is saved."""
    canvas = ax.figure.canvas
    own_method = canvas.__dict__.get("draw_idle")  # an interactive canvas may have its own
    canvas.draw_idle = _skip_draw
    try:
        shapes.plot(ax=ax, **style)
    finally:
        if own_method is None:
            del canvas.draw_idle
        else:
            canvas.draw_idle = own_method


def _skip_draw(*args, **kwargs) -> None:
    return None


def _draw_areas(ax, shapes, values, classes: Classes, hidden, highlight: str | None = None,
                labels: bool = False, numbers: list[str] | None = None) -> dict:
    """Fill each area by its class; hidden areas hatched, areas without a value grey; `numbers` (one text
    per area, e.g. its count) written on each area, under its name when names are drawn."""
    from matplotlib import patheffects

    index = classes.index(values) if classes.bins else np.full(len(shapes), -1)
    hidden = np.asarray(hidden, dtype=bool)
    fill = [NO_DATA_COLOUR if i < 0 else classes.colours[i] for i in index]
    shown = ~hidden
    if shown.any():
        _plot(shapes[shown], ax, color=[f for f, s in zip(fill, shown) if s], edgecolor="white", linewidth=0.6)
    if hidden.any():
        _plot(shapes[hidden], ax, facecolor=SUPPRESSED_FACE, edgecolor=SUPPRESSED_EDGE, hatch=SUPPRESSED_HATCH,
              linewidth=0.6)
    own = shapes[shapes["area_code"] == highlight] if highlight is not None else shapes.iloc[:0]
    if len(own):  # a force without an area on this map (Police Scotland, PSNI, BTP) has nothing to outline
        _plot(own.boundary, ax, color="white", linewidth=4)  # halo keeps the outline visible on dark fills
        _plot(own.boundary, ax, color=HIGHLIGHT, linewidth=2)
    if labels or numbers is not None:
        for i, row in enumerate(shapes.itertuples()):
            point = row.geometry.representative_point()
            text = "\n".join(t for t in (row.area_name if labels else "",
                                          numbers[i] if numbers is not None else "") if t)
            ax.annotate(text, (point.x, point.y), ha="center", va="center", fontsize=6.5,
                        path_effects=[patheffects.withStroke(linewidth=2, foreground="white")])
    ax.set_axis_off()
    ax.set_aspect("equal")
    return {"no_data": bool(((index < 0) & shown).any()), "suppressed": bool(hidden.any())}


def _shapes_for(table: pd.DataFrame, layer):
    """The polygons of the table's areas, in the table's order (areas without a polygon logged)."""
    shapes = area_shapes(layer) if isinstance(layer, str) else layer
    merged = shapes.merge(table, on="area_code", how="inner", suffixes=("_shape", ""))
    if "area_name" not in merged:
        merged["area_name"] = merged["area_name_shape"]
    missing = sorted(set(table["area_code"]) - set(merged["area_code"]))
    if missing:
        log.warning("no boundary for %s: not drawn", ", ".join(missing))
    if isinstance(layer, str) and layer == "postcode_area" and table.attrs.get("force_code"):
        merged = clip_to_force(merged, table.attrs["force_code"])
    return merged


def force_outline(force_code: str):
    """The force's area as one polygon: its police force area, or its districts dissolved (Police Scotland,
    PSNI, BTP have no force area polygon). None without boundaries for either."""
    shapes = area_shapes("pfa")
    own = shapes[shapes["area_code"] == force_code]
    if own.empty:
        districts = area_shapes("lad")
        own = districts[districts["area_code"].isin(force_district_codes(force_code))]
        own = own.dissolve() if not own.empty else own
    return None if own.empty else own


def clip_to_force(shapes, force_code: str):
    """Postcode areas drawn only where they lie in the force: one straddling the boundary (S in
    Nottinghamshire) would otherwise paint the neighbouring force with this force's count."""
    import geopandas

    outline = force_outline(force_code)
    if outline is None:
        return shapes
    clipped = geopandas.clip(shapes, outline.to_crs(shapes.crs), keep_geom_type=True)
    return clipped.loc[[i for i in shapes.index if i in clipped.index]]  # the table's order


def choropleth(table: pd.DataFrame, layer, value: str, title: str, caption: str, classes: int = 5,
               scheme: str = "NaturalBreaks", suppressed_label: str | None = None, ax=None,
               highlight: str | None = None, labels: bool | None = None, legend_title: str | None = None):
    """A map of `value` per area of `table` (area_code, value, optional suppressed) on `layer`.

    `layer` is a level ('lad', 'csp', 'postcode_area', 'pfa') or a GeoDataFrame with area_code.
    Suppressed areas and areas with no value get their own legend entries; the caption and the
    attribution of the boundaries used are printed under the map.
    """
    shapes = _shapes_for(table, layer)
    hidden_codes = set(table.loc[withheld(table), "area_code"]) if "count" in table else set()
    hidden = shapes["area_code"].isin(hidden_codes)
    values = pd.to_numeric(shapes[value], errors="coerce").astype(float)
    value_classes = classify(values[~hidden], classes, scheme, threshold=_count_threshold(table, value))
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(7.5, 6.5))
    numbers = None
    if value == "count" and small_counts(values[~hidden]):  # few classes, so each area's count is written
        numbers = ["[c]" if h else ("" if pd.isna(v) else f"{v:,.0f}") for v, h in zip(values, hidden)]
    shown = _draw_areas(ax, shapes, values, value_classes, hidden, highlight,
                        labels if labels is not None else len(shapes) <= 20, numbers)
    statements = [attribution(layer)] if isinstance(layer, str) else list(layer.attrs.get("attribution", []))
    if isinstance(layer, str) and layer == "postcode_area" and table.attrs.get("force_code"):
        statements.append(_outline_force(ax, table.attrs["force_code"]))  # areas cross force lines
    ax.legend(handles=_legend_handles(value_classes, shown["no_data"],
                                      _suppressed_label(table, suppressed_label) if shown["suppressed"] else None),
              title=legend_title or _value_label(value), loc="upper left", bbox_to_anchor=(1.0, 1.0),
              frameon=False, fontsize=8, title_fontsize=8.5)
    ax.set_title(title, loc="left")
    _footer(fig, caption, statements, ax=ax)
    return fig


def _outline_force(ax, force_code: str) -> str:
    own = force_outline(force_code)
    if own is None:
        return ""
    _plot(own.boundary, ax, color=HIGHLIGHT, linewidth=1.5)
    has_pfa = (area_shapes("pfa")["area_code"] == force_code).any()
    return attribution("pfa" if has_pfa else "lad")


def small_multiples(tables: pd.DataFrame, by: str, level: str, title: str, caption: str,
                    value: str = "count", classes: int = 5, scheme: str = "NaturalBreaks",
                    ncols: int = 3, suppressed_label: str | None = None):
    """One map per value of `by` (primary_type or year), all sharing one classification, from the table
    area_counts_by gives as the section shows it (withheld counts missing)."""
    tables = tables.assign(suppressed=withheld(tables).to_numpy())
    visible = tables[~tables["suppressed"]]
    shared = classify(visible[value], classes, scheme, threshold=_count_threshold(tables, value))
    panels = list(dict.fromkeys(tables[by]))
    rows = max(1, math.ceil(len(panels) / ncols))
    fig, axes = plt.subplots(rows, ncols, figsize=(7.5, 2.6 * rows + 0.6), squeeze=False)
    flags = {"no_data": False, "suppressed": False}
    for ax, panel in zip(axes.flat, panels):
        shapes = _shapes_for(tables[tables[by] == panel], level)
        drawn = _draw_areas(ax, shapes, shapes[value].astype(float), shared, shapes["suppressed"])
        flags = {k: flags[k] or drawn[k] for k in flags}
        ax.set_title(str(panel).capitalize(), loc="left", fontsize=9)
    for ax in axes.flat[len(panels):]:
        ax.set_axis_off()
    fig.suptitle(title, x=0.01, ha="left", fontweight="bold", fontsize=11)
    label = _suppressed_label(tables, suppressed_label) if flags["suppressed"] else None
    fig.legend(handles=_legend_handles(shared, flags["no_data"], label), title=_value_label(value),
               loc="upper left", bbox_to_anchor=(1.0, 0.95), frameon=False, fontsize=8, title_fontsize=8.5)
    fig.tight_layout()
    statements = [attribution(level)]
    _footer(fig, caption, statements)
    return fig


def _rates_caption(rates: pd.DataFrame, force_code: str) -> str:
    start, end = rates.attrs.get("period", ("", ""))
    measure = rates.attrs.get("measure", "referrals_made")
    detail = "" if measure == "referrals_made" else f" ({measure.replace('referrals_made:', '').replace(':', ', ')})"
    return (f"Counted: NRM referrals{detail} made by each police force as first responder, {start} to {end}, per "
            f"100,000 population. Source: Home Office, Modern Slavery: National Referral Mechanism statistics "
            f"data tables (Crown copyright, OGL v3.0); population: ONS mid-2023 estimates. A referral is "
            f"counted against the force that made it, not where the exploitation happened, and reflects "
            f"awareness and recording as well as prevalence. {_outline_note(force_code)}")


def _rates_title(rates: pd.DataFrame) -> str:
    start, end = rates.attrs.get("period", ("", ""))
    return f"NRM referrals made by police forces per 100,000 population, {start} to {end}"


def _outline_note(force_code: str) -> str:
    """Which force the map outlines: only the 43 of England and Wales have a police force area drawn."""
    if any(f.code == force_code for f in england_and_wales()):
        return f"{force_by_code(force_code).name} is outlined."
    name = next((f.name for f in all_forces() if f.code == force_code), force_code)
    return f"{name} has no police force area on this map of England and Wales, so no force is outlined."


def national_context(force_code: str, rates: pd.DataFrame, value: str = "rate_per_100k", title: str | None = None,
                     caption: str | None = None, classes: int = 5, scheme: str = "NaturalBreaks", ax=None):
    """Every E&W force coloured by `value` (from force_rates), this force outlined in black."""
    # Every force is drawn: one without published figures shows as "No data", not as a hole.
    every_force = pd.DataFrame({"area_code": [f.code for f in england_and_wales()]})
    table = every_force.merge(rates.rename(columns={"force_code": "area_code"}), on="area_code", how="left")
    table.attrs.update(rates.attrs)
    return choropleth(table, "pfa", value, title or _rates_title(rates), caption or _rates_caption(rates, force_code),
                      classes=classes, scheme=scheme, ax=ax, highlight=force_code, labels=False)



def missing_boundaries_note() -> str:
    return ("Boundary files are not installed, so each force is drawn as an equal square placed roughly "
            f"where it is. For the full maps run `{boundaries.DOWNLOAD_COMMAND}` (or set PPLIB_GEO_DIR to a "
            "folder holding the boundary files) and rebuild.")


def tile_grid(rates: pd.DataFrame, force_code: str, value: str = "rate_per_100k", title: str | None = None,
              caption: str | None = None, classes: int = 5, scheme: str = "NaturalBreaks", ax=None):
    """The national picture without boundaries: one square per force, coloured by `value`."""
    from matplotlib.patches import Rectangle

    grid = tile_layout().merge(rates[["force_code", value]], left_on="code", right_on="force_code", how="left")
    values = pd.to_numeric(grid[value], errors="coerce").astype(float)
    value_classes = classify(values, classes, scheme)
    index = value_classes.index(values) if value_classes.bins else np.full(len(grid), -1)
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(6.5, 7.0))
    for row, i in zip(grid.itertuples(), index):
        fill = NO_DATA_COLOUR if i < 0 else value_classes.colours[i]
        own = row.code == force_code
        ax.add_patch(Rectangle((row.col, -row.row), 0.94, 0.94, facecolor=fill, edgecolor=HIGHLIGHT if own else "white",
                               linewidth=2.5 if own else 0.5, zorder=3 if own else 2))
        ax.text(row.col + 0.47, -row.row + 0.47, row.abbreviation, ha="center", va="center", fontsize=7.5,
                color=_text_colour(fill), fontweight="bold" if own else "normal", zorder=4)
    ax.set_xlim(-0.2, grid["col"].max() + 1.2)
    ax.set_ylim(-grid["row"].max() - 0.2, 1.2)
    ax.set_aspect("equal")
    ax.set_axis_off()
    ax.legend(handles=_legend_handles(value_classes, bool((index < 0).any()), None),
              title=_value_label(value), loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False,
              fontsize=8, title_fontsize=8.5)
    ax.set_title(title or _rates_title(rates), loc="left")
    note = "" if boundaries.available(("pfa",)) else f" {missing_boundaries_note()}"
    _footer(fig, f"{caption or _rates_caption(rates, force_code)}{note}", [ONS_OGL], width=100, ax=ax)
    return fig


def _text_colour(fill) -> str:
    r, g, b = to_rgb(fill)
    return "white" if 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.45 else "black"


def national_map(force_code: str, rates: pd.DataFrame, **options):
    """national_context when the force boundaries are available, else the tile grid."""
    if boundaries.available(("pfa",)):
        return national_context(force_code, rates, **options)
    log.info("no police force area boundaries: drawing the tile grid")
    return tile_grid(rates, force_code, **options)
