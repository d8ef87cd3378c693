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

import datetime as dt
import html
import itertools
import logging
import os
import re
import shutil
import socket
import traceback
from pathlib import Path

import papermill

from pplib.build.execute import run_section
from pplib.build.html import assemble_report, front_matter
from pplib.build.outputs import (
    PARTNER_WORK,
    UnitResult,
    locality_out_dir,
    parameters_record,
    read_json,
    stage,
    work_dir,
    write_json,
    write_text,
)
from pplib.build.publish import FAILED_NOTE, AuditFailed, publish_and_audit, withdraw
from pplib.build.stamps import (
    inputs_hash,
    stamp_path,
    stamp_section,
    stamp_unit,
    stamped_reads,
    unit_state,
    unstamp_unit,
    up_to_date,
)
from pplib.build.workbook import tables_workbook
from pplib.config import load_locality
from pplib.files import Redactor, remove_temporaries, replacing
from pplib.records.load import check_sources
from pplib.registry import READS_OTHER_SECTIONS

log = logging.getLogger(__name__)

SOURCES_CHECK = "checking the sources"


# Told of each section as it finishes, for a progress bar (the batch sets it in each worker process).
_on_section = None


def report_sections_to(callback) -> None:
    """Call `callback()` once for each section built or found up to date, in this process, from now on."""
    global _on_section
    _on_section = callback


def _section_done() -> None:
    if _on_section is not None:
        _on_section()


def build_locality(locality_dir: Path, sections: tuple[str, ...], out_root: Path, parameters: dict | None = None,
                   edition: str = "internal", rebuild: bool = True, pdf: bool = False) -> UnitResult:
    """All sections of one locality in one edition, then the assembled report and the tables workbook; the
    partner edition's are then published to its folder and audited there.

    The folder's own stamp is taken away first and put back last, over every file then in the folder: a
    build stopped anywhere in between leaves a folder the next build does not take for complete."""
    locality = load_locality(locality_dir)
    with stage(SOURCES_CHECK):  # a file that cannot be used fails here, in seconds, before any section runs
        check_sources(locality)
    out_root = Path(out_root).resolve()  # the kernel works in its own folder: a relative path would miss
    work, target = work_dir(out_root, locality.slug, edition), locality_out_dir(out_root, locality.slug, edition)
    result = UnitResult(locality.slug, edition, str(target), name=locality.name)
    parameters = parameters or {}
    record = parameters_record(parameters, edition, sections)
    digests = _digests(locality, sections, edition, parameters, work)
    state = unit_state(work, digests, record)
    unstamp_unit(work)
    remove_temporaries(work, keep=(PARTNER_WORK,))  # the partner edition's, perhaps being built now
    changed = read_json(work / "parameters.json") != record  # e.g. another set of sections
    plan = _plan(work, digests, edition, rebuild or state == "rebuild" or (changed and edition == "partner"))
    if edition == "partner" and any(stale for _, stale in plan):
        _start_clean(work)
    for section, stale in plan:
        if stale:
            _run_stamped(locality, locality_dir, section, digests, out_root, parameters, edition, work)
        (result.built if stale else result.skipped).append(section)
        _section_done()
    if edition == "partner" and result.built:
        _settle(locality, locality_dir, digests, out_root, parameters, work)
    with stage("report"):
        if result.built or state != "complete":
            assemble_report([work / "sections" / f"{s}.html" for s in sections], work / "report.html",
                            f"{locality.name} modern slavery problem profile ({edition} edition)",
                            front=front_matter(locality, edition))
            tables_workbook(work, marking=locality.handling_marking,
                            title=f"{locality.name} modern slavery problem profile ({edition} edition): tables")
        shutil.rmtree(work / "work", ignore_errors=True)
        write_json(work / "parameters.json", record)
    if edition == "partner":
        publish_and_audit(work, target, result, print_report_pdf if pdf else None)
    elif pdf:
        print_report_pdf(target)
    result.report = str(target / "report.html")
    result.pdf = str(target / "report.pdf") if pdf else ""
    _clear_failure(work, target)
    stamp_unit(work, digests, record)
    result.status = "built" if result.built or state != "complete" else "up to date"
    return result


def _digests(locality, sections, edition: str, parameters: dict, work: Path) -> dict[str, str]:
    """Each section's inputs hash, in report order, over the files it read when it was last made."""
    digests = {}
    for section in sections:
        digests[section] = _digest(locality, section, edition, parameters, digests, stamped_reads(work, section))
    return digests


