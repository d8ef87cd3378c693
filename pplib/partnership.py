"""The partnership sections: executive summary, introduction, progress, priorities and the appendix.

Pure functions of a locality's data and the partnership's registers. Registers are kept by hand, so
their vocabularies are normalised first: resilience frame levels and functions, the 4Ps, priorities,
statuses, and likelihood and impact written as 'H', 'Med', 'hi'... Anything not recognised becomes
'not recorded' rather than being guessed.

Rules (also stated in the report next to the tables they shape):
- An asset naming several 4Ps strands ('Protect/Prepare') counts once under each strand.
- Risk rating: likelihood x impact with Low = 1, Medium = 2, High = 3; a product of 6 or 9 is High,
  3 or 4 Medium, 1 or 2 Low; 'not rated' when either is not recorded.
- Recommendations: the High priority actions whose status is not Complete (not recorded counts as
  not complete), in register order.
- Risks and intelligence gaps have no theme column: they are placed under a theme when their name
  or description mentions it (THEME_KEYWORDS, or the theme's own name); the rest are cross-cutting.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import importlib.metadata
import json
import platform
import re
import textwrap
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.colors import LinearSegmentedColormap

from pplib import analyse, charts, compare, national
from pplib.analyse import plain, withheld
from pplib.clean import missing
from pplib.disclosure.recode import OTHER
from pplib.disclosure.tables import describe
from pplib.paths import REFERENCE_DIR
from pplib.schemas import SCHEMAS

NOT_RECORDED = "not recorded"
LEVELS = ("personal", "culture and locality", "legal and regulatory", "structural")
FUNCTIONS = ("prevention", "discovery", "respite and recovery", "sustainable resilience")
FOUR_PS = ("Pursue", "Prevent", "Protect", "Prepare")
PRIORITIES = ("High", "Medium", "Low")
STATUSES = ("Not started", "In progress", "Complete")
GAP_STATUSES = ("Open", "In progress", "Closed")
RATINGS = ("High", "Medium", "Low")
RATING_SCORES = {"High": 3, "Medium": 2, "Low": 1}
CROSS_CUTTING = "Cross-cutting (no theme named)"
REGISTER_SOURCE = "partnership register"
DATA_QUALITY_SOURCE = "data quality"
# Record-level sources whose completeness is checked for intelligence gaps.
DATA_SOURCES = ("crimes", "victims", "suspects", "nrm_referrals")
COMPLETENESS_THRESHOLD = 80.0
STALE_DAYS = 90  # the latest record this long before the period ends suggests an extract cut short
DATED = {"crimes": "date_recorded", "nrm_referrals": "referral_date", "duty_to_notify": "report_date"}
SOURCE_LABELS = {"crimes": "police crime records", "victims": "police victim records",
                 "suspects": "police suspect records", "nrm_referrals": "local NRM referrals",
                 "duty_to_notify": "Duty to Notify reports", "assets": "partnership asset register",
                 "actions": "partnership action register", "risks": "partnership threat and risk register",
                 "intelligence_gaps": "partnership register of intelligence gaps"}
PACKAGES = ("pplib", "pandas", "numpy", "matplotlib", "geopandas", "papermill", "nbconvert", "pandera")
PATH_PARAMETERS = ("locality", "output_dir")  # where things are, not what is computed: not in the run id
APPENDIX_PREFIX = "Appendix: "

# --- vocabularies ----------------------------------------------------------------

_LEVEL_ALIASES = {
    "personal": "personal", "individual": "personal", "person": "personal",
    "culture and locality": "culture and locality", "cultural and locality": "culture and locality",
    "culture locality": "culture and locality", "culture": "culture and locality",
    "cultural": "culture and locality", "locality": "culture and locality", "community": "culture and locality",
    "legal and regulatory": "legal and regulatory", "legal regulatory": "legal and regulatory",
    "legal": "legal and regulatory", "regulatory": "legal and regulatory",
    "structural": "structural", "structure": "structural", "structures": "structural",
}
_FUNCTION_ALIASES = {
    "prevention": "prevention", "prevent": "prevention", "preventing": "prevention",
    "discovery": "discovery", "discover": "discovery", "discovering": "discovery",
    "respite and recovery": "respite and recovery", "respite recovery": "respite and recovery",
    "respite": "respite and recovery", "recovery": "respite and recovery",
    "sustainable resilience": "sustainable resilience", "resilience": "sustainable resilience",
    "sustainability": "sustainable resilience", "sustainable": "sustainable resilience",
}
# Numbers (1-3, 1-5) are not read: scales differ between registers, and a guess would reorder the risks.
_PRIORITY_ALIASES = {"high": "High", "h": "High", "hi": "High",
                     "medium": "Medium", "med": "Medium", "m": "Medium", "mid": "Medium",
                     "low": "Low", "l": "Low", "lo": "Low"}
_LEVEL_OF_RISK_ALIASES = {"high": "High", "h": "High", "hi": "High", "very high": "High",
                          "medium": "Medium", "med": "Medium", "m": "Medium", "mid": "Medium",
                          "moderate": "Medium", "mod": "Medium",
                          "low": "Low", "l": "Low", "lo": "Low", "very low": "Low"}
_STATUS_ALIASES = {"not started": "Not started", "not yet started": "Not started", "to do": "Not started",
                   "todo": "Not started", "planned": "Not started",
                   "in progress": "In progress", "ongoing": "In progress", "underway": "In progress",
                   "under way": "In progress", "started": "In progress", "progressing": "In progress",
                   "complete": "Complete", "completed": "Complete", "done": "Complete",
                   "closed": "Complete", "finished": "Complete"}
_FOUR_P_STEMS = {"pursu": "Pursue", "prevent": "Prevent", "protect": "Protect", "prepar": "Prepare"}
_GAP_STATUS_ALIASES = {"open": "Open", "new": "Open", "not started": "Open",
                       "in progress": "In progress", "ongoing": "In progress", "underway": "In progress",
                       "closed": "Closed", "complete": "Closed", "completed": "Closed", "resolved": "Closed",
                       "filled": "Closed", "done": "Closed"}


def _key(value) -> str:
    """'Culture & Locality ' -> 'culture and locality': case, '&', punctuation and spacing ignored."""
    if missing(value):
        return ""
    text = str(value).casefold().replace("&", " and ")
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


def _lookup(value, aliases: dict[str, str]) -> str:
    return aliases.get(_key(value), NOT_RECORDED)


def level(value) -> str:
    """A resilience frame level, or 'not recorded'."""
    return _lookup(value, _LEVEL_ALIASES)


def function(value) -> str:
    """A resilience frame function, or 'not recorded'."""
    return _lookup(value, _FUNCTION_ALIASES)


def four_p_strands(value) -> tuple[str, ...]:
    """The 4Ps strands named ('Protect/Prepare' -> ('Protect', 'Prepare')), in the strategy's order."""
    words = re.findall(r"[a-z]+", "" if missing(value) else str(value).casefold())
    named = {strand for stem, strand in _FOUR_P_STEMS.items() for word in words if word.startswith(stem)}
    return tuple(s for s in FOUR_PS if s in named) or (NOT_RECORDED,)


