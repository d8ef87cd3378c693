"""What a section notebook calls to show things: headers, tables, charts, bullets.

Notebooks stay thin: they pass parameters here and write narrative around
what comes back. Every table shown is also written as CSV to the section's
output folder (and its caption to tables/captions.csv), so partners can take
the numbers into Excel.
"""
from __future__ import annotations

import base64
import csv
import hashlib
import html
import logging
import os
import re
import types
import weakref
from functools import cached_property
from pathlib import Path

import pandas as pd
from IPython.display import HTML, display

from pplib import files, labels
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
from pplib.registry import EDITIONS, SECTION_SETTING
from pplib.text import from_csv_cell, markdown_html, md, user_markdown_html

AGE_GROUPS = {measure: cells.Coarsening(measure, "age_band", "age_group", tuple(
    (label, clean.age_group(low)) for low, _, label in clean.AGE_BANDS) + (("unknown", "unknown"),), exact=True)
    for measure in ("victims", "suspects")}


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


# Partner sections whose ledger has changes not yet written (save_ledgers writes them).
_UNSAVED: weakref.WeakSet = weakref.WeakSet()


def save_ledgers() -> None:
    """Write every partner section's ledger that has changed: the next section, and the build after the
    last one, read it from its file."""
    for section in list(_UNSAVED):
        section.save_ledger()
    _UNSAVED.clear()


