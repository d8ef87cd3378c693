"""The ways of installing agree: pyproject's pins, the conda environment, tasks.py and the wheel check."""
import importlib.util
import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def _module(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def test_conda_takes_the_geospatial_stack_from_conda_forge_at_the_pinned_versions():
    pins = dict(r.split("#")[0].strip().split("==") for r in _project()["dependencies"])
    conda = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    assert conda["channels"] == ["conda-forge"]
    from_conda = dict(d.split("=", 1) for d in conda["dependencies"] if isinstance(d, str) and "=" in d
                      and not d.startswith("python"))
    assert set(from_conda) == {"geopandas", "pyogrio", "shapely", "pyproj"}
    assert all(pins[name] == version for name, version in from_conda.items()), (from_conda, pins)


def test_supported_pythons_agree_everywhere():
    low, high = re.fullmatch(r">=3\.(\d+),<3\.(\d+)", _project()["requires-python"]).groups()
    supported = {f"3.{minor}" for minor in range(int(low), int(high))}
    tasks = _module(ROOT / "tasks.py")
    assert {f"{major}.{minor}" for major, minor in tasks.SUPPORTED} == supported
    assert set(_module(ROOT / ".ci" / "check_wheels.py").SUPPORTED) == supported
    conda_python = next(d for d in yaml.safe_load((ROOT / "environment.yml").read_text())["dependencies"]
                        if isinstance(d, str) and d.startswith("python"))
    assert conda_python == f"python>=3.{low},<3.{high}"


def test_tasks_finds_a_supported_python_when_it_runs_on_another(monkeypatch, tmp_path):
    tasks = _module(ROOT / "tasks.py")
    monkeypatch.setattr(tasks.sys, "version_info", (3, 10, 0))
    calls = []
    monkeypatch.setattr(tasks.shutil, "which", lambda name: f"/usr/bin/{name}" if name != "python3.13" else None)
    monkeypatch.setattr(tasks.subprocess, "run", lambda command, **kw: calls.append(command) or
                        type("Done", (), {"returncode": 0})())
    expected = ["py", "-3.13"] if tasks.os.name == "nt" else ["python3.12"]
    assert tasks.base_python() == expected
    monkeypatch.setattr(tasks.shutil, "which", lambda name: None)
    try:
        tasks.base_python()
    except SystemExit as exc:
        assert "Python 3.11, 3.12 or 3.13 is needed" in str(exc) and "python.org" in str(exc)
    else:
        raise AssertionError("no supported Python, yet no clear message")
