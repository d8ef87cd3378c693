"""Normalise raw field values to the controlled vocabularies in pplib.records.schemas."""
from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

import numpy as np
import pandas as pd
from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein

from pplib.records.schemas import EXPLOITATION_TYPES

# Keyword -> controlled type. Order matters: first match wins for a token.
_TYPE_RULES = (
    ("organ harvesting", re.compile(r"organ")),
    ("domestic servitude", re.compile(r"domestic|servitude|\bds\b")),
    # CSE/CSA: child sexual exploitation/abuse; SE: sexual exploitation
    ("sexual", re.compile(r"sex|\bcs(e|a|ea)\b|\bse\b|prostitut|brothel")),
    # CCE: child criminal exploitation; CL: county lines; CE: criminal exploitation
    ("criminal", re.compile(r"crimin|county\s*lines?|\bc?cl\b|\bc?ce\b|cannabis|drug|shoplift|forced\s+begg")),
    # LE: labour exploitation
    ("labour", re.compile(r"labou?r|forced\s+work|work|\ble\b")),
    ("unknown", re.compile(r"^(unknown|not\s+known|n/?k|not\s+specified|not\s+recorded|tbc|\?+)$")),
)
_SPLIT = re.compile(r"\s*(?:;|,|/|\||\+|&|\band\b|\n)\s*", re.IGNORECASE)
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")


def exploitation_token(token: str) -> str:
    token = token.strip().lower()
    if not token:
        return "unknown"
    for label, pattern in _TYPE_RULES:
        if pattern.search(token):
            return label
    return "other"


def exploitation_types(value) -> list[str]:
    """All distinct controlled types in a free-text field, in the order recorded."""
    if value is None or (isinstance(value, float) and pd.isna(value)) or not str(value).strip():
        return ["unknown"]
    types: list[str] = []
    for token in _SPLIT.split(str(value)):
        if token.strip():
            label = exploitation_token(token)
            if label not in types:
                types.append(label)
    known = [t for t in types if t != "unknown"]
    return known or ["unknown"]


def split_primary_secondary(values: pd.Series) -> pd.DataFrame:
    """Primary type = first recorded; secondary = the others, joined with '; '."""
    primary = by_value(values, lambda v: exploitation_types(v)[0])
    secondary = by_value(values, lambda v: "; ".join(exploitation_types(v)[1:]))
    return pd.DataFrame({"primary_type": primary.astype("str"), "secondary_types": secondary.astype("str")},
                        index=values.index)


def missing(value) -> bool:
    """None, NaN, NaT, pd.NA or a blank string."""
    if isinstance(value, str):
        return not value.strip()
    return value is None or bool(pd.isna(value))


def parse_date(value) -> pd.Timestamp:
    """A date from a UK export: datetime cell, Excel serial, or day-first text. NaT when unparseable."""
    try:
        return _parse_date_cached(value)
    except TypeError:  # an unhashable cell value
        return _parse_date(value)


# Dates repeat: validation and cleaning read the same values, and every locality covers the same quarters.
@lru_cache(maxsize=1 << 16)
def _parse_date_cached(value) -> pd.Timestamp:
    return _parse_date(value)


def _parse_date(value) -> pd.Timestamp:
    if missing(value):
        return pd.NaT
    if isinstance(value, pd.Timestamp) or hasattr(value, "year"):
        return pd.Timestamp(value).normalize()
    text = str(value).strip()
    if not text:
        return pd.NaT
    if re.fullmatch(r"\d{5}(\.0+)?", text):  # Excel serial day number
        return _EXCEL_EPOCH + pd.Timedelta(days=int(float(text)))
    iso = re.match(r"\d{4}-\d{2}-\d{2}", text) is not None  # ISO is never day-first
    try:
        return pd.to_datetime(text, dayfirst=not iso, format="mixed").normalize()
    except (ValueError, OverflowError):
        return pd.NaT


_NUMERIC_DATE = re.compile(r"\s*(\d{1,2})[/.-](\d{1,2})[/.-]\d{2,4}\b")
_MONTH_FIRST = re.compile(r"\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})\b")


