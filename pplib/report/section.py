"""What a section notebook calls to show things: headers, tables, charts, bullets.

Notebooks stay thin: they pass parameters here and write narrative around
what comes back. Every table shown is also written as CSV to the section's
output folder (and its caption to tables/captions.csv), so partners can take
the numbers into Excel.
"""
from __future__ import annotations

import base64
import csv
import html
import logging
import re
from functools import cached_property
from pathlib import Path

import pandas as pd
from IPython.display import HTML, display

from pplib import files
from pplib.config import Locality, load_locality
from pplib.disclosure import cells
from pplib.disclosure import tables as cell_tables
from pplib.disclosure.plan import Ledger
from pplib.disclosure.recode import MEASURES, recode
from pplib.disclosure.render import MARKER, render
from pplib.figures import charts
from pplib.measures import areas, counts
from pplib.records import clean
from pplib.records.dataset import LocalityData, cached_locality_data, write_quality_reports
from pplib.registry import EDITIONS
from pplib.text import from_csv_cell, markdown_html, md, user_markdown_html

AGE_GROUPS = {measure: cells.Coarsening(measure, "age_band", "age_group", tuple(
    (label, clean.age_group(low)) for low, _, label in clean.AGE_BANDS) + (("unknown", "unknown"),), exact=True)
    for measure in ("victims", "suspects")}


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


