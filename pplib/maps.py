"""Maps: where records fall within the force, and the force among all forces.

Records are counted per area (local authority district, community safety
partnership or postcode area) with every record either in an area of the force
or listed with the reason it could not be placed. Maps are drawn with
matplotlib from the official boundary files (pplib.boundaries), never from web
map tiles, so rendered reports open offline. Without boundary files the
national view falls back to a tile grid of the 43 forces.

Rules worth knowing:
- A district the ONS lookup splits across several community safety
  partnerships (seven merged districts, e.g. Cumberland) is counted in the
  partnership with the lowest code; the table's note column says so.
- A force's postcode areas are those holding one of its districts
  (data/sample/reference/lad_postcode_area.csv); postcode areas do not nest in
  forces, so a record in another area is reported, not guessed into the force.
  Postcode areas have no population in the data, so they have no rates.
- Rates per 100,000 use ONS mid-2023 population (mid-2022 for Scotland and
  Northern Ireland, the latest UK-wide figures in the data); 95% intervals use
  Byar's approximation to the exact Poisson interval (as in PHE Fingertips).
- Police Scotland's area is Scotland's 32 council areas and PSNI's Northern
  Ireland's 11 districts. Community safety partnerships exist only in England
  and Wales, so for them the partnership table is empty (its attrs["note"]
  says why); Northern Ireland (BT) has no postcode area boundary, so PSNI has
  no postcode area table either.
- British Transport Police polices the railways of Great Britain: its area is
  taken as every district of England, Wales and Scotland (and every postcode
  area of Great Britain), so its records are placed wherever they happened;
  its rates are per resident, not per rail passenger.
"""
from __future__ import annotations

import logging
import math
import re
import textwrap
import warnings
from dataclasses import dataclass
from functools import lru_cache

import matplotlib.pyplot as plt
from matplotlib.colors import to_hex, to_rgb
import numpy as np
import pandas as pd

from pplib import boundaries, compare
from pplib.clean import missing
from pplib.disclosure.tables import describe
from pplib.charts import PALETTE  # importing charts also selects the headless backend and the house style
from pplib.forces import all_forces, england_and_wales, force_by_code
from pplib.paths import REFERENCE_DIR
from pplib.reference import FORCE_COUNTRIES, ONS_OGL, districts, force_districts, lad_lookup, lad_population
from pplib.schemas import EXPLOITATION_TYPES

log = logging.getLogger(__name__)

LEVELS = {"lad": "local authority district", "csp": "community safety partnership",
          "postcode_area": "postcode area"}
LEVEL_LAYER = {"lad": "lad", "csp": "lad", "postcode_area": "postcode_area", "pfa": "pfa"}
TILE_GRID_CSV = REFERENCE_DIR / "force_tile_grid.csv"
PER = compare.PER
# The 120 postcode areas of Great Britain (GeoLytix 2012) and Northern Ireland's BT.
UK_POSTCODE_AREAS = frozenset("""
AB AL B BA BB BD BH BL BN BR BS BT CA CB CF CH CM CO CR CT CV CW DA DD DE DG DH DL DN DT DY E EC EH EN EX
FK FY G GL GU HA HD HG HP HR HS HU HX IG IP IV KA KT KW KY L LA LD LE LL LN LS LU M ME MK ML N NE NG NN NP
NR NW OL OX PA PE PH PL PO PR RG RH RM S SA SE SG SK SL SM SN SO SP SR SS ST SW SY TA TD TF TN TQ TR TS TW
UB W WA WC WD WF WN WR WS WV YO ZE""".split())
GB_POSTCODE_AREAS = tuple(sorted(UK_POSTCODE_AREAS - {"BT"}))
GREAT_BRITAIN = frozenset({"England", "Wales", "Scotland"})
NO_AREA = "no area at this level"  # the kind of a record whose district has no partnership, and the like

# Neutral, distinct from every class colour: no data is plain grey, suppressed is hatched.
NO_DATA_COLOUR = "#d4d4d4"
SUPPRESSED_FACE, SUPPRESSED_HATCH, SUPPRESSED_EDGE = "#ffffff", "////", "#8c8c8c"
CLASS_CMAP = "viridis_r"  # colour-blind-safe; no grey in it to be confused with "No data"
HIGHLIGHT = PALETTE[7]  # black outline for "this force"
VALUE_LABELS = {"count": "Count", "rate_per_100k": "Rate per 100,000 population"}