def _save_after_each_cell() -> bool:
    """In a notebook (IPython), have save_ledgers run after every cell, and say so; elsewhere (a script, a
    test) a change is saved at once."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency
        return False
    shell = get_ipython()
    if shell is None:
        return False
    if not getattr(shell, "_pplib_saves_ledgers", False):
        shell.events.register("post_run_cell", lambda result: save_ledgers())
        shell._pplib_saves_ledgers = True
    return True


class Section:
    def __init__(self, title: str, locality: Locality, output_dir: Path, edition: str = "internal"):
        if edition not in EDITIONS:
            raise ValueError(f"edition must be one of {', '.join(EDITIONS)}, not '{edition}'")
        self.title = title
        self.locality = locality
        self.output_dir = Path(output_dir)
        self.partner = edition == "partner"
        save_ledgers()  # another section's decisions, made in this cell, are read from the file below
        self.ledger = Ledger.load(self._ledger_file, locality.disclosure) if self.partner else None
        if self.ledger is not None:
            self.ledger.reader = os.environ.get(SECTION_SETTING) or title
        self._unsaved = False

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
        """The ledger as it is now, on disk once the cell running ends (in a notebook), else now: written
        whole after every table and sentence, it was most of a section's time (its size times their number)."""
        self._unsaved = True
        _UNSAVED.add(self)
        if not _save_after_each_cell():
            self.save_ledger()

    def save_ledger(self) -> None:
        """The ledger, its metadata and the disclosure log written, if anything changed since they last were."""
        if not self._unsaved:
            return
        self._unsaved = False
        self.ledger.save(self._ledger_file)
        rule = self.locality.disclosure
        metadata = {"format": 1, "rule": {"threshold": rule.threshold, "group_threshold": rule.group_threshold,
                                          "method": rule.method, "rounding_base": rule.rounding_base,
                                          "marker": MARKER},
                    "domains": self.ledger.domains.as_json(), "tables": self.ledger.tables}
        files.write_json(self.output_dir / "disclosure" / "metadata.json", metadata, indent=1)
        _write_log(self.output_dir / "disclosure_log.csv", self.ledger.log_rows())

    def table(self, name: str, frame: pd.DataFrame, caption: str, public: bool = False,
              brief: bool | None = None, page=None, on_page: bool = True) -> None:
        """Show a table with its caption and save it as tables/<name>.csv.

        Tables of counts from local records pass through disclosure control; `public=True` marks
        published figures (national statistics), which are shown as published. A breakdown of
        `BRIEF_ROWS` rows or fewer is written on the page as one sentence instead (`brief_sentence`; still
        saved and declared as a table); `brief=False` keeps it a table, `brief=True` makes any short table
        of numbers a sentence. `page`: a function writing the shown table as Markdown for the page (a long
        list, say), the table itself saved as usual. `on_page=False`: saved (the workbook, the CSVs and the
        appendix's list hold it) but not printed, for a long table a chart on the page already shows.
        """
        shown = self._shown(name, frame, public)
        if not on_page:
            self._save(name, shown, caption, public)
            return
        sentence = page(shown) if page is not None else brief_sentence(name, shown, brief)
        if sentence is None:
            self._emit(name, shown, caption, public)
            return
        self._save(name, shown, caption, public)
        self.statement(sentence)

    def show(self, name: str, frame: pd.DataFrame, caption: str, chart=None, empty: str = "",
             public: bool = False, brief: bool | None = None, with_table: bool = False) -> pd.DataFrame | None:
        """A table and, when there is something to draw, its chart (drawn from the protected table);
        a plain statement when there is nothing.

        On the page, a chart stands for its table (as in a Home Office bulletin: the figures are in the
        tables that go with it): the table is saved as tables/<name>.csv, a sheet of tables.xlsx and an entry
        of the appendix's list, and declared to the audit, but not printed, unless `with_table=True` (for
        a table that holds more than its chart shows). A breakdown of `BRIEF_ROWS` rows or fewer is one
        sentence written from the protected table instead, chart or not (`brief_sentence`: its numbers exact,
        in a line); `brief=False` keeps it a table (and its chart)."""
        numbers = frame.select_dtypes("number")
        if frame.empty or (not numbers.empty and not numbers.fillna(0).to_numpy(dtype=float).any()):
            self.statement(empty or f"There is nothing to show for {name.lower()} in this period.")
            return
        shown = self._shown(name, frame, public)
        sentence = brief_sentence(name, shown, brief)  # a breakdown of BRIEF_ROWS or fewer: exact and short
        if sentence is not None:
            self._save(name, shown, caption, public)
            self.statement(sentence)
            return shown
        image = _chart_image(chart, shown, public) if chart is not None else None
        if image is not None and not with_table:
            self._save(name, shown, caption, public)
            display(HTML(image))
            return shown
        self._emit(name, shown, caption, public)
        if image is not None:
            display(HTML(image))
        elif chart is not None:
            self.statement(charts.nothing_drawn(shown))
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
        shown = self._save(name, frame, caption, public)
        display(HTML(html_table(shown, name, caption)))

    def _save(self, name: str, frame: pd.DataFrame, caption: str, public: bool) -> pd.DataFrame:
        """The table as tables/<name>.csv, its caption in tables/captions.csv and (partner edition) its
        cells declared to the audit; the rendered table (withheld cells as [c])."""
        tables = self.output_dir / "tables"
        tables.mkdir(parents=True, exist_ok=True)
        file_name = f"{slugify(name)}.csv"
        shown = render(frame)
        # Cells a spreadsheet would run as formulas are quoted (pplib.text.csv_cell); numbers stay numbers.
        files.write_csv(tables / file_name, shown)
        if self.partner:
            self._declare(f"tables/{file_name}", name, public)
        _record_caption(tables, file_name, name, caption, public, self.title)
        return shown

    def _declare(self, file: str, name: str, public: bool) -> None:
        """The table's entry in the audit's metadata: its cells when they are local counts."""
        entry = getattr(self, "_pending", None)
        self._pending = None
        if entry is None or entry["file"] != file:
            entry = {"file": file, "title": name, "origin": "published" if public else "local",
                     "cells": [], "ratios": []}
        entry["section"] = self.ledger.reader  # made again with its section (pplib.build.locality._settle)
        self.ledger.tables = [t for t in self.ledger.tables if t["file"] != file] + [entry]
        self._save_ledger()

    def chart(self, figure, empty: str = charts.NO_DATA) -> None:
        """Embed the chart as an image inside the page (no external file), its title and a description of its
        data as alt text (pplib.figures.charts.alt_text); a sentence instead when there is no chart (a chart
        function returns None when it has nothing to draw)."""
        if figure is None:
            self.statement(empty)
            return
        display(HTML(image_html(figure)))

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


