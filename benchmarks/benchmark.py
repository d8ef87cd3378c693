"""Benchmark: how long a national build takes, against the one-command-per-notebook way and the floor.

Run with `python3 tasks.py benchmark` (all 46 forces: tens of minutes) or, for a quick look,
`python3 tasks.py benchmark --forces 3 --naive-forces 1 --scale 10000,100000`. It prints figures; it
asserts nothing (targets are judged by reading them, not by tests).

(a) the project's build of every section, partner edition, HTML export, for the chosen forces;
(b) the same notebooks run the way a user would without this project: one `papermill` command and one
    `jupyter nbconvert` command per notebook, in sequence, on a subset of forces, scaled to all;
(c) the floor: the notebooks' own code run in this process (same analysis, same charts), with no kernel
    and no export.
Also (a) on a local Dask cluster (`--engine dask`), unless --no-dask.
Then load + clean + analyse of 10,000 / 100,000 / 1,000,000 synthetic crime records.
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import nbformat
import pandas as pd

from pplib.build.batch import build
from pplib.build.outputs import section_notebook
from pplib.config import load_locality
from pplib.measures import counts
from pplib.records.dataset import load_locality_data
from pplib.reference.forces import all_forces
from pplib.registry import SECTIONS
from pplib.report import section as section_module
from sample.generate import generate_locality


def localities(count: int, root: Path) -> list[Path]:
    folders = []
    for force in all_forces()[:count]:
        folder = root / force.slug
        if not (folder / "locality.yaml").exists():
            generate_locality(force, folder)
        folders.append(folder)
    return folders


def timed(action) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def project_build(folders: list[Path], out: Path, engine: str = "processes") -> tuple[float, list]:
    results = []
    seconds = timed(lambda: results.extend(build(folders, SECTIONS, out, editions=("partner",), rebuild=True,
                                                 engine=engine)))
    return seconds, results


def print_information_loss(results: list) -> None:
    """Per partner report: local count cells suppressed, and their share of all its local count cells."""
    audited = [r for r in results if r.cells_shown + r.cells_suppressed]
    for r in audited:
        print(f"    {r.locality}: {r.suppression()}")
    shares = [r.cells_suppressed / (r.cells_shown + r.cells_suppressed) for r in audited]
    if shares:
        print(f"    suppressed share of local count cells: median {100 * statistics.median(shares):.1f}%, "
              f"max {100 * max(shares):.1f}%")


def naive_build(folders: list[Path], out: Path) -> float:
    """papermill + nbconvert, one command each per notebook, in sequence."""
    bin_dir = Path(sys.executable).parent
    def run():
        for folder in folders:
            target = out / folder.name
            target.mkdir(parents=True, exist_ok=True)
            for section in SECTIONS:
                executed = target / f"{section}.ipynb"
                subprocess.run([str(bin_dir / "papermill"), str(section_notebook(section)), str(executed),
                                "-p", "locality", str(folder), "-p", "output_dir", str(target),
                                "-p", "edition", "partner", "--no-progress-bar"],
                               check=True, capture_output=True)
                subprocess.run([str(bin_dir / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(executed)],
                               check=True, capture_output=True)
    return timed(run)


def floor(folders: list[Path], out: Path) -> float:
    """Each notebook's code cells executed here, displays discarded: the analysis and charts alone."""
    cells = {s: [c.source for c in nbformat.read(section_notebook(s), as_version=4).cells if c.cell_type == "code"]
             for s in SECTIONS}
    section_module.display = lambda *args, **kwargs: None
    def run():
        for folder in folders:
            for section in SECTIONS:
                namespace = {}
                exec(cells[section][0], namespace)  # the defaults, then the parameters as the build sets them
                namespace.update(locality=str(folder), output_dir=str(out / folder.name), edition="partner")
                for source in cells[section][1:]:
                    exec(source.replace("explorer.widget()", ""), namespace)
    return timed(run)


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


def data_scale(rows: int, root: Path, base: Path) -> tuple[float, float]:
    folder = scaled_locality(rows, root, base)
    tracemalloc.start()
    start = time.perf_counter()
    data = load_locality_data(load_locality(folder))
    counts.crimes_by_type(data), counts.crimes_by_quarter(data), counts.types_present(data)
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return seconds, peak


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--forces", type=int, default=len(all_forces()), help="forces built (default: all)")
    parser.add_argument("--naive-forces", type=int, default=2, help="forces run the naive way, then scaled")
    parser.add_argument("--scale", default="10000,100000,1000000", help="record counts for the data-scale test")
    parser.add_argument("--work", default=None, help="working folder (default: a temporary one)")
    parser.add_argument("--no-dask", action="store_true", help="skip timing the build on a local Dask cluster")
    args = parser.parse_args(argv)
    root = Path(args.work or tempfile.mkdtemp(prefix="pplib-benchmark-"))
    os.environ.setdefault("MPLCONFIGDIR", str(root / "mpl"))
    folders = localities(args.forces, root / "localities")
    print(f"{len(folders)} forces x {len(SECTIONS)} sections, partner edition, {os.cpu_count()} cores; work in {root}")

    a, results = project_build(folders, root / "project")
    sizes = [Path(r.report).stat().st_size / 2**20 for r in results if r.report]
    failed = [r.locality for r in results if r.status == "failed"]
    print(f"(a) project build: {a:,.1f} s ({a / len(folders):.1f} s per force); failed: {failed or 'none'}")
    print(f"    report size MB: min {min(sizes):.2f}, median {statistics.median(sizes):.2f}, max {max(sizes):.2f}")
    print_information_loss(results)

    if not args.no_dask:
        seconds, results = project_build(folders, root / "dask", engine="dask")
        failed = [r.locality for r in results if r.status == "failed"]
        print(f"(a) again with --engine dask (a local cluster of {os.cpu_count()} workers, started and stopped "
              f"within): {seconds:,.1f} s; failed: {failed or 'none'}")

    subset = folders[:: max(1, len(folders) // max(1, args.naive_forces))][: args.naive_forces]  # spread out
    b_subset = naive_build(subset, root / "naive")
    b = b_subset / len(subset) * len(folders)
    print(f"(b) one papermill + one nbconvert command per notebook: {b_subset:,.1f} s for {len(subset)} "
          f"force{'s' if len(subset) != 1 else ''} "
          f"({', '.join(f.name for f in subset)}), "
          f"{b:,.1f} s scaled to {len(folders)}")

    c = floor(folders, root / "floor")
    print(f"(c) floor (same code, no kernels, no export): {c:,.1f} s")
    print(f"ratios: (a)/(c) = {a / c:.2f} (target <= 2); (b)/(a) = {b / a:.2f} (target >= 8)")
    peak_children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    peak_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory: largest worker or kernel {peak_children:,.0f} MB; this process {peak_self:,.0f} MB")

    base = folders[0]
    for rows in (int(n) for n in args.scale.split(",") if n):
        seconds, peak = data_scale(rows, root / "scale", base)
        print(f"data scale: {rows:>9,} crime records loaded, validated, cleaned and counted in {seconds:,.1f} s, "
              f"peak {peak:,.0f} MB of Python allocations")
    return 0


if __name__ == "__main__":
    sys.exit(main())