def month_first_as_iso(value):
    """A month-first numeric date ('02/13/2023', '2/13/23 14:05') as ISO text ('2023-02-13'), for a source
    configured `dayfirst: false`; any other value (ISO, an Excel date or serial, '13-Feb-2023', a value that
    is no date) unchanged, for the usual reading and checks."""
    match = _MONTH_FIRST.match(value) if isinstance(value, str) else None
    if not match:
        return value
    month, day, year = (int(g) for g in match.groups())
    year += 2000 if len(match.group(3)) == 2 and year < 70 else 1900 if len(match.group(3)) == 2 else 0
    try:
        return pd.Timestamp(year=year, month=month, day=day).strftime("%Y-%m-%d")
    except ValueError:  # 13/02/2023 read month first: no such date; the value is reported as it was written
        return value


class DateConventions(NamedTuple):
    """Positions (0-based, in the series) of the first value that can only be day first, or month first."""
    day_first: int | None
    month_first: int | None


def date_conventions(values: pd.Series) -> DateConventions:
    """Where a column of numeric dates shows its convention: 31/01/2023 can only be day first, 01/31/2023
    only month first. Each distinct value is looked at once."""
    codes, uniques = pd.factorize(values.astype(object), use_na_sentinel=True)
    day = month = None
    for position, value in enumerate(uniques):
        match = _NUMERIC_DATE.match(value) if isinstance(value, str) else None
        if match:
            first, second = int(match.group(1)), int(match.group(2))
            day = position if day is None and first > 12 >= second else day
            month = position if month is None and second > 12 >= first else month
    def first_row(code):
        return None if code is None else int((codes == code).argmax())
    return DateConventions(first_row(day), first_row(month))


def by_value(values: pd.Series, function) -> pd.Series:
    """`function` applied once per distinct value, not once per row: extracts repeat the same dates,
    nationalities and codes thousands of times."""
    codes, uniques = pd.factorize(values.astype(object), use_na_sentinel=False)
    results = np.empty(len(uniques), dtype=object)
    for position, unique in enumerate(uniques):  # one by one: a result may itself be a list
        results[position] = function(unique)
    return pd.Series(results[codes], index=values.index, dtype=object)


def parse_dates(values: pd.Series) -> pd.Series:
    return pd.to_datetime(by_value(values, parse_date))


_SEX = {"m": "male", "male": "male", "man": "male", "boy": "male",
        "f": "female", "female": "female", "woman": "female", "girl": "female",
        "other": "other", "x": "other"}


def sex(value) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "unknown"
    return _SEX.get(str(value).strip().lower(), "unknown")


_DECISIONS = {"positive": "positive", "pos": "positive", "negative": "negative", "neg": "negative",
              "pending": "pending", "awaiting": "pending", "awaiting decision": "pending"}


def decision(value) -> str:
    """A reasonable or conclusive grounds decision: positive, negative, pending, or unknown (none recorded)."""
    if missing(value):
        return "unknown"
    return _DECISIONS.get(str(value).strip().lower(), "unknown")


# First responder organisations grouped as the Home Office NRM statistics group them.
RESPONDER_TYPES = ("police", "local authority", "government agency", "NGO or third sector", "other")
_RESPONDER_WORDS = (
    ("police", re.compile(r"police|constabulary|\bbtp\b|\brocu\b")),
    ("government agency", re.compile(r"home office|ukvi|visas|immigration|border force|\bnca\b|national crime agency")),
    ("local authority", re.compile(r"council|children'?s services|social care|social services|local authority|housing")),
    ("NGO or third sector", re.compile(r"\bngo\b|salvation army|barnardo|migrant help|charity|medaille|kalayaan|"
                                       r"bawso|\btara\b|unseen|trust")),
)


def responder_type(value) -> str:
    """The kind of first responder organisation (police, local authority, ...), or unknown when none is recorded."""
    if missing(value):
        return "unknown"
    text = str(value).strip().lower()
    return next((kind for kind, pattern in _RESPONDER_WORDS if pattern.search(text)), "other")