def priority(value) -> str:
    return _lookup(value, _PRIORITY_ALIASES)


def status(value) -> str:
    """An action's status: Not started / In progress / Complete, or 'not recorded'."""
    return _lookup(value, _STATUS_ALIASES)


def gap_status(value) -> str:
    """An intelligence gap's status: Open / In progress / Closed, or 'not recorded'."""
    return _lookup(value, _GAP_STATUS_ALIASES)


def likelihood_or_impact(value) -> str:
    """'H', 'hi', 'high' -> 'High'; 'M', 'Med' -> 'Medium'; 'L', 'lo' -> 'Low'; else 'not recorded'."""
    return _lookup(value, _LEVEL_OF_RISK_ALIASES)


def _text(value, blank: str = NOT_RECORDED) -> str:
    """A register's text with its spacing tidied, or `blank` when there is none."""
    return blank if missing(value) else " ".join(str(value).split())


def register(data, kind: str) -> pd.DataFrame:
    """A register as loaded, or an empty one with its canonical columns when it was not supplied."""
    frame = data.registers.get(kind) if data.registers else None
    return frame if frame is not None else pd.DataFrame(columns=["source_row", *SCHEMAS[kind].names])


def normalised_assets(assets: pd.DataFrame) -> pd.DataFrame:
    """Assets with level, function and strands ('4Ps', a tuple) in the controlled vocabularies."""
    return assets.assign(level=assets["level"].map(level), function=assets["function"].map(function),
                         four_ps=assets["four_p"].map(four_p_strands), theme=assets["theme"].map(theme_name))


def theme_name(value) -> str:
    """A theme as written, spacing tidied and first letter capitalised ('county lines ' -> 'County lines')."""
    if missing(value):
        return "Theme not recorded"
    text = " ".join(str(value).split())
    return text[0].upper() + text[1:]


# --- section 3: partnership progress ------------------------------------------------

