"""Where a build writes (one folder per locality and edition; the partner edition's private working
folder), and what it reports of each section and unit.
"""
from __future__ import annotations

import json
import shutil
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from pplib.files import write_json, write_text  # noqa: F401 - the build's writers, atomic (pplib.files)
from pplib.paths import NOTEBOOKS_DIR
from pplib.registry import SECTIONS


def section_notebook(section: str) -> Path:
    path = NOTEBOOKS_DIR / f"{section}.ipynb"
    if not path.exists():
        raise FileNotFoundError(f"no notebook for section '{section}' ({path}); sections are {', '.join(SECTIONS)}")
    return path


def locality_out_dir(out_root: Path, slug: str, edition: str) -> Path:
    """The edition's folder: what its readers get."""
    return Path(out_root) / slug / edition


PARTNER_WORK = "partner-build"


def work_dir(out_root: Path, slug: str, edition: str) -> Path:
    """Where the edition's notebooks write. The partner edition's executed notebooks, logs and data quality
    reports are not for partners, so they are built inside the internal folder and only the report and its
    tables are published (publish_partner)."""
    internal = locality_out_dir(out_root, slug, "internal")
    return internal / PARTNER_WORK if edition == "partner" else internal


PATH_PARAMETERS = ("locality", "output_dir")  # set by run_section itself, and machine paths


def parameters_record(parameters: dict, edition: str, sections: tuple[str, ...]) -> dict:
    """parameters.json: the notebook parameters, edition and sections; no machine paths (it is published)."""
    kept = {k: v for k, v in parameters.items() if k not in PATH_PARAMETERS}
    # as read back from the file (a date as text), so an unchanged build compares equal
    return json.loads(json.dumps({**kept, "edition": edition, "sections": list(sections)}, default=str))


def read_json(path: Path) -> dict | None:
    """The file's data; None if it is missing or not JSON (e.g. cut short by a build killed before writes
    were atomic): either way, what it would have vouched for is made again."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (FileNotFoundError, UnicodeDecodeError, json.JSONDecodeError):
        return None


def empty_folder(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)


class OutputClash(ValueError):
    """Two localities of one build would write into the same output folder."""


def check_distinct_outputs(locality_dirs: list[Path]) -> None:
    """Refuse, before any work, localities whose output folders would be one: a folder is named after its
    locality's folder (its slug), and on Windows and macOS `Notts` and `notts` are one folder too."""
    seen: dict[str, Path] = {}
    for given in locality_dirs:
        folder = Path(given).resolve()
        folder = folder.parent if folder.is_file() else folder  # a locality.yaml named directly
        key = folder.name.casefold()
        if key not in seen:
            seen[key] = folder
        elif seen[key] == folder:
            raise OutputClash(f"the locality {given} is given twice")
        else:
            raise OutputClash(f"the localities {seen[key]} and {folder} would both be built into the output "
                              f"folder '{folder.name}' (it is named after the locality's folder): rename one")


@dataclass
class SectionResult:
    locality: str
    section: str
    notebook: Path
    html: Path
    edition: str = "internal"
    reads: list[str] | None = None  # the locality's files it read (pplib.build.stamps), None if not known

    @property
    def out_dir(self) -> Path:
        return self.html.parent.parent


@dataclass
class UnitResult:
    """What happened to one locality in one edition."""
    locality: str
    edition: str
    out_dir: str
    status: str = "built"  # built | up to date | failed
    built: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed_section: str = ""
    error: str = ""  # one line, for the index page
    detail: str = ""  # the whole message, for the terminal
    error_file: str = ""  # where the traceback was written (error.txt)
    report: str = ""
    pdf: str = ""
    name: str = ""  # the locality's name as the report shows it
    worker: str = ""  # host:process that built it (which machine, when a cluster builds)
    cells_shown: int = 0  # partner edition: local count cells shown and suppressed (from its audit)
    cells_suppressed: int = 0

    def suppression(self) -> str:
        """What the partner edition withholds, e.g. '37 of 449 local count cells suppressed (8.2%)'."""
        total = self.cells_shown + self.cells_suppressed
        if self.edition != "partner" or self.status == "failed":
            return ""
        if not total:
            return "no local count cells"
        share = self.cells_suppressed / total
        return f"{self.cells_suppressed:,} of {total:,} local count cells suppressed ({share:.1%})"


@contextmanager
def stage(name: str):
    """Name the stage an exception came from, so the batch summary says where the unit failed."""
    try:
        yield
    except Exception as exc:
        if not getattr(exc, "pplib_section", ""):
            exc.pplib_section = name
        raise