def html_table(frame: pd.DataFrame, name: str, caption: str) -> str:
    """The table as a reader sees it (pplib.labels): labelled headers, no internal flag columns, readable
    categories, numbers with thousands separators and one decimal place, numbers right-aligned (pp-num) and
    text left (pp-text); the caption inside the table (<caption>), read with it by assistive technology and
    printed with it. The CSV keeps the canonical names and the values as they are."""
    shown = labels.shown_columns(frame)
    kind = {c: "pp-num" if labels.is_numeric(frame[c].tolist()) else "pp-text" for c in shown}
    decimal = {c: labels.has_fractions(frame[c].tolist()) for c in shown}  # a column's numbers alike: 35.0, 34.2
    head = "".join(f'<th class="{kind[c]}" scope="col">{html.escape(labels.column(c))}</th>' for c in shown)
    rows = []
    for values in frame[shown].itertuples(index=False, name=None):
        cells = "".join(f'<td class="{kind[c]}">{html.escape(labels.number(c, _item(v), decimal[c]))}</td>'
                        for c, v in zip(shown, values))
        rows.append(f"<tr>{cells}</tr>")
    return (f'<table class="dataframe pp-table"><caption class="pp-caption"><strong>Table: '
            f'{html.escape(name)}.</strong> {html.escape(caption)}</caption><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table>')


def _item(value):
    return value.item() if hasattr(value, "item") and not isinstance(value, str) else value


def _print_shape(figure) -> str:
    """The chart's print class: a map or other near-square figure may print taller than a chart, and a
    long one (every force, ranked) at its full height; a chart is kept short."""
    width, height = figure.get_size_inches()
    return "" if height < 0.75 * width else " pp-figure-square" if height <= width else " pp-figure-long"


BRIEF_ROWS = 4  # a breakdown of this many rows or fewer is a sentence or a labelled chart on the page, not a table
_SHARE = re.compile(r"percent|share|%", re.I)


def brief_sentence(name: str, frame: pd.DataFrame, brief: bool | None = None) -> str | None:
    """A short breakdown as one sentence (Markdown), written from the table as shown: protected, withheld
    cells as [c]. "**Victims by sex:** female 12 (40%), male 18 (60%), unknown [c]."

    None when the table is not one: more than BRIEF_ROWS rows, `brief=False`, or (unless `brief=True`) not a
    breakdown. A breakdown is a first column naming each row and then at most one count column and at most
    one percent column, or a single row of numbers. Rows of text (register entries, risks, gaps, provenance)
    and tables of several counts (a cross-tabulation, rates with their population) are never one;
    `brief=True` also writes a short table of several numbers, row by row."""
    if brief is False or not 0 < len(frame) <= BRIEF_ROWS:
        return None
    rendered = render(frame)
    columns = labels.shown_columns(rendered)
    numeric = [c for c in columns if (pd.api.types.is_numeric_dtype(frame[c]) and not
                                      pd.api.types.is_bool_dtype(frame[c])) or labels.is_numeric(rendered[c].tolist())]
    title = f"**{md(name.replace(': ', ', '))}:**"
    if len(frame) == 1 and len(numeric) == len(columns):  # one row of numbers: each with its name
        row = rendered.iloc[0]
        return f"{title} {', '.join(_brief_value(c, row[c], named=True) for c in columns)}."
    label, values = columns[0], columns[1:]
    if not values or any(c not in numeric for c in values):
        return None
    shares = [c for c in values if _SHARE.search(str(c))]
    amounts = [c for c in values if c not in shares]
    if len(amounts) <= 1 and len(shares) <= 1:
        parts = []
        for _, row in rendered.iterrows():
            text = f"{_brief_label(label, row[label])} " + " ".join(_brief_value(c, row[c]) for c in amounts)
            share = _brief_share(row[shares[0]]) if shares else ""
            share = "" if amounts and md(MARKER) in (share, text.strip().rsplit(" ", 1)[-1]) else share
            parts.append(f"{text.strip()} ({share})" if share and amounts else f"{text.strip()} {share}".strip())
        return f"{title} {', '.join(parts)}."
    if not brief:
        return None
    rows = [f"{_brief_label(label, row[label])}: {', '.join(_brief_value(c, row[c], named=True) for c in values)}"
            for _, row in rendered.iterrows()]
    return f"{title} {'; '.join(rows)}."


