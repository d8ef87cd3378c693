"""The partnership's registers (assets, actions, risks, intelligence gaps) as measures for sections 3 and 4.

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

import re

import pandas as pd

from pplib.records.clean import missing
from pplib.records.schemas import SCHEMAS
from pplib.text import md

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


def as_text(value, blank: str = NOT_RECORDED) -> str:
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
        "level": frame["level"], "function": frame["function"], "asset": frame["asset"].map(as_text),
        "organisation": frame["organisation"].map(as_text), "type": frame["asset_type"].map(as_text),
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
        "action": actions["action"].map(as_text), "owner": actions["owner"].map(as_text),
        "timeframe": actions["timeframe"].map(as_text), "status": actions["status"].map(status)})
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
        pd.DataFrame({"kind": "intelligence gap", "vulnerability": gaps["gap"].map(as_text),
                      "description": gaps["description"].map(as_text),
                      "rating or status": "gap " + gaps["status"].map(gap_status).str.lower(),
                      "owner": gaps["owner"].map(as_text), "_about": _about(gaps, ["gap", "description"])}),
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
            "assets": pd.DataFrame({"asset": shown["asset"].map(as_text),
                                    "organisation": shown["organisation"].map(as_text),
                                    "type": shown["asset_type"].map(as_text)}).reset_index(drop=True),
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


# The *_lines and recommendations are Markdown bullets: the register's text in them is escaped (pplib.text.md),
# so a cell holding markup or a link is shown as the text it is.
def asset_lines(assets: pd.DataFrame) -> list[str]:
    return [f"{md(row.asset)} ({md(row.organisation)}; {md(row.type)})" for row in assets.itertuples()]


def vulnerability_lines(found: pd.DataFrame) -> list[str]:
    return [f"{md(row['vulnerability'])}: {md(row['description'])} ({md(row['rating or status'])}; "
            f"owner: {md(row['owner'])})" for row in found.to_dict("records")]


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
        "risk": risks["risk"].map(as_text), "description": risks["description"].map(as_text),
        "likelihood": likelihood.to_numpy(), "impact": impact.to_numpy(),
        "score": pd.array([score for score, _ in rated], dtype="Int64"),
        "rating": [rating for _, rating in rated],
        "mitigation": risks["mitigation"].map(lambda v: as_text(v, "none recorded")).to_numpy(),
        "owner": risks["owner"].map(as_text).to_numpy()})
    return (table.assign(_s=table["score"].fillna(0)).sort_values("_s", ascending=False, kind="stable")
            .drop(columns="_s").reset_index(drop=True))


def recommendations(actions: pd.DataFrame) -> list[str]:
    """'Owner: action (timeframe)' for each High priority action not complete, in register order (Markdown)."""
    wanted = actions[(actions["priority"].map(priority) == "High") & (actions["status"].map(status) != "Complete")]
    return [f"{md(as_text(row.owner, 'Owner not recorded'))}: {md(as_text(row.action))} "
            f"({md(as_text(row.timeframe, 'timeframe not recorded'))})" for row in wanted.itertuples()]


def actions_summary(actions: pd.DataFrame) -> pd.DataFrame:
    """Actions by priority (rows) and status (columns), with totals."""
    grid = _cross_count(actions_by_theme(actions), "priority", "status", PRIORITIES, STATUSES)
    grid = grid.loc[(grid.sum(axis=1) > 0) | grid.index.isin(PRIORITIES),
                    (grid.sum(axis=0) > 0) | grid.columns.isin(STATUSES)]
    grid["all"] = grid.sum(axis=1)
    return grid.rename_axis("priority").reset_index()
