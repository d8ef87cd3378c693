"""The 'in focus' analysis: each exploitation type in depth (who, where, when, how, partners, gaps).

Modus operandi themes are counted from the crimes' free text through the
logged personal-data step; only theme counts leave this module, never text.
"""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from pplib.config import note_read
from pplib.measures import counts, wording
from pplib.measures.compare import quarters_between
from pplib.measures.quality import completeness_band
from pplib.measures.value import OTHER, describe
from pplib.measures.wording import plain, withheld
from pplib.records.clean import missing
from pplib.reference.published import force_referrals
from pplib.text import md

# Control methods and routes named in UK modern slavery typologies; a crime can show several.
MO_THEMES = (
    ("documents held by others", re.compile(r"passport|id doc|documents? (held|taken|kept)")),
    ("debt or fees owed", re.compile(r"\bowe|debt|fee")),
    ("wages withheld or controlled", re.compile(r"wages|pay of about|unpaid|accounts? controlled|for food and a bed")),
    ("accommodation controlled", re.compile(r"housed|caravan|accommodation|short-let|flat|sleeping|a bed")),
    ("moved or transported by others", re.compile(r"transported|driven|dropped off|moved between|lorry|brought to")),
    ("not free to leave or locked in", re.compile(r"not free to leave|locked|confined")),
    ("recruited online or by advert", re.compile(r"social media|online|advert|website")),
    ("threats or violence", re.compile(r"threat|violen|assault|beaten|weapon")),
    ("drug running", re.compile(r"wraps|crack|heroin|deal|drug|county line|trap house|cuckoo")),
    ("directed to commit crime", re.compile(r"shoplift|beg|cannabis|grow")),
)
TYPE_KEYWORDS = {  # whole words or phrases that tie register entries and case studies to a type
    "labour": re.compile(r"\blabou?r\b|car wash|nail bar|agricultur|construction|hospitality|factory|"
                         r"farm|seasonal work"),
    "criminal": re.compile(r"\bcriminal\b|county lines?|cannabis|drug|shoplift|begging"),
    "sexual": re.compile(r"\bsexual|brothel|adult services|sex work|\bcse\b"),
    "domestic servitude": re.compile(r"domestic servitude|private household|domestic work"),
    "organ harvesting": re.compile(r"\borgan (harvesting|removal)"),
}
# Fields that matter most for understanding each type; their completeness is reported as a data gap.
TYPE_FIELDS = {
    "labour": ["sector", "postcode_district", "nationality"],
    "criminal": ["county_lines", "lad_code", "age"],
    "sexual": ["sector", "sex", "nationality"],
    "domestic servitude": ["sector", "nationality"],
}


def ranked_types(data) -> list[str]:
    """Exploitation types evident in the locality, most crimes first (type not recorded excluded, and so the
    partner edition's recoded small types, counted with them)."""
    return [t for t in counts.types_present(data) if t not in ("unknown", OTHER)]


def sectors(data, exploitation_type: str) -> pd.DataFrame:
    """Crimes of the type by sector or setting, most first, with each one's share."""
    crimes = counts.of_type(data.crimes, exploitation_type)
    table = counts.count_by(crimes, "sector", label="crimes").sort_values("crimes", ascending=False)
    return describe(table.reset_index(drop=True), "crimes", by={"sector": "sector"}, counts={"crimes": {}},
                    within={"primary_type": exploitation_type}, ratios={"percent": ("crimes", None)})