def _cross_count(frame: pd.DataFrame, rows: str, columns: str, row_order, column_order) -> pd.DataFrame:
    """Counts of `rows` x `columns` with every listed value (and 'not recorded') present, zeros included."""
    counts = frame.groupby([rows, columns]).size()
    grid = counts.unstack(fill_value=0) if len(counts) else pd.DataFrame()
    grid = grid.reindex(index=[*row_order, NOT_RECORDED], columns=[*column_order, NOT_RECORDED], fill_value=0)
    grid = grid.fillna(0).astype(int)
    grid.columns.name = None
    return grid


def resilience_grid(assets: pd.DataFrame) -> pd.DataFrame:
    """Count of assets per resilience level (rows) and function (columns), every cell shown, zeros included."""
    grid = _cross_count(normalised_assets(assets), "level", "function", LEVELS, FUNCTIONS)
    return grid.rename_axis("level").reset_index()


def empty_cells(grid: pd.DataFrame) -> list[str]:
    """The level and function pairs of the frame with no asset (not recorded excluded)."""
    cells = grid.set_index("level")
    return [f"{lvl} level, {fn}" for lvl in LEVELS for fn in FUNCTIONS if cells.loc[lvl, fn] == 0]


def assets_in_grid(assets: pd.DataFrame) -> pd.DataFrame:
    """Each asset with its cell of the resilience frame, in the grid's order."""
    frame = normalised_assets(assets)
    order = {name: i for i, name in enumerate([*LEVELS, *FUNCTIONS, NOT_RECORDED])}
    table = pd.DataFrame({
        "level": frame["level"], "function": frame["function"], "asset": frame["asset"].map(_text),
        "organisation": frame["organisation"].map(_text), "type": frame["asset_type"].map(_text),
        "4Ps": frame["four_ps"].map(" / ".join), "theme": frame["theme"]})
    keys = table.assign(_l=table["level"].map(order), _f=table["function"].map(order))
    return (keys.sort_values(["_l", "_f", "asset"], kind="stable").drop(columns=["_l", "_f"])
            .reset_index(drop=True))


def four_ps(assets: pd.DataFrame) -> pd.DataFrame:
    """Assets per 4Ps strand (an asset naming two strands counts under both) and share of all assets."""
    strands = normalised_assets(assets)["four_ps"].explode()
    counts = strands.value_counts().reindex([*FOUR_PS, NOT_RECORDED], fill_value=0).astype(int)
    table = counts.rename("assets").rename_axis("strand").reset_index()
    table["percent of assets"] = (100 * table["assets"] / len(assets)).round(1) if len(assets) else 0.0
    return table


def assets_by_type(assets: pd.DataFrame) -> pd.DataFrame:
    """Assets per type (service, training, outreach, accommodation, funding...), most first."""
    types = assets["asset_type"].map(lambda v: NOT_RECORDED if missing(v) else " ".join(str(v).lower().split()))
    counts = types.value_counts()
    order = sorted(counts.index, key=lambda t: (t == NOT_RECORDED, -counts[t], t))
    return counts.reindex(order).astype(int).rename("assets").rename_axis("type").reset_index()


def resilience_heatmap(grid: pd.DataFrame, title: str, caption: str):
    """The level x function grid as shaded cells with their counts written in."""
    cells = grid.set_index("level")
    values = cells.to_numpy(dtype=float)
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    colours = LinearSegmentedColormap.from_list("assets", ["#FFFFFF", charts.PALETTE[0]])
    ax.imshow(values, cmap=colours, vmin=0, vmax=max(values.max(), 1), aspect="auto")
    top = max(values.max(), 1)
    for (row, col), value in pd.DataFrame(values).stack().items():
        ax.text(col, row, f"{int(value)}", ha="center", va="center", fontsize=10,
                color="white" if value > top * 0.6 else "black")
    ax.set_xticks(range(len(cells.columns)), [textwrap.fill(c, 12) for c in cells.columns], fontsize=8)
    ax.axhline(len(LEVELS) - 0.5, color="#999999", linewidth=1, linestyle="--")  # not recorded set apart
    ax.axvline(len(FUNCTIONS) - 0.5, color="#999999", linewidth=1, linestyle="--")
    ax.set_yticks(range(len(cells.index)), cells.index, fontsize=8)
    ax.set_xlabel("function")
    ax.set_ylabel("level")
    ax.tick_params(length=0)
    for side in ax.spines.values():
        side.set_visible(False)
    return charts._finish(fig, ax, title, caption)


# --- section 4: partnership priorities ------------------------------------------------

