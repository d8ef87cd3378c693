"""Publish the partner edition: copy only what a partner should get from its private working folder into
a folder beside the partner folder, audit it there, and only then put it in the partner folder's place; if
anything fails, withdraw the partner folder (leaving a note that says where, never what).

The partner folder therefore holds a whole, audited edition, or only the note, or (for the moment between
two renames, were the build killed in it) nothing: never a part of one.
"""
from __future__ import annotations

import html
import os
import shutil
from pathlib import Path

from pplib.build.outputs import PARTNER_WORK, UnitResult, empty_folder, read_json, stage, write_json, write_text
from pplib.files import copy_file

# Everything a partner gets, from the working folder: the report, its tables (also as a workbook), which
# cells were withheld and why, what it was built with, and what the audit reads.
PUBLISHED = ("report.html", "tables/*.csv", "tables.xlsx", "disclosure_log.csv", "parameters.json",
             "disclosure/metadata.json")


METADATA = "disclosure/metadata.json"


AUDIT = "disclosure audit"


AUDIT_PLACEHOLDER = '<p class="pp-audit"></p>'


FAILED_NOTE = "BUILD-FAILED.txt"


def publish_partner(work: Path, target: Path) -> list[str]:
    """Empty `target` and copy into it, from the working folder, only the PUBLISHED files that exist; return
    their paths (relative, posix), also recorded under "files" in target's disclosure/metadata.json."""
    work, target = Path(work), Path(target)
    if work.resolve().is_relative_to(target.resolve()):
        raise ValueError(f"{work} is inside {target}, which publishing empties")
    empty_folder(target)
    files = []
    for pattern in PUBLISHED:
        for path in sorted(p for p in work.glob(pattern) if p.is_file()):
            name = path.relative_to(work).as_posix()
            copy_file(path, target / name)
            files.append(name)
    if METADATA not in files:
        files.append(METADATA)
    record_files(target, files)
    return files


def record_files(target: Path, files: list[str]) -> None:
    """The folder's file list in disclosure/metadata.json (the audit checks the folder holds nothing else)."""
    metadata = read_json(target / METADATA) or {"format": 1}
    write_json(target / METADATA, {**metadata, "files": files})


class AuditFailed(Exception):
    """The published partner edition failed its disclosure audit: every problem, one a line."""
    pplib_section = AUDIT

    def __init__(self, problems: list[str]):
        self.problems = problems or ["the audit failed without naming a problem"]
        super().__init__("\n".join(self.problems))


def _audit(folder: Path):
    """The published folder read back and attacked as a partner could; raises AuditFailed if it gives away
    a suppressed count."""
    with stage(AUDIT):
        from pplib.disclosure.audit import audit_folder  # here: the build must import without it
        audit = audit_folder(folder)
        if not audit.ok:
            raise AuditFailed([str(p) for p in audit.problems])  # "file, row r, column c: message"
    return audit


def audit_sentence(audit) -> str:
    """What the report says of its audit. Counts of cells only: a count of records here would be unprotected."""
    total = audit.shown + audit.suppressed
    if not total:
        return "Disclosure audit: passed. This edition shows no counts from local records."
    if getattr(audit, "method", "suppress") == "round":
        return (f"Disclosure audit: passed. The {total:,} local count cells are rounded, so no exact count can "
                "be worked out from the tables, totals and sentences in this edition.")
    return (f"Disclosure audit: passed. {audit.suppressed:,} of {total:,} local count cells "
            f"({audit.suppressed / total:.1%}) are suppressed; no suppressed count can be worked out from the "
            "tables, totals and sentences in this edition.")


def publish_and_audit(work: Path, target: Path, result: UnitResult, print_pdf=None) -> None:
    """Publish, audit and state the audit in the report, then (with `print_pdf`, a function of the folder)
    print it; all beside the partner folder, which is then replaced whole."""
    staging = staging_folder(target)
    try:
        with stage("publishing"):
            files = publish_partner(work, staging)
        audit = _audit(staging)
        result.cells_shown, result.cells_suppressed = audit.shown, audit.suppressed
        _state_audit(staging / "report.html", audit)
        if print_pdf is not None:
            print_pdf(staging)
            record_files(staging, [*files, "report.pdf"])
        with stage("publishing"):
            replace_folder(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def staging_folder(target: Path) -> Path:
    """Where the edition is published and audited before it takes the partner folder's place."""
    return target.with_name(f".{target.name}-publishing")


def _state_audit(report: Path, audit) -> None:
    page = report.read_text(encoding="utf-8") if report.exists() else ""
    if AUDIT_PLACEHOLDER in page:  # the appendix leaves it for the audit's result
        stated = f'<p class="pp-audit">{html.escape(audit_sentence(audit))}</p>'
        write_text(report, page.replace(AUDIT_PLACEHOLDER, stated))


def replace_folder(new: Path, target: Path) -> None:
    """`new` in `target`'s place: the old folder is moved aside whole, then deleted."""
    old = target.with_name(f".{target.name}-old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        os.replace(target, old)
    os.replace(new, target)
    shutil.rmtree(old, ignore_errors=True)


def withdraw(target: Path, name: str, where: str) -> None:
    """Empty the partner folder but for a note: where it failed, never what (the error may quote input)."""
    shutil.rmtree(staging_folder(target), ignore_errors=True)
    empty_folder(target)
    write_text(target / FAILED_NOTE,
                f"The partner edition of {name} was not built: it failed in {where}.\n"
                "Nothing of it is published here. The detail is in the internal edition's folder: "
                f"internal/{PARTNER_WORK}/error.txt\n")