# --- which area each record is in ----------------------------------------------

@lru_cache(maxsize=1)
def _districts() -> pd.DataFrame:
    """One row per UK district (index: LAD code, sorted) with its territorial force and, in England
    and Wales, the partnership it is counted in (csp_code/csp_name missing in Scotland and NI)."""
    every = districts().set_index("lad_code").sort_index()
    lookup = lad_lookup().sort_values(["LAD24CD", "CSP24CD"])
    partnerships = lookup.groupby("LAD24CD")["CSP24NM"].agg(list)
    first = lookup.drop_duplicates("LAD24CD").set_index("LAD24CD")  # lowest CSP code: a fixed, documented rule
    population = lad_population().set_index("lad_code")
    return pd.DataFrame({
        "lad_name": every["lad_name"], "csp_code": first["CSP24CD"].reindex(every.index),
        "csp_name": first["CSP24NM"].reindex(every.index),
        "pfa_code": every["force_code"], "pfa_name": every["force_area"], "country": every["country"],
        "population": population["population"].reindex(every.index).astype("Int64"),
        "population_year": population["population_year"].reindex(every.index).astype("Int64"),
        "split_across": partnerships.where(partnerships.str.len() > 1).reindex(every.index),
    })


@lru_cache(maxsize=None)
def _force_district_codes(force_code: str) -> frozenset:
    """The districts of the force's area (pplib.reference.force_districts: BTP's is Great Britain)."""
    return frozenset(force_districts(force_code)["lad_code"])


def _force_districts(force_code: str) -> pd.DataFrame:
    table = _districts()
    return table[table.index.isin(_force_district_codes(force_code))]


def _covers_great_britain(force_code: str) -> bool:
    return GREAT_BRITAIN <= set(FORCE_COUNTRIES.get(force_code, ()))


@lru_cache(maxsize=1)
def _postcode_areas_by_force() -> dict[str, tuple[str, ...]]:
    """Force code -> the postcode areas holding one of its districts (none for Northern Ireland).

    A force covering all of Great Britain (British Transport Police) has every GB postcode area,
    including those holding no district's representative point (e.g. WC).
    """
    table = pd.read_csv(REFERENCE_DIR / "lad_postcode_area.csv", dtype=str, keep_default_na=False)
    table = table[table["postcode_area"] != ""]  # Northern Ireland: no postcode area boundaries
    table = table.assign(pfa_code=table["lad_code"].map(_districts()["pfa_code"]))
    areas = {code: tuple(sorted(set(group["postcode_area"]))) for code, group in table.groupby("pfa_code")}
    for code in FORCE_COUNTRIES:
        if _covers_great_britain(code):
            areas[code] = GB_POSTCODE_AREAS
        else:
            own = table[table["lad_code"].isin(_force_district_codes(code))]
            areas[code] = tuple(sorted(set(own["postcode_area"])))
    return areas


def _force_label(force_code: str) -> str:
    try:
        return force_by_code(force_code).force_name
    except KeyError:
        return force_code


def _area_note(level: str, force_code: str, districts: pd.DataFrame, table: pd.DataFrame) -> str:
    """What the reader needs to know about the force's areas at this level ('' if nothing)."""
    notes = []
    force = _force_label(force_code)
    if force_code in FORCE_COUNTRIES:
        notes.append(f"{force} polices the railways of {', '.join(FORCE_COUNTRIES[force_code][:-1])} and "
                     f"{FORCE_COUNTRIES[force_code][-1]}: its area here is every district there, and rates "
                     "are per resident, not per rail passenger.")
    without = sorted(set(districts.loc[districts["csp_code"].isna(), "country"]))
    if level == "csp" and without:
        where = " and ".join(without)
        if table.empty:
            notes.append(f"Community safety partnerships exist only in England and Wales, so there is no "
                         f"partnership table for {force} ({where}): see the local authority district table.")
        else:
            notes.append(f"Community safety partnerships exist only in England and Wales: records in "
                         f"{where} are not placed at this level.")
    if level == "postcode_area" and table.empty:
        notes.append(f"Northern Ireland's postcode area (BT) has no boundary in the data (GeoLytix postcode "
                     f"areas cover Great Britain only), so there is no postcode area table for {force}.")
    if level in ("lad", "csp") and not table.empty and (districts["population_year"] == 2022).any():
        notes.append("Population: ONS mid-2022 estimates for Scotland and Northern Ireland "
                     "(mid-2023 for England and Wales).")
    return " ".join(notes)