class Section:
    def __init__(self, title: str, locality: Locality, output_dir: Path, edition: str = "internal"):
        if edition not in EDITIONS:
            raise ValueError(f"edition must be one of {', '.join(EDITIONS)}, not '{edition}'")
        self.title = title
        self.locality = locality
        self.output_dir = Path(output_dir)
        self.partner = edition == "partner"
        self.ledger = Ledger.load(self._ledger_file, locality.disclosure) if self.partner else None

    @property
    def _ledger_file(self) -> Path:
        return self.output_dir / "disclosure" / "ledger.json"

    @cached_property
    def data(self) -> LocalityData:
        """The locality's cleaned records, loaded on first use (the national picture never needs them); in the
        partner edition with small categories recoded (pplib.disclosure.recode)."""
        data = cached_locality_data(self.locality)
        for measure, attribute in MEASURES.items():
            getattr(data, attribute).attrs["measure"] = measure
        write_quality_reports(data, self.output_dir, record_level=not self.partner)
        if self.partner:
            recoded = recode(data, self.locality.disclosure.threshold)
            self.recoded = recoded.categories
            for measure in ("victims", "suspects"):  # both from the age, so an age band's group is known
                self.ledger.domains.coarsenings.add(AGE_GROUPS[measure])
            for measure, source in MEASURES.items():  # the rows used of a source are its records
                self.ledger.domains.same(cells.key("rows", {"source": source, "status": "used"}), cells.key(measure))
            return recoded.data
        self.recoded = []
        return data

    def _domain(self, measure: str, dim: str) -> list[str]:
        """Every value a dimension takes in the records of a measure (missing as 'unknown'), and every value of
        a fixed vocabulary (sex, age): a reader cannot tell a value no record has from one withheld, so the
        model must not know it either."""
        if dim in areas.LEVELS:  # areas: every area of the force at that level, and the records not placed
            return [*areas.force_areas(dim, self.locality.force_code)["area_code"], areas.NOT_PLACED]
        frame = self.data.ledger if measure == "rows" else getattr(self.data, MEASURES[measure])
        if dim not in frame:
            raise KeyError(f"{measure} records have no '{dim}' to count by")
        present = set(frame[dim].astype("object").where(frame[dim].notna(), "unknown").astype(str))
        return sorted(present | set(counts.PROFILE_COLUMNS.get(dim, ())))

    def number(self, value: int, measure: str, **conditions) -> str:
        """A count from local records for a sentence: as the edition shows that cell everywhere else."""
        if not self.partner:
            return f"{int(value):,}"
        k = cells.key(measure, conditions)
        for dim, of in conditions.items():
            known = dim in self.ledger.domains.dims.get(measure, {})
            self.ledger.domains.add(measure, dim, [str(of), *([] if known else self._domain(measure, dim))])
        self.ledger.decide("text", {k: int(value)})
        self._save_ledger()
        value = self.ledger.shown(k)
        shown = "[c]" if value is None else f"{value:,}"
        return f'<span class="pp-n" data-cell="{html.escape(k, quote=True)}">{shown}</span>'

    def _save_ledger(self) -> None:
        self.ledger.save(self._ledger_file)
        rule = self.locality.disclosure
        metadata = {"format": 1, "rule": {"threshold": rule.threshold, "group_threshold": rule.group_threshold,
                                          "method": rule.method, "rounding_base": rule.rounding_base,
                                          "marker": MARKER},
                    "domains": self.ledger.domains.as_json(), "tables": self.ledger.tables}
        files.write_json(self.output_dir / "disclosure" / "metadata.json", metadata, indent=1)
        _write_log(self.output_dir / "disclosure_log.csv", self.ledger.log_rows())

    def table(self, name: str, frame: pd.DataFrame, caption: str, public: bool = False) -> None:
        """Show a table with its caption and save it as tables/<name>.csv.

        Tables of counts from local records pass through disclosure control; `public=True` marks
        published figures (national statistics), which are shown as published.
        """
        self._emit(name, self._shown(name, frame, public), caption, public)

    def show(self, name: str, frame: pd.DataFrame, caption: str, chart=None, empty: str = "",
             public: bool = False) -> pd.DataFrame | None:
        """A table and, when there is something to draw, its chart (drawn from the protected table);
        a plain statement when there is nothing."""
        numbers = frame.select_dtypes("number")
        if frame.empty or (not numbers.empty and not numbers.fillna(0).to_numpy(dtype=float).any()):
            self.statement(empty or f"There is nothing to show for {name.lower()} in this period.")
            return
        shown = self._shown(name, frame, public)
        self._emit(name, shown, caption, public)
        if chart is not None:
            self.chart(chart(shown), empty=charts.nothing_drawn(shown))
        return shown

    def _shown(self, name: str, frame: pd.DataFrame, public: bool) -> pd.DataFrame:
        """What the edition shows of a table: published figures as they are; local counts, in the partner
        edition, through the locality's ledger (one decision per cell across the whole report)."""
        spec = frame.attrs.get("cells")
        if public or not self.partner:
            return frame
        if spec is None:
            raise ValueError(f"table '{name}' shows local counts but does not say what they count "
                             "(pplib.measures.value.describe)")
        shown, cell_rows, ratio_rows = cell_tables.protect(self.ledger, name, frame, spec, self._domain)
        self._pending = {"file": f"tables/{slugify(name)}.csv", "title": name, "origin": "local",
                         "cells": cell_rows, "ratios": ratio_rows}
        return shown

    def _emit(self, name: str, frame: pd.DataFrame, caption: str, public: bool) -> None:
        tables = self.output_dir / "tables"
        tables.mkdir(parents=True, exist_ok=True)
        file_name = f"{slugify(name)}.csv"
        shown = render(frame)
        # Cells a spreadsheet would run as formulas are quoted (pplib.text.csv_cell); numbers stay numbers.
        files.write_csv(tables / file_name, shown)
        if self.partner:
            self._declare(f"tables/{file_name}", name, public)
        _record_caption(tables, file_name, name, caption, public)
        table = _whole_numbers(shown).to_html(index=False, na_rep="", classes="pp-table", border=0,
                                              float_format=lambda v: f"{v:,.1f}")
        # The caption inside the table (<caption>): read with it by assistive technology, printed with it.
        opening, _, rest = table.partition(">")
        display(HTML(f"{opening}><caption class='pp-caption'><strong>Table: {html.escape(name)}.</strong> "
                     f"{html.escape(caption)}</caption>{rest}"))

    def _declare(self, file: str, name: str, public: bool) -> None:
        """The table's entry in the audit's metadata: its cells when they are local counts."""
        entry = getattr(self, "_pending", None)
        self._pending = None
        if entry is None or entry["file"] != file:
            entry = {"file": file, "title": name, "origin": "published" if public else "local",
                     "cells": [], "ratios": []}
        self.ledger.tables = [t for t in self.ledger.tables if t["file"] != file] + [entry]
        self._save_ledger()

    def chart(self, figure, empty: str = charts.NO_DATA) -> None:
        """Embed the chart as a PNG inside the page (no external file), its title and a description of its
        data as alt text (pplib.figures.charts.alt_text); a sentence instead when there is no chart (a chart
        function returns None when it has nothing to draw)."""
        if figure is None:
            self.statement(empty)
            return
        alt = charts.alt_text(figure)
        encoded = base64.b64encode(charts.png(figure)).decode("ascii")
        display(HTML(f'<img alt="{html.escape(alt, quote=True)}" class="pp-chart" '
                     f'src="data:image/png;base64,{encoded}"/>'))

    # Sentences are the library's Markdown: user text in them is escaped where it is put in (pplib.text.md);
    # all of it is rendered and sanitised here, so what reaches the page is HTML from an allow-list.
    def bullets(self, lines: list[str]) -> None:
        display(HTML(markdown_html("\n".join(f"- {line}" for line in lines))))

    def heading(self, text: str, level: int = 3) -> None:
        display(HTML(markdown_html(f"{'#' * level} {text}")))

    def statement(self, text: str) -> None:
        display(HTML(markdown_html(text)))

    def case_study(self, title: str, body: str, level: int = 5) -> None:
        """A case study as its authors wrote it: their Markdown, with raw HTML shown as text."""
        self.heading(f"Case study: {md(title)}", level)
        display(HTML(user_markdown_html(body)))

    def caveat(self, text: str) -> None:
        display(HTML(f"<p class='pp-caveat'><strong>Caveat:</strong> {html.escape(text)}</p>"))

    def rule(self) -> str:
        """The disclosure rule this edition applies, as the report states it."""
        if not self.partner:
            return ("Internal edition: counts are shown as recorded; do not share it beyond the analysts "
                    "who hold the data.")
        rule = self.locality.disclosure
        small = f"1 to {rule.threshold - 1}" if rule.threshold > 2 else "1"
        if rule.method == "round":
            return (f"Partner edition. Counts from local records of {small} are withheld and shown as {MARKER}; "
                    f"every other count is rounded to the nearest {rule.rounding_base}, so totals may not add up, "
                    "and no shares of rounded counts are given. Zeros are shown. Published national figures are "
                    "not rounded or withheld.")
        return (f"Partner edition. Small categories are first counted together (types and nationalities with "
                f"fewer than {rule.threshold} records as other or not recorded). Counts from local records of "
                f"{small} are withheld and shown as {MARKER}, and so is any other count from which, with every "
                f"table, total and sentence in this edition, a withheld count could be worked out, or a group of "
                f"fewer than {rule.group_threshold} people shown all in one category. Shares and rates of "
                f"withheld counts are left blank. Zeros are shown. Published national figures are not withheld.")

    def withheld_note(self) -> str:
        """What [c] means, for captions (empty in the internal edition)."""
        return " [c]: withheld to protect individuals." if self.partner else ""

    def not_on_the_map(self, unmatched: pd.DataFrame, records: pd.DataFrame, level: str) -> str:
        """How many records no area holds: in the partner edition one cell ("not placed") of the area table."""
        if not self.partner:
            return areas.unmatched_note(unmatched)
        conditions = {**records.attrs.get("within", {}), level: areas.NOT_PLACED}
        return areas.unmatched_note(unmatched, lambda n: self.number(n, records.attrs["measure"], **conditions))

    def marking(self) -> None:
        display(HTML(f"<p class='pp-marking'>{html.escape(self.locality.handling_marking)}</p>"))


