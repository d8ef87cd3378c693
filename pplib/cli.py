"""Command line: `pplib build`, `pplib generate-sample`, `pplib import-reference`, `pplib audit`."""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from pplib.paths import LOCALITIES_DIR, OUTPUTS_DIR, sample_localities
from pplib.reference.boundaries import add_boundaries_command


def _parameter(text: str) -> tuple[str, object]:
    """'year=2022' -> ('year', 2022): values read as YAML, so numbers and null work."""
    import yaml
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise SystemExit(f"--set expects NAME=VALUE, got '{text}'")
    return name.strip(), yaml.safe_load(value)


def _all_force_localities(out_root: Path) -> list[Path]:
    """Synthetic data for every force in the registry (generated once, then reused)."""
    from pplib.reference.forces import all_forces
    from sample.generate import generate_locality
    folders = []
    for force in all_forces():
        folder = out_root / "_synthetic" / force.slug
        if not (folder / "locality.yaml").exists():
            generate_locality(force, folder)
        folders.append(folder)
    return folders


def _cmd_build(args) -> int:
    from pplib.build.batch import build
    from pplib.build.outputs import OutputClash
    from pplib.registry import EDITIONS, SECTIONS
    if args.scheduler and args.engine != "dask":
        raise SystemExit("--scheduler is for --engine dask")
    out_root = Path(args.out)
    localities = [_locality_folder(p) for p in args.locality]
    if args.all_forces:
        localities += _all_force_localities(out_root)
    localities = localities or sample_localities()
    sections = tuple(_section_name(s) for s in args.section or SECTIONS)
    parameters = dict(_parameter(p) for p in args.set)
    _check_parameters(parameters, sections)
    try:
        results = build(localities, sections, out_root, parameters, editions=tuple(args.edition or EDITIONS),
                        jobs=args.jobs, rebuild=args.rebuild, pdf=args.pdf, progress=not args.quiet,
                        engine=args.engine, scheduler=args.scheduler)
    except OutputClash as exc:  # refused before any work
        raise SystemExit(f"pplib build: {exc}") from None
    failed = [r for r in results if r.status == "failed"]
    for r in results:
        where = r.report if r.status != "failed" else f"failed in {r.failed_section or 'setup'}: {r.detail or r.error}"
        withheld = f"; {r.suppression()}" if r.suppression() else ""
        print(f"{r.locality} ({r.edition}): {r.status}: {where}{withheld}")
        if r.status == "failed" and r.error_file:
            print(f"  the detail (traceback) is in {r.error_file}")
    print(f"{len(results) - len(failed)} profiles built or up to date, {len(failed)} failed; "
          f"index: {out_root / 'index.html'}")
    return 1 if failed else 0


def _did_you_mean(word: str, choices) -> str:
    import difflib
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.5)
    return f"; did you mean '{close[0]}'?" if close else ""


def _locality_folder(text: str) -> Path:
    """A --locality that is no locality is refused before any work, naming the nearest that is."""
    path = Path(text)
    if path.is_file() or (path / "locality.yaml").is_file():
        return path
    parent = path.parent if path.parent.is_dir() else Path(".")
    near = sorted(p.parent.name for p in parent.glob("*/locality.yaml"))
    what = "is a folder without a locality.yaml" if path.is_dir() else "does not exist"
    raise SystemExit(f"pplib build: --locality {text}: {what}{_did_you_mean(path.name, near)} (a locality is a "
                     "folder holding locality.yaml, or the YAML file itself)")


def _section_name(text: str) -> str:
    from pplib.registry import SECTIONS
    if text not in SECTIONS:
        raise SystemExit(f"pplib build: --section {text}: no such section{_did_you_mean(text, SECTIONS)} "
                         f"(sections: {', '.join(SECTIONS)})")
    return text


