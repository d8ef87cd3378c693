"""Execute section notebooks for a locality with papermill and export them to HTML."""
from __future__ import annotations

import json
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path

import nbformat
import papermill
from nbconvert import HTMLExporter

from pplib.config import load_locality
from pplib.export import tables_workbook
from pplib.paths import NOTEBOOKS_DIR, OUTPUTS_DIR

log = logging.getLogger(__name__)

SECTIONS = ("national_picture", "local_picture", "mapping", "in_focus")
KERNEL = "python3"


@dataclass
class SectionResult:
    locality: str
    section: str
    notebook: Path
    html: Path


def section_notebook(section: str) -> Path:
    path = NOTEBOOKS_DIR / f"{section}.ipynb"
    if not path.exists():
        raise FileNotFoundError(f"no notebook for section '{section}' ({path}); sections are {', '.join(SECTIONS)}")
    return path


TEMPLATES = Path(__file__).parent / "templates"


def export_html(notebook: Path, target: Path, marking: str) -> Path:
    """Notebook -> standalone HTML: code hidden, marking on every page, nothing fetched from the network."""
    exporter = HTMLExporter(template_name="profile", extra_template_basedirs=[str(TEMPLATES)],
                            exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    nb = nbformat.read(notebook, as_version=4)
    nb.metadata["pplib"] = {"marking": marking}
    body, _ = exporter.from_notebook_node(nb)
    target.write_text(body, encoding="utf-8")
    return target


def run_section(locality_dir: Path, section: str, out_root: Path, parameters: dict | None = None) -> SectionResult:
    """Run one section for one locality into out_root/<slug>/ (its own working folder).

    `parameters` sets the notebook's own parameters (e.g. year for the national picture)."""
    locality = load_locality(locality_dir)
    out_dir = out_root / locality.slug
    work_dir = out_dir / "work" / section
    work_dir.mkdir(parents=True, exist_ok=True)
    executed = out_dir / f"{section}.ipynb"
    params = {**(parameters or {}), "locality": str(locality.base_dir), "output_dir": str(out_dir)}
    log.info("running %s for %s", section, locality.name)
    papermill.execute_notebook(str(section_notebook(section)), str(executed), parameters=params,
                               kernel_name=KERNEL, cwd=str(work_dir), progress_bar=False,
                               log_output=False)
    html = export_html(executed, out_dir / f"{section}.html", locality.handling_marking)
    shutil.rmtree(work_dir, ignore_errors=True)
    (out_dir / "parameters.json").write_text(json.dumps(params, indent=2), encoding="utf-8")
    return SectionResult(locality.slug, section, executed, html)


def build_locality(locality_dir: Path, sections: tuple[str, ...], out_root: Path,
                   parameters: dict | None = None) -> list[SectionResult]:
    """All sections of one locality, then its tables as one Excel workbook."""
    results = [run_section(locality_dir, section, out_root, parameters) for section in sections]
    if results:
        tables_workbook(results[0].html.parent)
    return results


def build(locality_dirs: list[Path], sections: tuple[str, ...] = SECTIONS, out_root: Path | None = None,
          parameters: dict | None = None):
    out_root = Path(out_root or OUTPUTS_DIR)
    return [r for loc in locality_dirs for r in build_locality(Path(loc), sections, out_root, parameters)]