THEME_KEYWORDS = {  # what a risk or gap says when it is about a theme (lower case, regular expressions)
    "labour exploitation": r"\blabou?r\b|agricultur|car wash|nail bar|care work|seasonal|gangmaster|welfare visit",
    "county lines": r"county lines?|\blines run\b|cuckoo",
    "children": r"\bchild|looked-after|young people|school",
    "victim support": r"survivor|\bvictims?\b|safe house|move-on|support ends|conclusive grounds|nrm decision",
    "intelligence": r"\bdata\b|intelligence|information shar|shared between|open source|not recorded|not counted",
    "identification": r"identif|training|duty to notify|first responder|\bms1\b",
    "governance": r"coordinator|governance|partnership funding",
    "housing": r"housing|accommodation|\bhmo\b|homes?\b",
    "health": r"health|\bgps?\b|mental",
    "adults": r"vulnerable adults?|substance|drug and alcohol|adult social care|adult safeguarding",
    "enforcement": r"investigat|prosecut|enforcement",
    "supply chains": r"supply chain|procurement",
    "awareness": r"awareness|campaign|helpline",
    "transport": r"transport|\brail\b|\bbus\b|coach",
}


def _theme_pattern(theme: str) -> re.Pattern:
    """THEME_KEYWORDS for a known theme; otherwise the theme's own name (singular or plural)."""
    name = theme.casefold()
    if name in THEME_KEYWORDS:
        return re.compile(THEME_KEYWORDS[name])
    return re.compile(re.escape(name[:-1] if name.endswith("s") and len(name) > 4 else name))


def _matches(text: pd.Series, theme: str) -> pd.Series:
    pattern = _theme_pattern(theme)
    return text.map(lambda t: bool(pattern.search(t)))


def _about(frame: pd.DataFrame, columns: list[str]) -> pd.Series:
    """The text a theme is read from (blank and 'not recorded' cells say nothing)."""
    text = frame[columns].map(lambda v: "" if missing(v) or v == NOT_RECORDED else str(v))
    return text.agg(" ".join, axis=1).str.casefold() if len(frame) else pd.Series([], dtype=str)


def themes(data) -> list[str]:
    """The partnership's themes (from the asset and action registers), most pressing first: by the
    highest priority among their actions not complete, then by name."""
    assets, actions = register(data, "assets"), register(data, "actions")
    names = set(assets["theme"].map(theme_name)) | set(actions["theme"].map(theme_name))
    rank = {p: i for i, p in enumerate(PRIORITIES)}
    open_actions = actions[actions["status"].map(status) != "Complete"]
    urgency = {}
    for row in open_actions.itertuples():
        name = theme_name(row.theme)
        urgency[name] = min(urgency.get(name, 9), rank.get(priority(row.priority), 3))
    return sorted(names, key=lambda t: (t == "Theme not recorded", urgency.get(t, 9), t.casefold()))


def actions_by_theme(actions: pd.DataFrame) -> pd.DataFrame:
    """Every action with its theme, priority, owner, timeframe and status: High first within each theme."""
    table = pd.DataFrame({
        "theme": actions["theme"].map(theme_name), "priority": actions["priority"].map(priority),
        "action": actions["action"].map(_text), "owner": actions["owner"].map(_text),
        "timeframe": actions["timeframe"].map(_text), "status": actions["status"].map(status)})
    rank = {p: i for i, p in enumerate([*PRIORITIES, NOT_RECORDED])}
    return (table.assign(_p=table["priority"].map(rank)).sort_values(["theme", "_p"], kind="stable")
            .drop(columns="_p").reset_index(drop=True))


def open_gaps(gaps: pd.DataFrame) -> pd.DataFrame:
    """The register's intelligence gaps not closed (a gap with no status counts as open)."""
    return gaps[gaps["status"].map(gap_status) != "Closed"]


def vulnerabilities(data) -> pd.DataFrame:
    """Risks (with their rating) and open intelligence gaps, one row each, with the text themes are read from."""
    risks = risk_table(register(data, "risks"))
    gaps = open_gaps(register(data, "intelligence_gaps"))
    rows = pd.concat([
        pd.DataFrame({"kind": "risk", "vulnerability": risks["risk"], "description": risks["description"],
                      "rating or status": "risk rated " + risks["rating"].astype(str), "owner": risks["owner"],
                      "_about": _about(risks, ["risk", "description"])}),
        pd.DataFrame({"kind": "intelligence gap", "vulnerability": gaps["gap"].map(_text),
                      "description": gaps["description"].map(_text),
                      "rating or status": "gap " + gaps["status"].map(gap_status).str.lower(),
                      "owner": gaps["owner"].map(_text), "_about": _about(gaps, ["gap", "description"])}),
    ], ignore_index=True)
    return rows