def _brief_label(column, item) -> str:
    """A row's category in a sentence: as tables label it, in lower case where the data has it so."""
    text = str(labels.value(column, item)) if not labels.blank(item) else "not recorded"
    if str(item)[:1].islower():
        text = text[:1].lower() + text[1:]
    return md(text)


def _brief_value(column, item, named: bool = False) -> str:
    """A count ("1,234", "[c]") or, for a percent column, a share ("37%"); with its column's name if `named`."""
    if _SHARE.search(str(column)):
        shown = _brief_share(item) or "not given"
    else:
        shown = md(labels.number(column, item)) if not labels.blank(item) else "not known"
    if not named:
        return shown
    words = labels.column(column)
    words = words[:1].lower() + words[1:] if words[1:2].islower() else words
    return f"{md(words)} {shown}"


def _brief_share(item) -> str:
    """A percent as a sentence gives it: whole ("37%"), "<1%" for a small one, [c] withheld, "" if none."""
    if labels.blank(item):
        return ""
    if item == MARKER:
        return md(MARKER)
    figure = labels.as_number(item)
    if figure is None:
        return md(str(item))
    return "<1%" if 0 < figure < 0.5 else f"{figure:.0f}%"


# Charts of published figures, drawn once per process (a build's worker keeps its kernel across localities):
# the national picture's are the same for every force.
_PUBLISHED_CHARTS: dict[str, str | None] = {}


def _chart_image(chart, shown: pd.DataFrame, public: bool) -> str | None:
    """The chart of the table as an <img> (None when it draws nothing); a published one drawn only once."""
    key = _published_chart_key(chart, shown) if public else None
    if key is not None and key in _PUBLISHED_CHARTS:
        return _PUBLISHED_CHARTS[key]
    figure = chart(shown)
    image = None if figure is None else image_html(figure)
    if key is not None:
        _PUBLISHED_CHARTS[key] = image
    return image


def _published_chart_key(chart, table: pd.DataFrame) -> str | None:
    """What the chart is drawn from: its code, the plain values it names, and the table; None when it names
    anything else (a frame, an object), which could differ unseen."""
    parts = _code_parts(getattr(chart, "__code__", None), getattr(chart, "__globals__", {}))
    cells = [c.cell_contents for c in (getattr(chart, "__closure__", None) or ())]
    values = [*cells, *(getattr(chart, "__defaults__", None) or ())]
    if parts is None or not all(_plain(v) for v in values):
        return None
    digest = hashlib.sha256(repr((parts, values)).encode())
    digest.update(table.to_csv(index=False).encode())
    digest.update(repr((list(table.dtypes), sorted(table.attrs.items(), key=str))).encode())
    return digest.hexdigest()


def _code_parts(code, names: dict) -> tuple | None:
    if code is None:
        return None
    parts = [code.co_code, tuple(c for c in code.co_consts if not isinstance(c, types.CodeType))]
    for const in code.co_consts:
        if isinstance(const, types.CodeType):  # a comprehension inside the lambda
            parts.append(_code_parts(const, names))
    for name in code.co_names:
        value = names.get(name)
        if isinstance(value, types.ModuleType):
            parts.append((name, value.__name__))
        elif name in names:
            if not _plain(value):
                return None
            parts.append((name, repr(value)))
    return None if None in parts else tuple(parts)


