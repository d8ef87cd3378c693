"""Build profiles: run the section notebooks for any set of localities and editions, in parallel.

One unit of work is one locality in one edition: its sections run in report order
(the appendix reads the tables the others wrote), then they are assembled into one
report page. Units run in parallel across the cores; a unit that fails never stops
the others. Each section records the hash of everything it was built from, so a
re-run rebuilds only what failed or whose inputs changed.

The partner edition is built in a private working folder inside the internal edition's
(internal/partner-build/), then only what a partner should get is published to the
partner folder, audited there and, if the audit fails, withdrawn.
"""
from __future__ import annotations

import atexit
import hashlib
import html
import json
import logging
import multiprocessing
import os
import re
import shutil
import socket
import tempfile
import threading
import time
import traceback
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

from multiprocessing.util import Finalize

import nbformat
import papermill
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync
from nbconvert import HTMLExporter
from nbconvert.exporters.templateexporter import TemplateExporter
from nbconvert.filters.highlight import Highlight2HTML
from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, papermill_engines
from papermill.log import logger as papermill_logger

from pplib.config import load_locality
from pplib.export import tables_workbook
from pplib.paths import NOTEBOOKS_DIR, OUTPUTS_DIR, PROJECT_ROOT, REFERENCE_DIR

log = logging.getLogger(__name__)

# Report order, as partners read it.
SECTIONS = ("executive_summary", "introduction", "partnership_progress", "partnership_priorities",
            "national_picture", "local_picture", "mapping", "in_focus", "appendix")
EDITIONS = ("partner", "internal")
KERNEL = "python3"
TEMPLATES = Path(__file__).parent / "templates"
KERNEL_START_ATTEMPTS = 3


@dataclass
class SectionResult:
    locality: str
    section: str
    notebook: Path
    html: Path
    edition: str = "internal"

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
    error: str = ""
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


# --- export ---------------------------------------------------------------------------

