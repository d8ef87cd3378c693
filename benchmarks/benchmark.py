"""Benchmark: a national build against the one-command-per-notebook way and the floor, at equal parallelism.

Run with `python3 tasks.py benchmark` (all 46 forces: tens of minutes) or, for a quick look,
`python3 tasks.py benchmark --forces 3 --naive-forces 2 --scale 10000,100000 --no-dask`. It prints one
table; it asserts nothing (targets are judged by reading it, not by tests).

Every side runs `--jobs` at a time (default: one per core), and the table's header says how many:

- build: the project's build of every section, partner edition, HTML export, for the chosen forces.
- naive: the same notebooks run the way a user would without this project: one `papermill` command and one
  `jupyter nbconvert --to html --no-input` command per notebook, the notebooks of one force in sequence,
  `--jobs` such loops side by side. It runs on the representative forces: the `--naive-forces` median-sized
  forces (by population) and the largest, each timed in its own loop and reported separately, then scaled
  to the forces built (the largest at its own time, every other force at the median-sized forces' median).
- Dask: `--dask-localities` synthetic localities (every force's, then more drawn with other seeds) built on a
  local Dask cluster of `--jobs` workers, and whether the forces both sides built came out the same.
- floor: the notebooks' own code (the same analysis and charts) run in `--jobs` plain Python processes, with
  no kernel and no export.

Then, for 10,000 / 100,000 / 1,000,000 synthetic crime records, load + validate + clean + count, each size
timed in a fresh process with no allocation tracing, and its peak memory (VmHWM, the child's own) taken in another fresh
process.
"""
from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import multiprocessing
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import nbformat
import pandas as pd

from pplib.build.batch import build
from pplib.build.locality import print_report_pdf
from pplib.build.outputs import section_notebook
from pplib.build.stats import report_stats, stats_line
from pplib.config import load_locality
from pplib.measures import counts
from pplib.records.dataset import load_locality_data
from pplib.reference.forces import all_forces
from pplib.registry import SECTION_SETTING, SECTIONS
from sample.generate import default_seed, generate_locality

# --- which forces (pure; tested in tests/test_benchmark.py) ---------------------------------------------------


def force_sizes(forces) -> dict[str, int]:
    """slug -> population, for the forces whose population is known (British Transport Police has none)."""
    return {f.slug: f.population for f in forces if f.population}


def median_sized(sizes: dict[str, int], count: int) -> list[str]:
    """The `count` forces nearest the median population, nearest first (ties by slug)."""
    if count <= 0 or not sizes:
        return []
    middle = statistics.median(sizes.values())
    return sorted(sizes, key=lambda slug: (abs(sizes[slug] - middle), slug))[:count]


def largest(sizes: dict[str, int]) -> str:
    return max(sizes, key=lambda slug: (sizes[slug], slug))


def choose_forces(forces, count: int, median_count: int) -> tuple[list[str], list[str], str]:
    """(forces built, median-sized forces run the naive way, the largest force, also run the naive way).

    The built forces start with the representative ones (the largest, then the median-sized), then the others
    in registry order, `count` in all (at least the representative ones), so the naive side is always a subset
    of the build."""
    sizes = force_sizes(forces)
    big, middle = largest(sizes), [s for s in median_sized(sizes, median_count + 1) if s != largest(sizes)]
    middle = middle[:median_count]
    representative = [big, *middle]
    others = [f.slug for f in forces if f.slug not in representative]
    return representative + others[: max(0, count - len(representative))], middle, big


# --- figures from timings (pure; tested) ----------------------------------------------------------------------


def scaled_naive(loop_seconds: dict[str, float], middle: list[str], big: str, built: list[str], jobs: int) -> float:
    """The naive way's wall time for the forces `built`, `jobs` loops side by side: each force's own time in
    its loop (measured while the other loops ran), summed and divided by the loops. The largest force counts at
    its own time, every other force at the median of the median-sized forces' times."""
    typical = statistics.median(loop_seconds[s] for s in middle) if middle else loop_seconds[big]
    total = sum(loop_seconds[big] if slug == big else typical for slug in built)
    return total / max(1, jobs)