def _plain(value) -> bool:
    if isinstance(value, (tuple, list)):
        return all(_plain(v) for v in value)
    return value is None or isinstance(value, (str, int, float, bool))


def image_html(figure) -> str:
    """The chart as an <img> with its alt text, the image inside it."""
    alt = charts.alt_text(figure)
    shape = _print_shape(figure)  # how tall it may print (pplib/build/templates/profile/profile.css)
    encoded = base64.b64encode(charts.png(figure)).decode("ascii")
    return (f'<img alt="{html.escape(alt, quote=True)}" class="pp-chart{shape}" '
            f'src="data:image/png;base64,{encoded}"/>')


def _write_log(path: Path, rows: list[dict]) -> None:
    """disclosure_log.csv, rewritten whole: one line per suppressed cell with its reason."""
    files.write_csv(path, pd.DataFrame(rows, columns=["table", "cell", "measure", "conditions", "action", "reason"]))


def _record_caption(tables: Path, file_name: str, name: str, caption: str, public: bool,
                    section: str = "") -> None:
    """tables/captions.csv: each table's title, caption, whether it holds published figures only, and the
    section that wrote it."""
    index = tables / "captions.csv"
    rows = _read_captions(index)
    earlier = [r for r in rows if r["file"] == file_name]
    # A table shown again (the appendix) keeps what it was: local counts stay marked as local.
    published = public and all(r["published"] == "yes" for r in earlier)
    row = {"file": file_name, "table": name, "caption": caption, "published": "yes" if published else "no",
           "section": section}
    # In its place when recorded again: a section made again after a withdrawal keeps the list's order.
    at = next((i for i, r in enumerate(rows) if r["file"] == file_name), len(rows))
    rows[at:at + 1] = [row]
    _write_captions(index, rows)


CAPTION_COLUMNS = ["file", "table", "caption", "published", "section"]


def _read_captions(index: Path) -> list[dict]:
    if not index.exists():
        return []
    with index.open(encoding="utf-8", newline="") as handle:
        return [{k: from_csv_cell(v) for k, v in row.items()} for row in csv.DictReader(handle)]


def _write_captions(index: Path, rows: list[dict]) -> None:
    files.write_csv(index, pd.DataFrame(rows, columns=CAPTION_COLUMNS, dtype=object).fillna(""))


def forget_captions(tables: Path, file_names) -> None:
    """Take tables no longer made out of tables/captions.csv (their files already gone)."""
    index, gone = tables / "captions.csv", set(file_names)
    if gone and index.exists():
        _write_captions(index, [r for r in _read_captions(index) if r["file"] not in gone])


def _log_to_file(output_dir: Path, locality: Path) -> None:
    """Log to output_dir/pplib.log (an audit trail, e.g. of personal-field access), not into the report; a
    line at a time, with no machine path or PPLIB_* setting in it (pplib.files.Redactor)."""
    output_dir.mkdir(parents=True, exist_ok=True)
    # The package's own logger ("pplib", parent of every module's __name__ logger), never the root logger:
    # that belongs to whoever runs the notebook. Not propagated, so no line reaches the page as stderr.
    logger = logging.getLogger("pplib")
    for old in [h for h in logger.handlers if getattr(h, "pplib_section_log", False)]:
        logger.removeHandler(old)
        old.close()
    handler = logging.FileHandler(output_dir / "pplib.log", encoding="utf-8")
    handler.pplib_section_log = True
    redactor = files.Redactor({"<output folder>": output_dir, "<locality>": locality})
    handler.setFormatter(files.RedactingFormatter(redactor, "%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False


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