def assets_and_vulnerabilities(data) -> dict[str, dict[str, pd.DataFrame]]:
    """Per theme (most pressing first): its assets, and the risks and open gaps that mention it.

    A risk or gap mentioning no theme is listed under CROSS_CUTTING, so none is dropped."""
    assets = normalised_assets(register(data, "assets"))
    found = vulnerabilities(data)
    placed = pd.Series(False, index=found.index)
    result = {}
    for theme in themes(data):
        unnamed = theme == "Theme not recorded"  # nothing to read a mention of
        mine = pd.Series(False, index=found.index) if unnamed else _matches(found["_about"], theme)
        placed |= mine
        shown = assets[assets["theme"] == theme]
        result[theme] = {
            "assets": pd.DataFrame({"asset": shown["asset"].map(_text),
                                    "organisation": shown["organisation"].map(_text),
                                    "type": shown["asset_type"].map(_text)}).reset_index(drop=True),
            "vulnerabilities": found[mine].drop(columns="_about").reset_index(drop=True)}
    rest = found[~placed]
    if len(rest):
        result[CROSS_CUTTING] = {"assets": pd.DataFrame(columns=["asset", "organisation", "type"]),
                                 "vulnerabilities": rest.drop(columns="_about").reset_index(drop=True)}
    return result


def theme_summary(data) -> pd.DataFrame:
    """Per theme: assets, open actions (and how many of them High priority), risks and open gaps."""
    actions = actions_by_theme(register(data, "actions"))
    open_actions = actions[actions["status"] != "Complete"]
    rows = []
    for theme, parts in assets_and_vulnerabilities(data).items():
        mine = open_actions[open_actions["theme"] == theme]
        found = parts["vulnerabilities"]
        rows.append({"theme": theme, "assets": len(parts["assets"]), "open actions": len(mine),
                     "open High priority actions": int((mine["priority"] == "High").sum()),
                     "risks": int((found["kind"] == "risk").sum()),
                     "open intelligence gaps": int((found["kind"] == "intelligence gap").sum())})
    return pd.DataFrame(rows, columns=["theme", "assets", "open actions", "open High priority actions", "risks",
                                       "open intelligence gaps"])


def asset_lines(assets: pd.DataFrame) -> list[str]:
    return [f"{row.asset} ({row.organisation}; {row.type})" for row in assets.itertuples()]


def vulnerability_lines(found: pd.DataFrame) -> list[str]:
    return [f"{row['vulnerability']}: {row['description']} ({row['rating or status']}; owner: {row['owner']})"
            for row in found.to_dict("records")]


# --- section 1: executive summary -------------------------------------------------------

def risk_rating(likelihood: str, impact: str) -> tuple[int | None, str]:
    """(score, rating): likelihood x impact scored 1-3 each; 6-9 High, 3-4 Medium, 1-2 Low."""
    if likelihood not in RATING_SCORES or impact not in RATING_SCORES:
        return None, "not rated"
    score = RATING_SCORES[likelihood] * RATING_SCORES[impact]
    return score, "High" if score >= 6 else "Medium" if score >= 3 else "Low"


RATING_RULE = ("Rating = likelihood x impact, each scored Low 1, Medium 2, High 3: a score of 6 or 9 is High, "
               "3 or 4 Medium, 1 or 2 Low; not rated where either is not recorded.")


def risk_table(risks: pd.DataFrame) -> pd.DataFrame:
    """Risk, description, likelihood, impact, score, rating, mitigation and owner, highest score first."""
    likelihood = risks["likelihood"].map(likelihood_or_impact)
    impact = risks["impact"].map(likelihood_or_impact)
    rated = [risk_rating(lk, im) for lk, im in zip(likelihood, impact)]
    table = pd.DataFrame({
        "risk": risks["risk"].map(_text), "description": risks["description"].map(_text),
        "likelihood": likelihood.to_numpy(), "impact": impact.to_numpy(),
        "score": pd.array([score for score, _ in rated], dtype="Int64"),
        "rating": [rating for _, rating in rated],
        "mitigation": risks["mitigation"].map(lambda v: _text(v, "none recorded")).to_numpy(),
        "owner": risks["owner"].map(_text).to_numpy()})
    return (table.assign(_s=table["score"].fillna(0)).sort_values("_s", ascending=False, kind="stable")
            .drop(columns="_s").reset_index(drop=True))


def recommendations(actions: pd.DataFrame) -> list[str]:
    """'Owner: action (timeframe)' for each High priority action not complete, in register order."""
    wanted = actions[(actions["priority"].map(priority) == "High") & (actions["status"].map(status) != "Complete")]
    return [f"{_text(row.owner, 'Owner not recorded')}: {_text(row.action)} "
            f"({_text(row.timeframe, 'timeframe not recorded')})" for row in wanted.itertuples()]