def force_areas(level: str, force_code: str) -> pd.DataFrame:
    """Every area of the force at `level`: area_code, area_name, population (may be empty), note.

    A level the force has no areas at (partnerships in Scotland and Northern Ireland, postcode
    areas in Northern Ireland) gives an empty table; attrs["note"] says why, and anything else
    the reader should know (BTP's area, the population's vintage).
    """
    _check_level(level)
    districts = _force_districts(force_code)
    if districts.empty:
        raise KeyError(f"no districts of force {force_code} in the reference data "
                       "(pplib.reference.districts: UK police force codes)")
    if level == "lad":
        table = pd.DataFrame({"area_code": districts.index, "area_name": districts["lad_name"].to_numpy(),
                              "population": districts["population"].to_numpy(), "note": ""})
    elif level == "csp":
        rows = []
        in_partnerships = districts[districts["csp_code"].notna()]
        for (code, name), group in in_partnerships.groupby(["csp_code", "csp_name"], sort=True):
            split = group[group["split_across"].notna()]
            note = "; ".join(f"includes all of {r.lad_name} (a district the ONS lookup splits across "
                             f"{', '.join(r.split_across)})" for r in split.itertuples())
            rows.append({"area_code": code, "area_name": name,
                         "population": group["population"].sum(min_count=1), "note": note})
        table = pd.DataFrame(rows, columns=["area_code", "area_name", "population", "note"]).astype(
            {"population": "Int64"})
    else:
        codes = _postcode_areas_by_force().get(force_code, ())
        table = pd.DataFrame({"area_code": pd.Series(list(codes), dtype=None if codes else object),
                              "area_name": pd.Series([f"{c} postcode area" for c in codes],
                                                     dtype=None if codes else object),
                              "population": pd.array([pd.NA] * len(codes), dtype="Int64"), "note": ""})
    note = _area_note(level, force_code, districts, table)
    if note:
        table.attrs["note"] = note
    return table


def _check_level(level: str) -> None:
    if level not in LEVELS:
        raise ValueError(f"unknown map level '{level}'; expected one of {', '.join(LEVELS)}")



def _shown(value) -> str:
    # Raw text goes into reasons; keep it short so a stray address cannot fill a report line.
    text = re.sub(r"\s+", " ", str(value)).strip()
    return text if len(text) <= 30 else text[:27] + "..."


def _place_district(value, level: str, force_code: str) -> tuple[str | None, str, str]:
    """(area code or None, kind, reason) for one recorded district code."""
    if missing(value):
        return None, "missing", "no area recorded"
    code = str(value).strip().upper()
    districts = _districts()
    if code not in districts.index:
        return None, "unknown", f"'{_shown(value)}' is not a known district in the UK"
    row = districts.loc[code]
    if code not in _force_district_codes(force_code):
        return None, "outside force", f"{code} ({row['lad_name']}) is in {row['pfa_name']}, outside this force"
    if level == "csp" and pd.isna(row["csp_code"]):
        return None, NO_AREA, f"{code} ({row['lad_name']}) is in {row['country']}, which has no community " \
                              "safety partnerships"
    return (code if level == "lad" else row["csp_code"]), "", ""


def postcode_area(value) -> str | None:
    """The postcode area of a postcode district or full postcode ('ng7 ' -> 'NG'); None if unrecognisable."""
    if missing(value):
        return None
    text = re.sub(r"\s+", "", str(value)).upper()
    match = re.match(r"^([A-Z]{1,2})\d", text)
    area = match.group(1) if match else text
    return area if area in UK_POSTCODE_AREAS else None