def flag(value) -> bool | None:
    """Y/N, Yes/No, 1/0, True/False -> bool; blank or anything else -> None (not recorded)."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    text = str(value).strip().lower()
    if text in ("y", "yes", "1", "true", "t"):
        return True
    if text in ("n", "no", "0", "false", "f"):
        return False
    return None


_AGE_GROUP_WORDS = {"adult": "adult", "18+": "adult", "over 18": "adult", "18 and over": "adult",
                    "child": "child", "minor": "child", "under 18": "child", "u18": "child", "<18": "child",
                    "unknown": "unknown", "not known": "unknown", "u": "unknown", "n/k": "unknown"}


def age_group_text(value) -> str | None:
    """A recorded age group ('Adult', '18+', 'Under 18', 'Minor'...) -> adult/child/unknown; None if unrecognised."""
    if missing(value):
        return "unknown"
    return _AGE_GROUP_WORDS.get(re.sub(r"\s+", " ", str(value).strip().lower()))


def age_group(age) -> str:
    if age is None or pd.isna(age):
        return "unknown"
    return "child" if age < 18 else "adult"


AGE_BANDS = ((0, 11, "0-11"), (12, 15, "12-15"), (16, 17, "16-17"), (18, 24, "18-24"),
             (25, 34, "25-34"), (35, 44, "35-44"), (45, 54, "45-54"), (55, 200, "55+"))


def age_band(age) -> str:
    if age is None or pd.isna(age):
        return "unknown"
    return next(label for low, high, label in AGE_BANDS if low <= age <= high)



# --- nationality -------------------------------------------------------------
# Country names, demonyms and alternative spellings come from countryinfo and
# pycountry; only the UK's home nations need adding, as neither library knows them.
_HOME_NATIONS = ("english", "welsh", "scottish", "northern irish", "england", "wales", "scotland",
                 "northern ireland", "great britain", "britain", "brit", "uk national", "u.k.")
_UNKNOWN_NATIONALITY = {"", "unknown", "not known", "n/k", "nk", "not stated", "not recorded", "unk", "?"}
UNKNOWN = "Unknown"


@lru_cache(maxsize=1)
def _nationality_index() -> dict[str, str]:
    import pycountry
    from countryinfo import all_countries

    index: dict[str, str] = {}
    # Larger countries first, so a shared demonym ('Indian') means the country most people mean.
    infos = sorted((c.info() for c in all_countries()), key=lambda i: -(i.get("population") or 0))
    for info in infos:
        name = info.get("name")
        if not name:
            continue
        keys = [name, info.get("demonym") or "", *(info.get("altSpellings") or [])]
        iso = (info.get("ISO") or {}).get("alpha2")
        official = pycountry.countries.get(alpha_2=iso) if iso else None
        if official:
            keys += [official.name, getattr(official, "common_name", ""), getattr(official, "official_name", "")]
        for key in keys:
            if key:
                index.setdefault(key.strip().lower(), name)
    for alias in _HOME_NATIONS:
        index[alias] = index["united kingdom"]
    return index


def nationality(value) -> str | None:
    """A country name for a recorded nationality ('British', 'UK', 'Welsh' -> 'United Kingdom').

    Blank or 'not known' -> 'Unknown'; a value no country matches, even allowing
    for a typo, -> None so the caller can report it.
    """
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return UNKNOWN
    text = re.sub(r"\s+", " ", str(value)).strip().lower().rstrip(".")
    if text in _UNKNOWN_NATIONALITY:
        return UNKNOWN
    index = _nationality_index()
    # 'Iran (Islamic Republic of)' and 'Iran, Islamic Republic of' name the same country as 'Iran'.
    for candidate in (text, re.sub(r"\s*\(.*\)$", "", text), text.split(",")[0].strip()):
        if candidate in index:
            return index[candidate]
    if len(text) >= 6:  # one slip of the keyboard in a longer word: 'Albanain', 'Britsh'
        close = process.extractOne(text, index.keys(), scorer=DamerauLevenshtein.distance, score_cutoff=1)
        if close:
            return index[close[0]]
    return None


assert set(t for t, _ in _TYPE_RULES) | {"other"} == set(EXPLOITATION_TYPES)


# --- local authority district ---------------------------------------------------

# How names are written in extracts, against ONS's: 'Newark & Sherwood', 'Kingston-upon-Hull', 'Hull',
# 'St Helens', 'Bristol City Council', 'London Borough of Camden'.
_COUNCIL_WORDS = re.compile(r"^(the )?(royal |london )?(borough|city|county|district) of |"
                            r" (metropolitan |district |borough |city |county )*(borough )?council$|"
                            r" (city|county|district|borough)$")
_LAD_ALIASES = {"hull": "kingston upon hull", "bcp": "bournemouth christchurch and poole",
                "durham": "county durham", "western isles": "na h eileanan siar"}


def lad_key(name: str) -> str:
    """A district name reduced to what identifies it: case, '&', punctuation, 'St.' and council words
    ('City of', 'Borough Council') do not matter."""
    text = str(name).lower().replace("&", " and ")
    text = re.sub(r",\s*(city|county) of$", "", text.strip())
    text = re.sub(r"[^a-z0-9]+", " ", text.replace("'", "")).strip()
    text = re.sub(r"\bsaint\b", "st", text)
    text = _COUNCIL_WORDS.sub("", text).strip()
    return _LAD_ALIASES.get(text, text)


@lru_cache(maxsize=1)
def _lad_index() -> dict[str, str]:
    """Code, or name reduced by lad_key -> code, for every UK district (England, Wales, Scotland, NI).
    A reduced name two districts share is left out: which is meant cannot be known."""
    from pplib.reference.published import districts

    table = districts()
    by_key: dict[str, set[str]] = {}
    for name, code in zip(table["lad_name"], table["lad_code"]):
        by_key.setdefault(lad_key(name), set()).add(code)
    index = {key: codes.pop() for key, codes in by_key.items() if len(codes) == 1}
    index.update({code.lower(): code for code in table["lad_code"]})
    return index


@lru_cache(maxsize=4096)
def _lad_lookup(text: str) -> str | None:
    index = _lad_index()
    if text.lower() in index:
        return index[text.lower()]
    key = lad_key(text)
    if key in index:
        return index[key]
    if len(key) >= 6:  # one slip of the keyboard: 'Bassetlow', 'Mansfeild'
        close = process.extract(key, index.keys(), scorer=DamerauLevenshtein.distance, score_cutoff=1, limit=2)
        if len(close) == 1 or len(close) == 2 and close[0][1] < close[1][1]:
            return index[close[0][0]]
    return None


def lad_code(value) -> str | None:
    """An ONS LAD code from a recorded code or district name ('Mansfield' -> 'E07000174', 'Newark &
    Sherwood' -> 'E07000175', 'Kingston-upon-Hull' -> 'E06000010').

    Every UK district is known: England and Wales from the ONS lookup, Scotland's council
    areas ('Fife' -> 'S12000047') and Northern Ireland's districts (pplib.reference.published.districts).
    Blank -> None; a value matching no district in the UK -> the value unchanged, so
    mapping can report it as an area outside the lookup.
    """
    if missing(value):
        return None
    text = re.sub(r"\s+", " ", str(value)).strip()
    return _lad_lookup(text) or text


def is_known_lad(value) -> bool:
    return missing(value) or _lad_lookup(re.sub(r"\s+", " ", str(value)).strip()) is not None


# --- sector or setting ------------------------------------------------------------
# Settings named in UK modern slavery guidance; first match wins.
_SECTOR_RULES = (
    ("car wash", re.compile(r"car\s*wash")),
    ("nail bar", re.compile(r"nail")),
    ("cannabis cultivation", re.compile(r"cannabis")),
    ("drug supply (county lines)", re.compile(r"county\s*lines?|drug|dealing")),
    ("agriculture", re.compile(r"agri|farm|picking|harvest")),
    ("construction", re.compile(r"construct|building|labourer")),
    ("hospitality", re.compile(r"hospitality|hotel|restaurant|takeaway|catering")),
    ("food processing", re.compile(r"food|factory|processing|packing")),
    ("warehouse and logistics", re.compile(r"warehouse|logistic|distribution")),
    ("brothel or sex work", re.compile(r"brothel|adult services|massage|sex work|escort")),
    ("private household", re.compile(r"private (household|residence)|domestic|household")),
    ("begging", re.compile(r"begging")),
    ("acquisitive crime", re.compile(r"shoplift|theft|fraud")),
    ("cleaning", re.compile(r"clean")),
    ("care work", re.compile(r"\bcare\b")),
)
SECTORS = tuple(label for label, _ in _SECTOR_RULES) + ("other", "not recorded")


def sector(value) -> str:
    """A recorded sector or setting ('Hand car wash', 'CAR WASH') -> one label of SECTORS."""
    if missing(value) or str(value).strip().lower() in _UNKNOWN_NATIONALITY:
        return "not recorded"
    text = str(value).strip().lower()
    return next((label for label, pattern in _SECTOR_RULES if pattern.search(text)), "other")
