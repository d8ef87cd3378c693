"""The two commands: `python tasks.py build` and `python tasks.py test`.

Needs only Python 3.11, 3.12 or 3.13, started however it is installed: when the
Python running this is another version, it looks for a supported one (`py -3.x`
on Windows, `python3.x` elsewhere). The first run creates a virtual environment
in .venv with the pinned packages from pyproject.toml; later runs reuse it, and
reinstall only when pyproject.toml changes. Works the same on Windows.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("PPLIB_VENV", ROOT / ".venv"))
STAMP = VENV / ".pplib-installed"
SHARED_GEO = ROOT.parent / "shared" / "geo"


def venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _wanted_stamp() -> str:
    return hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()


SUPPORTED = ((3, 13), (3, 12), (3, 11))  # as requires-python in pyproject.toml; the newest found is used


def base_python() -> list[str]:
    """A command that starts a supported Python: this one, or the newest supported one installed."""
    if sys.version_info[:2] in SUPPORTED:
        return [sys.executable]
    for major, minor in SUPPORTED:
        candidate = ["py", f"-{major}.{minor}"] if os.name == "nt" else [f"python{major}.{minor}"]
        if shutil.which(candidate[0]) and subprocess.run([*candidate, "-c", ""], capture_output=True).returncode == 0:
            return candidate
    versions = [f"{major}.{minor}" for major, minor in reversed(SUPPORTED)]
    wanted = f"{', '.join(versions[:-1])} or {versions[-1]}"
    sys.exit(f"Python {wanted} is needed to create the environment; this is {sys.version.split()[0]} and no "
             f"other supported Python was found ({'py -3.x' if os.name == 'nt' else 'python3.x'}). Install one "
             "from python.org (no administrator rights needed: 'Install for me only') and run this again.")


def ensure_environment() -> Path:
    python = venv_python()
    if python.exists() and STAMP.exists() and STAMP.read_text() == _wanted_stamp():
        return python
    interpreter = base_python()
    print(f"Setting up the environment in {VENV} (first run only)...", flush=True)
    if not python.exists():
        subprocess.run([*interpreter, "-m", "venv", str(VENV)], check=True)
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


# ruff's formatter is not yet checked here: the code predates it (pre-commit formats each file as it is changed).
LINT = (["-m", "ruff", "check", "."],
        ["-m", "nbstripout", "--keep-id", "--verify", *sorted(str(p) for p in (ROOT / "notebooks").glob("*.ipynb"))])


def _lint(python: Path) -> int:
    """ruff's lint and format checks, and no notebook committed with outputs; every check runs."""
    failed = [command for command in LINT if subprocess.run([str(python), *command], cwd=ROOT).returncode]
    for command in failed:
        print(f"lint failed: {' '.join(command[1:3])}", file=sys.stderr)
    return 1 if failed else 0


def main(argv: list[str]) -> int:
    commands = {
        "build": ["-m", "pplib.cli", "build"],
        "test": ["-m", "pytest", "-n", "2"],
        "pplib": ["-m", "pplib.cli"],  # any other pplib command, e.g. `tasks.py pplib generate-sample`
        "lab": ["-m", "jupyterlab", f"--notebook-dir={ROOT}", *_root_flag()],
        "benchmark": [str(ROOT / "benchmarks" / "benchmark.py")],  # prints figures; not part of the tests
        "lint": None,  # checks only, changes nothing (CI runs it; pre-commit fixes on commit)
    }
    if not argv or argv[0] not in commands:
        print("usage: python tasks.py build|test|lint|lab|benchmark|pplib [extra arguments]", file=sys.stderr)
        return 2
    python = ensure_environment()
    if argv[0] == "lint":
        return _lint(python)
    return subprocess.run([str(python), *commands[argv[0]], *argv[1:]], cwd=ROOT, env=_env()).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