def _place_postcode(value, force_code: str) -> tuple[str | None, str, str]:
    if missing(value):
        return None, "missing", "no area recorded"
    area = postcode_area(value)
    if area is None:
        return None, "unknown", f"'{_shown(value)}' is not a recognisable postcode district"
    own = _postcode_areas_by_force().get(force_code, ())
    if area in own:
        return area, "", ""
    if not own:  # PSNI: no postcode area boundaries in Northern Ireland
        if area == "BT":
            return None, NO_AREA, "BT (Northern Ireland) has no postcode area boundary in the data"
        return None, "outside force", f"{area} is in Great Britain, outside this force"
    if own == GB_POSTCODE_AREAS:  # BTP: BT is the only area left; do not list all 120
        return None, "outside force", f"{area} is in Northern Ireland, outside this force's area (Great Britain)"
    return None, "outside force", f"{area} is not one of this force's postcode areas ({', '.join(own)})"


def place_records(frame: pd.DataFrame, level: str, force_code: str) -> pd.DataFrame:
    """Each record's area_code (NA when not placed), with kind and reason when not placed."""
    _check_level(level)
    column = "postcode_district" if level == "postcode_area" else "lad_code"
    if column not in frame:
        return pd.DataFrame({"area_code": pd.array([pd.NA] * len(frame), dtype="str"), "kind": "missing",
                             "reason": f"no {column} column in the data"}, index=frame.index)
    values = frame[column].astype("object")
    # Decide once per distinct value: a few hundred records share a handful of codes.
    distinct = values.dropna().unique().tolist() + ([None] if values.isna().any() else [])
    place = (lambda v: _place_postcode(v, force_code)) if level == "postcode_area" else \
        (lambda v: _place_district(v, level, force_code))
    decided = {("<NA>" if v is None else v): place(v) for v in distinct}
    keys = values.where(values.notna(), "<NA>")
    placed = pd.DataFrame([decided[k] for k in keys], columns=["area_code", "kind", "reason"], index=frame.index)
    placed["area_code"] = placed["area_code"].astype("str").where(placed["area_code"].notna())
    return placed


# --- counts, rates, suppression --------------------------------------------------

NOT_PLACED = "not placed"  # the cell of records that no area of the level holds


def withheld(table: pd.DataFrame) -> pd.Series:
    """Areas whose count the edition withholds (a section's protected table marks them; see
    pplib.disclosure.tables), as opposed to areas with no figure."""
    labels = table.attrs.get("suppressed_cells", {}).get("count", [])
    return pd.Series(table.index.isin(labels), index=table.index) & table["count"].isna()


