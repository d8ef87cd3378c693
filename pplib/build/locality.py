"""Build one locality in one edition: run its sections, settle its disclosure ledger, assemble the report.

One unit of work is one locality in one edition: its sections run in report order
(the appendix reads the tables the others wrote), then they are assembled into one
report page. Each section records the hash of everything it was built from, so a
re-run rebuilds only what failed or whose inputs changed.

The partner edition is built in a private working folder inside the internal edition's
(internal/partner-build/), then only what a partner should get is published to the
partner folder, audited there and, if the audit fails, withdrawn.
"""
from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import traceback
from pathlib import Path

import papermill

from pplib.build.execute import run_section
from pplib.build.html import assemble_report
from pplib.build.outputs import (
    UnitResult,
    locality_out_dir,
    parameters_record,
    read_json,
    stage,
    work_dir,
    write_json,
    write_text,
)
from pplib.build.publish import METADATA, AuditFailed, publish_and_audit, record_files, withdraw
from pplib.build.stamps import inputs_hash, stamp_path, up_to_date
from pplib.build.workbook import tables_workbook
from pplib.config import load_locality

log = logging.getLogger(__name__)












def build_locality(locality_dir: Path, sections: tuple[str, ...], out_root: Path, parameters: dict | None = None,
                   edition: str = "internal", rebuild: bool = True, pdf: bool = False) -> UnitResult:
    """All sections of one locality in one edition, then the assembled report and the tables workbook; the
    partner edition's are then published to its folder and audited there."""
    locality = load_locality(locality_dir)
    work, target = work_dir(out_root, locality.slug, edition), locality_out_dir(out_root, locality.slug, edition)
    result = UnitResult(locality.slug, edition, str(target), name=locality.name)
    parameters = parameters or {}
    record = parameters_record(parameters, edition, sections)
    changed = read_json(work / "parameters.json") != record  # e.g. another set of sections
    plan = _plan(locality, sections, work, edition, parameters, rebuild or (changed and edition == "partner"))
    if edition == "partner" and any(stale for _, _, stale in plan):
        _start_clean(work)
    for section, digest, stale in plan:
        if stale:
            _run_stamped(locality_dir, section, digest, out_root, parameters, edition, work)
        (result.built if stale else result.skipped).append(section)
    if edition == "partner" and result.built:
        _settle(locality, locality_dir, plan, out_root, parameters, work)
    with stage("report"):
        if result.built or changed or not (work / "report.html").exists():
            assemble_report([work / "sections" / f"{s}.html" for s in sections], work / "report.html",
                            f"{locality.name} modern slavery problem profile ({edition} edition)")
            tables_workbook(work)
        shutil.rmtree(work / "work", ignore_errors=True)
        write_json(work / "parameters.json", record)
    if edition == "partner":
        publish_and_audit(work, target, result)
    result.report = str(target / "report.html")
    if pdf:
        result.pdf = str(_print_pdf(target, edition))
    result.status = "built" if result.built else "up to date"
    return result


def _plan(locality, sections, work: Path, edition: str, parameters: dict, rebuild: bool) -> list[tuple]:
    """(section, inputs hash, needs building) in report order. The partner edition rebuilds all or none: its
    ledger is locality-wide, so its disclosure decisions must be made over one consistent build."""
    plan, upstream = [], ""
    for section in sections:
        digest = inputs_hash(locality, section, edition, parameters, upstream)
        upstream += digest  # a later section (the appendix) depends on the earlier ones
        plan.append((section, digest, rebuild or not up_to_date(work, section, digest)))
    if edition == "partner" and any(stale for _, _, stale in plan):
        plan = [(section, digest, True) for section, digest, _ in plan]
    return plan


# What a partner build starts without: an earlier build's tables (and their workbook), ledger decisions and
# log, and its stamps (the sections they vouch for were built on the ledger being deleted).
CLEAN_START = ("tables", "tables.xlsx", "disclosure", "disclosure_log.csv", ".stamps")