def naive_estimate(loop_seconds: dict[str, float], wall: float, middle: list[str], big: str, built: list[str],
                   jobs: int) -> tuple[float, str]:
    """The naive way's time for the forces built, and how it was had: the measured wall time when the naive side
    ran exactly those forces ('measured'), else scaled_naive ('scaled')."""
    if set(built) == set(loop_seconds):
        return wall, "measured"
    return scaled_naive(loop_seconds, middle, big, built, jobs), "scaled"


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def spread(values, unit: str = "", digits: int = 2) -> str:
    """'3.01 to 5.60 MB (median 3.70 MB)', or one value, or 'none'."""
    values = sorted(v for v in values if v is not None)
    if not values:
        return "none"
    if len(values) == 1 or values[0] == values[-1]:
        return f"{values[0]:,.{digits}f}{unit}"
    return (f"{values[0]:,.{digits}f} to {values[-1]:,.{digits}f}{unit} "
            f"(median {statistics.median(values):,.{digits}f}{unit})")


def format_table(header: str, rows: list[tuple]) -> str:
    """A Markdown table (measure | figure | per force | ratio) under a one-line header; None prints as blank."""
    lines = [header, "", "| measure | figure | s per force | ratio |", "|---|---|---|---|"]
    for row in rows:
        cells = [("" if cell is None else str(cell)).replace("|", "\\|") for cell in row]
        lines.append("| " + " | ".join(cells + [""] * (4 - len(cells))) + " |")
    return "\n".join(lines)


def header_line(jobs: int, forces: int, when: dt.datetime, machine: str, load: float | None = None) -> str:
    text = (f"pplib benchmark, {when:%d %B %Y %H:%M} UTC: {forces} forces x {len(SECTIONS)} sections, partner "
            f"edition, synthetic data; every side at {jobs} job{'s' if jobs != 1 else ''} on {machine}")
    return text if load is None else f"{text}; load average {load:.1f} at the start"


