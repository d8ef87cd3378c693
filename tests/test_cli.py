import pytest

from pplib.cli import _parameter, main


def test_build_command_runs_a_section_with_parameters(tmp_path, capsys):
    from pplib.paths import LOCALITIES_DIR
    code = main(["build", "--quiet", "--locality", str(LOCALITIES_DIR / "dyfed-powys"), "--section",
                 "national_picture", "--edition", "partner", "--set", "year=2022", "--out", str(tmp_path)])
    assert code == 0
    html = (tmp_path / "dyfed-powys" / "partner" / "report.html").read_text(encoding="utf-8")
    assert "16,921 potential victims were referred in 2022" in html
    assert "dyfed-powys (partner): built:" in capsys.readouterr().out


def test_parameter_values_are_typed():
    assert _parameter("year=2022") == ("year", 2022)
    assert _parameter("compare_from=2022-Q1") == ("compare_from", "2022-Q1")
    assert _parameter("year=null") == ("year", None)
    with pytest.raises(SystemExit, match="NAME=VALUE"):
        _parameter("year")


def test_data_dictionary_command(capsys):
    assert main(["data-dictionary"]) == 0
    assert "| `crime_ref` | str | yes | yes |" in capsys.readouterr().out


def test_unknown_section_is_named(tmp_path, capsys):
    from pplib.paths import LOCALITIES_DIR
    assert main(["build", "--quiet", "--locality", str(LOCALITIES_DIR / "dyfed-powys"), "--section", "summary",
                 "--edition", "internal", "--out", str(tmp_path)]) == 1
    assert "no notebook for section 'summary'" in capsys.readouterr().out