def area_counts(frame: pd.DataFrame, level: str, force_code: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Records per area of the force (all areas, zeros included), and the records not placed.

    Returns (table, unmatched). table: area_code, area_name, count, population, rate_per_100k,
    note. unmatched: kind, reason, count. Every input row is counted exactly once in one of them.
    The table says what it counts (pplib.disclosure.tables.describe): records by area, with those not placed
    as the area "not placed", so a section shows the table and its note as one set of cells.
    """
    areas = force_areas(level, force_code)
    placed = place_records(frame, level, force_code)
    counts = placed["area_code"].value_counts()
    table = areas.assign(count=areas["area_code"].map(counts).fillna(0).astype(int))
    table["rate_per_100k"] = (table["count"] * PER / table["population"].astype("Float64")).astype("Float64")
    table = table[["area_code", "area_name", "count", "population", "rate_per_100k", "note"]]
    unmatched = (placed[placed["area_code"].isna()].groupby(["kind", "reason"]).size().rename("count")
                 .reset_index().sort_values(["count", "reason"], ascending=[False, True]).reset_index(drop=True))
    if frame.attrs.get("measure"):
        describe(table, frame.attrs["measure"], by={"area_code": level}, counts={"count": {}},
                 within=frame.attrs.get("within"), ratios={"rate_per_100k": ("count", "population", PER)},
                 domains={level: [*areas["area_code"], NOT_PLACED]})
    table.attrs.update(level=level, force_code=force_code)
    if areas.attrs.get("note"):
        table.attrs["note"] = areas.attrs["note"]
    if level == "postcode_area":
        table.attrs["rate_note"] = "Postcode areas have no population in the data, so no rates are given."
    log.info("%s: %d records in %d areas, %d not placed", level, table["count"].sum(), len(table),
             unmatched["count"].sum())
    return table, unmatched


def area_counts_by(frame: pd.DataFrame, by: str, level: str, force_code: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """area_counts for each value of `by` (e.g. primary_type, year), stacked with a `by` column."""
    tables, unplaced = [], []
    for group, rows in _groups(frame, by) or [("all records", frame)]:  # no records: one panel of zeros
        table, unmatched = area_counts(rows, level, force_code)
        tables.append(table.assign(**{by: group}))
        unplaced.append(unmatched.assign(**{by: group}))
    stacked = pd.concat(tables, ignore_index=True)
    stacked.attrs.update(tables[0].attrs)
    if "cells" in stacked.attrs:  # each row counts one group's records in one area
        spec = stacked.attrs["cells"]
        stacked.attrs["cells"] = {**spec, "by": {**spec["by"], by: by}}
    return stacked, pd.concat(unplaced, ignore_index=True)


def _groups(frame: pd.DataFrame, by: str):
    """Groups in reading order: exploitation types in the schema's order, anything else sorted."""
    values = frame[by].astype("object").where(frame[by].notna(), "not recorded")
    present = list(pd.unique(values))
    order = [v for v in EXPLOITATION_TYPES if v in present] if by == "primary_type" else []
    order += sorted((v for v in present if v not in order), key=str)
    return [(value, frame[values == value]) for value in order]


def unmatched_note(unmatched: pd.DataFrame, number=None) -> str:
    """One sentence saying how many records are not on the map and why (by kind). With `number` (a section's,
    given the count of records not placed) only the total, as the edition shows that cell."""
    total = int(unmatched["count"].sum()) if len(unmatched) else 0
    if not total:
        return "Every record is on the map."
    if number is not None:
        text = number(total)
        return f"{text} record{'' if text == '1' else 's'} not on the map (no area recorded, not recognised, or outside the force)."
    kinds = unmatched.groupby("kind")["count"].sum()
    words = {"missing": "no area recorded", "unknown": "area not recognised", "outside force": "outside the force",
             NO_AREA: NO_AREA}
    parts = ", ".join(f"{int(n):,} {words.get(k, k)}" for k, n in kinds.items())
    return f"{total:,} record{'s' if total != 1 else ''} not on the map ({parts})."


def force_rates(measure: str = "referrals_made", period: tuple[str, str] = ("2023-Q1", "2023-Q4")
                ) -> pd.DataFrame:
    """The forces' published NRM referral rates (pplib.compare) in the columns the maps read.

    Adds the ONS area name and the tile-grid abbreviation; count, rate_per_100k, lower_95, upper_95.
    """
    if measure != "referrals_made":
        raise ValueError(f"only 'referrals_made' is published per force, not '{measure}'")
    start, end = period
    rates = compare.force_referral_rates(start, end).rename(columns={
        "referrals": "count", "rate": "rate_per_100k", "lower": "lower_95", "upper": "upper_95"})
    rates.insert(1, "force_name", rates["force_code"].map(lambda code: force_by_code(code).name))
    rates.insert(2, "abbreviation", rates["force_code"].map(tile_layout().set_index("code")["abbreviation"]))
    table = rates.sort_values("force_code").reset_index(drop=True)
    table.attrs.update(measure=measure, period=(start, end), quarters=len(compare.quarters_between(start, end)))
    return table


# --- classification and legend ---------------------------------------------------

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
    import mapclassify

    if k <= 1:
        return np.array([values.max()])
    # "NaturalBreaks" is computed by Fisher's exact Jenks method: mapclassify's NaturalBreaks is
    # k-means from random starts and could draw a different map on each run.
    name = "FisherJenks" if scheme in ("NaturalBreaks", "natural_breaks", "FisherJenks") else scheme
    classifier = getattr(mapclassify, name, None)
    if classifier is None:
        raise ValueError(f"unknown classification scheme '{scheme}' (try NaturalBreaks, Quantiles, EqualInterval)")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # duplicate quantile edges are merged below
        bins = classifier(values, k=k).bins
    return np.unique(np.append(bins[bins < values.max()], values.max()))


def _range_labels(ranges: list[tuple[float, float]], integer: bool) -> list[str]:
    """'low to high' (or one number) per class: counts as integers, rates to 1 d.p., or more
    decimals when 1 d.p. would print two classes alike."""
    for decimals in ((0,) if integer else (1, 2, 3)):
        texts = [(f"{low:,.{decimals}f}", f"{high:,.{decimals}f}") for low, high in ranges]
        labels = [low if low == high else f"{low} to {high}" for low, high in texts]
        if len(set(labels)) == len(labels):
            break
    return labels


def classify(values, classes: int = 5, scheme: str = "NaturalBreaks", cmap: str = CLASS_CMAP,
             threshold: int | None = None) -> Classes:
    """Classes for the values given (missing values ignored), with labels such as '0', '1 to 4'.

    Counts are labelled as whole-number ranges that meet (class i covers previous bound + 1 to
    its bound), starting at `threshold` above zero when smaller counts are suppressed; rates as
    the lowest to highest value in each class.
    """
    y = pd.to_numeric(pd.Series(values), errors="coerce").dropna().astype(float).to_numpy()
    if not len(y):
        return Classes((), (), ())
    bins = _upper_bounds(y, min(classes, len(np.unique(y))), scheme)
    integer = _is_integer_valued(y)
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


# --- boundaries as drawn ------------------------------------------------------------

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
        districts = _districts()
        districts = districts[districts["csp_code"].notna()]  # partnerships: England and Wales only
        shapes = shapes[shapes["area_code"].isin(districts.index)]
        shapes = shapes.assign(area_code=shapes["area_code"].map(districts["csp_code"]),
                               area_name=shapes["area_code"].map(districts["csp_name"]))
        shapes = shapes.dissolve(by=["area_code", "area_name"], as_index=False)
    return shapes[["area_code", "area_name", "geometry"]]


def attribution(level: str) -> str:
    return boundaries.layer_info(LEVEL_LAYER[level]).attribution


# --- drawing ------------------------------------------------------------------------

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
                labels: bool = False) -> dict:
    """Fill each area by its class; hidden areas hatched, areas without a value grey."""
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
    if labels:
        for row in shapes.itertuples():
            point = row.geometry.representative_point()
            ax.annotate(row.area_name, (point.x, point.y), ha="center", va="center", fontsize=6.5,
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
    return merged


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
    shown = _draw_areas(ax, shapes, values, value_classes, hidden, highlight,
                        labels if labels is not None else len(shapes) <= 20)
    statements = [attribution(layer)] if isinstance(layer, str) else list(layer.attrs.get("attribution", []))
    if isinstance(layer, str) and layer == "postcode_area" and table.attrs.get("force_code"):
        statements.append(_outline_force(ax, table.attrs["force_code"]))  # areas cross force lines
    ax.legend(handles=_legend_handles(value_classes, shown["no_data"],
                                      _suppressed_label(table, suppressed_label) if shown["suppressed"] else None),
              title=legend_title or VALUE_LABELS.get(value, value), loc="upper left", bbox_to_anchor=(1.0, 1.0),
              frameon=False, fontsize=8, title_fontsize=8.5)
    ax.set_title(title, loc="left")
    _footer(fig, caption, statements, ax=ax)
    return fig


def _outline_force(ax, force_code: str) -> str:
    layer = "pfa"
    shapes = area_shapes(layer)
    own = shapes[shapes["area_code"] == force_code]
    if own.empty:  # Police Scotland, PSNI, BTP: no police force area polygon, so outline their districts
        layer = "lad"
        shapes = area_shapes(layer)
        own = shapes[shapes["area_code"].isin(_force_district_codes(force_code))]
        if own.empty:
            return ""
        own = own.dissolve()
    _plot(own.boundary, ax, color=HIGHLIGHT, linewidth=1.5)
    return attribution(layer)


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
    fig.legend(handles=_legend_handles(shared, flags["no_data"], label), title=VALUE_LABELS.get(value, value),
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


@lru_cache(maxsize=1)
def _tile_layout() -> pd.DataFrame:
    return pd.read_csv(TILE_GRID_CSV, dtype={"code": str, "name": str, "abbreviation": str})


def tile_layout() -> pd.DataFrame:
    """code, name, abbreviation, col, row of every E&W force: one square each, north at the top."""
    return _tile_layout().copy()


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
              title=VALUE_LABELS.get(value, value), loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False,
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