def mo_themes(data, exploitation_type: str, shares: bool = False) -> pd.DataFrame:
    """How many crimes of the type show each modus operandi theme (counts only, no text); a crime can show
    several, so the themes do not add up to the type's crimes.

    `shares` adds each theme's percent of the type's crimes. Its denominator is not the column's total, which
    a table's description cannot say, so a table with shares is not described: only the internal edition
    can show it."""
    personal = data.personal_fields("crimes", f"counting modus operandi themes for {exploitation_type}")
    text = data.crimes[["source_row", "primary_type"]].merge(personal[["source_row", "mo_text"]], on="source_row")
    text = text[text["primary_type"] == exploitation_type]["mo_text"].fillna("").str.lower()
    rows = [{"theme": theme, "crimes": int(text.map(lambda t: bool(pattern.search(t))).sum())}
            for theme, pattern in MO_THEMES]
    table = pd.DataFrame(rows)
    if shares:
        table["percent"] = (100 * table["crimes"] / len(text)).round(1) if len(text) else 0.0
    table = table[table["crimes"] > 0].sort_values("crimes", ascending=False).reset_index(drop=True)
    if not shares:
        describe(table, "crimes", by={"theme": "theme"}, counts={"crimes": {}},
                 within={"primary_type": exploitation_type}, domains={"theme": [t for t, _ in MO_THEMES]},
                 additive={"theme": False})
    table.attrs["described"] = int((text.str.strip() != "").sum())
    return table


def _national_police_share(exploitation_type: str, first: str, last: str) -> float | None:
    """Share of NRM referrals by all police first responders whose types include this one."""
    table = force_referrals()
    # The table's total row has no type breakdown, so add up the forces' own rows.
    police = table[(table["police_force"] != "Police total (all police first responders)")
                   & table["period"].isin(quarters_between(first, last))]
    typed = police[police["measure"].str.fullmatch(r"referrals_made:exploitation:[a-z_]+")]
    if typed.empty:
        return None
    key = {"domestic servitude": "domestic", "organ harvesting": "organ"}.get(exploitation_type, exploitation_type)
    includes = typed["measure"].str.split(":").str[2].str.contains(key)
    return float(100 * typed.loc[includes, "value"].sum() / typed["value"].sum())


