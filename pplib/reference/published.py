"""Published, public figures: NRM statistics, the force registry and ONS lookups.

`import_reference` carries the published figures from a shared reference folder
into data/sample/reference (only the rows marked latest_official, each keeping
its source_url). The loaders read them back for the analysis.

Districts: `lad_csp_pfa_lookup.csv` is the ONS LAD -> CSP -> PFA lookup exactly
as published (England and Wales only; `lad_lookup()`). Scotland's 32 council
areas and Northern Ireland's 11 districts, with the force that polices them
(Police Scotland, S92000003; PSNI, N92000002), are in `lad_other_forces.csv`:
codes and names from the ONS LAD May 2024 boundaries, checked against the ONS
mid-2022 UK population estimates. `districts()` reads both: one row per UK
district with its territorial force. `force_districts(code)` is a force's area;
British Transport Police polices the railways of Great Britain, so its area is
every district of England, Wales and Scotland (see FORCE_COUNTRIES).
`population_lad.csv` holds every district's population with its vintage:
mid-2023 for England and Wales, mid-2022 for Scotland and Northern Ireland (the
latest UK-wide estimates in the shared folder).
"""
from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

import pandas as pd

from pplib.paths import REFERENCE_DIR

log = logging.getLogger(__name__)

ONS_OGL = "Source: Office for National Statistics licensed under the Open Government Licence v.3.0."
# Names the Home Office NRM tables use where they differ from the force's own name.
NRM_NAME_OVERRIDES = {
    "E23000030": "Hampshire Constabulary",
    "E23000035": "Devon & Cornwall Police",
}
NON_PFA_FORCES = [
    # code, slug, name, force_name, country, population source row in the mid-2022 UK file
    ("S92000003", "police-scotland", "Scotland", "Police Scotland", "Scotland", "S92000003"),
    ("N92000002", "psni", "Northern Ireland", "Police Service of Northern Ireland", "Northern Ireland", "N92000002"),
    ("BTP", "british-transport-police", "British Transport Police", "British Transport Police", "Great Britain", None),
]
# District code prefix -> country; Scottish and NI districts -> the force that polices them.
COUNTRY_BY_PREFIX = {"E": "England", "W": "Wales", "S": "Scotland", "N": "Northern Ireland"}
OTHER_FORCE_DISTRICTS = {"S": ("S92000003", "Scotland"), "N": ("N92000002", "Northern Ireland")}
# Forces whose area is not one territorial force area: the countries of the districts they police.
# British Transport Police polices the railways of England, Wales and Scotland (not Northern Ireland).
FORCE_COUNTRIES = {"BTP": ("England", "Wales", "Scotland")}
POPULATION_SOURCES = {
    2023: "ONS mid-2023 population estimates, England and Wales",
    2022: "ONS mid-2022 population estimates, UK",
}


def _build_forces(geo: Path) -> pd.DataFrame:
    crosswalk = pd.read_csv(geo / "pfa_force_name_crosswalk.csv", dtype=str)
    pop = pd.read_csv(geo / "population_mid2023_ew_pfa24_derived.csv", dtype={"PFA24CD": str})
    pop = pop.set_index("PFA24CD")["population_mid2023"]
    rows = []
    for r in crosswalk.itertuples():
        force_name = r.force_name.split(" (")[0]
        rows.append({
            "code": r.PFA_CD, "slug": r.police_uk_force_id, "name": r.PFA_NM_ONS,
            "force_name": force_name, "nrm_name": NRM_NAME_OVERRIDES.get(r.PFA_CD, force_name),
            "country": "Wales" if r.PFA_CD.startswith("W") else "England", "territorial": "Y",
            "population": int(pop[r.PFA_CD]),
            "population_source": "ONS mid-2023 population estimates, summed from local authority districts",
        })
    uk = pd.read_csv(geo / "population_mid2022_uk_lad.csv", dtype=str).set_index("Code")["Population"]
    for code, slug, name, force_name, country, pop_code in NON_PFA_FORCES:
        rows.append({
            "code": code, "slug": slug, "name": name, "force_name": force_name, "nrm_name": force_name,
            "country": country, "territorial": "N" if code == "BTP" else "Y",
            "population": int(uk[pop_code]) if pop_code else None,
            "population_source": "ONS mid-2022 population estimates, UK" if pop_code else "",
        })
    return pd.DataFrame(rows).astype({"population": "Int64"})