def _check_parameters(parameters: dict, sections: tuple[str, ...]) -> None:
    """A --set name no section built takes (a misspelling) would be ignored silently by papermill: refuse it."""
    from papermill import inspect_notebook

    from pplib.build.outputs import section_notebook
    from pplib.registry import SECTIONS
    taken = {name for s in sections if s in SECTIONS for name in inspect_notebook(str(section_notebook(s)))}
    for name in parameters:
        if name not in taken:
            hint = _did_you_mean(name, sorted(taken))
            raise SystemExit(f"pplib build: --set {name}: no section being built takes a parameter '{name}'{hint} "
                             f"(parameters: {', '.join(sorted(taken))})")


def _cmd_check(args) -> int:
    """Load each locality's files as a build would, without running a section: the column map used, where
    every row went, and the problems by file and column (rows and columns, never values). Exit 1 when
    anything would stop a build."""
    failed = sum(not _check_one(folder, args.rows) for folder in args.locality)
    return 1 if failed else 0


def _check_one(folder, rows: int = 20) -> bool:
    """`pplib check` for one locality: True when nothing stops a build."""
    from pplib.config import ConfigError, load_locality
    from pplib.records.check import check_lines, stoppers
    from pplib.records.dataset import load_locality_data
    from pplib.records.load import SourceError
    try:
        data = load_locality_data(load_locality(folder))
    except (ConfigError, SourceError) as exc:
        print(f"{folder}: refused: {exc}\na build would stop: fix the above, then run pplib check again",
              file=sys.stderr)
        return False
    print("\n".join(check_lines(data, rows)))
    return not stoppers(data)


def _cmd_new_locality(args) -> int:
    """Write a commented locality.yaml from the user's own extracts, then check it as `pplib check` would."""
    from pplib.records.scaffold import ScaffoldError, new_locality
    try:
        scaffold = new_locality([Path(f) for f in args.from_files], args.force, Path(args.to),
                                overwrite=args.overwrite)
    except ScaffoldError as exc:
        raise SystemExit(f"pplib new-locality: {exc}") from None
    print("\n".join(scaffold.summary_lines()))
    print(f"\npplib check --locality {args.to}")
    return 0 if _check_one(args.to) else 1


def _cmd_generate_sample(args) -> int:
    from sample.generate import SAMPLE_SLUGS, generate_sample
    for path in generate_sample(args.force or SAMPLE_SLUGS, Path(args.out)):
        print(path)
    return 0


def _cmd_import_reference(args) -> int:
    from pplib.reference.published import import_reference
    for path in import_reference(Path(args.shared)):
        print(path)
    return 0


def _cmd_data_dictionary(args) -> int:
    from pplib.readme import update_data_dictionary
    from pplib.records.schemas import data_dictionary_markdown
    if args.update_readme:
        update_data_dictionary()
    else:
        print(data_dictionary_markdown())
    return 0


def _cmd_audit(args) -> int:
    from pplib.disclosure.audit import audit_folder
    folder = Path(args.folder)
    if not folder.is_dir():
        print(f"pplib audit: {folder} is not a folder", file=sys.stderr)
        return 2
    result = audit_folder(folder)
    for problem in result.problems:
        print(problem)
    print(result.summary())
    return 0 if result.ok else 1