class ProfileExporter(HTMLExporter):
    """nbconvert's HTML exporter without its closing BeautifulSoup pass, which parses, searches and rewrites
    the whole page to add two accessibility attributes and took two thirds of each export. The same two
    additions are made here on the page as the template writes it (tests compare the two DOMs)."""

    def from_notebook_node(self, nb, resources=None, **kw):
        # As HTMLExporter.from_notebook_node (nbconvert 7.17), up to its BeautifulSoup pass.
        langinfo = nb.metadata.get("language_info", {})
        lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
        self.register_filter("highlight_code",
                             self.filters.get("highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self)))
        resources = self._init_resources(resources)
        self.register_filter("filter_data_type",
                             WidgetsDataTypeFilter(notebook_metadata=self._nb_metadata, parent=self,
                                                   resources=resources))
        page, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
        return _accessible(page, self.log), resources


_FOCUSABLE = re.compile(r'(<div class="[^"]*\b(?:jp-Cell-inputWrapper|jp-OutputArea-output)\b[^"]*")')
_IMAGE_WITHOUT_ALT = re.compile(r"<img(?![^>]*\balt=)", flags=re.I)


def _accessible(page: str, log_to) -> str:
    """What nbconvert's HTML exporter adds: inputs and outputs reachable by keyboard, every image with alt text."""
    page = _FOCUSABLE.sub(r'\1 tabindex="0"', page)
    page, missing_alt = _IMAGE_WITHOUT_ALT.subn('<img alt="No description has been provided for this image"', page)
    if missing_alt:
        log_to.warning("Alternative text is missing on %s image(s).", missing_alt)
    return page


@lru_cache(maxsize=1)
def _exporter() -> HTMLExporter:
    """One per process: building the exporter compiles its templates, which costs more than most exports."""
    return ProfileExporter(template_name="profile", extra_template_basedirs=[str(TEMPLATES)],
                           exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)


def export_html(notebook: Path | nbformat.NotebookNode, target: Path, marking: str) -> Path:
    """Notebook -> standalone HTML: code hidden, marking on every page, nothing fetched from the network."""
    nb = nbformat.read(notebook, as_version=4) if isinstance(notebook, Path) else notebook
    nb.metadata["pplib"] = {"marking": marking}
    body, _ = _exporter().from_notebook_node(nb)
    target.write_text(body, encoding="utf-8")
    return target


def _table_of_contents(page: str) -> str:
    """A contents list of the page's section (h1) and subsection (h2) headings, inserted after <main>."""
    headings = re.findall(r'<h([12]) id="([^"]+)">(.*?)<a class="anchor-link"', page, flags=re.S)
    if not headings:
        return page
    items = "".join(f'<li class="pp-toc-{level}"><a href="#{anchor}">{text.strip()}</a></li>'
                    for level, anchor, text in headings)
    nav = f'<nav class="pp-toc" aria-label="Contents"><h2>Contents</h2><ul>{items}</ul></nav>'
    return page.replace("<main>", "<main>" + nav, 1) if "<main>" in page else page


CONTENT_START, CONTENT_END = "<!-- pp-content-start -->", "<!-- pp-content-end -->"


def _content(page: str, source: Path) -> str:
    """What a section page shows between its marking bands (the template marks where)."""
    start, end = page.find(CONTENT_START), page.rfind(CONTENT_END)
    if start < 0 or end < start:
        raise ValueError(f"{source} was not made by the profile template (no pp-content markers); rebuild it")
    return page[start + len(CONTENT_START):end]


def assemble_report(section_pages: list[Path], target: Path, title: str) -> Path:
    """The section pages, in order, as one page with a table of contents. The sections' exported HTML is
    put together as it is (exporting the merged notebooks again would repeat every section's export)."""
    pages = [path.read_text(encoding="utf-8") for path in section_pages]
    shell = pages[0]
    head, tail = shell[:shell.find(CONTENT_START) + len(CONTENT_START)], shell[shell.rfind(CONTENT_END):]
    body = "".join(_content(page, path) for page, path in zip(pages, section_pages))
    head = re.sub(r"<title>.*?</title>", f"<title>{html.escape(title)}</title>", head, count=1, flags=re.S)
    target.write_text(_table_of_contents(head + body + tail), encoding="utf-8")
    return target


# --- what a section was built from ---------------------------------------------------

def _hash_files(paths) -> str:
    digest = hashlib.sha256()
    for path in sorted(Path(p) for p in paths):
        digest.update(str(path.name).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


@lru_cache(maxsize=1)
def _code_and_reference_hash() -> str:
    """The toolkit itself and the published figures: a change to either rebuilds everything."""
    package = Path(__file__).parent
    files = [*package.rglob("*.py"), *TEMPLATES.rglob("*"), *REFERENCE_DIR.glob("*.csv")]
    return _hash_files(p for p in files if p.is_file())


def _locality_files(locality) -> list[Path]:
    files = [locality.base_dir / "locality.yaml", *(locality.source_path(k) for k in locality.sources)]
    if locality.case_studies:
        files += sorted((locality.base_dir / locality.case_studies).glob("*.md"))
    return sorted(set(files))


def inputs_hash(locality, section: str, edition: str, parameters: dict, upstream: str = "") -> str:
    from pplib import boundaries
    digest = hashlib.sha256()
    for part in (_code_and_reference_hash(), _hash_files(_locality_files(locality)),
                 section_notebook(section).read_bytes().hex(), edition,
                 json.dumps(parameters, sort_keys=True, default=str),
                 str(boundaries.available()), upstream):
        digest.update(part.encode() if isinstance(part, str) else part)
    return digest.hexdigest()


def _stamp_path(out_dir: Path, section: str) -> Path:
    return out_dir / ".stamps" / f"{section}.json"


def _up_to_date(out_dir: Path, section: str, digest: str) -> bool:
    stamp = _stamp_path(out_dir, section)
    html_file = out_dir / "sections" / f"{section}.html"
    return stamp.exists() and html_file.exists() and json.loads(stamp.read_text())["inputs"] == digest


# --- running notebooks ---------------------------------------------------------------

def _is_kernel_start_race(exc: Exception) -> bool:
    """Kernel start-up failures seen under parallel runs (ports taken, kernel not answering)."""
    text = f"{type(exc).__name__}: {exc}"
    return any(s in text for s in ("Address already in use", "Kernel didn't respond", "kernel died",
                                   "Kernel died before replying", "ZMQError"))


# One kernel per process (per thread, when a Dask worker runs several), kept across notebooks, with one
# client connected to it: starting a kernel and importing pandas, matplotlib and geopandas in it costs
# seconds, and connecting a new client to it a quarter of a second, more than many sections take to run.
class _Kept:
    """A kept kernel and its client. The client is asynchronous and belongs to its thread's event loop."""

    def __init__(self):
        self.manager = AsyncKernelManager(kernel_name=KERNEL)
        self.client = None  # connected on the first notebook, then kept
        self.pid = os.getpid()


_thread = threading.local()


def _kept() -> _Kept:
    kept = getattr(_thread, "kept", None)
    if kept is not None and kept.pid != os.getpid():
        kept = None  # a forked copy of the parent's: its kernel belongs to the parent, not here
    if kept is None:
        kept = _thread.kept = _Kept()
        Finalize(kept, _shutdown_kernel, args=(kept,), exitpriority=10)  # worker processes
        atexit.register(_shutdown_kernel, kept)  # the main process
    return kept


def _shutdown_kernel(kept: _Kept) -> None:
    try:
        if kept.client is not None:
            kept.client.stop_channels()
            kept.client = None
        if kept.manager.has_kernel:
            run_sync(kept.manager.shutdown_kernel)(now=True)
    except Exception:  # noqa: BLE001 - shutting down at exit: nothing more to do
        pass


def _discard_kernel() -> None:
    """After a kernel failure, start afresh next time."""
    kept = getattr(_thread, "kept", None)
    if kept is not None:
        _shutdown_kernel(kept)
    _thread.kept = None


class KeptKernelEngine(NBClientEngine):
    """papermill's own nbclient engine, run through the kept kernel's kept client (papermill would connect
    a new client for every notebook, and never close it when the kernel is not its own)."""

    @classmethod
    def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None, stderr_file=None,
                                 start_timeout=60, execution_timeout=None, **kwargs):
        kept = _kept()
        client = PapermillNotebookClient(nb_man, km=kept.manager, kernel_name=kernel_name,
                                         timeout=execution_timeout, startup_timeout=start_timeout,
                                         log=papermill_logger, log_output=log_output, stdout_file=stdout_file,
                                         stderr_file=stderr_file)
        client.kc = kept.client  # None the first time: nbclient starts the kernel and connects
        try:
            return client.execute()
        finally:
            kept.client = client.kc


ENGINE = "pplib-kept-kernel"
papermill_engines.register(ENGINE, KeptKernelEngine)
RESET_TAG = "pplib-reset"
# Settings a kept kernel takes afresh from the build for each notebook (it started with older ones).
KERNEL_ENVIRONMENT = ("XDG_CACHE_HOME",)
_KERNEL_HOME = Path(tempfile.gettempdir())  # where the kept kernel starts; each notebook then moves to its own


def _settings(also: tuple[str, ...] = ()) -> dict[str, str]:
    """The build's settings from its environment (PPLIB_*, and `also`), for a process that started without
    them: the kept kernel, a cluster worker."""
    return {k: v for k, v in os.environ.items() if k.startswith("PPLIB_") or k in also}


def _with_reset_cell(notebook: Path, cwd: Path) -> nbformat.NotebookNode:
    """The notebook with a first cell that moves the kept kernel into this run's own working folder, gives
    it the build's current PPLIB_* settings and empties its namespace (pplib.kernel.fresh_start)."""
    nb = nbformat.read(notebook, as_version=4)
    source = ("from pplib.kernel import fresh_start\n"
              f"fresh_start({str(cwd)!r}, {_settings(KERNEL_ENVIRONMENT)!r}, {KERNEL_ENVIRONMENT!r})")
    reset = nbformat.v4.new_code_cell(source, metadata={"tags": [RESET_TAG]})
    reset.id = RESET_TAG
    nb.cells.insert(0, reset)
    return nb


def _without_reset_cell(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    nb.cells = [c for c in nb.cells if RESET_TAG not in c.get("metadata", {}).get("tags", [])]
    return nb


def _drop_reset_cell(output: Path) -> None:
    """The executed notebook papermill left on disk after a failure, without the build's own cell."""
    if output.exists():  # papermill wrote nothing if it failed before the first cell
        nbformat.write(_without_reset_cell(nbformat.read(output, as_version=4)), output)


def _execute(notebook: Path, output: Path, parameters: dict, cwd: Path) -> nbformat.NotebookNode:
    """Run the notebook in the kept kernel; write the executed notebook once, at the end (papermill would
    otherwise rewrite the whole notebook, charts and all, before and after every cell)."""
    for attempt in range(1, KERNEL_START_ATTEMPTS + 1):
        try:
            executed = papermill.execute_notebook(_with_reset_cell(notebook, cwd), str(output),
                                                  parameters=parameters, kernel_name=KERNEL,
                                                  cwd=str(_KERNEL_HOME), progress_bar=False, log_output=False,
                                                  request_save_on_cell_execute=False, engine_name=ENGINE)
            executed = _without_reset_cell(executed)
            nbformat.write(executed, output)
            return executed
        except papermill.PapermillExecutionError:
            _drop_reset_cell(output)
            raise  # a cell failed: not a start-up race, and the kernel is fine
        except Exception as exc:  # noqa: BLE001 - retried only when it is a start-up race
            _discard_kernel()
            if attempt == KERNEL_START_ATTEMPTS or not _is_kernel_start_race(exc):
                raise
            log.warning("kernel start failed (%s); retrying (%d/%d)", exc, attempt, KERNEL_START_ATTEMPTS)
            time.sleep(attempt)


def run_section(locality_dir: Path, section: str, out_root: Path, parameters: dict | None = None,
                edition: str = "internal") -> SectionResult:
    """Run one section for one locality into the edition's work_dir()/sections/ (own working folder).

    `parameters` sets the notebook's own parameters (e.g. year for the national picture)."""
    locality = load_locality(locality_dir)
    out_dir = work_dir(out_root, locality.slug, edition)
    scratch = out_dir / "work" / section
    scratch.mkdir(parents=True, exist_ok=True)
    (out_dir / "sections").mkdir(exist_ok=True)
    executed = out_dir / "sections" / f"{section}.ipynb"
    params = {**(parameters or {}), "locality": str(locality.base_dir), "output_dir": str(out_dir),
              "edition": edition}
    log.info("running %s for %s (%s edition)", section, locality.name, edition)
    notebook = _execute(section_notebook(section), executed, params, scratch)
    html_file = export_html(notebook, out_dir / "sections" / f"{section}.html", locality.handling_marking)
    shutil.rmtree(scratch, ignore_errors=True)
    return SectionResult(locality.slug, section, executed, html_file, edition)


def build_locality(locality_dir: Path, sections: tuple[str, ...], out_root: Path, parameters: dict | None = None,
                   edition: str = "internal", rebuild: bool = True, pdf: bool = False) -> UnitResult:
    """All sections of one locality in one edition, then the assembled report and the tables workbook; the
    partner edition's are then published to its folder and audited there."""
    locality = load_locality(locality_dir)
    work, target = work_dir(out_root, locality.slug, edition), locality_out_dir(out_root, locality.slug, edition)
    result = UnitResult(locality.slug, edition, str(target), name=locality.name)
    parameters = parameters or {}
    record = parameters_record(parameters, edition, sections)
    changed = _read_json(work / "parameters.json") != record  # e.g. another set of sections
    plan = _plan(locality, sections, work, edition, parameters, rebuild or (changed and edition == "partner"))
    if edition == "partner" and any(stale for _, _, stale in plan):
        _start_clean(work)
    for section, digest, stale in plan:
        if stale:
            _run_stamped(locality_dir, section, digest, out_root, parameters, edition, work)
        (result.built if stale else result.skipped).append(section)
    if edition == "partner" and result.built:
        _settle(locality, locality_dir, plan, out_root, parameters, work)
    with _stage("report"):
        if result.built or changed or not (work / "report.html").exists():
            assemble_report([work / "sections" / f"{s}.html" for s in sections], work / "report.html",
                            f"{locality.name} modern slavery problem profile ({edition} edition)")
            tables_workbook(work)
        shutil.rmtree(work / "work", ignore_errors=True)
        _write_json(work / "parameters.json", record)
    if edition == "partner":
        _publish_and_audit(work, target, result)
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
        plan.append((section, digest, rebuild or not _up_to_date(work, section, digest)))
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
    stamp = _stamp_path(work, section)
    stamp.unlink(missing_ok=True)
    with _stage(section):
        run_section(locality_dir, section, out_root, parameters, edition)
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text(json.dumps({"inputs": digest}), encoding="utf-8")


@contextmanager
def _stage(name: str):
    """Name the stage an exception came from, so the batch summary says where the unit failed."""
    try:
        yield
    except Exception as exc:
        if not getattr(exc, "pplib_section", ""):
            exc.pplib_section = name
        raise


PATH_PARAMETERS = ("locality", "output_dir")  # set by run_section itself, and machine paths


def parameters_record(parameters: dict, edition: str, sections: tuple[str, ...]) -> dict:
    """parameters.json: the notebook parameters, edition and sections; no machine paths (it is published)."""
    kept = {k: v for k, v in parameters.items() if k not in PATH_PARAMETERS}
    # as read back from the file (a date as text), so an unchanged build compares equal
    return json.loads(json.dumps({**kept, "edition": edition, "sections": list(sections)}, default=str))


def _read_json(path: Path) -> dict | None:
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def _write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, default=str), encoding="utf-8")


# --- publishing the partner edition ----------------------------------------------------

# Everything a partner gets, from the working folder: the report, its tables (also as a workbook), which
# cells were withheld and why, what it was built with, and what the audit reads.
PUBLISHED = ("report.html", "tables/*.csv", "tables.xlsx", "disclosure_log.csv", "parameters.json",
             "disclosure/metadata.json")
METADATA = "disclosure/metadata.json"
AUDIT = "disclosure audit"
AUDIT_PLACEHOLDER = '<p class="pp-audit"></p>'
FAILED_NOTE = "BUILD-FAILED.txt"


def _empty(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)


def publish_partner(work: Path, target: Path) -> list[str]:
    """Empty `target` and copy into it, from the working folder, only the PUBLISHED files that exist; return
    their paths (relative, posix), also recorded under "files" in target's disclosure/metadata.json."""
    work, target = Path(work), Path(target)
    if work.resolve().is_relative_to(target.resolve()):
        raise ValueError(f"{work} is inside {target}, which publishing empties")
    _empty(target)
    files = []
    for pattern in PUBLISHED:
        for path in sorted(p for p in work.glob(pattern) if p.is_file()):
            name = path.relative_to(work).as_posix()
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target / name)
            files.append(name)
    if METADATA not in files:
        files.append(METADATA)
    _record_files(target, files)
    return files