def actions_summary(actions: pd.DataFrame) -> pd.DataFrame:
    """Actions by priority (rows) and status (columns), with totals."""
    grid = _cross_count(actions_by_theme(actions), "priority", "status", PRIORITIES, STATUSES)
    grid = grid.loc[(grid.sum(axis=1) > 0) | grid.index.isin(PRIORITIES),
                    (grid.sum(axis=0) > 0) | grid.columns.isin(STATUSES)]
    grid["all"] = grid.sum(axis=1)
    return grid.rename_axis("priority").reset_index()


BANDS = ((95, "95% or more"), (80, "80% to 94%"), (50, "50% to 79%"), (0, "under 50%"))


def completeness_band(filled: int, rows: int) -> str:
    """How complete a column is, as the partner edition says it: a band, never the counts behind it."""
    if not rows:
        return "no rows"
    share = 100 * filled / rows
    return next(label for low, label in BANDS if share >= low)


def _column_label(kind: str, column: str) -> str:
    description = SCHEMAS[kind].field(column).description
    for separator in (":", " (", ", "):
        description = description.split(separator)[0]
    return description


def _rejection_kind(reason: str) -> str:
    """The kind of a ledger rejection, never its text (which can quote values)."""
    if reason == "blank row":
        return "blank"
    if "outside the report period" in reason:
        return "outside the period"
    if "not among the crimes used" in reason:
        return "not linked to a crime used"
    return "with an invalid or missing required value"


def data_quality_gaps(data, threshold: float = COMPLETENESS_THRESHOLD, partner: bool = False) -> pd.DataFrame:
    """Gaps the data itself shows: sources or columns not supplied, columns under `threshold`% complete,
    rows rejected, and extracts ending well before the period does. Counts only, never values.

    The table is text shown as it is (public), so the partner edition writes no local count in it: bands of
    completeness, and the kinds of rejection without their counts (the appendix counts rows by source)."""
    rows = []

    def gap(name, why, source, kind):
        rows.append({"gap": name, "why it matters": why, "possible source": source, "owner": NOT_RECORDED,
                     "status": "Open", "source of the gap": DATA_QUALITY_SOURCE, "_kind": kind})
    for kind in DATA_SOURCES:
        if kind not in data.loaded:
            gap(f"No {SOURCE_LABELS[kind]} supplied", f"The profile has no {SCHEMAS[kind].title.lower()}.",
                "the data owner", kind)
    completeness = data.completeness()
    for row in completeness[completeness["source"].isin(DATA_SOURCES)].itertuples():
        if row.column in SCHEMAS[row.source].personal:
            continue  # personal fields are better absent
        label, where = _column_label(row.source, row.column), SOURCE_LABELS[row.source]
        file = data.loaded[row.source].path.name
        if not row.supplied:
            gap(f"{label} not supplied in the {where}", f"The extract ({file}) has no '{row.column}' column, "
                "so nothing in the profile can use it.", f"the provider of {file}", row.source)
        elif row.percent_complete < threshold:
            share = (f"{completeness_band(row.filled, row.rows)} of rows" if partner
                     else f"{row.percent_complete:.0f}% of {row.rows:,} rows")
            gap(f"{label} incomplete in the {where}", f"Filled in for {share} (below {threshold:.0f}%), so "
                "breakdowns by it are partial.", f"the provider of {file}", row.source)
    rejected = data.ledger[data.ledger["status"] == "rejected"]
    for kind, group in rejected.groupby("source", sort=False):
        reasons = group["reason"].map(_rejection_kind).value_counts()
        detail = "; ".join(why if partner else f"{n:,} {why}" for why, n in reasons.items())
        file = group["file"].iloc[0]
        gap(f"Rows rejected from the {SOURCE_LABELS.get(kind, kind)}",
            f"{'Some' if partner else f'{len(group):,}'} rows of {file} could not be used ({detail}); the "
            "appendix counts them by source.", f"the provider of {file}", kind)
    end = pd.Timestamp(data.locality.period.end)
    for kind, column in DATED.items():
        frame = getattr(data, kind)
        if kind in data.loaded and len(frame) and (end - frame[column].max()).days > STALE_DAYS:
            gap(f"{SOURCE_LABELS[kind].capitalize()} end before the period does",
                f"The latest record used is from {frame[column].max():%B %Y}; the period ends {end:%d %B %Y}, "
                "so recent months may be missing.", f"the provider of {data.loaded[kind].path.name}", kind)
    order = {kind: i for i, kind in enumerate(SCHEMAS)}
    table = pd.DataFrame(rows, columns=["gap", "why it matters", "possible source", "owner", "status",
                                        "source of the gap", "_kind"])
    return (table.assign(_o=table["_kind"].map(order)).sort_values("_o", kind="stable")
            .drop(columns=["_o", "_kind"]).reset_index(drop=True))