def _whole_numbers(frame: pd.DataFrame) -> pd.DataFrame:
    """Counts held as floats (because of gaps) shown as whole numbers: 5,135 not 5,135.0."""
    shown = frame.copy()
    for column in shown.select_dtypes("float").columns:
        values = shown[column].dropna()
        if len(values) and (values == values.round()).all():
            shown[column] = shown[column].astype("Int64")
    return shown


def _write_log(path: Path, rows: list[dict]) -> None:
    """disclosure_log.csv, rewritten whole: one line per suppressed cell with its reason."""
    files.write_csv(path, pd.DataFrame(rows, columns=["table", "cell", "measure", "conditions", "action", "reason"]))


def _record_caption(tables: Path, file_name: str, name: str, caption: str, public: bool) -> None:
    """tables/captions.csv: each table's title, caption and whether it holds published figures only."""
    index = tables / "captions.csv"
    rows = []
    if index.exists():
        with index.open(encoding="utf-8", newline="") as handle:
            rows = [{k: from_csv_cell(v) for k, v in row.items()} for row in csv.DictReader(handle)]
    earlier = [r for r in rows if r["file"] == file_name]
    # A table shown again (the appendix) keeps what it was: local counts stay marked as local.
    published = public and all(r["published"] == "yes" for r in earlier)
    rows = [r for r in rows if r["file"] != file_name]
    rows.append({"file": file_name, "table": name, "caption": caption, "published": "yes" if published else "no"})
    files.write_csv(index, pd.DataFrame(rows, columns=["file", "table", "caption", "published"], dtype=object))


def _log_to_file(output_dir: Path, locality: Path) -> None:
    """Log to output_dir/pplib.log (an audit trail, e.g. of personal-field access), not into the report; a
    line at a time, with no machine path or PPLIB_* setting in it (pplib.files.Redactor)."""
    output_dir.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(filename=output_dir / "pplib.log", level=logging.INFO, force=True, encoding="utf-8")
    redactor = files.Redactor({"<output folder>": output_dir, "<locality>": locality})
    for handler in logging.getLogger().handlers:
        handler.setFormatter(files.RedactingFormatter(redactor, "%(asctime)s %(levelname)s %(name)s: %(message)s"))


def open_section(title: str, locality: str | Path, output_dir: str | Path, edition: str = "internal") -> Section:
    """Read the locality's configuration and show the section's header with its handling marking."""
    _log_to_file(Path(output_dir), Path(locality))
    config = load_locality(locality)
    section = Section(title, config, Path(output_dir), edition)
    section.marking()
    display(HTML(markdown_html(f"# {md(config.name)}: {title}\n\n*{md(config.partnership)}* · period "
                               f"{config.period.start:%d %B %Y} to {config.period.end:%d %B %Y}")))
    if config.synthetic:
        display(HTML("<p class='pp-synthetic'><strong>SYNTHETIC DATA.</strong> The local records in this "
                     "report are generated by the toolkit for demonstration; they describe no real people "
                     "or crimes. Published national figures are real.</p>"))
    return section