def machine_description() -> str:
    """'2 cores (AMD EPYC ...), 24 GiB, Linux 6.1' as far as this machine says."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        memory = f", {os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB"
    except (ValueError, OSError, AttributeError):
        memory = ""
    return f"{os.cpu_count()} cores ({cpu}){memory}, {platform.system()} {platform.release()}"


# --- the timed parts (not tested) -----------------------------------------------------------------------------


def localities(slugs: list[str], root: Path) -> list[Path]:
    by_slug = {f.slug: f for f in all_forces()}
    folders = []
    for slug in slugs:
        folder = root / slug
        if not (folder / "locality.yaml").exists():
            generate_locality(by_slug[slug], folder)
        folders.append(folder)
    return folders


def batch_names(slugs: list[str], count: int) -> list[tuple[str, str, int]]:
    """(folder, force, round) of a synthetic batch of `count` localities: each force once in registry order,
    then each again, drawn with another seed, as "<force>-2", "<force>-3", ..."""
    names = []
    for i in range(count):
        round_, index = divmod(i, len(slugs))
        names.append((slugs[index] if not round_ else f"{slugs[index]}-{round_ + 1}", slugs[index], round_))
    return names


def synthetic_batch(count: int, root: Path, slugs: list[str] | None = None) -> list[Path]:
    """`count` synthetic localities (every force's, then more of each with other seeds), made once."""
    by_slug = {f.slug: f for f in all_forces()}
    folders = []
    for name, slug, round_ in batch_names(slugs or list(by_slug), count):
        folder = root / name
        if not (folder / "locality.yaml").exists():
            force = by_slug[slug]
            generate_locality(force, folder, seed=default_seed(force) + round_ if round_ else None)
        folders.append(folder)
    return folders


# What differs between two builds of the same inputs by design: when each was made.
_WHEN = re.compile(rb"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:\.\d+)?")


def differing_outputs(first: Path, second: Path, editions=("partner",)) -> list[str]:
    """The report, tables and disclosure files (of each locality's `editions`) that are not the same in two
    builds' output folders, when each was made aside; a file only one build has counts as differing."""
    def files(root: Path) -> dict[str, bytes]:
        found = {}
        for edition in editions:
            for path in root.glob(f"*/{edition}/**/*"):
                if path.is_file() and path.suffix in (".html", ".csv", ".json"):
                    found[str(path.relative_to(root))] = _WHEN.sub(b"<when>", path.read_bytes())
        return found
    a, b = files(first), files(second)
    return sorted(name for name in a.keys() | b.keys() if a.get(name) != b.get(name))


def timed(action) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def project_build(folders: list[Path], out: Path, jobs: int, engine: str = "processes") -> tuple[float, list]:
    results = []
    seconds = timed(lambda: results.extend(build(folders, SECTIONS, out, editions=("partner",), rebuild=True,
                                                 jobs=jobs, engine=engine)))
    return seconds, results


def _naive_loop(folder: Path, out: Path) -> float:
    """One force's notebooks in sequence: one papermill and one nbconvert command each."""
    bin_dir = Path(sys.executable).parent
    target = out / folder.name
    target.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    for section in SECTIONS:
        executed = target / f"{section}.ipynb"
        subprocess.run([str(bin_dir / "papermill"), str(section_notebook(section)), str(executed),
                        "-p", "locality", str(folder), "-p", "output_dir", str(target),
                        "-p", "edition", "partner", "--no-progress-bar"], check=True, capture_output=True)
        subprocess.run([str(bin_dir / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(executed)],
                       check=True, capture_output=True)
    return time.perf_counter() - start


def naive_build(folders: list[Path], out: Path, jobs: int) -> tuple[float, dict[str, float]]:
    """`jobs` naive loops side by side (threads waiting on the commands), one force per loop at a time, the
    given order (largest first, so the others share the cores with it); (wall seconds, each force's own)."""
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        start = time.perf_counter()
        futures = {folder.name: pool.submit(_naive_loop, folder, out) for folder in folders}
        loops = {name: future.result() for name, future in futures.items()}
        return time.perf_counter() - start, loops


_CELLS: dict[str, list[str]] = {}


def _floor_force(folder: Path, out: Path) -> None:
    """One force's notebooks, their code cells executed in this (worker) process, displays discarded."""
    from pplib.report import section as section_module

    section_module.display = lambda *args, **kwargs: None
    with contextlib.redirect_stdout(io.StringIO()):  # what else the cells print (display objects' reprs)
        _floor_cells(folder, out)


def _floor_cells(folder: Path, out: Path) -> None:
    """Each notebook's code cells run in an IPython shell in this process, as the kernel runs them (the same
    hooks after each cell), with no kernel, no messages and no export."""
    from IPython.core.interactiveshell import InteractiveShell

    main = sys.modules["__main__"]
    shell = InteractiveShell.instance()
    # IPython makes its namespace __main__; the pool's next task (this script's function) is found there
    sys.modules["__main__"] = main
    for section in SECTIONS:
        if section not in _CELLS:
            notebook = nbformat.read(section_notebook(section), as_version=4)
            _CELLS[section] = [c.source for c in notebook.cells if c.cell_type == "code"]
        cells = _CELLS[section]
        os.environ[SECTION_SETTING] = section  # as the build tells its kernel
        for name in [n for n in shell.user_ns if n not in shell.user_ns_hidden and not n.startswith("__")]:
            del shell.user_ns[name]  # as the kept kernel empties its namespace (pplib.build.kernel.fresh_start)
        _run_cell(shell, cells[0])  # the defaults, then the parameters as the build sets them
        shell.user_ns.update(locality=str(folder), output_dir=str(out / folder.name), edition="partner")
        for source in cells[1:]:
            _run_cell(shell, source.replace("explorer.widget()", ""))


def _run_cell(shell, source: str) -> None:
    result = shell.run_cell(source, store_history=False, silent=False)
    result.raise_error()


def floor(folders: list[Path], out: Path, jobs: int) -> float:
    """The floor in `jobs` fresh processes (their start-up counted, as the build's workers' is)."""
    start = time.perf_counter()
    with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
        for future in [pool.submit(_floor_force, folder, out) for folder in folders]:
            future.result()
    return time.perf_counter() - start


def scaled_locality(rows: int, root: Path, base: Path) -> Path:
    """The sample's crimes repeated to `rows` rows (unique references), as CSV, with its victims."""
    template = load_locality(base)
    crimes = pd.read_excel(template.source_path("crimes"), sheet_name=template.sources["crimes"].sheet,
                           header=(template.sources["crimes"].header_row or 1) - 1, dtype=str, engine="calamine")
    reference = template.sources["crimes"].columns["crime_ref"]
    copies = -(-rows // len(crimes))
    big = pd.concat([crimes.assign(**{reference: crimes[reference] + f"-{i}"}) for i in range(copies)]).head(rows)
    folder = root / f"scale-{rows}"
    folder.mkdir(parents=True, exist_ok=True)
    big.to_csv(folder / "crimes.csv", index=False)
    columns = template.sources["crimes"].columns
    config = (f"name: {template.name}\nforce_code: {template.force_code}\npartnership: benchmark\n"
              f"period: {{start: {template.period.start}, end: {template.period.end}}}\nsynthetic: true\n"
              f"sources:\n  crimes:\n    path: crimes.csv\n    columns:\n" +
              "".join(f"      {k}: {v!r}\n" for k, v in columns.items()))
    (folder / "locality.yaml").write_text(config, encoding="utf-8")
    return folder


def _load_and_count(folder: Path) -> None:
    data = load_locality_data(load_locality(folder))
    counts.crimes_by_type(data), counts.crimes_by_quarter(data), counts.types_present(data)


def _time_load(folder: Path) -> float:
    """In a fresh process, imports done before the clock starts; nothing traced."""
    start = time.perf_counter()
    _load_and_count(folder)
    return time.perf_counter() - start


def _peak_resident_mb() -> float:
    """This process's own peak resident memory. ru_maxrss of a spawned child starts at its parent's
    high-water mark (it is inherited across fork), so on Linux read VmHWM, which is the child's alone."""
    with contextlib.suppress(OSError), open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1 << 20) if sys.platform == "darwin" else peak / 1024  # bytes on macOS, KiB elsewhere


def _peak_load(folder: Path) -> tuple[float, float]:
    """In another fresh process: (peak resident MB over the whole process, MB of it added by the load)."""
    before = _peak_resident_mb()
    _load_and_count(folder)
    after = _peak_resident_mb()
    return after, after - before


def in_fresh_process(function, *args):
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(function, *args).result()


def data_scale(rows: int, root: Path, base: Path) -> tuple[float, float, float]:
    folder = scaled_locality(rows, root, base)
    seconds = in_fresh_process(_time_load, folder)
    peak, added = in_fresh_process(_peak_load, folder)
    return seconds, peak, added


def report_figures(results: list, pdf_forces: int) -> list[dict]:
    """report_stats of each built report; the first `pdf_forces` printed to PDF first (after the timings)."""
    figures = []
    for i, r in enumerate(r for r in results if r.status != "failed" and r.report):
        folder = Path(r.report).parent
        pdf, page = folder / "report.pdf", folder / "report.html"
        if i < pdf_forces and (not pdf.is_file() or pdf.stat().st_mtime < page.stat().st_mtime):
            try:
                print_report_pdf(folder)
            except Exception as error:  # noqa: BLE001 - no browser here: the figures without the PDF's
                print(f"  {r.locality}: no PDF ({error})", file=sys.stderr)
        stats = report_stats(folder)
        print(f"  {r.locality}: {stats_line(stats)}", file=sys.stderr)
        figures.append({"locality": r.locality, **stats})
    return figures


def progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _seconds(value: float | None) -> str | None:
    return None if value is None else f"{value:,.1f} s"


def _times(value: float | None) -> str | None:
    return None if value is None else f"{value:.2f}x"


def scale_rows(scale: str, root: Path, base: Path) -> list[tuple]:
    rows_out = []
    for rows in (int(n) for n in scale.split(",") if n):
        progress(f"data scale {rows:,}...")
        seconds, peak, added = data_scale(rows, root / "scale", base)
        rows_out.append((f"{rows:,} crime records loaded, validated, cleaned, counted (fresh process, untraced)",
                         f"{seconds:,.1f} s; peak {peak:,.0f} MB resident, {added:,.0f} MB above the process's "
                         f"peak before the load (a separate run)", None, None))
    return rows_out


def scale_only(scale: str, root: Path, when: dt.datetime, load: float) -> int:
    base = Path(__file__).resolve().parents[1] / "data" / "sample" / "localities" / "nottinghamshire"
    header = (f"pplib data scale, {when:%d %B %Y %H:%M} UTC: synthetic crimes from {base.name}, on "
              f"{machine_description()}; load average {load:.1f} at the start")
    print(format_table(header, scale_rows(scale, root, base)))
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--forces", type=int, default=len(all_forces()),
                        help="forces built (default: all; at least the representative ones)")
    parser.add_argument("--naive-forces", type=int, default=2,
                        help="median-sized forces run the naive way, beside the largest (default 2)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                        help="processes (build, floor) and naive loops side by side (default: one per core)")
    parser.add_argument("--scale", default="10000,100000,1000000", help="record counts for the data-scale test")
    parser.add_argument("--work", default=None, help="working folder (default: a temporary one)")
    parser.add_argument("--no-dask", action="store_true", help="skip timing the build on a local Dask cluster")
    parser.add_argument("--dask-localities", type=int, default=500,
                        help="synthetic localities built on a local Dask cluster of --jobs workers (default 500: "
                             "every force, then others drawn with other seeds; generated untimed)")
    parser.add_argument("--scale-only", action="store_true",
                        help="only the data-scale rows (no build, naive or floor), on the first sample locality")
    parser.add_argument("--pdf-forces", type=int, default=3,
                        help="reports printed to PDF after the timings, for their page counts (default 3; 0: none)")
    args = parser.parse_args(argv)
    jobs = max(1, args.jobs)
    root = Path(args.work or tempfile.mkdtemp(prefix="pplib-benchmark-"))
    os.environ.setdefault("MPLCONFIGDIR", str(root / "mpl"))
    when, load = dt.datetime.now(dt.timezone.utc), os.getloadavg()[0]
    if args.scale_only:
        return scale_only(args.scale, root, when, load)
    built, middle, big = choose_forces(all_forces(), args.forces, args.naive_forces)
    progress(f"work in {root}; building {len(built)} forces; naive on {big} (largest) and {', '.join(middle)}")
    folders = localities(built, root / "localities")
    by_slug = {f.name: f for f in folders}

    progress("build...")
    a, results = project_build(folders, root / "project", jobs)
    failed = [r.locality for r in results if r.status == "failed"]
    progress("naive...")
    naive_wall, loops = naive_build([by_slug[s] for s in [big, *middle]], root / "naive", jobs)
    b, basis = naive_estimate(loops, naive_wall, middle, big, built, jobs)
    progress("floor...")
    c = floor(folders, root / "floor", jobs)

    progress("report figures (PDFs untimed)...")
    figures = report_figures(results, args.pdf_forces)
    audited = [r for r in results if r.cells_shown + r.cells_suppressed]
    shares = [100 * r.cells_suppressed / (r.cells_shown + r.cells_suppressed) for r in audited]
    scale = scale_rows(args.scale, root, folders[0])
    dask = None
    if not args.no_dask:
        batch = synthetic_batch(args.dask_localities, root / "localities")  # the forces' own folders first
        progress(f"build of {len(batch)} synthetic localities on a local Dask cluster...")
        dask, dask_results = project_build(batch, root / "dask", jobs, engine="dask")
        failed += [f"{r.locality} (dask)" for r in dask_results if r.status == "failed"]
        differ = {name.split("/")[0] for name in differing_outputs(root / "project", root / "dask")
                  if name.split("/")[0] in by_slug}  # the forces both built

    n = len(folders)
    typical = statistics.median(loops[s] for s in middle) if middle else None
    how = ("the wall time above" if basis == "measured" else
           "scaled: the largest at its own time, the others at the median, over the loops")
    table = [
        ("build (HTML export included)", f"{a:,.1f} s; failed: {', '.join(failed) or 'none'}", _seconds(a / n), None),
    ]
    if dask is not None:
        table.append((f"Dask: {len(batch)} synthetic localities on a local cluster of {jobs} workers (start-up "
                      f"included); outputs unlike the build's for the {len(set(by_slug) & {f.name for f in batch})} "
                      f"forces both built: {', '.join(sorted(differ)) or 'none'}",
                      _seconds(dask), _seconds(dask / len(batch)), None))
    table += [
        (f"naive: median-sized forces ({', '.join(middle)}), each in its own loop",
         spread([loops[s] for s in middle], " s", 1), _seconds(typical / jobs if typical else None), None),
        (f"naive: the largest force ({big}), in its own loop", _seconds(loops[big]), _seconds(loops[big] / jobs),
         None),
        (f"naive: {len(loops)} forces above, {jobs} loops side by side (wall)", _seconds(naive_wall),
         _seconds(naive_wall / len(loops)), None),
        (f"naive for the {n} forces built ({how}) (naive / build)", _seconds(b), _seconds(b / n),
         _times(ratio(b, a))),
        (f"floor: the notebooks' code in {jobs} processes, no kernels, no export (build / floor)", _seconds(c),
         _seconds(c / n), _times(ratio(a, c))),
        ("report size (HTML)", spread([f["html_mb"] for f in figures], " MB"), None, None),
        ("tables per report", f"{spread([f['tables'] for f in figures], '', 0)}; distinct: "
         f"{spread([f['distinct_tables'] for f in figures], '', 0)}", None, None),
        ("PDF pages", ", ".join(f"{f['locality']} {f['pdf_pages']}" for f in figures if f["pdf_pages"]) or
         "not printed", None, None),
        ("suppressed local count cells (share per report)", spread(shares, "%", 1), None, None),
    ]
    table += scale
    print(format_table(header_line(jobs, n, when, machine_description(), load), table))
    return 0


if __name__ == "__main__":
    sys.exit(main())
