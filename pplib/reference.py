"""Published, public figures: NRM statistics, the force registry and ONS lookups.

`import_reference` carries the published figures from a shared reference folder
into data/sample/reference (only the rows marked latest_official, each keeping
its source_url). The loaders read them back for the analysis.
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
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    return table[table["latest_official"] == "Y"].drop(columns="latest_official")


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
    lad_pop = lad_pop.rename(columns={"Code": "lad_code", "Name": "lad_name", "All ages": "population_mid2023"})
    outputs = {
        "police_forces.csv": forces,
        "nrm_national.csv": national,
        "nrm_by_force.csv": by_force,
        "lad_csp_pfa_lookup.csv": lookup,
        "population_lad.csv": lad_pop[["lad_code", "lad_name", "population_mid2023"]],
    }
    written = []
    for name, frame in outputs.items():
        target = out_dir / name
        frame.to_csv(target, index=False, lineterminator="\n")
        written.append(target)
        log.info("wrote %s (%d rows)", target, len(frame))
    written.append(import_lad_postcode_areas(geo, out_dir))
    return written


@lru_cache(maxsize=None)
def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(REFERENCE_DIR / name, dtype=str, keep_default_na=False)


def national_figures() -> pd.DataFrame:
    """Published UK NRM figures (latest official release of each), value as a number."""
    table = _read("nrm_national.csv").copy()
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
    """ONS LAD (Dec 2024) to community safety partnership to police force area lookup."""
    return _read("lad_csp_pfa_lookup.csv").copy()


def lad_population() -> pd.DataFrame:
    table = _read("population_lad.csv").copy()
    table["population_mid2023"] = pd.to_numeric(table["population_mid2023"])
    return table


def import_lad_postcode_areas(shared_geo: Path, out_dir: Path = REFERENCE_DIR) -> Path:
    """Write lad_code -> postcode area (e.g. NG) for every E&W LAD in the lookup.

    The area is the GeoLytix postcode area holding the LAD's representative point;
    only the codes are kept, so no boundary data enters the repository. Used by
    pplib.synth to make plausible postcode districts without geopandas at run time.
    """
    import geopandas as gpd  # optional dependency: only needed to refresh this file

    lads = gpd.read_file(shared_geo / "lad_uk_may2024_buc.geojson")
    areas = gpd.read_file(shared_geo / "postcode_areas_gb_geolytix2012.geojson")
    lads = lads[lads["LAD24CD"].isin(set(lad_lookup()["LAD24CD"]))]
    # British National Grid, so "nearest" below is measured in metres
    points = lads.set_geometry(lads.representative_point()).to_crs(27700)[["LAD24CD", "geometry"]]
    areas = areas.to_crs(27700)[["PostArea", "geometry"]]
    # nearest also covers a point that falls between generalised coastlines
    joined = gpd.sjoin_nearest(points, areas, how="left").drop_duplicates("LAD24CD")
    table = (joined.rename(columns={"LAD24CD": "lad_code", "PostArea": "postcode_area"})
             [["lad_code", "postcode_area"]].sort_values("lad_code"))
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / "lad_postcode_area.csv"
    table.to_csv(target, index=False, lineterminator="\n")
    log.info("wrote %s (%d rows)", target, len(table))
    return target