def _record_files(target: Path, files: list[str]) -> None:
    """The folder's file list in disclosure/metadata.json (the audit checks the folder holds nothing else)."""
    metadata = _read_json(target / METADATA) or {"format": 1}
    _write_json(target / METADATA, {**metadata, "files": files})


class AuditFailed(Exception):
    """The published partner edition failed its disclosure audit: every problem, one a line."""
    pplib_section = AUDIT

    def __init__(self, problems: list[str]):
        self.problems = problems or ["the audit failed without naming a problem"]
        super().__init__("\n".join(self.problems))


def _audit(folder: Path):
    """The published folder read back and attacked as a partner could; raises AuditFailed if it gives away
    a suppressed count."""
    with _stage(AUDIT):
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


def _publish_and_audit(work: Path, target: Path, result: UnitResult) -> None:
    with _stage("publishing"):
        publish_partner(work, target)
    audit = _audit(target)
    result.cells_shown, result.cells_suppressed = audit.shown, audit.suppressed
    report = target / "report.html"
    page = report.read_text(encoding="utf-8") if report.exists() else ""
    if AUDIT_PLACEHOLDER in page:  # the appendix leaves it for the audit's result
        stated = f'<p class="pp-audit">{html.escape(audit_sentence(audit))}</p>'
        report.write_text(page.replace(AUDIT_PLACEHOLDER, stated), encoding="utf-8")