def intelligence_gaps(data, threshold: float = COMPLETENESS_THRESHOLD, partner: bool = False) -> pd.DataFrame:
    """The register's open gaps, then the gaps the data quality shows, as one table."""
    gaps = open_gaps(register(data, "intelligence_gaps"))
    from_register = pd.DataFrame({
        "gap": gaps["gap"].map(_text), "why it matters": gaps["description"].map(_text),
        "possible source": gaps["source"].map(_text), "owner": gaps["owner"].map(_text),
        "status": gaps["status"].map(gap_status), "source of the gap": REGISTER_SOURCE})
    return pd.concat([from_register, data_quality_gaps(data, threshold, partner)], ignore_index=True)


def crimes_by_type_bullet(data, number=plain) -> str | None:
    """Recorded crimes per primary exploitation type in one sentence, each count through `number` (the
    section's: as the edition shows that cell everywhere); no share of a withheld count or total."""
    by_type = analyse.crimes_by_type(data)[["primary_type", "crimes"]]
    by_type = by_type[by_type["crimes"] > 0]
    if by_type.empty:
        return None
    total = len(data.crimes)
    whole = number(total, "crimes")
    parts = []
    for row in by_type.itertuples():
        text = number(int(row.crimes), "crimes", primary_type=row.primary_type)
        share = "" if withheld(text) or withheld(whole) else f" ({100 * row.crimes / total:.0f}%)"
        parts.append(f"{analyse.type_label(row.primary_type)} {text}{share}")
    return "Recorded crimes by primary exploitation type: " + "; ".join(parts) + "."


def key_insights(data, number=plain, year: int | None = None, compare_from: str | None = None,
                 compare_to: str | None = None, national_lines: int = 2, partner: bool = False) -> list[str]:
    """Executive summary bullets, drawn from the sections' own bullet writers (numbers never typed by hand)."""
    lines = list(analyse.headline_bullets(data, number))
    by_type = crimes_by_type_bullet(data, number)
    if by_type:
        lines.append(by_type)
    first, last = (compare_from, compare_to) if compare_from and compare_to else compare.latest_quarters(4)
    rates = compare.force_referral_rates(first, last)
    lines.extend(compare.force_comparison_bullets(data.locality.force_code, rates, first, last)[:1])
    year = int(year or data.locality.period.end.year)
    lines.extend(f"Nationally (UK, published NRM statistics): {line}"
                 for line in national.national_bullets(year)[:national_lines])
    gaps = intelligence_gaps(data, partner=partner)
    from_data = int((gaps["source of the gap"] == DATA_QUALITY_SOURCE).sum())
    lines.append(f"{len(gaps):,} intelligence gaps are not yet closed: {len(gaps) - from_data:,} from the "
                 f"partnership's register and {from_data:,} shown by the quality of the data (section 1.3).")
    return lines


# --- section 2: introduction -------------------------------------------------------------

def sources_with_periods(data) -> pd.DataFrame:
    """Each source used (named as in the ledger): what it holds, its file, the span of its records used,
    and rows read, used, merged and rejected (analyse.sources_summary)."""
    summary = analyse.sources_summary(data)
    spans = []
    for kind in summary["source"]:
        if kind in DATED and len(getattr(data, kind)):
            dates = getattr(data, kind)[DATED[kind]]
            spans.append((f"{dates.min():%b %Y}", f"{dates.max():%b %Y}"))
        elif kind in ("victims", "suspects"):
            spans.append(("as their crimes", "as their crimes"))
        else:
            spans.append(("register as supplied", ""))
    summary.insert(1, "what it holds", summary["source"].map(lambda k: SCHEMAS[k].title))
    summary.insert(3, "records from", [s[0] for s in spans])
    summary.insert(4, "records to", [s[1] for s in spans])
    return analyse.describe_rows(summary, data)


def handling_guidance(locality, partner: bool, rule_text: str) -> list[str]:
    """Who may receive this edition, and on what terms (`rule_text`: the disclosure rule applied)."""
    if partner:
        audience = (f"Partner edition: for the members of {locality.partnership}, to be shared only under the "
                    "partnership's information sharing agreement. It holds no personal data, and small counts "
                    "from local records are protected; do not publish it or pass it on beyond the partnership "
                    "without the agreement of the organisations that supplied the data.")
    else:
        audience = ("Internal edition: for the analysts who hold the source data (police and partnership "
                    "analysts named in the data sharing agreement). Partners receive the partner edition.")
    return [f"Handling marking: {locality.handling_marking}. Store, send and destroy it as that marking requires.",
            audience, rule_text,
            "Record-level rows, names, dates of birth, crime references and free-text notes are never shown."]