def _digest(locality, section: str, edition: str, parameters: dict, digests: dict[str, str],
            reads: list[str] | None) -> str:
    """The section's inputs hash; a section that reads the others' work (the appendix) depends on theirs, the
    sections before it in `digests`."""
    before = itertools.takewhile(lambda earlier: earlier != section, digests)
    upstream = "".join(digests[s] for s in before) if section in READS_OTHER_SECTIONS else ""
    return inputs_hash(locality, section, edition, parameters, upstream, reads)


def _plan(work: Path, digests: dict[str, str], edition: str, rebuild: bool) -> list[tuple[str, bool]]:
    """(section, needs building) in report order. The partner edition rebuilds all or none: its ledger is
    locality-wide, so its disclosure decisions must be made over one consistent build."""
    plan = [(section, rebuild or not up_to_date(work, section, digest)) for section, digest in digests.items()]
    if edition == "partner" and any(stale for _, stale in plan):
        plan = [(section, True) for section, _ in plan]
    return plan


# What a partner build starts without: an earlier build's tables (and their workbook), ledger decisions and
# log, and its stamps (the sections they vouch for were built on the ledger being deleted).
CLEAN_START = ("tables", "tables.xlsx", "disclosure", "disclosure_log.csv", ".stamps")


def _settle(locality, locality_dir: Path, digests: dict[str, str], out_root: Path, parameters: dict,
            work: Path) -> None:
    """Check the locality's ledger as a whole; where that withdrew a cell a section had already shown, run
    again, on the ledger's decisions (kept), the sections that asked about a withdrawn cell and those that read
    the others' (the appendix), until none changes (it only ever adds suppression)."""
    from pplib.disclosure.plan import Ledger
    from pplib.report.section import forget_captions
    ledger_file = work / "disclosure" / "ledger.json"
    for _ in range(SETTLE_PASSES):
        ledger = Ledger.load(ledger_file, locality.disclosure)
        if not ledger.settle():
            ledger.save(ledger_file)
            return
        again = _sections_again(ledger, list(digests))
        log.info("%s: cells withdrawn after they were shown; making %s again", locality.name, ", ".join(again))
        owned = {section: _forget_tables(ledger, section, work) for section in again}
        ledger.revised, ledger.withdrawn = False, set()
        ledger.save(ledger_file)
        for section in again:
            _run_stamped(locality, locality_dir, section, digests, out_root, parameters, "partner", work)
            forget_captions(work / "tables", [f for f in owned[section] if not (work / "tables" / f).exists()])


def _sections_again(ledger, sections: list[str]) -> list[str]:
    """The sections that showed a withdrawn cell, and (when any does) those that read the others' work."""
    again = set(ledger.readers_of_withdrawn(sections))
    again |= set(READS_OTHER_SECTIONS) & set(sections)
    return [section for section in sections if section in again]


def _forget_tables(ledger, section: str, work: Path) -> list[str]:
    """Take the section's tables (files and audit entries) away before it is made again, so none it no longer
    makes is left behind; the names of its table files (tables/captions.csv keeps their places meanwhile).
    Its record of what it read goes too: the new run says again."""
    files = [entry["file"] for entry in ledger.tables if entry.get("section") == section]
    ledger.tables = [entry for entry in ledger.tables if entry.get("section") != section]
    ledger.read_by.pop(section, None)
    for file in files:
        (work / file).unlink(missing_ok=True)
    (work / "tables.xlsx").unlink(missing_ok=True)
    return [Path(file).name for file in files]


SETTLE_PASSES = 3


def _start_clean(work: Path) -> None:
    for name in CLEAN_START:
        path = work / name
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)


def _run_stamped(locality, locality_dir: Path, section: str, digests: dict[str, str], out_root: Path,
                 parameters: dict, edition: str, work: Path) -> None:
    """Run one section, then stamp it with what it was built from, over the files it read this time (no
    stamp while it runs: a crash rebuilds it); its hash in `digests` is updated to match."""
    stamp_path(work, section).unlink(missing_ok=True)
    with stage(section):
        made = run_section(locality_dir, section, out_root, parameters, edition)
    digests[section] = _digest(locality, section, edition, parameters, digests, made.reads)
    stamp_section(work, section, digests[section], made.reads)




def print_report_pdf(folder: Path) -> Path:
    """folder/report.pdf from folder/report.html, whole or not at all."""
    from pplib.build.pdf import html_to_pdf
    with stage("PDF"), replacing(folder / "report.pdf") as temporary:
        html_to_pdf(folder / "report.html", temporary)
    return folder / "report.pdf"