def local_vs_national(data, exploitation_type: str, first: str = "2023-Q1", last: str = "2023-Q4"
                      ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The type's share of local crimes and local NRM referrals (one row of local counts, described), and its
    share of police NRM referrals nationally (published: public)."""
    of_type = {"conditions": {"primary_type": exploitation_type}}
    row, counts, ratios = {}, {}, {}
    for measure, frame, noun in (("crimes", data.crimes, "crimes"), ("referrals", data.nrm_referrals, "referrals")):
        part, whole = int((frame["primary_type"] == exploitation_type).sum()), len(frame)
        row.update({f"{noun} of this type": part, f"all {noun}": whole,
                    f"percent of {noun}": round(100 * part / whole, 1) if whole else None})
        counts.update({f"{noun} of this type": {"measure": measure, **of_type}, f"all {noun}": {"measure": measure}})
        ratios[f"percent of {noun}"] = (f"{noun} of this type", f"all {noun}", 100)
    types = {exploitation_type, *data.crimes["primary_type"].dropna(), *data.nrm_referrals["primary_type"].dropna()}
    local = describe(pd.DataFrame([row]).astype({c: "Float64" for c in ratios}), "crimes", counts=counts,
                     ratios=ratios, domains={"primary_type": sorted(map(str, types))})
    national = _national_police_share(exploitation_type, first, last)
    published = pd.DataFrame([{"measure": f"NRM referrals by all police forces, UK, {first} to {last} "
                                          "(any type recorded)",
                               "percent": round(national, 1) if national is not None else None}])
    return local, published


def _mentions(text: pd.Series, exploitation_type: str) -> pd.Series:
    pattern = TYPE_KEYWORDS.get(exploitation_type, re.compile(re.escape(exploitation_type)))
    return text.fillna("").str.lower().map(lambda t: bool(pattern.search(t)))


def partner_items(data, exploitation_type: str) -> dict[str, pd.DataFrame]:
    """Register entries (assets, actions, risks, gaps) whose text mentions the type."""
    columns = {"assets": ["asset", "organisation", "four_p", "description"],
               "actions": ["action", "owner", "timeframe", "status"],
               "risks": ["risk", "likelihood", "impact", "mitigation"],
               "intelligence_gaps": ["gap", "source", "owner", "status"]}
    found = {}
    for kind, shown in columns.items():
        register = data.registers.get(kind)
        if register is None or register.empty:
            continue
        text = register.drop(columns="source_row").map(lambda v: "" if missing(v) else str(v)).agg(" ".join, axis=1)
        found[kind] = register.loc[_mentions(text, exploitation_type), shown].reset_index(drop=True)
    return found


ENTRY_NAMES = {"assets": "assets", "actions": "actions", "risks": "risks", "intelligence_gaps": "intelligence gaps"}


def entries_sentence(table: pd.DataFrame, kind: str) -> str:
    """Register entries by name in one sentence (Markdown): "**Partnership assets:** A (Org); B (Org)." The
    names are the partnership's own text, escaped as data."""
    names = table.iloc[:, 0].map(lambda v: "" if missing(v) else md(str(v)))
    if kind == "assets" and "organisation" in table:
        names = [f"{n} ({md(str(o))})" if not missing(o) else n for n, o in zip(names, table["organisation"])]
    return f"**Partnership {ENTRY_NAMES.get(kind, kind)} that mention this type:** {'; '.join(names)}."


class CaseStudyError(ValueError):
    """A case study that may not be read or published. The message names the file and line, never what it holds."""


def case_study_files(locality) -> list[Path]:
    """The case studies' files, each inside the locality's folder: a case_studies path leading out of it, or a
    file that is a link to somewhere outside it, is refused (the folder is what the partnership vouches for)."""
    if not locality.case_studies:
        return []
    home = Path(locality.base_dir).resolve()
    folder = Path(locality.base_dir) / locality.case_studies
    if not folder.resolve().is_relative_to(home):
        raise CaseStudyError(f"case_studies: '{locality.case_studies}' is outside the locality's folder; "
                             "case studies must be kept in it")
    note_read(folder)  # the folder: a case study added is a change
    if not folder.is_dir():
        return []
    files = sorted(folder.glob("*.md"))
    for path in files:
        if not path.resolve().is_relative_to(home):
            raise CaseStudyError(f"{_shown_name(path, locality)} links to a file outside the locality's folder; "
                                 "copy the case study into the folder instead")
    return files


def _shown_name(path: Path, locality) -> str:
    return (Path(locality.case_studies) / path.name).as_posix()


def case_studies(locality, exploitation_type: str | None = None) -> list[tuple[str, str]]:
    """(title, markdown body) of the partnership's case studies, those about the type when one is given."""
    studies = []
    for path in case_study_files(locality):
        text = path.read_text(encoding="utf-8").strip()
        title, _, body = text.partition("\n")
        studies.append((title.lstrip("# ").strip(), body.strip()))
    if exploitation_type is None:
        return studies
    return [s for s in studies if _case_study_type_matches(s, exploitation_type)]


_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|"
          r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")
# What no case study for partners may hold: each shape with what the error calls it (never the text found).
PERSONAL_SHAPES = (
    ("something shaped like a date of birth", re.compile(
        r"\b\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})\b|\b\d{4}-\d{1,2}-\d{1,2}\b"
        rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH},?\s+\d{{2,4}}\b|\b{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}\b"
        r"|\bd\.?o\.?b\b|\bdate of birth\b|\bborn on\b", re.I)),
    ("an email address", re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")),
    ("a phone number", re.compile(r"(?:\+44\s?(?:\(0\)\s?)?|(?<![\w+])0)\d(?:[\s-]?\d){8,9}(?!\w)"
                                  r"|(?<![\w+])\+\d{1,3}(?:[\s-]?\d){7,12}(?!\w)")),
    ("a full postcode", re.compile(r"\b(?:GIR ?0AA|[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]? ?\d[ABD-HJLNP-UW-Z]{2})\b", re.I)),
    ("something shaped like a crime reference", re.compile(
        r"\b[A-Z]{1,5}[/-]?\d{2,}[/-]\d{2,}(?:[/-]\d{2,4})?\b|\b\d{1,4}/\d{4,}/\d{2,4}\b", re.I)),
)
# The personal columns a case study may not quote: people's names, and the references that identify records.
NAMED = {"victims": ("victim_name", "victim_id", "crime_ref"), "suspects": ("suspect_name", "suspect_id", "crime_ref"),
         "crimes": ("crime_ref",)}


_WORD = re.compile(r"[^\W_]+")


def _words(text: str) -> str:
    """Text as lower-case words and digits between single spaces, padded, for whole-word matching."""
    return " " + " ".join(_WORD.findall(text.casefold())) + " "


def _known_values(data) -> dict[str, tuple[set[str], re.Pattern | None]]:
    """By what the error calls it: each personal value of the victims', suspects' and crimes' files (as _words),
    and for names a pattern of every part of a name (a first name or surname alone, written capitalised)."""
    values: dict[str, set[str]] = {}
    parts: dict[str, set[str]] = {}
    for source, columns in NAMED.items():
        if source not in data.locality.sources:  # not supplied: nothing to find
            continue
        frame = data.personal_fields(source, "screening case studies before the partner edition")
        for column in (c for c in columns if c in frame):
            is_name = column.endswith("_name")
            what = f"a {'name' if is_name else column.replace('_', ' ')} from the {source} file"
            written = [str(v) for v in frame[column].dropna() if str(v).strip()]
            values.setdefault(what, set()).update(w for w in map(_words, written) if len(w.strip()) >= 3)
            if is_name:
                parts.setdefault(what, set()).update(p for v in written for p in name_parts(v))
    return {what: (found, _any_word(parts.get(what, ()))) for what, found in values.items()}


def name_parts(name: str) -> set[str]:
    """The parts of a name the screen looks for on their own (a first name or surname alone): each word of
    three or more letters, with its first letter capitalised, as a case study would write it."""
    return {w[0].upper() + w[1:] for w in _WORD.findall(name) if len(w) >= 3}


def capitalised_words(text: str) -> set[str]:
    """The words of a text written with a capital, as the screen's whole-word pattern would find them."""
    return {w for w in _WORD.findall(text) if w[0].isupper()}


def _any_word(words) -> re.Pattern | None:
    """A pattern of the (capitalised) words as whole words."""
    longest_first = sorted(set(words), key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(map(re.escape, longest_first)) + r")\b") if longest_first else None


def _holds(line: str, both: str, values: set[str], parts: re.Pattern | None) -> bool:
    return any(v in both for v in values) or bool(parts and parts.search(line))


def screen_case_studies(data) -> list[str]:
    """Where the case studies hold something personal: 'file line N: what' (never the text itself). A whole
    name or reference is also looked for across a line break."""
    known = _known_values(data)
    found = []
    for path in case_study_files(data.locality):
        lines = path.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines, start=1):
            both = _words(line + " " + (lines[number] if number < len(lines) else ""))
            kinds = [what for what, pattern in PERSONAL_SHAPES if pattern.search(line)]
            kinds += [what for what, (values, parts) in known.items() if _holds(line, both, values, parts)]
            found += [f"{_shown_name(path, data.locality)} line {number}: {what}" for what in dict.fromkeys(kinds)]
    return found


