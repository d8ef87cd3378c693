"""Interactive exploration in JupyterLab: pick the locality, period, exploitation type and breakdown,
and the chart, table and map update in place.

It calls the same pplib functions as the report, so what an analyst sees here matches what
partners get (in the internal edition: explorers hold the data). Loading and cleaning a locality
is the slow part, so it is cached; a change of control only re-counts.
"""
from __future__ import annotations

import base64
import html
import logging
from pathlib import Path

import ipywidgets as widgets
import pandas as pd

from pplib import labels, paths
from pplib.config import load_locality
from pplib.figures import charts, maps
from pplib.measures import areas, counts
from pplib.records.dataset import LocalityData, cached_locality_data
from pplib.reference import boundaries
from pplib.report.section import html_table
from pplib.text import csv_safe

log = logging.getLogger(__name__)

ALL_TYPES = "all types"
# breakdown label -> (records counted, column); 'area' and 'quarter' are computed, not columns.
BREAKDOWNS = {
    "age group (victims)": ("victims", "age_group"),
    "age band (victims)": ("victims", "age_band"),
    "sex (victims)": ("victims", "sex"),
    "nationality (victims)": ("victims", "nationality"),
    "age group (suspects)": ("suspects", "age_group"),
    "sex (suspects)": ("suspects", "sex"),
    "nationality (suspects)": ("suspects", "nationality"),
    "area (crimes by district)": ("crimes", "area"),
    "quarter (crimes)": ("crimes", "quarter"),
}
# Breakdowns with an order of their own (ages, time): their bars keep it; the others are sorted by count.
ORDERED = ("age_group", "age_band", "quarter")


def sample_localities() -> dict[str, Path]:
    return {folder.name: folder for folder in paths.sample_localities()}


def cached_data(folder: Path) -> LocalityData:
    """The locality's cleaned records, loaded once per version of its files."""
    return cached_locality_data(load_locality(folder))


def quarters_of(data: LocalityData) -> list[str]:
    return counts.crimes_by_quarter(data)["quarter"].tolist()


def select(data: LocalityData, kind: str, quarters: tuple[str, str], exploitation_type: str) -> pd.DataFrame:
    """The records of one kind within the quarters and of the type (people via their crime's type)."""
    records = getattr(data, kind)
    if kind == "crimes":
        in_period = records["quarter"].between(*quarters)
    else:
        crime_quarter = records["crime_key"].map(data.crimes.set_index("crime_key")["quarter"])
        in_period = crime_quarter.between(*quarters)
    records = records[in_period]
    return records if exploitation_type == ALL_TYPES else counts.of_type(records, exploitation_type)


def breakdown_table(data: LocalityData, breakdown: str, quarters: tuple[str, str], exploitation_type: str,
                    ) -> pd.DataFrame:
    """The counts behind the chart: the same functions the report uses."""
    kind, column = BREAKDOWNS[breakdown]
    records = select(data, kind, quarters, exploitation_type)
    if column == "area":
        table, _ = areas.area_counts(records, "lad", data.locality.force_code)
        return _by_count(table[["area_code", "area_name", "count", "rate_per_100k"]], "count")
    if column == "quarter":
        table = counts.crimes_by_quarter(data, records)
        return table[table["quarter"].between(*quarters)].reset_index(drop=True)
    table = counts.profile(records, column)
    return table if column in ORDERED else _by_count(table, "people")


def _by_count(table: pd.DataFrame, value: str) -> pd.DataFrame:
    """Largest first (ties in the order they came), so the chart reads as a ranking."""
    return table.sort_values(value, ascending=False, kind="stable").reset_index(drop=True)


def filters(locality: str, quarters: tuple[str, str], exploitation_type: str) -> str:
    """The active selection in words, for titles: 'Dyfed-Powys, labour exploitation, 2022-Q1 to 2022-Q4'."""
    kind = "all exploitation types" if exploitation_type == ALL_TYPES else labels.value("primary_type", exploitation_type).lower()
    period = quarters[0] if quarters[0] == quarters[1] else f"{quarters[0]} to {quarters[1]}"
    return f"{locality}, {kind}, {period}"


def csv_link(table: pd.DataFrame, name: str) -> str:
    """A link that saves the table on show as CSV (written like the report's tables/*.csv: canonical names,
    text a spreadsheet cannot run as a formula)."""
    data = base64.b64encode(csv_safe(table).to_csv(index=False, lineterminator="\n").encode("utf-8")).decode("ascii")
    file = "".join(c if c.isalnum() or c in "-_" else "_" for c in name.lower()).strip("_") + ".csv"
    return (f'<a download="{html.escape(file, quote=True)}" href="data:text/csv;base64,{data}">'
            f"Download this table (CSV)</a>")