def _latest_official(path: Path) -> pd.DataFrame:
    """The latest official figure of each period and measure; where two official statements on one date
    disagree (CONFLICT), both, with any copy of the publication giving one of them, so that one is chosen by a
    stated rule (pplib.measures.national.choose) rather than neither shown."""
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    key = table["period"] + "|" + table["measure"] + "|" + table.get("police_force", "")
    conflicted = set(key[table["latest_official"] == "CONFLICT"])
    kept = (table["latest_official"] == "Y") | key.isin(conflicted)
    return table[kept].drop(columns="latest_official")


def import_reference(shared: Path, out_dir: Path = REFERENCE_DIR) -> list[Path]:
    """Derive data/sample/reference from the shared folder (reference/ and geo/)."""
    geo, ref = shared / "geo", shared / "reference"
    out_dir.mkdir(parents=True, exist_ok=True)
    forces = _build_forces(geo)
    national = _latest_official(ref / "nrm_national_annual.csv")
    by_force = _latest_official(ref / "nrm_by_police_force.csv")
    code_by_nrm_name = dict(zip(forces["nrm_name"], forces["code"]))
    by_force.insert(3, "force_code", by_force["police_force"].map(code_by_nrm_name).fillna(""))
    lookup = pd.read_csv(geo / "lad24_csp24_pfa24_ew_lookup.csv", dtype=str)
    lad_pop = pd.read_csv(geo / "population_mid2023_ew_lad23.csv", dtype={"All ages": "Int64"})
    lad_pop = lad_pop[lad_pop["Code"].isin(lookup["LAD24CD"])]
    lad_pop = lad_pop.rename(columns={"Code": "lad_code", "Name": "lad_name", "All ages": "population"})
    lad_pop = lad_pop.assign(population_year=2023)
    other, other_pop = _other_force_districts(geo)
    lad_pop = pd.concat([lad_pop, other_pop.assign(population_year=2022)], ignore_index=True)
    lad_pop["population_source"] = lad_pop["population_year"].map(POPULATION_SOURCES)
    outputs = {
        "police_forces.csv": forces,
        "nrm_national.csv": national,
        "nrm_by_force.csv": by_force,
        "lad_csp_pfa_lookup.csv": lookup,
        "lad_other_forces.csv": other,
        "population_lad.csv": lad_pop[["lad_code", "lad_name", "population", "population_year",
                                       "population_source"]],
    }
    written = []
    for name, frame in outputs.items():
        target = out_dir / name
        frame.to_csv(target, index=False, lineterminator="\n")
        written.append(target)
        log.info("wrote %s (%d rows)", target, len(frame))
    written.append(import_lad_postcode_areas(geo, out_dir))
    written.append(import_lad_postcode_area_overlaps(geo, out_dir))
    _read.cache_clear()  # the loaders read the new files from now on
    _districts.cache_clear()
    return written