def check_case_studies(data) -> None:
    """Stop the partner edition when any case study holds something personal (see screen_case_studies)."""
    found = screen_case_studies(data)
    if found:
        raise CaseStudyError(f"case studies may not hold personal details in the partner edition: {'; '.join(found)}. "
                             "Remove or anonymise them and build again.")  # one line: the build summary shows it


def _case_study_type_matches(study: tuple[str, str], exploitation_type: str) -> bool:
    """A title that names a type decides; the body is read only when the title names none."""
    title, body = (pd.Series([text], dtype=object) for text in study)
    if any(_mentions(title, t).iloc[0] for t in TYPE_KEYWORDS):
        return bool(_mentions(title, exploitation_type).iloc[0])
    return bool(_mentions(body, exploitation_type).iloc[0])


def further_data(data, exploitation_type: str, threshold: float = 80.0, partner: bool = False) -> list[str]:
    """What would sharpen the picture: thin fields for this type, and open register gaps about it (the
    partner edition says how complete a field is as a band, not a percentage of counts)."""
    lines = []
    completeness = data.completeness()
    for column in TYPE_FIELDS.get(exploitation_type, []):
        rows = completeness[(completeness["column"] == column) & completeness["source"].isin(["crimes", "victims"])]
        for row in rows.itertuples():
            if not row.supplied:
                lines.append(f"The {row.source} extract has no {column.replace('_', ' ')} column.")
            elif row.percent_complete < threshold:
                share = completeness_band(row.filled, row.rows) if partner else f"{row.percent_complete:.0f}%"
                lines.append(f"{column.replace('_', ' ').capitalize()} is filled in for only {share} of "
                             f"{row.source} records.")
    gaps = partner_items(data, exploitation_type).get("intelligence_gaps")
    if gaps is not None:
        for gap in gaps[gaps["status"].fillna("").str.lower() != "closed"].itertuples():
            lines.append(f"{md(gap.gap)} (partnership intelligence gap; owner: {md(gap.owner)}).")
    return lines