def _print_pdf(folder: Path, edition: str) -> Path:
    from pplib.browser import html_to_pdf
    with _stage("PDF"):
        pdf = html_to_pdf(folder / "report.html", folder / "report.pdf")
    if edition == "partner":
        _record_files(folder, [*_read_json(folder / METADATA)["files"], "report.pdf"])
    return pdf


# --- failures --------------------------------------------------------------------------

def _build_unit(args: tuple) -> UnitResult:
    """One unit in a worker process: any failure becomes a result, never an exception."""
    locality_dir, sections, out_root, parameters, edition, rebuild, pdf = args
    try:
        result = build_locality(locality_dir, sections, out_root, parameters, edition, rebuild, pdf)
    except Exception as exc:  # noqa: BLE001 - isolate the failure to this unit
        section = getattr(exc, "pplib_section", "")
        result = _failed_unit(args, section, _error_summary(exc), traceback.format_exc())
    result.worker = f"{socket.gethostname()}:{os.getpid()}"
    return result


def _failed_unit(unit: tuple, section: str, summary: str, details: str) -> UnitResult:
    """A unit that failed: logged, its traceback in error.txt in its working folder, the one-line reason in
    the result. A failed partner edition is withdrawn: its folder holds only a note saying so."""
    locality_dir, _, out_root, _, edition, _, _ = unit
    slug, name = _identity(locality_dir)
    log.error("%s (%s): failed in %s: %s", slug, edition, section or "setup", summary)
    result = UnitResult(slug, edition, str(locality_out_dir(out_root, slug, edition)), status="failed",
                        failed_section=section, error=summary, name=name)
    _write_text(work_dir(out_root, slug, edition) / "error.txt", details)
    if edition == "partner":
        _withdraw(Path(result.out_dir), name, section or "setup")
    return result


