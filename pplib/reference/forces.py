"""Registry of UK police forces: codes, official names and population.

Read from data/sample/reference/police_forces.csv, which `pplib import-reference`
derives from ONS lookups and population estimates (OGL v3).
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from functools import lru_cache

import pandas as pd

from pplib.paths import REFERENCE_DIR

FORCES_CSV = REFERENCE_DIR / "police_forces.csv"


@dataclass(frozen=True)
class Force:
    code: str
    slug: str
    name: str  # ONS police force area name, e.g. "Devon & Cornwall"
    force_name: str  # the force's own name, e.g. "Devon and Cornwall Police"
    nrm_name: str  # as written in Home Office NRM tables
    country: str
    territorial: bool
    population: int | None
    population_source: str


@lru_cache(maxsize=1)
def all_forces() -> tuple[Force, ...]:
    table = pd.read_csv(FORCES_CSV, dtype=str, keep_default_na=False)
    return tuple(
        Force(
            code=r.code, slug=r.slug, name=r.name, force_name=r.force_name, nrm_name=r.nrm_name,
            country=r.country, territorial=r.territorial == "Y",
            population=int(r.population) if r.population else None,
            population_source=r.population_source,
        )
        for r in table.itertuples()
    )


def england_and_wales() -> tuple[Force, ...]:
    """The 43 territorial forces of England and Wales."""
    return tuple(f for f in all_forces() if f.country in ("England", "Wales") and f.territorial)


def _find(attribute: str, value: str, what: str) -> Force:
    for force in all_forces():
        if getattr(force, attribute) == value:
            return force
    close = difflib.get_close_matches(value, [getattr(f, attribute) for f in all_forces()], n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise KeyError(f"unknown police force {what} '{value}'{hint} (see {FORCES_CSV.name})")


def force_by_code(code: str) -> Force:
    return _find("code", code, "code")


def force_by_slug(slug: str) -> Force:
    return _find("slug", slug, "name")
