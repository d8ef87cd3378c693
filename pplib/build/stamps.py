"""What is up to date. Each section's stamp records the hash of everything it was built from (code,
reference data, the locality's files, parameters, and the sections before it) and the hashes of the pages
it made; the unit's stamp (complete.json), written last, records the hashes of every file of the edition's
folder. Up to date means every one of those files exists and still has the hash recorded when it was made:
a file cut short, emptied or edited since is made again.
"""
from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path

from pplib.build.html import TEMPLATES
from pplib.build.outputs import read_json, section_notebook, write_json
from pplib.paths import REFERENCE_DIR


def _hash_files(paths) -> str:
    digest = hashlib.sha256()
    for path in sorted(Path(p) for p in paths):
        digest.update(str(path.name).encode())
        digest.update(path.read_bytes() if path.is_file() else b"<missing>")
    return digest.hexdigest()


@lru_cache(maxsize=1)
def _code_and_reference_hash() -> str:
    """The toolkit itself and the published figures: a change to either rebuilds everything."""
    package = Path(__file__).parent
    files = [*package.rglob("*.py"), *TEMPLATES.rglob("*"), *REFERENCE_DIR.glob("*.csv")]
    return _hash_files(p for p in files if p.is_file())


def _locality_files(locality, reads: list[str] | None = None) -> list[Path]:
    """The locality's files a section read (`reads`, relative to its folder; a folder stands for its case
    studies), its configuration always; all of them when what it read is not known."""
    if reads is None:
        reads = ["locality.yaml", *(locality.sources[k].path for k in locality.sources)]
        if locality.case_studies:
            reads.append(str(locality.case_studies))
    files = [locality.base_dir / "locality.yaml"]
    for name in reads:
        path = locality.base_dir / name
        files += sorted(path.glob("*.md")) if path.is_dir() else [path]
    return sorted(set(files))


def inputs_hash(locality, section: str, edition: str, parameters: dict, upstream: str = "",
                reads: list[str] | None = None) -> str:
    """Everything the section was made from: the toolkit, the files it read (`reads`; None: every file of the
    locality), its notebook, edition and parameters, the boundaries, and (the appendix) the sections before."""
    from pplib.reference import boundaries
    digest = hashlib.sha256()
    for part in (_code_and_reference_hash(), _hash_files(_locality_files(locality, reads)),
                 section_notebook(section).read_bytes().hex(), edition,
                 json.dumps(parameters, sort_keys=True, default=str),
                 str(boundaries.available()), upstream):
        digest.update(part.encode() if isinstance(part, str) else part)
    return digest.hexdigest()


STAMPS = ".stamps"


def stamp_path(out_dir: Path, section: str) -> Path:
    return out_dir / STAMPS / f"{section}.json"


def file_hash(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _hashes(folder: Path, names) -> dict[str, str]:
    return {name: file_hash(folder / name) for name in names}


def _unchanged(folder: Path, recorded: dict[str, str]) -> bool:
    return all((folder / name).is_file() and file_hash(folder / name) == digest for name, digest in recorded.items())


def _section_pages(section: str) -> list[str]:
    return [f"sections/{section}.html", f"sections/{section}.ipynb"]


def stamp_section(out_dir: Path, section: str, digest: str, reads: list[str] | None = None) -> None:
    """After the section ran: what it was built from (and which of the locality's files it read), and the
    pages it made."""
    write_json(stamp_path(out_dir, section), {"inputs": digest, "reads": reads,
                                              "outputs": _hashes(out_dir, _section_pages(section))})


def stamped_reads(out_dir: Path, section: str) -> list[str] | None:
    """The locality's files the section read when it was last made (None: not known)."""
    return (read_json(stamp_path(out_dir, section)) or {}).get("reads")


def up_to_date(out_dir: Path, section: str, digest: str) -> bool:
    stamp = read_json(stamp_path(out_dir, section)) or {}
    return stamp.get("inputs") == digest and bool(stamp.get("outputs")) and _unchanged(out_dir, stamp["outputs"])


# --- the edition's folder as a whole ---------------------------------------------------------------------------

UNIT_STAMP = "complete.json"
# Made from the sections' pages and tables, so made again when one of them is missing or changed.
ASSEMBLED = ("report.html", "tables.xlsx", "parameters.json")
# Not outputs of the edition: stamps, scratch, the partner edition's own folder, the log, a failure's notes.
NOT_OUTPUTS = (STAMPS, "work", "partner-build", "pplib.log", "error.txt", "BUILD-FAILED.txt")


def _outputs(work: Path) -> list[str]:
    return sorted(p.relative_to(work).as_posix() for p in work.rglob("*")
                  if p.is_file() and p.relative_to(work).parts[0] not in NOT_OUTPUTS)


def stamp_unit(work: Path, sections: dict[str, str], record: dict) -> None:
    """The unit built whole: which sections (with their inputs' hashes), with what, and every file it made."""
    write_json(work / STAMPS / UNIT_STAMP, {"sections": sections, "parameters": record,
                                            "outputs": _hashes(work, _outputs(work))})


def unstamp_unit(work: Path) -> None:
    """Before anything in the folder changes: a build stopped midway is not complete."""
    (work / STAMPS / UNIT_STAMP).unlink(missing_ok=True)


def unit_state(work: Path, sections: dict[str, str], record: dict) -> str:
    """"complete"; "assemble" (the report, workbook and parameters must be made again from the sections);
    or "rebuild" (a section's table or report is missing, changed, or not the build's: build every section)."""
    stamp = read_json(work / STAMPS / UNIT_STAMP) or {}
    if stamp.get("sections") != sections or stamp.get("parameters") != record or "outputs" not in stamp:
        return "assemble"  # each section vouches for itself (its stamp); what was put together from them may not
    recorded = stamp["outputs"]
    changed = {name for name in recorded if not _unchanged(work, {name: recorded[name]})}
    changed |= set(_outputs(work)) - set(recorded)  # a file no build made (it would be published)
    if {name for name in changed - set(ASSEMBLED) if not name.startswith("sections/")}:  # pages: their stamps
        return "rebuild"
    return "assemble" if changed else "complete"