def _identity(locality_dir: Path) -> tuple[str, str]:
    """(slug, name) of the locality, its folder's name when its configuration is what failed."""
    try:
        locality = load_locality(locality_dir)
        return locality.slug, locality.name
    except Exception:  # noqa: BLE001 - reporting a failure: the folder's name will do
        return Path(locality_dir).name, Path(locality_dir).name


def _withdraw(target: Path, name: str, where: str) -> None:
    """Empty the partner folder but for a note: where it failed, never what (the error may quote input)."""
    _empty(target)
    _write_text(target / FAILED_NOTE,
                f"The partner edition of {name} was not built: it failed in {where}.\n"
                "Nothing of it is published here. The detail is in the internal edition's folder: "
                f"internal/{PARTNER_WORK}/error.txt\n")


def _write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


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


# --- batches -------------------------------------------------------------------------

ENGINES = ("processes", "dask")


def build(locality_dirs: list[Path], sections: tuple[str, ...] = SECTIONS, out_root: Path | None = None,
          parameters: dict | None = None, editions: tuple[str, ...] = EDITIONS, jobs: int | None = None,
          rebuild: bool = False, pdf: bool = False, progress: bool = False, engine: str = "processes",
          scheduler: str | None = None) -> list[UnitResult]:
    """Build every locality in every edition, `jobs` at a time; write the index page; return the results.

    `engine`: "processes" (worker processes on this machine) or "dask" (tasks on a Dask distributed cluster:
    the one at `scheduler`, or a local one of `jobs` workers when no scheduler is given)."""
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, not '{engine}'")
    out_root = Path(out_root or OUTPUTS_DIR)
    if engine == "dask":  # another machine resolves relative paths against its own working folder
        out_root, locality_dirs = out_root.resolve(), [Path(loc).resolve() for loc in locality_dirs]
    units = [(Path(loc), tuple(sections), out_root, parameters or {}, edition, rebuild, pdf)
             for loc in locality_dirs for edition in editions]
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(units)))
    if engine == "dask":
        results = _run_units_on_dask(units, jobs, progress, scheduler)
    else:
        results = _run_units(units, jobs, progress)
    order = {(str(u[0].name), u[4]): i for i, u in enumerate(units)}
    results.sort(key=lambda r: order.get((r.locality, r.edition), 0))
    write_index(results, out_root)
    return results