def _settle(locality, locality_dir: Path, plan: list[tuple], out_root: Path, parameters: dict, work: Path) -> None:
    """Check the locality's ledger as a whole; where that withdrew a cell a section had already shown, run the
    sections again on the ledger's decisions (kept), until none changes (it only ever adds suppression)."""
    from pplib.disclosure.plan import Ledger
    ledger_file = work / "disclosure" / "ledger.json"
    for _ in range(SETTLE_PASSES):
        ledger = Ledger.load(ledger_file, locality.disclosure)
        if not ledger.settle():
            ledger.save(ledger_file)
            return
        ledger.revised = False
        _start_clean(work, keep=("disclosure",))
        ledger.save(ledger_file)
        log.info("%s: cells withdrawn after they were shown; running the sections again", locality.name)
        for section, digest, _ in plan:
            _run_stamped(locality_dir, section, digest, out_root, parameters, "partner", work)


SETTLE_PASSES = 3


def _start_clean(work: Path, keep: tuple[str, ...] = ()) -> None:
    for name in CLEAN_START:
        if name in keep:
            continue
        path = work / name
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)


def _run_stamped(locality_dir: Path, section: str, digest: str, out_root: Path, parameters: dict, edition: str,
                 work: Path) -> None:
    """Run one section, then stamp it with what it was built from (no stamp while it runs: a crash rebuilds it)."""
    stamp = stamp_path(work, section)
    stamp.unlink(missing_ok=True)
    with stage(section):
        run_section(locality_dir, section, out_root, parameters, edition)
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text(json.dumps({"inputs": digest}), encoding="utf-8")




def _print_pdf(folder: Path, edition: str) -> Path:
    from pplib.build.pdf import html_to_pdf
    with stage("PDF"):
        pdf = html_to_pdf(folder / "report.html", folder / "report.pdf")
    if edition == "partner":
        record_files(folder, [*read_json(folder / METADATA)["files"], "report.pdf"])
    return pdf


def build_unit(args: tuple) -> UnitResult:
    """One unit in a worker process: any failure becomes a result, never an exception."""
    locality_dir, sections, out_root, parameters, edition, rebuild, pdf = args
    try:
        result = build_locality(locality_dir, sections, out_root, parameters, edition, rebuild, pdf)
    except Exception as exc:  # noqa: BLE001 - isolate the failure to this unit
        section = getattr(exc, "pplib_section", "")
        result = failed_unit(args, section, _error_summary(exc), traceback.format_exc())
    result.worker = f"{socket.gethostname()}:{os.getpid()}"
    return result


def failed_unit(unit: tuple, section: str, summary: str, details: str) -> UnitResult:
    """A unit that failed: logged, its traceback in error.txt in its working folder, the one-line reason in
    the result. A failed partner edition is withdrawn: its folder holds only a note saying so."""
    locality_dir, _, out_root, _, edition, _, _ = unit
    slug, name = _identity(locality_dir)
    log.error("%s (%s): failed in %s: %s", slug, edition, section or "setup", summary)
    result = UnitResult(slug, edition, str(locality_out_dir(out_root, slug, edition)), status="failed",
                        failed_section=section, error=summary, name=name)
    write_text(work_dir(out_root, slug, edition) / "error.txt", details)
    if edition == "partner":
        withdraw(Path(result.out_dir), name, section or "setup")
    return result


def _identity(locality_dir: Path) -> tuple[str, str]:
    """(slug, name) of the locality, its folder's name when its configuration is what failed."""
    try:
        locality = load_locality(locality_dir)
        return locality.slug, locality.name
    except Exception:  # noqa: BLE001 - reporting a failure: the folder's name will do
        return Path(locality_dir).name, Path(locality_dir).name


def _error_summary(exc: Exception) -> str:
    """One line: the error raised inside the notebook (its type and first line), or the exception's own."""
    if isinstance(exc, AuditFailed):
        return exc.problems[0]
    if isinstance(exc, papermill.PapermillExecutionError):
        name, text = exc.ename, exc.evalue
    else:
        name, text = type(exc).__name__, str(exc)
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return f"{name}: {first}"
