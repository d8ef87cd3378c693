import pytest
import yaml

from pplib.config import ConfigError, load_locality


def _rewrite(folder, **changes):
    path = folder / "locality.yaml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    for key, value in changes.items():
        raw[key] = value
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path


def test_every_sample_locality_loads(sample_locality):
    locality = load_locality(sample_locality)
    assert locality.synthetic is True
    assert locality.force.code == locality.force_code
    assert {"crimes", "victims", "suspects", "nrm_referrals", "duty_to_notify"} <= set(locality.sources)
    assert locality.handling_marking == "OFFICIAL-SENSITIVE"


def test_unknown_force_code_is_named_with_a_suggestion(locality_copy):
    _rewrite(locality_copy, force_code="E2300019")
    with pytest.raises(ConfigError, match=r"force_code: .*unknown police force code 'E2300019'.*did you mean"):
        load_locality(locality_copy)


def test_period_end_before_start(locality_copy):
    _rewrite(locality_copy, period={"start": "2023-01-01", "end": "2022-01-01"})
    with pytest.raises(ConfigError, match=r"period: .*end \(2022-01-01\) is before start"):
        load_locality(locality_copy)


def test_every_bad_field_is_reported_at_once(locality_copy):
    _rewrite(locality_copy, disclosure={"threshold": 0, "method": "blur"}, colour="red")
    with pytest.raises(ConfigError) as err:
        load_locality(locality_copy)
    message = str(err.value)
    assert "locality.yaml" in message
    assert "disclosure.threshold" in message and "disclosure.method" in message
    assert "colour: Extra inputs are not permitted" in message


def test_unknown_source_kind_and_canonical_column(locality_copy):
    raw = yaml.safe_load((locality_copy / "locality.yaml").read_text(encoding="utf-8"))
    sources = raw["sources"]
    sources["crimes"]["columns"]["crime_number"] = "Crime No"
    _rewrite(locality_copy, sources=sources)
    with pytest.raises(ConfigError, match=r"crimes.columns maps unknown canonical column\(s\) \['crime_number'\]"):
        load_locality(locality_copy)
    sources["crimes"]["columns"].pop("crime_number")
    sources["arrests"] = sources["crimes"]
    _rewrite(locality_copy, sources=sources)
    with pytest.raises(ConfigError, match="unknown source 'arrests'"):
        load_locality(locality_copy)


def test_missing_source_file_is_named(locality_copy):
    locality = load_locality(locality_copy)
    locality.source_path("victims").unlink()
    with pytest.raises(ConfigError, match=r"source file\(s\) not found: victims"):
        load_locality(locality_copy)


def test_not_yaml_and_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="no such locality configuration"):
        load_locality(tmp_path / "nowhere.yaml")
    bad = tmp_path / "locality.yaml"
    bad.write_text("name: [unclosed", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_locality(tmp_path)
