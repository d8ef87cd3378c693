"""Build many localities and editions in parallel (processes, or a Dask cluster), then write the index
page and build summary. A unit that fails never stops the others.
"""
from __future__ import annotations

import html
import logging
import multiprocessing
import os
import threading
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from contextlib import ExitStack
from dataclasses import asdict
from pathlib import Path
from queue import Empty
from urllib.parse import quote

from pplib.build.execute import kernel_settings
from pplib.build.locality import build_unit, failed_unit, report_sections_to
from pplib.build.outputs import UnitResult, check_distinct_outputs, write_json, write_text
from pplib.build.publish import FAILED_NOTE
from pplib.paths import OUTPUTS_DIR
from pplib.registry import EDITIONS, SECTIONS

log = logging.getLogger(__name__)


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
    # Absolute from here on: the kernel works in its own folder (a relative path would miss).
    out_root = Path(out_root or OUTPUTS_DIR).resolve()
    check_distinct_outputs(locality_dirs)  # before any work: two localities must never share a folder
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
    """The units, `jobs` at a time, the bar moving as each section of each unit finishes."""
    bar = _section_bar(units, progress)
    results = []
    if jobs == 1:
        for unit in units:
            before = bar.n
            report_sections_to(bar.update)
            results.append(build_unit(unit))
            bar.update(len(unit[1]) - (bar.n - before))  # what a failure left unrun
        report_sections_to(None)
        bar.close()
        return results
    # spawn, not fork: a forked worker would inherit the parent's kernel connections (and it is what Windows
    # does anyway). Workers say which unit a finished section belongs to on a queue the manager process holds.
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager:
        ticks = manager.Queue()
        with ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_take_queue,
                                 initargs=(ticks,)) as pool:
            results = _collect(pool, units, ticks, bar)
    bar.close()
    return results


def _collect(pool, units: list[tuple], ticks, bar) -> list[UnitResult]:
    results = []
    futures = {pool.submit(_build_unit_reporting, unit, i): i for i, unit in enumerate(units)}
    done_sections = [0] * len(units)
    pending = set(futures)
    while pending:
        finished, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
        _drain(ticks, done_sections, bar)  # a unit's own reports are on the queue before its result
        for future in finished:
            index = futures[future]
            results.append(future.result())
            bar.update(len(units[index][1]) - done_sections[index])  # what a failure left unrun
            done_sections[index] = len(units[index][1])
    return results


def _section_bar(units: list[tuple], progress: bool):
    from tqdm import tqdm
    return tqdm(total=sum(len(unit[1]) for unit in units), desc="sections", unit="section",
                disable=not progress)


_ticks = None  # in a worker process: the queue it reports finished sections on


def _take_queue(queue) -> None:
    global _ticks
    _ticks = queue


def _build_unit_reporting(unit: tuple, index: int) -> UnitResult:
    report_sections_to(lambda: _ticks.put(index))
    return build_unit(unit)


def _drain(queue, done_sections: list[int], bar) -> None:
    """Move the bar for every section the workers have reported since the last look."""
    while True:
        try:
            index = queue.get_nowait()
        except Empty:
            return
        done_sections[index] += 1
        bar.update()


_ONE_UNIT_AT_A_TIME = threading.Lock()


def _build_unit_with_settings(unit: tuple, settings: dict[str, str]) -> UnitResult:
    """A unit on a cluster worker, which did not start with the build's PPLIB_* settings (boundary folder...).

    A worker with several threads still builds one unit at a time: papermill moves the whole process into
    each notebook's working folder."""
    with _ONE_UNIT_AT_A_TIME:
        os.environ.update(settings)
        return build_unit(unit)


def _run_units_on_dask(units: list[tuple], jobs: int, progress: bool, scheduler: str | None) -> list[UnitResult]:
    """The same units as tasks on a Dask distributed cluster. Its workers need this toolkit installed and
    the locality folders, output folder and boundary folder at the same paths as here (a shared drive)."""
    try:
        from distributed import Client, LocalCluster
        from distributed import as_completed as completed
    except ImportError:
        raise RuntimeError("the dask engine needs Dask distributed: pip install -e '.[dask]'") from None
    settings = kernel_settings()
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
        bar = _section_bar(units, progress)  # a cluster's tasks report when whole: the bar moves per unit
        for future in completed(futures):
            try:
                results.append(future.result())
            except Exception as exc:  # noqa: BLE001 - the worker itself was lost; the other units go on
                results.append(failed_unit(futures[future], "", f"{type(exc).__name__}: {exc}",
                                            f"the Dask task failed: {exc!r}"))
            bar.update(len(futures[future][1]))
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
        # Folder names are the user's: quoted as a URL and escaped as an attribute, never markup.
        links = [f'<a href="{html.escape(quote(f"{base}/{file}"), quote=True)}">{label}</a>'
                 for file, label in offered.items()
                 if (Path(r.out_dir) / file).is_file() and (file != "report.pdf" or r.pdf)]  # not an old PDF
        detail = (f"failed in <code>{html.escape(r.failed_section or 'setup')}</code>: {html.escape(r.error)}"
                  if r.status == "failed" else
                  f"{len(r.built)} section{'s' if len(r.built) != 1 else ''} rebuilt, {len(r.skipped)} unchanged"
                  + (f"; {html.escape(r.suppression())}" if r.suppression() else ""))
        status = html.escape(r.status, quote=True)
        rows.append(f"<tr class='pp-{status.replace(' ', '-')}'><td>{html.escape(r.name or r.locality)}</td>"
                    f"<td>{html.escape(r.edition)}</td><td>{status}</td><td>{' · '.join(links)}</td><td>{detail}</td></tr>")
    page = INDEX_TEMPLATE.format(rows="\n".join(rows), built=sum(r.status != "failed" for r in results),
                                 failed=sum(r.status == "failed" for r in results))
    target = out_root / "index.html"
    out_root.mkdir(parents=True, exist_ok=True)
    write_text(target, page)
    write_json(out_root / "build-summary.json", [_summary(r, out_root) for r in results])
    return target


def _summary(result: UnitResult, out_root: Path) -> dict:
    """A unit's result for build-summary.json, its paths relative to the output folder (no machine path)."""
    summary = asdict(result)
    for key in ("out_dir", "report", "pdf"):
        if summary[key]:
            summary[key] = Path(summary[key]).relative_to(out_root).as_posix()
    return summary


INDEX_TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<title>Modern slavery problem profiles</title>
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
