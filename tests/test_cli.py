import re

import pytest

from pplib.cli import _parameter, main


@pytest.mark.slow
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


def test_unknown_section_is_refused_before_any_work_with_the_nearest_name(tmp_path):
    from pplib.paths import LOCALITIES_DIR
    with pytest.raises(SystemExit, match="--section mapin: no such section; did you mean 'mapping'"):
        main(["build", "--quiet", "--locality", str(LOCALITIES_DIR / "dyfed-powys"), "--section", "mapin",
              "--out", str(tmp_path)])
    assert not any(tmp_path.iterdir())  # nothing started


def test_a_locality_that_is_not_one_is_refused_naming_the_nearest(tmp_path):
    from pplib.paths import LOCALITIES_DIR
    with pytest.raises(SystemExit, match="does not exist; did you mean 'nottinghamshire'"):
        main(["build", "--locality", str(LOCALITIES_DIR / "nottinghamshir"), "--out", str(tmp_path)])
    (tmp_path / "empty").mkdir()
    with pytest.raises(SystemExit, match="is a folder without a locality.yaml"):
        main(["build", "--locality", str(tmp_path / "empty"), "--out", str(tmp_path / "out")])
    assert not (tmp_path / "out").exists()


def test_a_misspelt_parameter_is_refused_naming_the_nearest(tmp_path):
    from pplib.paths import LOCALITIES_DIR
    with pytest.raises(SystemExit, match="--set yeer: .*did you mean 'year'"):
        main(["build", "--locality", str(LOCALITIES_DIR / "dyfed-powys"), "--section", "national_picture",
              "--set", "yeer=2023", "--out", str(tmp_path)])


def test_a_failure_is_printed_in_full_with_where_the_traceback_is(tmp_path, capsys):
    import shutil

    from pplib.paths import LOCALITIES_DIR
    locality = tmp_path / "area"
    shutil.copytree(LOCALITIES_DIR / "dyfed-powys", locality)
    config = locality / "locality.yaml"
    config.write_text(re.sub(r"(?m)^force_code: .*$", "force_code: E23000990", config.read_text()))
    assert main(["build", "--quiet", "--locality", str(locality), "--edition", "internal", "--section",
                 "national_picture", "--out", str(tmp_path / "out")]) == 1
    out = capsys.readouterr().out
    # the second line of the message (the useful one) reaches the terminal, then the file with the rest
    assert "unknown police force code 'E23000990'; did you mean" in out
    error_file = tmp_path / "out" / "area" / "internal" / "error.txt"
    assert f"the detail (traceback) is in {error_file}" in out and error_file.is_file()


def test_help_lists_the_sections_and_examples(capsys):
    from pplib.registry import SECTIONS
    with pytest.raises(SystemExit):
        main(["build", "--help"])
    out = capsys.readouterr().out
    assert all(f"  {s}\n" in out for s in SECTIONS) and "examples:" in out


@pytest.mark.slow
def test_a_real_build_prints_no_kernel_warning_and_counts_sections(tmp_path):
    """The kernel's channels are encrypted, so it never warns of eavesdropping; the bar counts sections."""
    import subprocess
    import sys

    from pplib.paths import LOCALITIES_DIR
    done = subprocess.run([sys.executable, "-m", "pplib.cli", "build", "--locality",
                           str(LOCALITIES_DIR / "dyfed-powys"), "--edition", "internal", "--section",
                           "national_picture", "--section", "introduction", "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "eavesdropping" not in done.stderr and "IPKernelApp" not in done.stderr, done.stderr
    assert "sections: 100%" in done.stderr and "2/2" in done.stderr, done.stderr