class Explorer:
    """The controls and the outputs they drive. `explorer.table` holds the counts on show."""

    def __init__(self, locality: str | Path | None = None):
        choices = sample_localities()
        if locality is not None:
            folder = Path(locality).resolve()
            choices = {folder.name: folder, **{k: v for k, v in choices.items() if v != folder}}
        self.locality = widgets.Dropdown(options=list(choices.items()), description="Locality")
        self.period = widgets.SelectionRangeSlider(options=["-"], index=(0, 0), description="Quarters",
                                                   layout=widgets.Layout(width="32em"))
        self.exploitation_type = widgets.Dropdown(options=[ALL_TYPES], description="Type")
        self.breakdown = widgets.Dropdown(options=list(BREAKDOWNS), description="Breakdown",
                                          layout=widgets.Layout(width="26em"))
        # Images and HTML (not Output captures): they hold their content in the widget's state, so what is
        # on show can be read back, and nothing depends on a live kernel to render.
        self.chart_out, self.map_out = widgets.Image(format="png"), widgets.Image(format="png")
        self.table_out, self.note = widgets.HTML(), widgets.HTML()
        self.status = widgets.HTML()
        self.table = pd.DataFrame()
        self._resetting = False
        self._on_locality()
        self.locality.observe(lambda change: self._on_locality(), names="value")
        for control in (self.period, self.exploitation_type, self.breakdown):
            control.observe(lambda change: self.update(), names="value")

    @property
    def data(self) -> LocalityData:
        return cached_data(self.locality.value)

    def _on_locality(self) -> None:
        """A new locality: reset the period and the types to what its records hold, then redraw."""
        data = self.data
        quarters = quarters_of(data)
        self._resetting = True  # one redraw at the end, not one per control changed
        try:
            self.period.options = quarters
            self.period.index = (0, len(quarters) - 1)
            self.exploitation_type.options = [ALL_TYPES, *counts.types_present(data)]
            self.exploitation_type.value = ALL_TYPES
        finally:
            self._resetting = False
        self.update()

    def update(self) -> None:
        if self._resetting:
            return
        data = self.data
        quarters = tuple(self.period.value)
        self.table = breakdown_table(data, self.breakdown.value, quarters, self.exploitation_type.value)
        kind, column = BREAKDOWNS[self.breakdown.value]
        selection = filters(data.locality.name, quarters, self.exploitation_type.value)
        title = f"{kind.capitalize()} by {self.breakdown.value.split(' (')[0]}: {selection}"
        caption = f"Count of {kind}, {quarters[0]} to {quarters[1]}. Source: {data.locality.name} police records."
        value = "count" if column == "area" else ("crimes" if column == "quarter" else "people")
        category = "area_name" if column == "area" else ("quarter" if column == "quarter" else column)
        self.status.value = f"<b>{int(self.table[value].sum()):,}</b> {kind} selected"
        has_counts = len(self.table) and self.table[value].sum()
        self.chart_out.value = charts.png(charts.bar(self.table, category, value, title, caption)) if has_counts else b""
        # The report's own table: its labels and number formats, and the same table to take away as CSV.
        self.table_out.value = html_table(self.table, title, caption) + csv_link(self.table, title)
        self.map_out.value = charts.png(self._map()) if boundaries.available(("lad",)) else b""
        self.note.value = "" if has_counts else "<p>Nothing to draw for this selection.</p>"
        if not boundaries.available(("lad",)):
            self.note.value += f"<p>{maps.missing_boundaries_note()}</p>"

    def _map(self):
        """Crimes of the selection by district (boundaries installed)."""
        crimes = select(self.data, "crimes", tuple(self.period.value), self.exploitation_type.value)
        table, _ = areas.area_counts(crimes, "lad", self.data.locality.force_code)
        selection = filters(self.data.locality.name, tuple(self.period.value), self.exploitation_type.value)
        return maps.choropleth(table, "lad", "count", f"Recorded crimes by district: {selection}",
                               f"Count of crimes, {self.period.value[0]} to {self.period.value[1]}.")

    def widget(self) -> widgets.Widget:
        controls = widgets.VBox([self.locality, self.period, widgets.HBox([self.exploitation_type, self.breakdown]),
                                 self.status])
        tabs = widgets.Tab(children=[self.chart_out, self.table_out, self.map_out])
        for i, name in enumerate(("Chart", "Table", "Map")):
            tabs.set_title(i, name)
        return widgets.VBox([controls, self.note, tabs])
