"""Where things live. Every path the toolkit uses is derived here."""
from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DIR = PROJECT_ROOT / "data" / "sample"
REFERENCE_DIR = SAMPLE_DIR / "reference"
LOCALITIES_DIR = SAMPLE_DIR / "localities"
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
OUTPUTS_DIR = Path(os.environ.get("PPLIB_OUTPUTS", PROJECT_ROOT / "outputs"))


def geo_dir() -> Path | None:
    """Folder holding official boundary files, from PPLIB_GEO_DIR; None when not configured."""
    value = os.environ.get("PPLIB_GEO_DIR")
    return Path(value) if value else None


def sample_localities() -> list[Path]:
    """The locality folders of the embedded sample."""
    return sorted(p.parent for p in LOCALITIES_DIR.glob("*/locality.yaml"))
