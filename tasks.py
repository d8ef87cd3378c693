"""The two commands: `python tasks.py build` and `python tasks.py test`.

Needs only Python 3.11. The first run creates a virtual environment in .venv
with the pinned packages from pyproject.toml; later runs reuse it, and
reinstall only when pyproject.toml changes. Works the same on Windows.
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("PPLIB_VENV", ROOT / ".venv"))
STAMP = VENV / ".pplib-installed"
SHARED_GEO = ROOT.parent / "shared" / "geo"


def venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _wanted_stamp() -> str:
    return hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()


def ensure_environment() -> Path:
    python = venv_python()
    if python.exists() and STAMP.exists() and STAMP.read_text() == _wanted_stamp():
        return python
    if sys.version_info[:2] != (3, 11):
        sys.exit(f"Python 3.11 is needed to create the environment; this is {sys.version.split()[0]}")
    print(f"Setting up the environment in {VENV} (first run only)...", flush=True)
    if not python.exists():
        venv.EnvBuilder(with_pip=True).create(VENV)
    subprocess.run([str(python), "-m", "pip", "install", "-qq", "--disable-pip-version-check",
                    "-e", f"{ROOT}[dev]"], check=True)
    STAMP.write_text(_wanted_stamp())
    return python


def _env() -> dict[str, str]:
    env = dict(os.environ)
    # Use the shared boundary folder when it sits beside the project (developers, CI).
    if "PPLIB_GEO_DIR" not in env and SHARED_GEO.is_dir():
        env["PPLIB_GEO_DIR"] = str(SHARED_GEO)
    return env


def _root_flag() -> list[str]:
    """JupyterLab refuses to run as root (containers, some CI) unless told to."""
    return ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []


def main(argv: list[str]) -> int:
    commands = {
        "build": ["-m", "pplib.cli", "build"],
        "test": ["-m", "pytest", "-n", "2"],
        "pplib": ["-m", "pplib.cli"],  # any other pplib command, e.g. `tasks.py pplib generate-sample`
        "lab": ["-m", "jupyterlab", f"--notebook-dir={ROOT}", *_root_flag()],
        "benchmark": [str(ROOT / "benchmarks" / "benchmark.py")],  # prints figures; not part of the tests
    }
    if not argv or argv[0] not in commands:
        print("usage: python tasks.py build|test|lab|benchmark|pplib [extra arguments]", file=sys.stderr)
        return 2
    python = ensure_environment()
    return subprocess.run([str(python), *commands[argv[0]], *argv[1:]], cwd=ROOT, env=_env()).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
