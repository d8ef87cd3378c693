"""Every table of a locality's report in one Excel workbook (partners work in Excel)."""
from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

log = logging.getLogger(__name__)

MAX_SHEET_NAME = 31  # Excel's limit


def _sheet_name(title: str, taken: set[str]) -> str:
    base = "".join(c for c in title if c not in "[]:*?/\\")[:MAX_SHEET_NAME].strip() or "table"
    name, n = base, 2
    while name.lower() in taken:
        suffix = f" ({n})"
        name, n = base[: MAX_SHEET_NAME - len(suffix)] + suffix, n + 1
    taken.add(name.lower())
    return name


def tables_workbook(out_dir: Path, name: str = "tables.xlsx") -> Path | None:
    """Combine out_dir/tables/*.csv into one workbook with a contents sheet; None if there are no tables."""
    tables = out_dir / "tables"
    captions_file = tables / "captions.csv"
    if not captions_file.exists():
        return None
    captions = pd.read_csv(captions_file, dtype=str, keep_default_na=False)
    target = out_dir / name
    taken = {"contents"}
    contents = []
    with pd.ExcelWriter(target, engine="xlsxwriter") as writer:  # writes in half the time openpyxl takes
        pd.DataFrame().to_excel(writer, sheet_name="Contents")  # first sheet; filled below
        for row in captions.itertuples():
            sheet = _sheet_name(row.table, taken)
            pd.read_csv(tables / row.file).to_excel(writer, sheet_name=sheet, index=False)
            contents.append({"sheet": sheet, "table": row.table, "caption": row.caption, "csv file": row.file})
        pd.DataFrame(contents).to_excel(writer, sheet_name="Contents", index=False)
    log.info("wrote %s (%d tables)", target, len(contents))
    return target
