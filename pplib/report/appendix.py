"""What the report says about itself: handling guidance, what disclosure control did, a list of the tables
written so far, and provenance (input files and their hashes, package versions, parameters and the run id).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import importlib.metadata
import json
import platform
import re
from pathlib import Path

import pandas as pd

from pplib.measures import counts, wording
from pplib.measures.value import OTHER
from pplib.paths import REFERENCE_DIR
from pplib.text import from_csv_cell, md

PACKAGES = ("pplib", "pandas", "numpy", "matplotlib", "geopandas", "papermill", "nbconvert", "pandera")


PATH_PARAMETERS = ("locality", "output_dir")  # where things are, not what is computed: not in the run id


APPENDIX_PREFIX = "Appendix: "


def handling_guidance(locality, partner: bool, rule_text: str) -> list[str]:
    """Who may receive this edition, and on what terms (`rule_text`: the disclosure rule applied)."""
    if partner:
        audience = (f"Partner edition: for the members of {md(locality.partnership)}, to be shared only under the "
                    "partnership's information sharing agreement. It holds no personal data, and small counts "
                    "from local records are protected; do not publish it or pass it on beyond the partnership "
                    "without the agreement of the organisations that supplied the data.")
    else:
        audience = ("Internal edition: for the analysts who hold the source data (police and partnership "
                    "analysts named in the data sharing agreement). Partners receive the partner edition.")
    return [f"Handling marking: {md(locality.handling_marking)}. Store, send and destroy it as that marking requires.",
            audience, rule_text,
            "Record-level rows, names, dates of birth, crime references and free-text notes are never shown."]


TABLE_LIST_COLUMNS = ("table", "what it holds", "section", "csv file", "sheet")


def table_list(output_dir: str | Path) -> pd.DataFrame:
    """One row per table the locality's sections have written so far (the appendix's own excepted), in the
    order written: its title, what it holds (its caption), the section that wrote it, its CSV file in
    tables/ and its sheet in tables.xlsx. Each table is shown once, where its section puts it (a short one
    as a sentence or its chart); this list says where the numbers are."""
    from pplib.build.workbook import sheet_names  # the workbook's own naming, so the two always agree
    index = Path(output_dir) / "tables" / "captions.csv"
    if not index.exists():
        return pd.DataFrame(columns=list(TABLE_LIST_COLUMNS))
    captions = pd.read_csv(index, dtype=str, keep_default_na=False)
    if "section" not in captions:
        captions["section"] = ""
    captions["sheet"] = sheet_names(list(captions["table"]))
    captions = captions[~captions["table"].str.startswith(APPENDIX_PREFIX)]
    listed = pd.DataFrame({"table": captions["table"], "what it holds": captions["caption"].map(_holds),
                           "section": captions["section"].map(_section_number), "csv file": captions["file"],
                           "sheet": captions["sheet"]}, columns=list(TABLE_LIST_COLUMNS))
    return listed.map(from_csv_cell).reset_index(drop=True)


def table_list_markdown(listed: pd.DataFrame) -> str:
    """The list of tables for the page: one paragraph per section naming its tables in order. What each holds,
    its sheet and its CSV file are in the list's own sheet and the workbook's Contents sheet (a line per table
    with its caption would print over pages)."""
    lines = []
    for number, tables in listed.groupby("section", sort=False):
        names = "; ".join(md(name) for name in tables["table"])
        lines.append(f"**{'Section ' + md(number) if number else 'Other'}** ({len(tables)}): {names}.")
    return "\n\n".join(lines)


def _holds(caption: str) -> str:
    """What a table holds, from its caption: the caption less its source and the [c] note (the workbook's
    Contents sheet and each sheet keep the whole caption)."""
    text = re.split(r"\s(?:Sources?:|\[c\]:)", str(caption), maxsplit=1)[0].strip()
    return text or str(caption)


def _section_number(title: str) -> str:
    """'5.2' of '5.2 Local picture', '1' of '1. Executive summary'; the title when it has no number."""
    match = re.match(r"(\d+(?:\.\d+)*)\.?\s", str(title))
    return match.group(1) if match else str(title)


MEASURE_LABELS = {"crimes": "crimes", "victims": "victims", "suspects": "suspects", "referrals": "NRM referrals",
                  "dtn_reports": "Duty to Notify reports"}


def disclosure_notes(recoded: list[dict], threshold: int, suppressed: int) -> list[str]:
    """What the partner edition did to small counts: the exploitation types recoded as OTHER (named), how
    many nationalities and sectors were recoded per measure (never which), and how many counts were withheld."""
    types = sorted({r["value"] for r in recoded if r["dimension"] == "primary_type"})
    lines = [f"Exploitation types with fewer than {threshold} crimes, counted as '{OTHER}' everywhere: "
             f"{', '.join(wording.type_label(t) for t in types)}." if types
             else f"No exploitation type was counted as '{OTHER}'."]
    for dimension, plural in (("nationality", "nationalities"), ("sector", "sectors or settings")):
        per = pd.Series([r["measure"] for r in recoded if r["dimension"] == dimension], dtype=object).value_counts()
        if len(per):
            counted = "; ".join(f"{n:,} among {MEASURE_LABELS.get(m, m)}" for m, n in per.sort_index().items())
            lines.append(f"{plural.capitalize()} held by fewer than {threshold} records of a source, counted as "
                         f"'{OTHER}' in that source (not named here): {counted}.")
    lines.append(f"Counts withheld ([c]) across the report's tables, maps and sentences: {suppressed:,}.")
    return lines


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def input_files(data) -> pd.DataFrame:
    """Every input file: the locality's configuration and sources, its case studies and the reference
    figures, each with its sha256, size in bytes and rows read (sources only: a local count, described)."""
    locality = data.locality
    rows = [("configuration", locality.base_dir / "locality.yaml", None)]
    rows += [(kind, loaded.path, loaded.rows_read) for kind, loaded in data.loaded.items()]
    studies = locality.base_dir / locality.case_studies if locality.case_studies else None
    if studies is not None and studies.is_dir():
        rows += [("case study", path, None) for path in sorted(studies.glob("*.md"))]
    rows += [("reference", path, None) for path in sorted(REFERENCE_DIR.glob("*.csv"))]
    table = pd.DataFrame([{
        "input": kind, "file": _relative(path, locality.base_dir), "sha256": file_sha256(path),
        "bytes": Path(path).stat().st_size, "rows read": read} for kind, path, read in rows])
    table["rows read"] = table["rows read"].astype("Int64")
    return counts.describe_rows(table, data)


def _relative(path: Path, base: Path) -> str:
    path = Path(path)
    try:
        return path.resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        return f"{REFERENCE_DIR.name}/{path.name}" if path.parent == REFERENCE_DIR else path.name


def package_versions() -> pd.DataFrame:
    rows = [{"package": "python", "version": platform.python_version()}]
    for name in PACKAGES:
        try:
            version = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            version = "not installed"
        rows.append({"package": name, "version": version})
    return pd.DataFrame(rows)


def derive_run_id(inputs: pd.DataFrame, parameters: dict) -> str:
    """A run id that depends only on what is computed: the inputs' hashes, the parameters other than
    paths, and the pplib version. Same inputs and parameters give the same id on any machine."""
    payload = {
        "inputs": sorted([row.input, row.file, row.sha256] for row in inputs.itertuples()),
        "parameters": {k: v for k, v in sorted(parameters.items()) if k not in (*PATH_PARAMETERS, "run_id")},
        "pplib": package_versions().set_index("package").loc["pplib", "version"],
    }
    encoded = json.dumps(payload, sort_keys=True, default=str).encode("utf-8")
    return hashlib.sha256(encoded).hexdigest()[:16]


def _parameter_text(name: str, value) -> str:
    """A parameter as the report shows it: folders by their own name, never a path on the machine that built it."""
    if value is None:
        return "not set"
    return Path(str(value)).name if name in PATH_PARAMETERS else str(value)


def provenance(data, parameters: dict, run_id: str | None = None,
               now: dt.datetime | None = None) -> dict[str, pd.DataFrame]:
    """What produced the report: input files with hashes, parameters, package versions and the run
    (its id, derived when not given, and when it ran: the only timestamp in the report)."""
    inputs = input_files(data)
    run_id = run_id or derive_run_id(inputs, parameters)
    now = now or dt.datetime.now(dt.timezone.utc)
    period = data.locality.period
    return {
        "inputs": inputs,
        "parameters": pd.DataFrame([{"parameter": k, "value": _parameter_text(k, v)}
                                    for k, v in parameters.items()], columns=["parameter", "value"]),
        "versions": package_versions(),
        "run": pd.DataFrame([{"item": "run id", "value": run_id},
                             {"item": "generated (UTC)", "value": f"{now:%Y-%m-%d %H:%M:%S}"},
                             {"item": "locality", "value": data.locality.name},
                             {"item": "period", "value": f"{period.start} to {period.end}"}]),
    }
