"""Run one section notebook with papermill, in a kernel kept alive between the notebooks of one process
(the kernel is reset before each), and export it to HTML.
"""
from __future__ import annotations

import atexit
import json
import logging
import os
import shutil
import tempfile
import threading
import time
from multiprocessing.util import Finalize
from pathlib import Path

import nbformat
import papermill
import zmq
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, papermill_engines
from papermill.log import logger as papermill_logger

from pplib.build.html import export_html
from pplib.build.kernel import READS_SETTING
from pplib.build.outputs import SectionResult, section_notebook, work_dir
from pplib.config import load_locality
from pplib.files import Redactor, replacing
from pplib.registry import SECTION_SETTING

log = logging.getLogger(__name__)


KERNEL = "python3"


KERNEL_START_ATTEMPTS = 3


def _is_kernel_start_race(exc: Exception) -> bool:
    """Kernel start-up failures seen under parallel runs (ports taken, kernel not answering)."""
    text = f"{type(exc).__name__}: {exc}"
    return any(s in text for s in ("Address already in use", "Kernel didn't respond", "kernel died",
                                   "Kernel died before replying", "ZMQError"))


# One kernel per process (per thread, when a Dask worker runs several), kept across notebooks, with one
# client connected to it: starting a kernel and importing pandas, matplotlib and geopandas in it costs
# seconds, and connecting a new client to it a quarter of a second, more than many sections take to run.
_thread = threading.local()

# The kernel's channels encrypted (CurveZMQ keys from the manager) where pyzmq can: over plain TCP the kernel
# warns, on every start, that code and outputs are "susceptible to eavesdropping". 'auto' encrypts when the
# kernelspec declares it can (ipykernel 7 does) and otherwise starts as before.
_ENCRYPTION = "auto" if zmq.has("curve") else "disabled"


class _Kept:
    """A kept kernel and its client. The client is asynchronous and belongs to its thread's event loop."""

    def __init__(self):
        self.manager = AsyncKernelManager(kernel_name=KERNEL, transport_encryption=_ENCRYPTION)
        self.client = None  # connected on the first notebook, then kept
        self.pid = os.getpid()


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
        for cell in nb_man.nb.cells:  # papermill draws the id at random: the same inputs make the same report
            if "injected-parameters" in cell.metadata.get("tags", ()):
                cell.id = "injected-parameters"
        _thread.running = nb_man.nb  # what has run so far, for the record of a failed run
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


def kernel_settings(also: tuple[str, ...] = ()) -> dict[str, str]:
    """The build's settings from its environment (PPLIB_*, and `also`), for a process that started without
    them: the kept kernel, a cluster worker."""
    return {k: v for k, v in os.environ.items() if k.startswith("PPLIB_") or k in also}


def _settings_file(section: str, reads: Path) -> Path:
    """The build's current settings, and which section runs, in a file only this user can read, outside the
    output folder: passed in the reset cell's source, they would be in the kernel's history and papermill's
    record of the notebook."""
    handle, name = tempfile.mkstemp(prefix="pplib-settings-", suffix=".json")
    with os.fdopen(handle, "w", encoding="utf-8") as file:
        json.dump({**kernel_settings(KERNEL_ENVIRONMENT), SECTION_SETTING: section, READS_SETTING: str(reads)}, file)
    return Path(name)


def _with_reset_cell(notebook: Path, cwd: Path, settings: Path) -> nbformat.NotebookNode:
    """The notebook with a first cell that moves the kept kernel into this run's own working folder, gives
    it the build's current PPLIB_* settings (from `settings`, which it deletes) and empties its namespace
    (pplib.build.kernel.fresh_start)."""
    nb = nbformat.read(notebook, as_version=4)
    source = ("from pplib.build.kernel import fresh_start\n"
              f"fresh_start({str(cwd)!r}, {str(settings)!r}, {KERNEL_ENVIRONMENT!r})")
    reset = nbformat.v4.new_code_cell(source, metadata={"tags": [RESET_TAG]})
    reset.id = RESET_TAG
    nb.cells.insert(0, reset)
    return nb


