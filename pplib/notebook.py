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
from IPython.display import HTML, Markdown, display

from pplib import charts
from pplib.config import Locality, load_locality
from pplib.dataset import LocalityData, cached_locality_data, write_quality_reports
from pplib.protect import EDITIONS, Protector, render


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


class Section:
    def __init__(self, title: str, locality: Locality, output_dir: Path, edition: str = "internal"):
        if edition not in EDITIONS:
            raise ValueError(f"edition must be one of {', '.join(EDITIONS)}, not '{edition}'")
        self.title = title
        self.locality = locality
        self.output_dir = Path(output_dir)
        self.protect = Protector(edition, locality.disclosure)

    @cached_property
    def data(self) -> LocalityData:
        """The locality's cleaned records, loaded on first use (the national picture never needs them)."""
        data = cached_locality_data(self.locality)
        write_quality_reports(data, self.output_dir, record_level=not self.protect.partner)
        return data

    def table(self, name: str, frame: pd.DataFrame, caption: str, public: bool = False,
              **protection) -> None:
        """Show a table with its caption and save it as tables/<name>.csv.

        Tables of counts from local records pass through disclosure control; `public=True` marks
        published figures (national statistics), which are shown as published.
        """
        self._emit(name, frame if public else self._protected(frame, name, **protection), caption, public)

    def show(self, name: str, frame: pd.DataFrame, caption: str, chart=None, empty: str = "",
             public: bool = False, **protection) -> None:
        """A table and, when there is something to draw, its chart (drawn from the protected table);
        a plain statement when there is nothing."""
        numbers = frame.select_dtypes("number")
        if frame.empty or (not numbers.empty and not numbers.fillna(0).to_numpy(dtype=float).any()):
            self.statement(empty or f"There is nothing to show for {name.lower()} in this period.")
            return
        shown = frame if public else self._protected(frame, name, **protection)
        self._emit(name, shown, caption, public)
        if chart is not None:
            self.chart(chart(shown))

    def _protected(self, frame: pd.DataFrame, name: str, **protection) -> pd.DataFrame:
        """The edition's safe copy of a table of local counts; what was suppressed goes to the disclosure log.

        `protection`: Protector.table's counts, groups, across and derived (which totals are known)."""
        logged = len(self.protect.log)
        safe = self.protect.table(frame, name, **protection)
        if len(self.protect.log) > logged:
            _append_csv(self.output_dir / "disclosure_log.csv", self.protect.log[logged:])
        return safe

    def _emit(self, name: str, frame: pd.DataFrame, caption: str, public: bool) -> None:
        tables = self.output_dir / "tables"
        tables.mkdir(parents=True, exist_ok=True)
        file_name = f"{slugify(name)}.csv"
        shown = render(frame)
        shown.to_csv(tables / file_name, index=False, lineterminator="\n")
        _record_caption(tables, file_name, name, caption, public)
        display(HTML(f"<p class='pp-caption'><strong>Table: {html.escape(name)}.</strong> {html.escape(caption)}</p>"))
        display(HTML(_whole_numbers(shown).to_html(index=False, na_rep="", classes="pp-table", border=0,
                                                   float_format=lambda v: f"{v:,.1f}")))

    def chart(self, figure) -> None:
        """Embed the chart as a PNG inside the page (no external file), its title as alt text."""
        title = _figure_title(figure)
        encoded = base64.b64encode(charts.png(figure)).decode("ascii")
        display(HTML(f'<img alt="{html.escape(title, quote=True)}" class="pp-chart" '
                     f'src="data:image/png;base64,{encoded}"/>'))

    def bullets(self, lines: list[str]) -> None:
        display(Markdown("\n".join(f"- {line}" for line in lines)))

    def heading(self, text: str, level: int = 3) -> None:
        display(Markdown(f"{'#' * level} {text}"))

    def statement(self, text: str) -> None:
        display(Markdown(text))

    def caveat(self, text: str) -> None:
        display(HTML(f"<p class='pp-caveat'><strong>Caveat:</strong> {html.escape(text)}</p>"))

    def marking(self) -> None:
        display(HTML(f"<p class='pp-marking'>{html.escape(self.locality.handling_marking)}</p>"))


def _figure_title(figure) -> str:
    """The figure's own title (small multiples) or its first chart's, for the image's alt text."""
    if figure._suptitle is not None and figure._suptitle.get_text():
        return figure._suptitle.get_text()
    return figure.axes[0].get_title(loc="left") if figure.axes else "chart"


def _whole_numbers(frame: pd.DataFrame) -> pd.DataFrame:
    """Counts held as floats (because of gaps) shown as whole numbers: 5,135 not 5,135.0."""
    shown = frame.copy()
    for column in shown.select_dtypes("float").columns:
        values = shown[column].dropna()
        if len(values) and (values == values.round()).all():
            shown[column] = shown[column].astype("Int64")
    return shown


def _append_csv(path: Path, rows: list[dict]) -> None:
    frame = pd.DataFrame(rows)
    frame.to_csv(path, mode="a", header=not path.exists(), index=False, lineterminator="\n")


def _record_caption(tables: Path, file_name: str, name: str, caption: str, public: bool) -> None:
    """tables/captions.csv: each table's title, caption and whether it holds published figures only."""
    index = tables / "captions.csv"
    rows = []
    if index.exists():
        with index.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
    earlier = [r for r in rows if r["file"] == file_name]
    # A table shown again (the appendix) keeps what it was: local counts stay marked as local.
    published = public and all(r["published"] == "yes" for r in earlier)
    rows = [r for r in rows if r["file"] != file_name]
    rows.append({"file": file_name, "table": name, "caption": caption, "published": "yes" if published else "no"})
    with index.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["file", "table", "caption", "published"], lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def _log_to_file(output_dir: Path) -> None:
    """Log to output_dir/pplib.log (an audit trail, e.g. of personal-field access), not into the report."""
    output_dir.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(filename=output_dir / "pplib.log", level=logging.INFO, force=True, encoding="utf-8",
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def open_section(title: str, locality: str | Path, output_dir: str | Path, edition: str = "internal") -> Section:
    """Read the locality's configuration and show the section's header with its handling marking."""
    _log_to_file(Path(output_dir))
    config = load_locality(locality)
    section = Section(title, config, Path(output_dir), edition)
    section.marking()
    display(Markdown(f"# {config.name}: {title}\n\n*{config.partnership}* · period "
                     f"{config.period.start:%d %B %Y} to {config.period.end:%d %B %Y}"))
    if config.synthetic:
        display(HTML("<p class='pp-synthetic'><strong>SYNTHETIC DATA.</strong> The local records in this "
                     "report are generated by the toolkit for demonstration; they describe no real people "
                     "or crimes. Published national figures are real.</p>"))
    return section