def _clear_failure(work: Path, target: Path) -> None:
    """A build that succeeds takes away the notes an earlier failure left (its detail may quote input)."""
    (work / "error.txt").unlink(missing_ok=True)
    (target / FAILED_NOTE).unlink(missing_ok=True)


def build_unit(args: tuple) -> UnitResult:
    """One unit in a worker process: any failure becomes a result, never an exception."""
    locality_dir, sections, out_root, parameters, edition, rebuild, pdf = args
    try:
        result = build_locality(locality_dir, sections, out_root, parameters, edition, rebuild, pdf)
    except Exception as exc:  # noqa: BLE001 - isolate the failure to this unit
        section = getattr(exc, "pplib_section", "")
        result = failed_unit(args, section, _error_summary(exc), traceback.format_exc(), _error_message(exc))
    result.worker = f"{socket.gethostname()}:{os.getpid()}"
    return result


def failed_unit(unit: tuple, section: str, summary: str, details: str, message: str = "") -> UnitResult:
    """A unit that failed: logged, its traceback in error.txt in its working folder, the one-line reason and
    the whole message (`message`, else the summary) in the result. A failed partner edition is withdrawn: its
    folder holds only a note saying so."""
    locality_dir, _, out_root, _, edition, _, _ = unit
    out_root = Path(out_root).resolve()
    slug, name = _identity(locality_dir)
    redactor = Redactor({"<outputs>": out_root, "<locality>": Path(locality_dir).resolve()})
    summary, where = redactor.text(summary), section or "setup"
    log.info("%s (%s): failed in %s: %s", slug, edition, where, summary)  # the caller reports it in full
    result = UnitResult(slug, edition, str(locality_out_dir(out_root, slug, edition)), status="failed",
                        failed_section=section, error=summary, name=name,
                        detail=redactor.text(message or summary))
    work = work_dir(out_root, slug, edition)
    unstamp_unit(work)
    write_text(work / "error.txt", redactor.text(details))
    result.error_file = str(work / "error.txt")
    if edition == "partner":
        withdraw(Path(result.out_dir), name, where)
    else:
        mark_out_of_date(work, name, where)
    return result


def mark_out_of_date(folder: Path, name: str, where: str) -> None:
    """What an earlier build left in the internal folder, marked as not current: a banner at the top of its
    report, and a note the index links to. The next build that succeeds makes the report again."""
    report = folder / "report.html"
    if report.is_file():
        page = OUT_OF_DATE.sub("", report.read_text(encoding="utf-8"))  # one banner, the latest failure's
        banner = (f'<div class="pp-out-of-date" role="alert" style="{OUT_OF_DATE_STYLE}"><strong>Out of date.'
                  f"</strong> The latest build of this report failed in {html.escape(where)} on "
                  f"{dt.datetime.now():%d %B %Y at %H:%M}; what follows is from an earlier build. The detail is "
                  "in error.txt beside this report.</div>")
        write_text(report, re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + banner, page, count=1))
    write_text(folder / FAILED_NOTE,
               f"The latest build of the internal edition of {name} failed in {where}.\n"
               "The report and tables here are from an earlier build and are out of date. "
               "The detail is in error.txt.\n")


OUT_OF_DATE = re.compile(r'<div class="pp-out-of-date".*?</div>', flags=re.S)
OUT_OF_DATE_STYLE = ("background:#fde8e8;border:3px solid #b00020;color:#000;padding:0.8em;margin:0.5em 0;"
                     "font-size:1.2em")


def _identity(locality_dir: Path) -> tuple[str, str]:
    """(slug, name) of the locality, its folder's name when its configuration is what failed."""
    try:
        locality = load_locality(locality_dir)
        return locality.slug, locality.name
    except Exception:  # noqa: BLE001 - reporting a failure: the folder's name will do
        return Path(locality_dir).name, Path(locality_dir).name


def _error_message(exc: Exception) -> str:
    """The error in full: every problem an audit found, or the whole message raised inside the notebook
    (the configuration's and the sources' messages name files, rows and columns, never values)."""
    if isinstance(exc, AuditFailed):
        return "\n".join(exc.problems)
    if isinstance(exc, papermill.PapermillExecutionError):
        return f"{exc.ename}: {exc.evalue}"
    return f"{type(exc).__name__}: {exc}"


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