def _other_force_districts(geo: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Scotland's council areas and Northern Ireland's districts: (districts, population).

    Codes and names are the ONS LAD May 2024 boundaries' LAD24CD/LAD24NM (only those two
    properties are read; no geometry enters the repository); the population is ONS mid-2022,
    whose codes and names must agree with them.
    """
    import pyogrio  # optional dependency (with geopandas): only needed to refresh the reference files

    lads = pyogrio.read_dataframe(geo / "lad_uk_may2024_buc.geojson", columns=["LAD24CD", "LAD24NM"],
                                  read_geometry=False)
    lads = lads[lads["LAD24CD"].str[0].isin(list(OTHER_FORCE_DISTRICTS))].sort_values("LAD24CD")
    uk = pd.read_csv(geo / "population_mid2022_uk_lad.csv", dtype={"Code": str, "Name": str, "Population": "Int64"})
    uk = uk[uk["Code"].str.match(r"^(S12|N09)")]
    mismatched = set(zip(lads["LAD24CD"], lads["LAD24NM"])) ^ set(zip(uk["Code"], uk["Name"]))
    if mismatched:
        raise ValueError(f"district codes or names of the LAD May 2024 boundaries and the mid-2022 "
                         f"population estimates differ: {sorted(mismatched)}")
    districts = pd.DataFrame({
        "lad_code": lads["LAD24CD"].to_numpy(), "lad_name": lads["LAD24NM"].to_numpy(),
        "force_code": [OTHER_FORCE_DISTRICTS[c[0]][0] for c in lads["LAD24CD"]],
        "force_area": [OTHER_FORCE_DISTRICTS[c[0]][1] for c in lads["LAD24CD"]],
        "country": [COUNTRY_BY_PREFIX[c[0]] for c in lads["LAD24CD"]],
    })
    population = (uk.rename(columns={"Code": "lad_code", "Name": "lad_name", "Population": "population"})
                  .set_index("lad_code").loc[districts["lad_code"]].reset_index())
    return districts, population[["lad_code", "lad_name", "population"]]


NATIONAL_EXTRACTS = "nrm_national_extracts.csv"  # never written by import_reference


@lru_cache(maxsize=None)
def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(REFERENCE_DIR / name, dtype=str, keep_default_na=False)


def national_figures() -> pd.DataFrame:
    """Published UK NRM figures (latest official release of each), value as a number."""
    return _national_figures().copy()


@lru_cache(maxsize=1)
def _national_figures() -> pd.DataFrame:
    """Worked out once per process: every section of every locality asks for it, many times."""
    # nrm_national.csv is made by import_reference from the shared reference folder; the extracts are the
    # project's own readings of official data tables that folder does not hold (each row names its source).
    table = pd.concat([_read("nrm_national.csv"), _read(NATIONAL_EXTRACTS)], ignore_index=True)
    table["value"] = pd.to_numeric(table["value"], errors="coerce")
    table["percent"] = pd.to_numeric(table["percent"], errors="coerce")
    # The same figure can be published on one date by two pages; keep one copy of it.
    return table.drop_duplicates(["period", "measure", "value", "percent"]).reset_index(drop=True)


def force_referrals() -> pd.DataFrame:
    """Published NRM referrals made by each police force as first responder, by quarter."""
    table = _read("nrm_by_force.csv").copy()
    table["value"] = pd.to_numeric(table["value"], errors="coerce")
    return table


def lad_lookup() -> pd.DataFrame:
    """ONS LAD (Dec 2024) to community safety partnership to police force area lookup.

    England and Wales only, as published (a district split across partnerships has a row
    for each). For every UK district with its force use `districts()`.
    """
    return _read("lad_csp_pfa_lookup.csv").copy()


def _districts_in(folder: Path) -> pd.DataFrame:
    def read(name: str) -> pd.DataFrame:
        return pd.read_csv(folder / name, dtype=str, keep_default_na=False)

    lookup = read("lad_csp_pfa_lookup.csv").drop_duplicates("LAD24CD")  # each LAD is in one PFA
    ew = pd.DataFrame({
        "lad_code": lookup["LAD24CD"], "lad_name": lookup["LAD24NM"], "force_code": lookup["PFA24CD"],
        "force_area": lookup["PFA24NM"], "country": lookup["LAD24CD"].str[0].map(COUNTRY_BY_PREFIX),
    })
    return pd.concat([ew, read("lad_other_forces.csv")], ignore_index=True)


@lru_cache(maxsize=1)
def _districts() -> pd.DataFrame:
    return _districts_in(REFERENCE_DIR)


def districts() -> pd.DataFrame:
    """Every UK local authority district with the territorial force that polices it.

    Columns lad_code, lad_name, force_code, force_area (the ONS police force area name, or
    Scotland / Northern Ireland), country. England and Wales from the ONS lookup (`lad_lookup`),
    Scotland's council areas and Northern Ireland's districts from lad_other_forces.csv.
    """
    return _districts().copy()


def force_districts(force_code: str) -> pd.DataFrame:
    """The districts making up a force's area (rows of `districts()`); empty for an unknown code.

    A force in FORCE_COUNTRIES covers every district of those countries: British Transport
    Police's area is taken as all of England, Wales and Scotland, where it polices the railways.
    """
    table = _districts()
    if force_code in FORCE_COUNTRIES:
        return table[table["country"].isin(FORCE_COUNTRIES[force_code])].reset_index(drop=True)
    return table[table["force_code"] == force_code].reset_index(drop=True)


def lad_population() -> pd.DataFrame:
    """Population of every UK district: lad_code, lad_name, population, population_year, population_source.

    Mid-2023 for England and Wales, mid-2022 for Scotland and Northern Ireland. The column
    population_mid2023 (older readers) holds the mid-2023 figure and is blank where there is none.
    """
    table = _read("population_lad.csv").copy()
    table["population"] = pd.to_numeric(table["population"])
    table["population_year"] = pd.to_numeric(table["population_year"])
    table["population_mid2023"] = table["population"].where(table["population_year"] == 2023)
    return table


def import_lad_postcode_areas(shared_geo: Path, out_dir: Path = REFERENCE_DIR) -> Path:
    """Write lad_code -> postcode area (e.g. NG) for every UK district in `districts()`.

    The area is the GeoLytix postcode area holding the LAD's representative point;
    only the codes are kept, so no boundary data enters the repository. Used by
    sample.generate to make plausible postcode districts without geopandas at run time.
    GeoLytix covers Great Britain only, so Northern Ireland's districts (BT) are
    listed with no postcode area.
    """
    import geopandas as gpd  # optional dependency: only needed to refresh this file

    lads = gpd.read_file(shared_geo / "lad_uk_may2024_buc.geojson")
    areas = gpd.read_file(shared_geo / "postcode_areas_gb_geolytix2012.geojson")
    every = _districts_in(out_dir)  # the lookups written beside it
    lads = lads[lads["LAD24CD"].isin(set(every["lad_code"])) & (lads["LAD24CD"].str[0] != "N")]
    # British National Grid, so "nearest" below is measured in metres
    points = lads.set_geometry(lads.representative_point()).to_crs(27700)[["LAD24CD", "geometry"]]
    areas = areas.to_crs(27700)[["PostArea", "geometry"]]
    # nearest also covers a point that falls between generalised coastlines
    joined = gpd.sjoin_nearest(points, areas, how="left").drop_duplicates("LAD24CD")
    table = joined.rename(columns={"LAD24CD": "lad_code", "PostArea": "postcode_area"})[["lad_code", "postcode_area"]]
    northern_ireland = every.loc[every["lad_code"].str[0] == "N", ["lad_code"]].assign(postcode_area="")
    table = pd.concat([table, northern_ireland], ignore_index=True).sort_values("lad_code")
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / "lad_postcode_area.csv"
    table.to_csv(target, index=False, lineterminator="\n")
    log.info("wrote %s (%d rows)", target, len(table))
    return target


# A district's share of a postcode area counts when it is over 1% of the district and 2 km² (the generalised
# boundaries leave slivers along every shared edge).
OVERLAP_SHARE, OVERLAP_KM2 = 0.01, 2.0


def import_lad_postcode_area_overlaps(shared_geo: Path, out_dir: Path = REFERENCE_DIR) -> Path:
    """Write every (lad_code, postcode_area) pair whose overlap is more than a sliver, with the district's share
    in it: a postcode area straddles force boundaries (S holds Bassetlaw, in Nottinghamshire, and Sheffield),
    and pplib.measures.areas counts it in each force a district of which it covers. Codes only, as above."""
    import geopandas as gpd  # optional dependency: only needed to refresh this file

    lads = gpd.read_file(shared_geo / "lad_uk_may2024_buc.geojson").to_crs(27700)[["LAD24CD", "geometry"]]
    areas = gpd.read_file(shared_geo / "postcode_areas_gb_geolytix2012.geojson").to_crs(27700)[["PostArea", "geometry"]]
    pieces = gpd.overlay(lads, areas, how="intersection", keep_geom_type=True)
    share = pieces.area / pieces["LAD24CD"].map(lads.set_index("LAD24CD").area)
    keep = (share > OVERLAP_SHARE) & (pieces.area / 1e6 > OVERLAP_KM2)
    table = pd.DataFrame({"lad_code": pieces["LAD24CD"], "postcode_area": pieces["PostArea"],
                          "share": share.round(4)})[keep.to_numpy()].sort_values(["lad_code", "postcode_area"])
    target = out_dir / "lad_postcode_area_overlap.csv"
    table.to_csv(target, index=False, lineterminator="\n")
    log.info("wrote %s (%d rows)", target, len(table))
    return target