def _without_reset_cell(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    nb.cells = [c for c in nb.cells if RESET_TAG not in c.get("metadata", {}).get("tags", [])]
    return nb


def _portable(nb: nbformat.NotebookNode, notebook: Path, output: Path,
              redactor: Redactor | None) -> nbformat.NotebookNode:
    """The executed notebook as it is kept: without the build's own cell, naming the notebooks it ran by
    their names (papermill records the input notebook whole, and both paths), and with no machine path or
    PPLIB_* setting anywhere in it."""
    nb = _without_reset_cell(nb)
    record = nb.metadata.setdefault("papermill", {})
    record["input_path"], record["output_path"] = f"notebooks/{Path(notebook).name}", Path(output).name
    record.pop("environment_variables", None)
    return (redactor or Redactor({})).tree(nb)


def _write_notebook(nb: nbformat.NotebookNode, output: Path) -> None:
    with replacing(output) as temporary:
        nbformat.write(nb, temporary)


def _execute(notebook: Path, output: Path, parameters: dict, cwd: Path,
             redactor: Redactor | None = None) -> nbformat.NotebookNode:
    """Run the notebook in the kept kernel; write the executed notebook once, at the end, whole (papermill
    would otherwise rewrite it, charts and all, before and after every cell, in place)."""
    for attempt in range(1, KERNEL_START_ATTEMPTS + 1):
        settings = _settings_file(Path(notebook).stem, cwd / READS_FILE)
        _thread.running = None
        try:
            executed = papermill.execute_notebook(_with_reset_cell(notebook, cwd, settings), None,
                                                  parameters=parameters, kernel_name=KERNEL,
                                                  cwd=str(_KERNEL_HOME), progress_bar=False, log_output=False,
                                                  request_save_on_cell_execute=False, engine_name=ENGINE)
            executed = _portable(executed, notebook, output, redactor)
            _write_notebook(executed, output)
            return executed
        except papermill.PapermillExecutionError:
            if getattr(_thread, "running", None) is not None:  # the failed run, kept to read
                _write_notebook(_portable(_thread.running, notebook, output, redactor), output)
            raise  # a cell failed: not a start-up race, and the kernel is fine
        except Exception as exc:  # noqa: BLE001 - retried only when it is a start-up race
            _discard_kernel()
            if attempt == KERNEL_START_ATTEMPTS or not _is_kernel_start_race(exc):
                raise
            log.warning("kernel start failed (%s); retrying (%d/%d)", exc, attempt, KERNEL_START_ATTEMPTS)
            time.sleep(attempt)
        finally:
            settings.unlink(missing_ok=True)  # the kernel deletes it on reading; not if it never did
            _thread.running = None


def run_section(locality_dir: Path, section: str, out_root: Path, parameters: dict | None = None,
                edition: str = "internal") -> SectionResult:
    """Run one section for one locality into the edition's work_dir()/sections/ (own working folder).

    `parameters` sets the notebook's own parameters (e.g. year for the national picture)."""
    locality = load_locality(locality_dir)
    out_root = Path(out_root).resolve()  # the kernel works in its own folder: a relative path would miss
    out_dir = work_dir(out_root, locality.slug, edition)
    scratch = out_dir / "work" / section
    scratch.mkdir(parents=True, exist_ok=True)
    (out_dir / "sections").mkdir(exist_ok=True)
    executed = out_dir / "sections" / f"{section}.ipynb"
    params = {**(parameters or {}), "locality": str(locality.base_dir), "output_dir": str(out_dir),
              "edition": edition}
    log.info("running %s for %s (%s edition)", section, locality.name, edition)
    redactor = Redactor({"<outputs>": out_root, "<locality>": locality.base_dir})
    notebook = _execute(section_notebook(section), executed, params, scratch, redactor)
    html_file = export_html(notebook, out_dir / "sections" / f"{section}.html", locality.handling_marking)
    reads = _reads(scratch / READS_FILE, locality.base_dir)
    shutil.rmtree(scratch, ignore_errors=True)
    return SectionResult(locality.slug, section, executed, html_file, edition, reads)


READS_FILE = "reads.json"


def _reads(listing: Path, base_dir: Path) -> list[str] | None:
    """The locality's files the notebook read, relative to its folder (None: not known, so all of them)."""
    try:
        paths = [Path(p) for p in json.loads(listing.read_text(encoding="utf-8"))]
    except (OSError, ValueError):
        return None
    base = Path(base_dir).resolve()  # a source may sit outside the folder: ../extracts/crimes.xlsx
    return sorted({Path(os.path.relpath(p.resolve(), base)).as_posix() for p in paths})