# County lines, everywhere in the report: crimes whose primary type is criminal exploitation and which are
# flagged county lines (a crime of another primary type flagged county lines is not counted as one).
COUNTY_LINES = {"primary_type": "criminal", "county_lines": True}
COUNTY_LINES_DEFINITION = ("County lines crimes are recorded crimes with criminal exploitation as the primary type "
                           "that are flagged as county lines.")


def county_lines_crimes(data) -> pd.DataFrame:
    """The county lines crimes (COUNTY_LINES), remembering the filter so their counts say what they count."""
    crimes = data.crimes
    chosen = crimes[(crimes["primary_type"] == "criminal") & crimes["county_lines"].fillna(False).astype(bool)].copy()
    chosen.attrs = {**crimes.attrs, "within": {**crimes.attrs.get("within", {}), **COUNTY_LINES}}
    return chosen


def county_lines_sentence(data, number=plain) -> str | None:
    """The county lines count and its share of criminal exploitation crimes: the one sentence every section
    uses (None when no criminal exploitation crime carries the flag at all)."""
    criminal = counts.of_type(data.crimes, "criminal")
    if criminal.empty or not criminal["county_lines"].notna().any():
        return None
    flagged_n = len(county_lines_crimes(data))
    flagged = number(flagged_n, "crimes", **COUNTY_LINES)
    of_criminal = number(len(criminal), "crimes", primary_type="criminal")
    among = (f"among {of_criminal}" if withheld(flagged) or withheld(of_criminal)
             else f"{100 * flagged_n / len(criminal):.0f}% of the {of_criminal}")  # no share of a withheld count
    return (f"{wording.counted(flagged, 'crime')} with criminal exploitation as the primary type "
            f"{'was' if flagged == '1' else 'were'} flagged as county lines ({among} criminal exploitation crimes).")


def county_lines(data, number=plain, partner: bool = False) -> dict:
    """County lines (COUNTY_LINES: criminal exploitation crimes flagged county lines) by year, and their victims'
    ages.

    Counts are written through `number` (the section's). Victims carry no county lines flag of their own (it
    is their crime's), so nothing can say what a count of them counts: the partner edition gives none
    (no sentence, and victims_by_age is None)."""
    crimes = county_lines_crimes(data)
    flag = data.crimes.loc[data.crimes["primary_type"] == "criminal", "county_lines"]
    victims = data.victims[data.victims["crime_key"].isin(crimes["crime_key"])]
    by_year = describe(counts.crimes_by_year(data, crimes), "crimes", by={"year": "year"}, counts={"crimes": {}},
                       within=COUNTY_LINES)
    sentence = county_lines_sentence(data, number)
    lines = [sentence if sentence and len(crimes) else
             "No crimes with criminal exploitation as the primary type were flagged as county lines."]
    if len(victims) and not partner:
        children = int((victims["age_group"] == "child").sum())
        lines.append(f"{children:,} of their {wording.counted(f'{len(victims):,}', 'victim')} "
                     f"({100 * children / len(victims):.0f}%) were children.")
    flag_missing = int(flag.isna().sum())
    if flag_missing:
        lines.append(f"The county lines flag was blank for "
                     f"{wording.counted(number(flag_missing, 'crimes', primary_type='criminal', county_lines='unknown'), 'crime')} "
                     "of criminal exploitation, "
                     "so these counts are a minimum.")
    by_age = None
    if not partner:
        by_age = counts.profile(victims, "age_band")
        by_age.attrs.pop("cells", None)  # would claim to count all victims by age band
    return {"bullets": lines, "by_year": by_year, "victims_by_age": by_age}
