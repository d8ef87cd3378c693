
import pytest

from pplib.reference.forces import all_forces, england_and_wales, force_by_code, force_by_slug
from pplib.reference.published import force_referrals


def test_registry_has_43_territorial_forces_of_england_and_wales():
    forces = england_and_wales()
    assert len(forces) == 43
    assert sum(f.code.startswith("E23") for f in forces) == 39
    assert sum(f.code.startswith("W15") for f in forces) == 4
    assert all(f.population and f.population > 10_000 for f in forces)


def test_registry_adds_scotland_northern_ireland_and_btp():
    names = {f.force_name for f in all_forces()}
    assert {"Police Scotland", "Police Service of Northern Ireland", "British Transport Police"} <= names
    assert len(all_forces()) == 46
    assert force_by_slug("police-scotland").population > 5_000_000
    assert force_by_slug("british-transport-police").population is None


def test_codes_and_slugs_are_unique():
    forces = all_forces()
    assert len({f.code for f in forces}) == len(forces)
    assert len({f.slug for f in forces}) == len(forces)


def test_england_and_wales_population_matches_ons_total():
    assert sum(f.population for f in england_and_wales()) == 60_854_727


def test_every_force_joins_to_published_nrm_figures():
    published = set(force_referrals()["force_code"])
    missing = [f.force_name for f in all_forces() if f.code not in published]
    assert missing == []


def test_lookup_errors_suggest_close_codes():
    assert force_by_code("E23000019").name == "Nottinghamshire"
    with pytest.raises(KeyError, match="E23000019"):
        force_by_code("E2300019")