def _run_units(units: list[tuple], jobs: int, progress: bool) -> list[UnitResult]:
    from tqdm import tqdm
    bar = tqdm(total=len(units), desc="profiles", unit="profile", disable=not progress)
    results = []
    if jobs == 1:
        for unit in units:
            results.append(_build_unit(unit))
            bar.update()
    else:
        # spawn, not fork: a forked worker would inherit the parent's kernel connections (and it is what
        # Windows does anyway)
        with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
            for future in as_completed([pool.submit(_build_unit, unit) for unit in units]):
                results.append(future.result())
                bar.update()
    bar.close()
    return results


_ONE_UNIT_AT_A_TIME = threading.Lock()


def _build_unit_with_settings(unit: tuple, settings: dict[str, str]) -> UnitResult:
    """A unit on a cluster worker, which did not start with the build's PPLIB_* settings (boundary folder...).

    A worker with several threads still builds one unit at a time: papermill moves the whole process into
    each notebook's working folder."""
    with _ONE_UNIT_AT_A_TIME:
        os.environ.update(settings)
        return _build_unit(unit)


def _run_units_on_dask(units: list[tuple], jobs: int, progress: bool, scheduler: str | None) -> list[UnitResult]:
    """The same units as tasks on a Dask distributed cluster. Its workers need this toolkit installed and
    the locality folders, output folder and boundary folder at the same paths as here (a shared drive)."""
    try:
        from distributed import Client, LocalCluster, as_completed as completed
    except ImportError:
        raise RuntimeError("the dask engine needs Dask distributed: pip install -e '.[dask]'") from None
    from tqdm import tqdm
    settings = _settings()
    results = []
    with ExitStack() as stack:
        if scheduler:
            client = stack.enter_context(Client(scheduler))
        else:
            # ":0": any free port for its status pages (8787 may be taken by another cluster). Its own logs
            # are silenced: shutting down, workers log heartbeat errors that mean nothing; a unit that fails
            # is reported in the results either way.
            cluster = stack.enter_context(LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True,
                                                       dashboard_address=":0", silence_logs=logging.CRITICAL))
            client = stack.enter_context(Client(cluster))
        log.info("building %d profiles on the Dask cluster at %s", len(units), client.scheduler.address)
        futures = {client.submit(_build_unit_with_settings, unit, settings, pure=False): unit for unit in units}
        bar = tqdm(total=len(units), desc="profiles", unit="profile", disable=not progress)
        for future in completed(futures):
            try:
                results.append(future.result())
            except Exception as exc:  # noqa: BLE001 - the worker itself was lost; the other units go on
                results.append(_failed_unit(futures[future], "", f"{type(exc).__name__}: {exc}",
                                            f"the Dask task failed: {exc!r}"))
            bar.update()
        bar.close()
    return results


