"""Every pinned package has a binary wheel for each supported Python on each platform users have.

A police analyst's locked-down Windows laptop cannot compile anything, so a pin without a wheel for their
Python is a pin they cannot install. pip resolves the whole pinned set as it would install it, wheels only
(`--only-binary=:all:`), for another Python and platform than this machine's (`--dry-run`: nothing is
installed; the index's metadata files are read, not the wheels).

    python .ci/check_wheels.py            # every Python in SUPPORTED x every platform
    python .ci/check_wheels.py 3.13 win   # one of each
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
import tomllib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SUPPORTED = ("3.11", "3.12", "3.13")  # keep in step with requires-python in pyproject.toml

PLATFORMS = {  # pip --platform tags, newest first
    "linux": ("manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64"),
    "win": ("win_amd64",),
    "mac": ("macosx_14_0_arm64", "macosx_11_0_arm64"),
}


def pins() -> list[str]:
    """The pinned requirements of the package and its dev and dask extras (the set CI installs)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = project["optional-dependencies"]
    wanted = project["dependencies"] + extras["dask"] + [r for r in extras["dev"] if "==" in r]
    return [r.split("#")[0].strip() for r in wanted]


def resolves(python: str, platform: str) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory() as target:
        requirements = Path(target) / "requirements.txt"
        requirements.write_text("\n".join(pins()) + "\n", encoding="utf-8")
        platform_flags = [flag for tag in PLATFORMS[platform] for flag in ("--platform", tag)]
        return subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--quiet", "--ignore-installed",
                               "--disable-pip-version-check", "--only-binary=:all:", "--python-version", python,
                               *platform_flags, "--target", str(Path(target) / "site"), "-r", str(requirements)],
                              capture_output=True, text=True)


def main(argv: list[str]) -> int:
    pythons = [a for a in argv if a[0].isdigit()] or list(SUPPORTED)
    platforms = [a for a in argv if a in PLATFORMS] or list(PLATFORMS)
    combinations = [(python, platform) for python in pythons for platform in platforms]
    with ThreadPoolExecutor(max_workers=4) as pool:  # each waits on the index, not the CPU
        results = list(pool.map(lambda combination: resolves(*combination), combinations))
    failed = 0
    for (python, platform), done in zip(combinations, results):
        errors = [line for line in done.stderr.splitlines() if line.startswith("ERROR")]
        print(f"Python {python} on {platform}: {'a wheel for every pin' if done.returncode == 0 else 'NOT INSTALLABLE'}")
        if done.returncode:
            failed += 1
            print("  " + "\n  ".join(errors or done.stderr.splitlines()[-5:]))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