BUILD_EXAMPLES = """sections, in report order (for --section):
{sections}

examples:
  pplib build                                   every sample locality, both editions
  pplib build --locality my-area --edition partner --pdf --set year=2023
"""


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="pplib", description="Build local modern slavery problem profiles.")
    p.add_argument("-v", "--verbose", action="store_true", help="log progress")
    sub = p.add_subparsers(dest="command", required=True)

    from pplib.registry import SECTIONS
    b = sub.add_parser("build", help="run the section notebooks and export HTML",
                       formatter_class=argparse.RawDescriptionHelpFormatter, epilog=BUILD_EXAMPLES.format(
                           sections="\n".join(f"  {s}" for s in SECTIONS)))
    b.add_argument("--locality", action="append", default=[],
                   help="locality folder or YAML file (repeatable); default: every sample locality")
    b.add_argument("--all-forces", action="store_true",
                   help="also build every force in the registry, on synthetic data generated for each")
    b.add_argument("--edition", action="append", choices=("partner", "internal"),
                   help="edition to build (repeatable); default: both")
    b.add_argument("--jobs", type=int, default=None,
                   help="profiles built at once (default: one per core); with --engine dask and no --scheduler, "
                        "the local cluster's workers")
    b.add_argument("--engine", choices=("processes", "dask"), default="processes",
                   help="processes: worker processes on this machine (default); dask: tasks on a Dask "
                        "distributed cluster, for builds larger than one machine")
    b.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="with --engine dask: the cluster's scheduler, e.g. tcp://10.0.0.5:8786 (default: a local "
                        "cluster on this machine); workers need pplib and the same shared folders")
    b.add_argument("--rebuild", action="store_true", help="rebuild everything, not only what changed or failed")
    b.add_argument("--pdf", action="store_true", help="also print each report to PDF with a headless browser")
    b.add_argument("--quiet", action="store_true", help="no progress bar")
    b.add_argument("--section", action="append", help="section to build (repeatable); default: all")
    b.add_argument("--out", default=str(OUTPUTS_DIR), help="output folder (default: outputs/)")
    b.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                   help="set a notebook parameter, e.g. --set year=2022 --set compare_from=2022-Q1")
    b.set_defaults(func=_cmd_build)

    g = sub.add_parser("generate-sample", help="write synthetic record-level data for police forces")
    g.add_argument("--force", action="append", help="force slug (repeatable); default: the three sample forces")
    g.add_argument("--out", default=str(LOCALITIES_DIR), help="folder to write locality folders into")
    g.set_defaults(func=_cmd_generate_sample)

    r = sub.add_parser("import-reference", help="carry published figures and ONS lookups into data/sample")
    r.add_argument("--shared", required=True, help="folder holding reference/ and geo/")
    r.set_defaults(func=_cmd_import_reference)

    d = sub.add_parser("data-dictionary", help="print the data dictionary of every input (Markdown)")
    add_boundaries_command(sub)

    d.add_argument("--update-readme", action="store_true", help="rewrite the dictionary inside README.md")
    d.set_defaults(func=_cmd_data_dictionary)

    c = sub.add_parser("check", help="load a locality's files without building: what is refused, rows rejected")
    c.add_argument("--locality", action="append", required=True, help="locality folder or YAML file (repeatable)")
    c.add_argument("--rows", type=int, default=20, help="rejected rows listed per locality (default 20)")
    c.set_defaults(func=_cmd_check)

    n = sub.add_parser("new-locality", help="write a commented locality.yaml from your own extracts, then check it",
                       description="Detect each file's sheet, header row, encoding, delimiter and date order, "
                                   "propose a source and a canonical column for every column, write DIR/"
                                   "locality.yaml with what was guessed and how sure, then run pplib check. "
                                   "No value from the files is printed or written: only names of files, sheets "
                                   "and columns.")
    n.add_argument("--from", dest="from_files", nargs="+", required=True, metavar="FILE",
                   help="the extracts: police crimes, victims, suspects, NRM referrals, Duty to Notify, registers "
                        "(.csv or .xlsx; every sheet of a workbook is looked at)")
    n.add_argument("--force", required=True, metavar="NAME-OR-CODE",
                   help="the police force area, by name (Nottinghamshire) or ONS code (E23000019)")
    n.add_argument("--to", required=True, metavar="DIR", help="folder to write locality.yaml into")
    n.add_argument("--overwrite", action="store_true", help="replace a locality.yaml already in DIR")
    n.set_defaults(func=_cmd_new_locality)

    a = sub.add_parser("audit", help="check a built partner edition folder gives no suppressed count away")
    a.add_argument("folder", help="the partner edition's folder, e.g. outputs/<locality>/partner")
    a.set_defaults(func=_cmd_audit)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