# What the index links to, where the folder holds it.
INDEX_LINKS = {"report.html": "report", "report.pdf": "PDF", "tables.xlsx": "tables (Excel)"}
FAILED_LINKS = {FAILED_NOTE: "why not built"}


def write_index(results: list[UnitResult], out_root: Path) -> Path:
    """outputs/index.html: every locality and edition with its status and links (relative, offline)."""
    rows = []
    for r in results:
        base = Path(r.out_dir).relative_to(out_root).as_posix()
        offered = FAILED_LINKS if r.status == "failed" else INDEX_LINKS  # never an earlier build's report
        links = [f'<a href="{base}/{file}">{label}</a>' for file, label in offered.items()
                 if (Path(r.out_dir) / file).is_file() and (file != "report.pdf" or r.pdf)]  # not an old PDF
        detail = (f"failed in <code>{html.escape(r.failed_section or 'setup')}</code>: {html.escape(r.error)}"
                  if r.status == "failed" else
                  f"{len(r.built)} section{'s' if len(r.built) != 1 else ''} rebuilt, {len(r.skipped)} unchanged"
                  + (f"; {html.escape(r.suppression())}" if r.suppression() else ""))
        rows.append(f"<tr class='pp-{r.status.replace(' ', '-')}'><td>{html.escape(r.name or r.locality)}</td>"
                    f"<td>{r.edition}</td><td>{r.status}</td><td>{' · '.join(links)}</td><td>{detail}</td></tr>")
    page = INDEX_TEMPLATE.format(rows="\n".join(rows), built=sum(r.status != "failed" for r in results),
                                 failed=sum(r.status == "failed" for r in results))
    target = out_root / "index.html"
    out_root.mkdir(parents=True, exist_ok=True)
    target.write_text(page, encoding="utf-8")
    (out_root / "build-summary.json").write_text(json.dumps([asdict(r) for r in results], indent=2), encoding="utf-8")
    return target


INDEX_TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Modern slavery problem profiles</title>
<style>
body {{ font-family: "Segoe UI", Arial, sans-serif; margin: 2em; }}
table {{ border-collapse: collapse; }} td, th {{ border-bottom: 1px solid #ccc; padding: 0.3em 0.8em; text-align: left; }}
tr.pp-failed td {{ background: #fde8e8; }}
</style></head>
<body>
<h1>Modern slavery problem profiles</h1>
<p>{built} built or up to date, {failed} failed. Each report carries its own handling marking; the partner
edition is the one to share.</p>
<table><thead><tr><th>locality</th><th>edition</th><th>status</th><th>open</th><th>details</th></tr></thead>
<tbody>
{rows}
</tbody></table>
</body></html>
"""
