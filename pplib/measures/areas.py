"""Areas: where records fall within the force, and the force's rates among all forces.

Records are counted per area (local authority district, community safety
partnership or postcode area) with every record either in an area of the force
or listed with the reason it could not be placed. Drawing is
pplib.figures.maps'.

Rules worth knowing:
- A district the ONS lookup splits across several community safety
  partnerships (seven merged districts, e.g. Cumberland) is counted in the
  partnership with the lowest code; the table's note column says so.
- A force's postcode areas are those covering more than a sliver of one of its
  districts (data/sample/reference/lad_postcode_area_overlap.csv, with the area
  holding each district's representative point, lad_postcode_area.csv).
  Postcode areas do not nest in forces: whether a record is inside the force
  follows its district where that is recorded (S80 in Bassetlaw is inside
  Nottinghamshire, S1 in Sheffield is not); without a district, a record in an
  area straddling the boundary is reported, not guessed into the force.
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
import re
from functools import lru_cache

import pandas as pd

from pplib.measures import compare
from pplib.measures.value import describe
from pplib.paths import REFERENCE_DIR
from pplib.records.clean import missing
from pplib.records.schemas import EXPLOITATION_TYPES
from pplib.reference.forces import force_by_code
from pplib.reference.published import FORCE_COUNTRIES, districts, force_districts, lad_lookup, lad_population

log = logging.getLogger(__name__)


LEVELS = {"lad": "local authority district", "csp": "community safety partnership",
          "postcode_area": "postcode area"}


LEVEL_LAYER = {"lad": "lad", "csp": "lad", "postcode_area": "postcode_area", "pfa": "pfa"}


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


@lru_cache(maxsize=1)
def district_table() -> pd.DataFrame:
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
def force_district_codes(force_code: str) -> frozenset:
    """The districts of the force's area (pplib.reference.published.force_districts: BTP's is Great Britain)."""
    return frozenset(force_districts(force_code)["lad_code"])


def _force_districts(force_code: str) -> pd.DataFrame:
    table = district_table()
    return table[table.index.isin(force_district_codes(force_code))]


def _covers_great_britain(force_code: str) -> bool:
    return GREAT_BRITAIN <= set(FORCE_COUNTRIES.get(force_code, ()))


@lru_cache(maxsize=1)
def _postcode_areas_by_force() -> dict[str, tuple[str, ...]]:
    """Force code -> the postcode areas holding one of its districts (none for Northern Ireland).

    A force covering all of Great Britain (British Transport Police) has every GB postcode area,
    including those holding no district's representative point (e.g. WC).
    """
    table = _lad_postcode_areas()
    table = table.assign(pfa_code=table["lad_code"].map(district_table()["pfa_code"]))
    areas = {code: tuple(sorted(set(group["postcode_area"]))) for code, group in table.groupby("pfa_code")}
    for code in FORCE_COUNTRIES:
        if _covers_great_britain(code):
            areas[code] = GB_POSTCODE_AREAS
        else:
            own = table[table["lad_code"].isin(force_district_codes(code))]
            areas[code] = tuple(sorted(set(own["postcode_area"])))
    return areas


def _lad_postcode_areas() -> pd.DataFrame:
    """lad_code, postcode_area: each district's representative point's area and every area covering more
    than a sliver of it (Northern Ireland has no postcode area boundaries)."""
    point = pd.read_csv(REFERENCE_DIR / "lad_postcode_area.csv", dtype=str, keep_default_na=False)
    overlap = REFERENCE_DIR / "lad_postcode_area_overlap.csv"
    pairs = [point] + ([pd.read_csv(overlap, dtype=str, usecols=["lad_code", "postcode_area"])]
                       if overlap.exists() else [])
    table = pd.concat(pairs, ignore_index=True).drop_duplicates()
    return table[table["postcode_area"] != ""]


@lru_cache(maxsize=None)
def _core_areas(force_code: str) -> frozenset:
    """The force's postcode areas holding one of its districts' representative points: a record there with
    no district recorded is counted in the force (as it mostly lies in it); one in an area that only
    straddles the boundary is not guessed in."""
    point = pd.read_csv(REFERENCE_DIR / "lad_postcode_area.csv", dtype=str, keep_default_na=False)
    return frozenset(point.loc[point["lad_code"].isin(force_district_codes(force_code)), "postcode_area"]) - {""}


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
                       "(pplib.reference.published.districts: UK police force codes)")
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
    districts = district_table()
    if code not in districts.index:
        return None, "unknown", f"'{_shown(value)}' is not a known district in the UK"
    row = districts.loc[code]
    if code not in force_district_codes(force_code):
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


STRADDLES = "straddles the boundary"


def _place_postcode(value, force_code: str, district=None) -> tuple[str | None, str, str]:
    """A record's postcode area; whether it is inside the force follows its district where that is known
    (not for BTP, whose records are placed wherever they happened)."""
    if missing(value):
        return None, "missing", "no area recorded"
    area = postcode_area(value)
    if area is None:
        return None, "unknown", f"'{_shown(value)}' is not a recognisable postcode district"
    own = _postcode_areas_by_force().get(force_code, ())
    code = None if missing(district) else str(district).strip().upper()
    if code in district_table().index and not _covers_great_britain(force_code):
        if code not in force_district_codes(force_code):
            row = district_table().loc[code]
            return None, "outside force", f"{code} ({row['lad_name']}) is in {row['pfa_name']}, outside this force"
        if area in own:
            return area, "", ""
        return None, NO_AREA, f"{area} covers too little of {code} to be one of this force's postcode areas"
    if area in own and (area in _core_areas(force_code) or own == GB_POSTCODE_AREAS):
        return area, "", ""
    if area in own:
        return None, STRADDLES, f"{area} straddles the force boundary and the record has no district recorded"
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
    if level == "postcode_area":
        districts = frame["lad_code"].astype("object") if "lad_code" in frame else pd.Series(None, index=frame.index)
        keys = list(zip(values.where(values.notna(), None), districts.where(districts.notna(), None)))
        place = lambda key: _place_postcode(key[0], force_code, key[1])  # noqa: E731
    else:
        keys = list(values.where(values.notna(), None))
        place = lambda key: _place_district(key, level, force_code)  # noqa: E731
    # Decide once per distinct value: a few hundred records share a handful of codes.
    decided = {key: place(key) for key in dict.fromkeys(keys)}
    placed = pd.DataFrame([decided[k] for k in keys], columns=["area_code", "kind", "reason"], index=frame.index)
    placed["area_code"] = placed["area_code"].astype("str").where(placed["area_code"].notna())
    return placed


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
    The table says what it counts (pplib.measures.value.describe): records by area, with those not placed
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
        not_placed = int(unmatched["count"].sum())  # its sentence stands under the table
        describe(table, frame.attrs["measure"], by={"area_code": level}, counts={"count": {}},
                 within=frame.attrs.get("within"), ratios={"rate_per_100k": ("count", "population", PER)},
                 domains={level: [*areas["area_code"], NOT_PLACED]},
                 also=[({level: NOT_PLACED}, not_placed)] if not_placed else [])
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
        stacked.attrs["cells"] = {**spec, "by": {**spec["by"], by: by}, "also": []}  # no page shows those
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
             NO_AREA: NO_AREA, STRADDLES: "in a postcode area straddling the boundary, with no district"}
    parts = ", ".join(f"{int(n):,} {words.get(k, k)}" for k, n in kinds.items())
    return f"{total:,} record{'s' if total != 1 else ''} not on the map ({parts})."


def force_rates(measure: str = "referrals_made", period: tuple[str, str] = ("2023-Q1", "2023-Q4")
                ) -> pd.DataFrame:
    """The forces' published NRM referral rates (pplib.measures.compare) in the columns the maps read.

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


TILE_GRID_CSV = REFERENCE_DIR / "force_tile_grid.csv"


@lru_cache(maxsize=1)
def _tile_layout() -> pd.DataFrame:
    return pd.read_csv(TILE_GRID_CSV, dtype={"code": str, "name": str, "abbreviation": str})


def tile_layout() -> pd.DataFrame:
    """code, name, abbreviation, col, row of every E&W force: one square each, north at the top."""
    return _tile_layout().copy()