# --- section 8: appendix -------------------------------------------------------------------

def earlier_tables(output_dir: str | Path) -> list[tuple[str, str, pd.DataFrame]]:
    """(name, caption, table) of every table the locality's sections have written so far, in the order
    written, the appendix's own excepted. Read as text, so they are shown (and rewritten) exactly as saved."""
    tables = Path(output_dir) / "tables"
    index = tables / "captions.csv"
    if not index.exists():
        return []
    captions = pd.read_csv(index, dtype=str, keep_default_na=False)
    found = []
    for row in captions.itertuples():
        path = tables / row.file
        if row.table.startswith(APPENDIX_PREFIX) or not path.exists():
            continue
        found.append((row.table, row.caption, pd.read_csv(path, dtype=str, keep_default_na=False)))
    return found


MEASURE_LABELS = {"crimes": "crimes", "victims": "victims", "suspects": "suspects", "referrals": "NRM referrals",
                  "dtn_reports": "Duty to Notify reports"}


def disclosure_notes(recoded: list[dict], threshold: int, suppressed: int) -> list[str]:
    """What the partner edition did to small counts: the exploitation types recoded as OTHER (named), how
    many nationalities and sectors were recoded per measure (never which), and how many counts were withheld."""
    types = sorted({r["value"] for r in recoded if r["dimension"] == "primary_type"})
    lines = [f"Exploitation types with fewer than {threshold} crimes, counted as '{OTHER}' everywhere: "
             f"{', '.join(analyse.type_label(t) for t in types)}." if types
             else f"No exploitation type was counted as '{OTHER}'."]
    for dimension, plural in (("nationality", "nationalities"), ("sector", "sectors or settings")):
        per = pd.Series([r["measure"] for r in recoded if r["dimension"] == dimension], dtype=object).value_counts()
        if len(per):
            counted = "; ".join(f"{n:,} among {MEASURE_LABELS.get(m, m)}" for m, n in per.sort_index().items())
            lines.append(f"{plural.capitalize()} held by fewer than {threshold} records of a source, counted as "
                         f"'{OTHER}' in that source (not named here): {counted}.")
    lines.append(f"Counts withheld ([c]) across the report's tables, maps and sentences: {suppressed:,}.")
    return lines


def ledger_summary(data) -> pd.DataFrame:
    """Rows per source and ledger status (used, merged, rejected) and in all: counts only."""
    counts = data.ledger.groupby(["source", "status"]).size()
    table = counts.unstack(fill_value=0) if len(counts) else pd.DataFrame()
    table = table.reindex(columns=["used", "merged", "rejected"], fill_value=0).fillna(0).astype(int)
    table["rows"] = table.sum(axis=1)
    table.columns.name = None
    order = {kind: i for i, kind in enumerate(SCHEMAS)}
    table = (table.rename_axis("source").reset_index().sort_values("source", key=lambda s: s.map(order))
             .reset_index(drop=True))
    return analyse.describe_rows(table, data, "rows")


SEVERITIES = ["note", "reject"]


def problems_summary(data) -> pd.DataFrame:
    """Rows with an invalid value per source, column and severity ('reject' rejected the row): counts only,
    never the values or messages, which can hold personal data. A row can have invalid values in several
    columns, of either severity, so neither column nor severity adds up to a total."""
    problems = data.problems
    if problems.empty:
        table = pd.DataFrame(columns=["source", "column", "severity", "invalid values"])
    else:
        table = (problems.groupby(["source", "column", "severity"])["source_row"].nunique()
                 .rename("invalid values").reset_index())
    columns = sorted({c for kind in data.loaded for c in SCHEMAS[kind].names})
    return describe(table, "invalid_values", by={c: c for c in ("source", "column", "severity")},
                    counts={"invalid values": {}}, additive={"column": False, "severity": False},
                    domains={"source": analyse.input_sources(data), "column": columns, "severity": SEVERITIES})


def completeness_table(data, partner: bool = False) -> pd.DataFrame:
    """Share of each canonical column filled in, per source (data.completeness()). The partner edition gives
    only a band of percent complete (completeness_band), no row counts: nothing to protect (public)."""
    table = data.completeness()
    if partner:
        complete = [completeness_band(f, r) if s else "not supplied"
                    for f, r, s in zip(table["filled"], table["rows"], table["supplied"])]
        return pd.DataFrame({"source": table["source"], "column": table["column"],
                             "column in file": table["column_in_file"], "supplied": table["supplied"],
                             "complete": complete})
    return table.rename(columns={"column_in_file": "column in file", "percent_complete": "percent complete"})


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
    return analyse.describe_rows(table, data)


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
