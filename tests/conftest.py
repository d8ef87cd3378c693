import importlib.util
import os
import shutil
from functools import lru_cache
from pathlib import Path

import pytest

from pplib.paths import LOCALITIES_DIR

SAMPLE_SLUGS = ("nottinghamshire", "greater-manchester", "dyfed-powys")
SHARED = Path(__file__).resolve().parents[2] / "shared"


@lru_cache(maxsize=1)
def load_benchmark():
    """benchmarks/benchmark.py as a module (it is a script, not part of the package)."""
    spec = importlib.util.spec_from_file_location("pplib_benchmark", Path(__file__).resolve().parents[1] /
                                                  "benchmarks" / "benchmark.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(autouse=True, scope="session")
def _scratch_home(tmp_path_factory):
    """Keep matplotlib/jupyter caches out of the user's home."""
    home = tmp_path_factory.mktemp("home")
    os.environ.setdefault("MPLCONFIGDIR", str(home / "mpl"))
    os.environ.setdefault("JUPYTER_RUNTIME_DIR", str(home / "jupyter-runtime"))
    # Boundaries come from ../shared/geo where it sits beside the project (developers, CI).
    if (SHARED / "geo").is_dir():
        os.environ.setdefault("PPLIB_GEO_DIR", str(SHARED / "geo"))


@pytest.fixture
def no_boundaries(tmp_path, monkeypatch):
    """No boundary files anywhere: an empty configured folder and an empty user cache."""
    (tmp_path / "no-geo").mkdir()
    monkeypatch.setenv("PPLIB_GEO_DIR", str(tmp_path / "no-geo"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


@pytest.fixture
def shared_boundaries():
    if not (SHARED / "geo").is_dir():
        pytest.skip("../shared/geo is not beside the project")
    return SHARED / "geo"


@pytest.fixture(params=SAMPLE_SLUGS)
def sample_locality(request) -> Path:
    return LOCALITIES_DIR / request.param


@pytest.fixture
def nottinghamshire() -> Path:
    return LOCALITIES_DIR / "nottinghamshire"


@pytest.fixture
def locality_copy(tmp_path, nottinghamshire) -> Path:
    """A writable copy of the Nottinghamshire sample, for tests that break things."""
    target = tmp_path / "nottinghamshire"
    shutil.copytree(nottinghamshire, target)
    return target


def shared_dir() -> Path:
    if not (SHARED / "reference").is_dir():
        pytest.skip("../shared is not beside the project")
    return SHARED


def pytest_collection_modifyitems(items):
    """The notebooks run under nbval start a kernel and execute a whole section: slow, like the builds."""
    for item in items:
        if item.path.suffix == ".ipynb":
            item.add_marker(pytest.mark.slow)
