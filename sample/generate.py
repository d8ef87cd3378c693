"""Synthetic, deliberately messy locality data for any force in the registry.

Every file written here is labelled SYNTHETIC. The records are invented: names
come from Faker (seeded) or short lists of common given and family names, phone
numbers come from Ofcom's ranges reserved for drama, and no record describes a
real person or event. Distributions follow the published national NRM figures
(pplib.reference.published), so a profile built from the sample looks plausible.

The data are clean "truth" first (canonical names and values), then rendered
the way a careless real extract looks: mixed date formats, inconsistent
spellings, blanks, duplicates, title rows, odd encodings and one of two "house
styles" of column names. Output is identical byte for byte for a given seed.

Only numpy's default_rng(seed) and seeded Faker instances are used, never the
global random state, and nothing outside data/sample/reference is read.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from faker import Faker
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.writer.excel import ExcelWriter

from pplib.measures.focus import capitalised_words, name_parts
from pplib.paths import REFERENCE_DIR
from pplib.records.schemas import SCHEMAS
from pplib.reference import published as reference
from pplib.reference.forces import Force, england_and_wales, force_by_code, force_by_slug

log = logging.getLogger(__name__)

SAMPLE_SLUGS = ("nottinghamshire", "greater-manchester", "dyfed-powys")
LABEL = "SYNTHETIC DATA - NOT REAL RECORDS"
HOUSE_STYLES = ("a", "b")

FILES = {
    "crimes": "police_crimes_SYNTHETIC.xlsx",
    "victims": "police_victims_SYNTHETIC.csv",
    "suspects": "police_suspects_SYNTHETIC.csv",
    "nrm_referrals": "nrm_referrals_SYNTHETIC.csv",
    "duty_to_notify": "duty_to_notify_SYNTHETIC.csv",
    "registers": "partnership_registers_SYNTHETIC.xlsx",
}
REGISTER_SHEETS = {"assets": "Assets", "actions": "Actions", "risks": "Risks",
                   "intelligence_gaps": "Intelligence gaps"}
CSV_ENCODINGS = {"victims": "cp1252", "suspects": "utf-8-sig", "nrm_referrals": "utf-8",
                 "duty_to_notify": "utf-8"}

# ---------------------------------------------------------------------------
# Published figures -> the shares used to draw records
# ---------------------------------------------------------------------------

AGES = ("adult", "child", "unknown")
LOCATIONS = ("UK", "Overseas", "UK and overseas", "Unknown")
_LOCATION_MEASURES = {"UK": "uk_only", "Overseas": "overseas_only",
                      "UK and overseas": "uk_and_overseas", "Unknown": "unknown"}
_AGE_SUFFIX = {"adult": "adult", "child": "child", "unknown": "unknown_age"}

# Fallbacks, used only where the reference files publish no figure (roughly the
# Home Office NRM end-of-year bulletins for 2021-2023).
FALLBACK_AGE_SPLIT = {"adult": 0.52, "child": 0.43, "unknown": 0.05}
FALLBACK_MALE_SHARE = 0.77
FALLBACK_LOCATION = {"UK": 0.55, "Overseas": 0.30, "UK and overseas": 0.12, "Unknown": 0.03}
FALLBACK_TOP_NATIONALITIES = {"UK": 0.25, "Albania": 0.24, "Eritrea": 0.06, "Sudan": 0.05, "Vietnam": 0.05}
FALLBACK_UK_SHARE_POLICE = 0.45  # police-made referrals are about half UK nationals
FALLBACK_RG_POSITIVE = 0.85
FALLBACK_CG_POSITIVE = 0.88
FALLBACK_DTN_PER_REFERRAL = 0.27
FALLBACK_FIRST_RESPONDER = {"government_agency": 0.50, "local_authority": 0.23, "police": 0.22,
                            "ngo_and_third_sector": 0.05}
FALLBACK_COUNTY_LINES_SHARE = 0.15  # share of all referrals flagged county lines (2020 bulletin)

# Smaller nationalities, as shares of all referrals (not published in the
# reference files; typical of the bulletins' longer nationality tables).
TAIL_NATIONALITIES = {
    "Romania": 0.030, "Iran": 0.025, "Iraq": 0.025, "Afghanistan": 0.022, "Poland": 0.015,
    "China": 0.015, "Nigeria": 0.015, "India": 0.015, "Egypt": 0.010, "Lithuania": 0.008,
    "Slovakia": 0.008, "Hungary": 0.008, "Brazil": 0.005, "Philippines": 0.006,
}

# Exploitation type combinations by age, as shares of referrals. Single-type
# labour (adults) and criminal (children) are replaced by the published shares
# where available; the rest follows the bulletins' usual pattern: adults mostly
# labour, children mostly criminal, sexual about a sixth, more female.
ADULT_MIX = {
    ("labour",): 0.34, ("criminal",): 0.16, ("sexual",): 0.15, ("labour", "criminal"): 0.09,
    ("sexual", "labour"): 0.04, ("domestic servitude",): 0.04, ("labour", "domestic servitude"): 0.03,
    ("sexual", "domestic servitude"): 0.01, ("organ harvesting",): 0.002, ("unknown",): 0.118,
}
CHILD_MIX = {
    ("criminal",): 0.48, ("sexual",): 0.10, ("sexual", "criminal"): 0.05, ("labour",): 0.05,
    ("labour", "criminal"): 0.08, ("domestic servitude",): 0.015, ("organ harvesting",): 0.001,
    ("unknown",): 0.224,
}
# Female shares within sexual exploitation and domestic servitude (not in the
# reference files; most such referrals are of women and girls). Other types'
# female share is then solved so the overall male share matches the bulletins.
FEMALE_SHARE_SEXUAL = 0.80
FEMALE_SHARE_DOMESTIC = 0.60


@dataclass(frozen=True)
class Profile:
    """Shares drawn on when generating records."""
    age_split: dict
    location_by_age: dict
    male_share: float
    nationality: dict
    uk_share_police: float
    rg_positive: dict  # (year, age) -> share of RG decisions that are positive
    cg_positive: dict
    dtn_per_referral: float
    first_responder: dict
    mix_by_age: dict
    county_lines_child: float  # share of child criminal cases flagged county lines
    county_lines_adult: float
    female_share_other: float  # female share outside sexual / domestic servitude


def _normalised(weights: dict) -> dict:
    total = sum(weights.values())
    return {k: v / total for k, v in weights.items()}


@lru_cache(maxsize=1)
def _national() -> pd.DataFrame:
    table = reference.national_figures()
    return table.drop_duplicates(["period", "measure"])


def _annual(measure: str, column: str = "value") -> dict[int, float]:
    table = _national()
    rows = table[(table["measure"] == measure) & (table["period"] == table["year"])].dropna(subset=[column])
    return {int(y): float(v) for y, v in zip(rows["year"], rows[column])}


def _quarterly_sum(measure: str, years) -> float:
    table = _national()
    rows = table[(table["measure"] == measure) & (table["period"].str.contains("-Q"))
                 & table["year"].astype(int).isin(years)]
    return float(rows["value"].sum())


def _window(available, years) -> list[int]:
    """Years of the window that publish a figure, else the latest year that does."""
    inside = [y for y in years if y in available]
    return inside or sorted(available)[-1:]


def _pooled_ratio(numerator: str, denominators: list[str], years, fallback: float) -> float:
    num = _annual(numerator)
    dens = [_annual(d) for d in denominators]
    common = set(num).intersection(*dens) if dens else set(num)
    if not common:
        return fallback
    use = _window(common, years)
    total = sum(d[y] for d in dens for y in use)
    return sum(num[y] for y in use) / total if total else fallback


def _latest_percent(measure: str, years, fallback: float) -> float:
    shares = _annual(measure, column="percent")
    if not shares:
        return fallback
    use = _window(shares, years)
    return float(np.mean([shares[y] for y in use])) / 100


def _age_and_location(years) -> tuple[dict, dict]:
    counts = {(loc, age): _quarterly_sum(f"location:{_LOCATION_MEASURES[loc]}:{_AGE_SUFFIX[age]}", years)
              for loc in LOCATIONS for age in AGES}
    by_age = {age: sum(counts[(loc, age)] for loc in LOCATIONS) for age in AGES}
    if sum(by_age.values()) == 0:
        return FALLBACK_AGE_SPLIT, {age: FALLBACK_LOCATION for age in AGES}
    location = {}
    for age in AGES:
        shares = {loc: counts[(loc, age)] + 1 for loc in LOCATIONS}  # +1 keeps every option possible
        location[age] = _normalised(shares)
    return _normalised(by_age), location


def _nationalities(years) -> dict:
    shares = {}
    for country, fallback in FALLBACK_TOP_NATIONALITIES.items():
        shares[country] = _pooled_ratio(f"nationality:{country}", ["total_referrals"], years, fallback)
    return _normalised({**shares, **TAIL_NATIONALITIES})


def _uk_share_police() -> float:
    table = reference.force_referrals()
    total = table[table["police_force"].str.startswith("Police total")]
    made = total.loc[total["measure"] == "referrals_made", "value"].sum()
    uk = total.loc[total["measure"] == "referrals_made:nationality:UK", "value"].sum()
    return float(uk / made) if made else FALLBACK_UK_SHARE_POLICE


def _decision_rates(kind: str, years, fallback: float) -> dict:
    rates = {}
    for age in AGES:
        suffix = _AGE_SUFFIX[age]
        positive, decided = _annual(f"{kind}_positive:{suffix}"), _annual(f"{kind}_decisions:{suffix}")
        pooled = _pooled_ratio(f"{kind}_positive:{suffix}", [f"{kind}_decisions:{suffix}"], years, fallback)
        for year in years:
            known = year in positive and decided.get(year)
            rates[(year, age)] = positive[year] / decided[year] if known else pooled
    return rates


def _first_responders(years) -> dict:
    kinds = FALLBACK_FIRST_RESPONDER
    counts = {k: _quarterly_sum(f"first_responder_type:{k}", years) for k in kinds}
    if sum(counts.values()) == 0:
        counts = {k: _quarterly_sum(f"first_responder_type:{k}", range(2000, 2100)) for k in kinds}
    return _normalised(counts) if sum(counts.values()) else kinds


def _anchored(mix: dict, key: tuple, share: float) -> dict:
    """Set one combination to a published share, rescaling the others."""
    rest = _normalised({k: v for k, v in mix.items() if k != key})
    return {key: share, **{k: v * (1 - share) for k, v in rest.items()}}


def _share_with(mix: dict, kind: str) -> float:
    return sum(v for k, v in mix.items() if kind in k)


def build_profile(years) -> Profile:
    years = tuple(int(y) for y in years)
    age_split, location = _age_and_location(years)
    adult = _anchored(ADULT_MIX, ("labour",), _latest_percent("exploitation:labour:adult", years, 0.34))
    child = _anchored(CHILD_MIX, ("criminal",), _latest_percent("exploitation:criminal:child", years, 0.48))
    combos = list(dict.fromkeys([*adult, *child]))  # ordered: a set's order changes between runs
    unknown = _normalised({k: adult.get(k, 0) + child.get(k, 0) for k in combos})
    mixes = {"adult": adult, "child": child, "unknown": unknown}
    # Solve the child county-lines rate so the overall flagged share matches the
    # bulletin; adults are flagged a quarter as often as children.
    target = _latest_percent("county_lines_flagged", years, FALLBACK_COUNTY_LINES_SHARE)
    criminal = age_split["child"] * _share_with(child, "criminal") \
        + age_split["adult"] * _share_with(adult, "criminal") / 4
    cl_child = float(np.clip(target / criminal, 0.2, 0.8)) if criminal else 0.5
    male = _pooled_ratio("male", ["male", "female"], years, FALLBACK_MALE_SHARE)
    overall = {k: sum(age_split[a] * mixes[a].get(k, 0) for a in AGES) for k in combos}
    sexual, domestic = _share_with(overall, "sexual"), _share_with(overall, "domestic servitude")
    female_other = ((1 - male) - FEMALE_SHARE_SEXUAL * sexual - FEMALE_SHARE_DOMESTIC * domestic) \
        / max(1e-9, 1 - sexual - domestic)
    return Profile(
        age_split=age_split, location_by_age=location, male_share=male,
        nationality=_nationalities(years), uk_share_police=_uk_share_police(),
        rg_positive=_decision_rates("reasonable_grounds", years, FALLBACK_RG_POSITIVE),
        cg_positive=_decision_rates("conclusive_grounds", years, FALLBACK_CG_POSITIVE),
        dtn_per_referral=_pooled_ratio("dtn_reports", ["total_referrals"], years, FALLBACK_DTN_PER_REFERRAL),
        first_responder=_first_responders(years), mix_by_age=mixes,
        county_lines_child=cl_child, county_lines_adult=cl_child / 4,
        female_share_other=float(np.clip(female_other, 0.03, 0.3)),
    )


# ---------------------------------------------------------------------------
# Vocabulary: how things get written down
# ---------------------------------------------------------------------------

NATIONALITY_SPELLINGS = {
    "UK": ["British", "UK", "United Kingdom", "BRITISH", "English", "GB"],
    "Albania": ["Albanian", "ALBANIA", "Albania", "albanian"],
    "Vietnam": ["Vietnamese", "Viet Nam", "VIETNAM", "Vietnam"],
    "Eritrea": ["Eritrean", "ERITREA", "Eritrea"],
    "Sudan": ["Sudanese", "SUDAN", "Sudan"],
    "Romania": ["Romanian", "ROMANIA", "Romania"],
    "Poland": ["Polish", "POLAND", "Poland"],
    "China": ["Chinese", "CHINA", "China"],
    "Nigeria": ["Nigerian", "NIGERIA", "Nigeria"],
    "Iran": ["Iranian", "IRAN", "Iran (Islamic Republic of)"],
    "Iraq": ["Iraqi", "IRAQ", "Iraq"],
    "Afghanistan": ["Afghan", "AFGHANISTAN", "Afghanistan"],
    "India": ["Indian", "INDIA", "India"],
    "Egypt": ["Egyptian", "EGYPT"],
    "Lithuania": ["Lithuanian", "LITHUANIA"],
    "Slovakia": ["Slovak", "Slovakian", "SLOVAKIA"],
    "Hungary": ["Hungarian", "HUNGARY"],
    "Brazil": ["Brazilian", "BRAZIL"],
    "Philippines": ["Filipino", "Philippines", "Filipina"],
}
NATIONALITY_TYPOS = {"UK": "Brtish", "Albania": "Albanain", "Vietnam": "Vietnamise", "Eritrea": "Eritria",
                     "Romania": "Romainian", "Sudan": "Sudanise", "Afghanistan": "Afganistan"}
UNKNOWN_NATIONALITY = ["Unknown", "Not known", "NK", ""]

# Who tends to be found where: multiplies the base nationality shares.
NATIONALITY_BOOST = {
    "county lines": {"UK": 12.0},
    "labour": {"Romania": 2.5, "Albania": 1.5, "Poland": 2.5, "Lithuania": 2.5, "Vietnam": 1.5,
               "Slovakia": 2.0, "Hungary": 2.0, "India": 1.5, "Iraq": 1.5, "Iran": 1.5},
    "sexual": {"Romania": 2.5, "Hungary": 2.5, "Nigeria": 2.5, "China": 1.5, "UK": 1.3, "Brazil": 3.0},
    "domestic servitude": {"Philippines": 6.0, "Nigeria": 2.5, "India": 2.5},
    "criminal": {"Vietnam": 2.5, "Albania": 2.0},
}

# Given and family names for nationalities Faker cannot spell in Latin script.
NAME_LISTS = {
    "Albania": (["Arben", "Ardit", "Besnik", "Dritan", "Ermal", "Gëzim", "Klodian", "Erion", "Fatjon", "Mërgim"],
                ["Anisa", "Blerta", "Elira", "Erjona", "Xhesika", "Klea", "Ilirë"],
                ["Hoxha", "Krasniqi", "Gashi", "Berisha", "Shehu", "Kola", "Leka", "Prifti", "Dervishi", "Çela"]),
    "Vietnam": (["Van Minh", "Van Hung", "Van Tuan", "Duc Anh", "Van Long", "Quang Nam", "Van Hai"],
                ["Thi Lan", "Thi Huong", "Thi Mai", "Thi Linh", "Thi Thao", "Ngoc Anh"],
                ["Nguyen", "Tran", "Le", "Pham", "Hoang", "Vu", "Dang", "Bui", "Do"]),
    "Eritrea": (["Yonas", "Tesfay", "Filmon", "Kidane", "Semere", "Dawit", "Robel", "Mebrahtu"],
                ["Senait", "Helen", "Saba", "Lidia", "Selam", "Winta"],
                ["Tekle", "Ghebremedhin", "Haile", "Berhane", "Woldu", "Kahsay", "Gebru"]),
    "Sudan": (["Mohamed", "Ahmed", "Osman", "Abdelrahman", "Ibrahim", "Mustafa", "Hassan"],
              ["Fatima", "Amna", "Hawa", "Maryam", "Samah"],
              ["Abdalla", "Osman", "Mohamed", "Adam", "Ibrahim", "Yousif", "Elhassan"]),
    "Iran": (["Reza", "Amir", "Hossein", "Mehdi", "Ali", "Karim", "Dariush"],
             ["Maryam", "Zahra", "Leila", "Shirin"],
             ["Ahmadi", "Karimi", "Rezaei", "Hosseini", "Mohammadi", "Rahimi"]),
    "Iraq": (["Ahmed", "Karwan", "Rebin", "Hawkar", "Saman", "Omar", "Mustafa"],
             ["Shler", "Nazanin", "Zainab", "Noor"],
             ["Ali", "Hassan", "Aziz", "Kareem", "Rasul", "Mahmood", "Abdullah"]),
    "Afghanistan": (["Ahmad", "Mohammad", "Wahid", "Farid", "Hamid", "Jawed", "Naveed"],
                    ["Farzana", "Mariam", "Nadia", "Parwana"],
                    ["Ahmadzai", "Rahimi", "Noori", "Sultani", "Hakimi", "Popal"]),
    "Egypt": (["Mahmoud", "Mohamed", "Youssef", "Khaled", "Amr"], ["Mona", "Heba", "Nour", "Dina"],
              ["Hassan", "Ibrahim", "Mostafa", "Saad", "Farouk"]),
    "Philippines": (["Jose", "Mark", "Rodel", "Jericho", "Ramon"], ["Maricel", "Joy", "Rowena", "Kristine", "Lorna"],
                    ["Santos", "Reyes", "Cruz", "Bautista", "Dela Cruz", "Mendoza", "Villanueva"]),
}
FAKER_LOCALES = {"UK": "en_GB", "Romania": "ro_RO", "Poland": "pl_PL", "China": "zh_CN", "Nigeria": "en_NG",
                 "India": "en_IN", "Lithuania": "lt_LT", "Slovakia": "sk_SK", "Hungary": "hu_HU",
                 "Brazil": "pt_BR"}
# British nationals are not all of English heritage.
UK_NAME_ORIGINS = {"en_GB": 0.84, "en_IN": 0.06, "en_NG": 0.05, "pl_PL": 0.05}

EXPLOITATION_SPELLINGS = {
    "labour": ["Labour", "Labour exploitation", "LABOUR EXPLOITATION", "labour", "Forced labour",
               "forced labour", "Labor"],
    "criminal": ["Criminal", "Criminal exploitation", "CRIMINAL EXPLOITATION", "criminal exp", "Forced criminality"],
    "county lines": ["Criminal/County Lines", "County Lines", "Criminal - county lines", "CCE (county lines)"],
    "sexual": ["Sexual", "Sexual exploitation", "sexual exp", "SEXUAL EXPLOITATION", "Sexual Exploitation"],
    "domestic servitude": ["Domestic Servitude", "domestic servitude", "Domestic servitude", "DS", "Domestic serv."],
    "organ harvesting": ["Organ harvesting", "Organ Harvesting", "organ removal"],
    "unknown": ["unknown", "Unknown", "Not known", "TBC", "Not recorded"],
}
SEPARATORS = ["; ", ";", ", ", " / ", " & ", " and ", "|"]

SEX_SPELLINGS = {"male": ["M", "Male", "male", "MALE"], "female": ["F", "Female", "female", "FEMALE"],
                 "unknown": ["U", "Unknown", "Not stated"]}
FLAG_SPELLINGS = {True: ["Y", "Yes", "1", "YES"], False: ["N", "No", "0", "NO"]}
AGE_GROUP_SPELLINGS = {"adult": ["Adult", "adult", "ADULT", "18+"], "child": ["Child", "child", "Minor", "Under 18"],
                       "unknown": ["Unknown", "unknown", "Not known"]}
LOCATION_SPELLINGS = {"UK": ["UK", "UK only", "United Kingdom"], "Overseas": ["Overseas", "Overseas only", "Abroad"],
                      "UK and overseas": ["UK and overseas", "UK & Overseas", "Both"],
                      "Unknown": ["Unknown", "Not known"]}
DECISION_SPELLINGS = {"Positive": ["Positive", "positive", "POSITIVE", "Pos"],
                      "Negative": ["Negative", "negative", "NEGATIVE", "Neg"],
                      "Pending": ["Pending", "Awaiting decision", "pending", "Awaiting"]}

SECTORS = {
    "labour": {"car wash": 0.22, "nail bar": 0.12, "agriculture": 0.14, "construction": 0.12, "hospitality": 0.12,
               "food processing": 0.10, "warehouse": 0.06, "factory": 0.06, "cleaning": 0.06},
    "criminal": {"cannabis cultivation": 0.45, "drug supply": 0.20, "shoplifting": 0.12, "begging": 0.13,
                 "benefit fraud": 0.10},
    "county lines": {"county lines - drug supply": 0.9, "drug supply": 0.1},
    "sexual": {"brothel": 0.35, "online adult services": 0.30, "hotel": 0.15, "private residence": 0.20},
    "domestic servitude": {"private household": 1.0},
    "organ harvesting": {"unknown": 1.0},
    "unknown": {"unknown": 1.0},
}
SECTOR_SPELLINGS = {"car wash": ["Car wash", "Hand car wash", "CAR WASH"], "nail bar": ["Nail bar", "Nail salon"],
                    "agriculture": ["Agriculture", "Farm work", "Agriculture/horticulture"],
                    "cannabis cultivation": ["Cannabis cultivation", "Cannabis factory", "cannabis grow"],
                    "county lines - drug supply": ["County lines", "Drug supply (county lines)"],
                    "unknown": ["Unknown", "Not known", ""]}
MULTI_VICTIM_SECTORS = {"car wash", "agriculture", "cannabis cultivation", "brothel", "food processing",
                        "construction", "warehouse", "factory"}

OFFENCES = {
    "slavery": "Modern Slavery Act 2015 s.1 - hold a person in slavery or servitude",
    "forced labour": "Modern Slavery Act 2015 s.1 - require a person to perform forced or compulsory labour",
    "trafficking": "Modern Slavery Act 2015 s.2 - arrange or facilitate travel of another person "
                   "with a view to exploitation",
    "preparatory": "Modern Slavery Act 2015 s.4 - commit offence with intention of committing human trafficking",
}
OFFENCE_BY_TYPE = {
    "labour": {"forced labour": 0.6, "trafficking": 0.3, "slavery": 0.1},
    "criminal": {"forced labour": 0.5, "trafficking": 0.4, "preparatory": 0.1},
    "county lines": {"forced labour": 0.4, "trafficking": 0.6},
    "sexual": {"trafficking": 0.6, "slavery": 0.3, "preparatory": 0.1},
    "domestic servitude": {"slavery": 0.8, "trafficking": 0.2},
    "organ harvesting": {"trafficking": 1.0},
    "unknown": {"forced labour": 0.4, "trafficking": 0.4, "slavery": 0.2},
}
OUTCOMES_FINAL = {
    "Charged/Summonsed": 0.08, "Charged": 0.03,
    "Evidential difficulties - victim does not support action": 0.25,
    "Evidential difficulties - suspect identified, victim supports action": 0.17,
    "Investigation complete - no suspect identified": 0.20, "Transferred to other force": 0.07,
    "Further investigation not in the public interest": 0.04, "NFA": 0.06, "Caution": 0.01,
    "Prosecution prevented - suspect too ill / deceased": 0.01, "Action undertaken by another body": 0.08,
}
OUTCOMES_OPEN = {"Under investigation": 0.7, "Ongoing": 0.2, "Awaiting CPS decision": 0.1}

MO_TEMPLATES = {
    "car wash": "Workers found at a hand car wash in {district} working up to {hours} hours a day. Wages withheld "
                "by controllers to repay a 'debt' for travel to the UK. Living in overcrowded rooms above the site.",
    "nail bar": "Intelligence that staff at a nail bar in {district} were not free to leave; ID documents held by the "
                "owner and pay of about {pay} pounds a week.",
    "agriculture": "Seasonal pickers housed in caravans on a farm in {lad}. Recruitment fees deducted from pay; "
                   "threats made when they asked to leave.",
    "construction": "Labourers recruited through a social media advert and driven daily to building sites across "
                    "{lad}; bank cards controlled by the gangmaster.",
    "hospitality": "Kitchen staff at a takeaway in {district} working seven days a week for food and a bed only.",
    "food processing": "Agency workers at a food factory in {lad}; wages paid into accounts controlled by a "
                       "third party.",
    "warehouse": "Workers placed at a distribution warehouse near {district} by an unlicensed agency; wages "
                 "taken as 'rent' and 'transport'.",
    "factory": "Workers at a textile unit in {district} paid well below minimum wage and sleeping on site.",
    "cleaning": "Cleaners moved between offices in {lad} at night; passports held by the supervisor.",
    "cannabis cultivation": "Cannabis grow found at a residential address in {district} ({plants} plants). Occupant "
                            "locked in; said he was brought to the UK in a lorry and owed money.",
    "county lines - drug supply": "Young person found at an address in {district} with wraps of crack cocaine and a "
                                  "deal line phone. Line believed to run into {lad} from a neighbouring city. "
                                  "Address belongs to a vulnerable adult (suspected cuckooing).",
    "drug supply": "Vulnerable person's flat in {district} taken over to deal drugs; occupant threatened and "
                   "made to hold drugs.",
    "shoplifting": "Group transported into {lad} town centres to shoplift to order; goods collected by a handler.",
    "begging": "Adults dropped off to beg in {district} each morning; money collected by a handler each evening.",
    "benefit fraud": "Victims' identities used to claim benefits; bank cards held by the suspects in {lad}.",
    "brothel": "Pop-up brothel in a short-let flat in {district}; women moved between towns every few days, "
               "adverts placed by a third party.",
    "online adult services": "Victim advertised on an adult services website; controller arranged bookings in "
                             "{lad} and kept the earnings.",
    "hotel": "Victim taken to hotels in {lad} to meet buyers arranged online; controller held her phone.",
    "private residence": "Victim groomed online then taken to addresses in {district} and sexually exploited in "
                         "exchange for drugs and alcohol.",
    "private household": "Live-in domestic worker at a house in {district}; not allowed out alone, unpaid, passport "
                         "held by the employer.",
    "unknown": "Report from a partner agency of possible exploitation in {lad}; details limited, enquiries ongoing.",
}

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
EXCEL_EPOCH = dt.date(1899, 12, 30)

# Approximate (lowest, highest) district numbers of each postcode area, so that
# made-up districts look plausible; not authoritative. Default (1, 20).
POSTCODE_DISTRICT_RANGES = dict(
    (area, tuple(int(n) for n in span.split("-")))
    for area, span in (item.split(":") for item in """
    AL:1-10 B:1-79 BA:1-22 BB:1-18 BD:1-24 BH:1-31 BL:1-9 BN:1-45 BR:1-8 BS:1-49 CA:1-28 CB:1-25 CF:3-83
    CH:1-66 CM:1-24 CO:1-16 CR:1-8 CT:1-21 CV:1-47 CW:1-12 DA:1-18 DE:1-75 DL:1-17 DN:1-41 DT:1-11 DY:1-14
    E:1-18 EC:1-4 EN:1-11 EX:1-39 FY:1-8 GL:1-56 GU:1-52 HA:1-9 HD:1-9 HG:1-5 HP:1-27 HR:1-9 HU:1-20 HX:1-7
    IG:1-11 IP:1-33 KT:1-24 L:1-75 LA:1-23 LD:1-8 LE:1-67 LL:11-78 LN:1-13 LS:1-29 LU:1-7 M:1-50 ME:1-20
    MK:1-46 N:1-22 NE:1-71 NG:1-34 NN:1-29 NP:4-44 NR:1-35 NW:1-11 OL:1-16 OX:1-49 PE:1-38 PL:1-35 PO:1-41
    PR:1-26 RG:1-45 RH:1-20 RM:1-20 S:1-81 SA:1-73 SE:1-28 SG:1-19 SK:1-23 SL:1-9 SM:1-7 SN:1-26 SO:14-53
    SR:1-8 SS:1-17 ST:1-21 SW:1-20 SY:1-25 TA:1-24 TF:1-13 TN:1-40 TQ:1-14 TR:1-27 TS:1-29 TW:1-20 UB:1-11
    W:1-14 WA:1-16 WD:3-25 WF:1-17 WN:1-8 WR:1-15 WS:1-15 WV:1-16 YO:1-62
    AB:10-56 DD:1-11 DG:1-16 EH:1-55 FK:1-21 G:1-84 HS:1-9 IV:1-63 KA:1-30 KW:1-17 KY:1-16 ML:1-12
    PA:1-80 PH:1-50 TD:1-15 ZE:1-3 BT:1-94""".split()))
# Every Northern Ireland postcode is in the BT area. The reference file leaves NI's
# districts without a postcode area (the GeoLytix boundaries cover Great Britain
# only); the records still carry BT districts, as a real extract would.
NORTHERN_IRELAND_POSTCODE_AREA = "BT"
# British Transport Police has no resident population. Its records are scaled as if it
# were a territorial force referring to the NRM at the England and Wales rate: population
# equivalent = its published NRM referrals / E&W forces' referrals per resident, over the
# latest four published quarters (2023: 64 referrals at 5.94 per 100,000, about 1.08
# million). FALLBACK_POPULATION applies to a force with neither figure.
FALLBACK_POPULATION = 1_000_000
# The Duty to Notify (section 52, Modern Slavery Act 2015) binds specified public
# authorities in England and Wales only: no reports in Scotland or Northern Ireland.
DUTY_TO_NOTIFY_DISTRICT_PREFIXES = ("E", "W")

# Ofcom reserves these ranges for drama, so no real line can be reached.
FICTIONAL_PHONE_PREFIXES = ("07700 900", "01632 960")


# ---------------------------------------------------------------------------
# Geography: the force's districts and plausible postcode districts
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Lad:
    code: str
    name: str
    population: int
    postcode_area: str
    districts: tuple[int, ...]


@lru_cache(maxsize=1)
def _postcode_areas() -> pd.DataFrame:
    """lad_code, postcode_area, lad_name, population of every UK district (population: mid-2023 E&W,
    mid-2022 Scotland and NI); Northern Ireland's districts get BT."""
    areas = pd.read_csv(REFERENCE_DIR / "lad_postcode_area.csv", dtype=str, keep_default_na=False)
    northern_ireland = areas["lad_code"].str.startswith("N") & (areas["postcode_area"] == "")
    areas.loc[northern_ireland, "postcode_area"] = NORTHERN_IRELAND_POSTCODE_AREA
    pops = reference.lad_population()[["lad_code", "lad_name", "population"]]
    return areas.merge(pops, on="lad_code", how="left").fillna({"population": 0})


@lru_cache(maxsize=None)
def _area_district_numbers(area: str) -> dict[str, tuple[int, ...]]:
    areas = _postcode_areas()
    return _district_numbers(areas[areas["postcode_area"] == area], area)


def _district_numbers(area_lads: pd.DataFrame, area: str) -> dict[str, tuple[int, ...]]:
    """Split the area's district numbers among its LADs, lowest numbers to the most populous."""
    low, high = POSTCODE_DISTRICT_RANGES.get(area, (1, 20))
    ordered = area_lads.sort_values(["population", "lad_code"], ascending=[False, True])
    shares = ordered["population"].to_numpy(float)
    shares = shares / shares.sum() if shares.sum() else np.full(len(shares), 1 / len(shares))
    bounds = np.round(np.cumsum(shares) * (high - low + 1)).astype(int)
    numbers, start = {}, low
    for code, bound in zip(ordered["lad_code"], bounds):
        end = max(start, low + bound - 1)
        numbers[code] = tuple(range(min(start, high), min(end, high) + 1))
        start = end + 1
    return numbers


def force_lads(force: Force) -> list[Lad]:
    """The force's districts (pplib.reference.published.force_districts; BTP: all of Great Britain), by code."""
    codes = sorted(set(reference.force_districts(force.code)["lad_code"]))
    if not codes:
        raise ValueError(f"{force.name}: no local authority districts in the reference data "
                         "(pplib.reference.published.districts)")
    areas = _postcode_areas().set_index("lad_code")
    lads = []
    for code in codes:
        row = areas.loc[code]
        numbers = _area_district_numbers(row["postcode_area"])
        lads.append(Lad(code, row["lad_name"], int(row["population"]), row["postcode_area"], numbers[code]))
    return lads


def equivalent_population(force: Force) -> int:
    """The force's population; for one without (BTP), the population it would police if it referred
    to the NRM at the England and Wales forces' rate (see FALLBACK_POPULATION above)."""
    if force.population:
        return force.population
    table = reference.force_referrals()
    made = table[(table["measure"] == "referrals_made") & table["value"].notna()]
    made = made[made["period"].isin(sorted(made["period"].unique())[-4:])]
    territorial = {f.code: f.population for f in england_and_wales()}
    ew_referrals = made.loc[made["force_code"].isin(territorial), "value"].sum()
    own = made.loc[made["force_code"] == force.code, "value"].sum()
    if not own or not ew_referrals:
        return FALLBACK_POPULATION
    return int(round(own / ew_referrals * sum(territorial.values())))


# ---------------------------------------------------------------------------
# Random helpers (all draws go through one numpy Generator)
# ---------------------------------------------------------------------------

class Draw:
    """Seeded random choices; Faker instances are seeded from the same seed."""

    def __init__(self, seed: int):
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self._fakers: dict[str, Faker] = {}

    def faker(self, locale: str) -> Faker:
        if locale not in self._fakers:
            fake = Faker(locale)
            fake.seed_instance(self.seed ^ zlib.crc32(locale.encode()))
            self._fakers[locale] = fake
        return self._fakers[locale]

    def chance(self, p: float) -> bool:
        return bool(self.rng.random() < p)

    def pick(self, options):
        """One of a list (first entries likelier) or of a dict of weights."""
        if isinstance(options, dict):
            keys = list(options)
            weights = np.array([options[k] for k in keys], float)
            return keys[int(self.rng.choice(len(keys), p=weights / weights.sum()))]
        options = list(options)
        weights = np.array([6.0, 2.0] + [1.0] * max(0, len(options) - 2))[:len(options)]
        return options[int(self.rng.choice(len(options), p=weights / weights.sum()))]

    def uniform_pick(self, options):
        options = list(options)
        return options[int(self.rng.integers(len(options)))]

    def integer(self, low: int, high: int) -> int:
        """Inclusive of both ends."""
        return int(self.rng.integers(low, high + 1))

    def date_in(self, start: dt.date, end: dt.date) -> dt.date:
        return start + dt.timedelta(days=self.integer(0, (end - start).days))


def _cp1252_safe(text: str) -> str:
    """Keep the letters Windows-1252 has (é, ñ, ë, ç...), strip accents from those it lacks (ł, ș, ă)."""
    out = []
    for ch in text.replace("ł", "l").replace("Ł", "L").replace("đ", "d").replace("Đ", "D"):
        try:
            ch.encode("cp1252")
            out.append(ch)
        except UnicodeEncodeError:
            out.append(unicodedata.normalize("NFKD", ch).encode("cp1252", "ignore").decode("cp1252"))
    return "".join(out)


# ---------------------------------------------------------------------------
# Mess: rendering clean values the way a careless extract writes them
# ---------------------------------------------------------------------------

def messy_date(draw: Draw, day: dt.date | None, serials: bool = True) -> str:
    if day is None:
        return ""
    style = draw.pick({"dmy": 0.45, "dmy_short": 0.15, "iso": 0.15, "d_mon_y": 0.12, "stamp": 0.06,
                       "serial": 0.07 if serials else 0})
    if style == "dmy":
        return f"{day:%d/%m/%Y}"
    if style == "dmy_short":
        return f"{day.day}/{day.month}/{day:%y}"
    if style == "iso":
        return day.isoformat()
    if style == "d_mon_y":
        return f"{day.day:02d}-{MONTHS[day.month - 1]}-{day.year}"
    if style == "stamp":
        return f"{day:%d/%m/%Y} {draw.integer(0, 23):02d}:{draw.integer(0, 59):02d}"
    return str((day - EXCEL_EPOCH).days)  # an Excel serial number saved as text


def messy_sex(draw: Draw, sex: str) -> str:
    return "" if draw.chance(0.03) else draw.pick(SEX_SPELLINGS[sex])


def messy_nationality(draw: Draw, country: str | None, welsh: bool = False) -> str:
    if country is None or draw.chance(0.03):
        return draw.pick(UNKNOWN_NATIONALITY)
    if country in NATIONALITY_TYPOS and draw.chance(0.01):
        return NATIONALITY_TYPOS[country]
    spellings = list(NATIONALITY_SPELLINGS[country])
    if country == "UK" and welsh:
        spellings.insert(2, "Welsh")
    return draw.pick(spellings)


def messy_exploitation(draw: Draw, types: tuple[str, ...], county_lines: bool, child: bool) -> str:
    if draw.chance(0.04):
        return ""
    words = []
    for kind in types:
        key = "county lines" if kind == "criminal" and county_lines else kind
        spellings = EXPLOITATION_SPELLINGS[key] + (["CSE"] if kind == "sexual" and child else [])
        words.append(draw.pick(spellings))
    text = draw.pick(SEPARATORS).join(words)
    casing = draw.pick({"as is": 0.85, "upper": 0.1, "lower": 0.05})
    return text.upper() if casing == "upper" else text.lower() if casing == "lower" else text


def messy_flag(draw: Draw, flag: bool) -> str:
    return "" if draw.chance(0.08 if flag else 0.25) else draw.pick(FLAG_SPELLINGS[flag])


def blank_some(draw: Draw, value, share: float = 0.07):
    return "" if draw.chance(share) else value


# ---------------------------------------------------------------------------
# People
# ---------------------------------------------------------------------------

def _given_and_family(draw: Draw, country: str, sex: str) -> tuple[str, str]:
    if sex not in ("male", "female"):
        sex = draw.uniform_pick(["male", "female"])
    if country in NAME_LISTS:
        males, females, families = NAME_LISTS[country]
        return draw.uniform_pick(males if sex == "male" else females), draw.uniform_pick(families)
    locale = FAKER_LOCALES.get(country, "en_GB")
    if country == "UK":
        locale = draw.pick(UK_NAME_ORIGINS)
    fake = draw.faker(locale)
    if locale == "zh_CN":
        return fake.first_romanized_name(), fake.last_romanized_name()
    given = fake.first_name_male() if sex == "male" else fake.first_name_female()
    return given, fake.last_name()


def person_name(draw: Draw, country: str | None, sex: str, style: str, avoid: frozenset[str] = frozenset()) -> str:
    """A name no part of which, as the partner edition's case-study screen reads it (pplib.measures.focus), is a
    word the locality's case studies write (a place such as Preston): the edition would refuse them."""
    while True:
        given, family = _given_and_family(draw, country or "UK", sex)
        name = f"{family.upper()}, {given}" if style == "b" else f"{given} {family}"
        if not name_parts(name) & avoid:
            return name


def _pick_nationality(draw: Draw, base: dict, boosts: list[str]) -> str:
    weights = dict(base)
    for key in boosts:
        for country, factor in NATIONALITY_BOOST.get(key, {}).items():
            weights[country] = weights.get(country, 0) * factor
    return draw.pick(weights)


def _boost_keys(types: tuple[str, ...], county_lines: bool) -> list[str]:
    return [("county lines" if t == "criminal" and county_lines else t) for t in types]


def _pick_sex(draw: Draw, profile: Profile, types: tuple[str, ...]) -> str:
    if draw.chance(0.02):
        return "unknown"
    female = FEMALE_SHARE_SEXUAL if "sexual" in types else \
        FEMALE_SHARE_DOMESTIC if "domestic servitude" in types else profile.female_share_other
    return "female" if draw.chance(female) else "male"


def _pick_age(draw: Draw, age_group: str, county_lines: bool) -> int | None:
    if age_group == "child":
        return draw.pick({17: 0.3, 16: 0.3, 15: 0.2, 14: 0.12, 13: 0.05, 12: 0.03}) if county_lines \
            else draw.integer(11, 17)
    if age_group == "adult":
        return int(np.clip(round(draw.rng.triangular(18, 27, 62)), 18, 70))
    return None


def _date_of_birth(draw: Draw, age: int, on: dt.date) -> dt.date:
    """A date of birth giving exactly `age` on `on`: the last birthday fell 1-364 days before."""
    last_birthday = on - dt.timedelta(days=draw.integer(1, 364))
    day = 28 if (last_birthday.month, last_birthday.day) == (2, 29) else last_birthday.day
    return dt.date(last_birthday.year - age, last_birthday.month, day)


def _age_on(dob: dt.date, on: dt.date) -> int:
    return on.year - dob.year - ((on.month, on.day) < (dob.month, dob.day))


def _fictional_phone(draw: Draw) -> str:
    return f"{draw.uniform_pick(FICTIONAL_PHONE_PREFIXES)}{draw.integer(0, 999):03d}"


def _fictional_address(draw: Draw, district: str) -> str:
    street = draw.faker("en_GB").last_name()
    road = draw.uniform_pick(["Road", "Street", "Close", "Avenue", "Lane", "Terrace"])
    letters = "ABDEFGHJLNPQRSTUWXYZ"  # those used in the inward half of a postcode
    inward = f"{draw.integer(1, 9)}{draw.uniform_pick(letters)}{draw.uniform_pick(letters)}"
    return f"{draw.integer(1, 180)} {street} {road}, {district} {inward}"


# ---------------------------------------------------------------------------
# Clean records ("truth"), one dict per row with canonical keys
# ---------------------------------------------------------------------------

@dataclass
class Context:
    force: Force
    lads: list[Lad]
    years: tuple[int, ...]
    profile: Profile
    style: str
    draw: Draw
    abbreviation: str

    @cached_property
    def case_study_words(self) -> frozenset[str]:
        """The capitalised words of the case studies written for this locality (see write_case_studies)."""
        return frozenset(capitalised_words(" ".join(_case_study_texts(self).values())))

    @property
    def welsh(self) -> bool:
        return self.force.country == "Wales"

    @property
    def duty_to_notify_lads(self) -> list[Lad]:
        """The districts where the Duty to Notify applies (England and Wales); none in Scotland or NI."""
        return [lad for lad in self.lads if lad.code.startswith(DUTY_TO_NOTIFY_DISTRICT_PREFIXES)]

    @property
    def extract_date(self) -> dt.date:
        return dt.date(self.years[-1] + 1, 1, 5)


def _year_weights(draw: Draw, years) -> list[float]:
    """A rise year on year, as recorded modern slavery has shown since 2015."""
    rise = draw.rng.uniform(0.08, 0.2)
    return [(1 + rise) ** i for i in range(len(years))]


def crimes_per_year(ctx: Context) -> list[int]:
    """Roughly 8-12 recorded crimes per 100,000 residents a year."""
    rate = ctx.draw.rng.uniform(9.0, 11.5)
    weights = _year_weights(ctx.draw, ctx.years)
    mean_weight = sum(weights) / len(weights)
    base = equivalent_population(ctx.force) / 100_000 * rate
    return [int(ctx.draw.rng.poisson(base * w / mean_weight)) for w in weights]


def _pick_lad(ctx: Context, lads: list[Lad] | None = None) -> Lad:
    return ctx.draw.pick({lad: max(lad.population, 1) for lad in (ctx.lads if lads is None else lads)})


def _postcode_district(ctx: Context, lad: Lad) -> str:
    return f"{lad.postcode_area}{ctx.draw.uniform_pick(lad.districts)}"


def _pick_case(ctx: Context, age_group: str, unknown_weight: float = 1.0) -> tuple[tuple[str, ...], bool]:
    mix = dict(ctx.profile.mix_by_age[age_group])
    mix[("unknown",)] *= unknown_weight
    types = ctx.draw.pick(mix)
    rate = ctx.profile.county_lines_child if age_group == "child" else ctx.profile.county_lines_adult
    return types, "criminal" in types and ctx.draw.chance(rate)


def _outcome(ctx: Context, recorded: dt.date) -> str:
    days_open = (ctx.extract_date - recorded).days
    still_open = ctx.draw.chance(0.75 if days_open < 120 else 0.35 if days_open < 365 else 0.08)
    return ctx.draw.pick(OUTCOMES_OPEN if still_open else OUTCOMES_FINAL)


def _mo_text(ctx: Context, sector: str, lad: Lad, district: str) -> str:
    template = MO_TEMPLATES.get(sector, MO_TEMPLATES["unknown"])
    return template.format(district=district or lad.name, lad=lad.name, hours=ctx.draw.integer(10, 14),
                           pay=ctx.draw.integer(3, 12) * 10, plants=ctx.draw.integer(40, 600))


def _plant_personal_data(ctx: Context, mo: str, victim: dict, district: str) -> str:
    """Careless extracts leak names, numbers and addresses into free text; tests check they never escape."""
    kind = ctx.draw.pick({"name": 0.4, "phone": 0.3, "address": 0.3})
    if kind == "name":
        return f"{mo} Victim {victim['victim_name']} (DOB {victim['date_of_birth'] or 'unknown'}) spoken to."
    if kind == "phone":
        return f"{mo} Informant can be reached on {_fictional_phone(ctx.draw)}."
    return f"{mo} Premises at {_fictional_address(ctx.draw, district)}."


def _crime_ref(ctx: Context, year: int, number: int) -> str:
    if ctx.style == "a":
        return f"{ctx.abbreviation}/{number:05d}/{year % 100:02d}"
    return f"{year % 100:02d}{ctx.abbreviation}{number:06d}"


def _crime_numbers(ctx: Context, year: int, count: int) -> list[int]:
    """Crime numbers rise through the year, with all other crime types in between."""
    space = max(count * 40, 1000)
    return sorted(int(n) for n in ctx.draw.rng.choice(np.arange(1, space), size=count, replace=False))


def _victim(ctx: Context, ref: str, age_group: str, types, county_lines: bool, committed: dt.date,
            nationality_base: dict) -> dict:
    draw = ctx.draw
    boosts = _boost_keys(types, county_lines)
    country = None if draw.chance(0.02) else _pick_nationality(draw, nationality_base, boosts)
    sex = _pick_sex(draw, ctx.profile, types)
    age = _pick_age(draw, age_group, county_lines)
    dob = _date_of_birth(draw, age, committed) if age is not None else None
    return {"crime_ref": ref, "victim_id": f"{'P' if ctx.style == 'a' else 'NOM'}{draw.integer(1_000_000, 9_999_999)}",
            "victim_name": person_name(draw, country, sex, ctx.style, ctx.case_study_words), "date_of_birth": dob,
            "age": _age_on(dob, committed) if dob else None, "sex": sex, "nationality": country,
            "role": "Victim"}


def _suspect(ctx: Context, ref: str, victim_country: str | None, county_lines: bool) -> dict:
    draw = ctx.draw
    if victim_country and draw.chance(0.5):
        country = victim_country
    else:
        country = "UK" if draw.chance(0.55) else draw.pick(ctx.profile.nationality)
    sex = "male" if draw.chance(0.85) else "female"
    age = draw.integer(16, 30) if county_lines else int(np.clip(round(draw.rng.triangular(17, 32, 65)), 17, 70))
    return {"crime_ref": ref, "suspect_id": f"{'P' if ctx.style == 'a' else 'NOM'}{draw.integer(1_000_000, 9_999_999)}",
            "suspect_name": person_name(draw, country, sex, ctx.style, ctx.case_study_words), "age": age, "sex": sex,
            "nationality": country, "arrested": draw.pick(["Y", "N"])}


def _victim_nationalities(profile: Profile) -> dict:
    """Police-recorded victims: the UK share of police-made referrals, others as nationally."""
    others = _normalised({k: v for k, v in profile.nationality.items() if k != "UK"})
    return {"UK": profile.uk_share_police, **{k: v * (1 - profile.uk_share_police) for k, v in others.items()}}


def make_crimes(ctx: Context) -> tuple[list[dict], list[dict], list[dict]]:
    """Crimes, with their victims and suspects (clean, before duplicates and mess)."""
    draw, crimes, victims, suspects = ctx.draw, [], [], []
    nationality_base = _victim_nationalities(ctx.profile)
    for year, count in zip(ctx.years, crimes_per_year(ctx)):
        recorded_dates = sorted(draw.date_in(dt.date(year, 1, 1), dt.date(year, 12, 31)) for _ in range(count))
        for recorded, number in zip(recorded_dates, _crime_numbers(ctx, year, count)):
            crime, crime_victims = _crime(ctx, year, recorded, number, nationality_base)
            crimes.append(crime)
            victims.extend(crime_victims)
            suspect_count = draw.pick({0: 0.28, 1: 0.34, 2: 0.2, 3: 0.11, 4: 0.07})
            suspects.extend(_suspect(ctx, crime["crime_ref"], crime_victims[0]["nationality"], crime["county_lines"])
                            for _ in range(suspect_count))
    return crimes, victims, suspects


def _crime(ctx: Context, year: int, recorded: dt.date, number: int, nationality_base: dict):
    draw = ctx.draw
    age_group = draw.pick(ctx.profile.age_split)
    # An investigating officer usually knows the type, unlike many NRM forms.
    types, county_lines = _pick_case(ctx, age_group, unknown_weight=0.35)
    primary = "county lines" if county_lines else types[0]
    sector = draw.pick(SECTORS[primary])
    lad = _pick_lad(ctx)
    district = _postcode_district(ctx, lad)
    lag = int(draw.rng.exponential(45 if primary != "labour" else 120))
    committed = recorded - dt.timedelta(days=lag)
    ref = _crime_ref(ctx, year, number)
    victim_count = draw.pick({1: 0.55, 2: 0.25, 3: 0.2} if sector in MULTI_VICTIM_SECTORS
                             else {1: 0.85, 2: 0.1, 3: 0.05})
    crime_victims = [_victim(ctx, ref, age_group, types, county_lines, committed, nationality_base)
                     for _ in range(victim_count)]
    mo = _mo_text(ctx, sector, lad, district)
    if draw.chance(0.05):
        mo = _plant_personal_data(ctx, mo, crime_victims[0], district)
    crime = {"crime_ref": ref, "date_committed": committed, "date_recorded": recorded,
             "offence": OFFENCES[draw.pick(OFFENCE_BY_TYPE[primary])], "types": types, "age_group": age_group,
             "county_lines": county_lines, "lad_code": lad.code, "lad_name": lad.name,
             "postcode_district": district, "beat": _beat(ctx, lad), "sector": sector,
             "outcome": _outcome(ctx, recorded), "mo_text": mo, "oic": f"PC {draw.integer(1000, 9999)}"}
    return crime, crime_victims


def _beat(ctx: Context, lad: Lad) -> str:
    if ctx.style == "a":
        return f"{lad.name} {ctx.draw.uniform_pick(['Central', 'North', 'South', 'East', 'West'])}"
    return f"{ctx.abbreviation}-{lad.name[:3].upper()}{ctx.draw.integer(1, 12):02d}"


def _referral_dates(ctx: Context, total: int) -> list[dt.date]:
    weights = _year_weights(ctx.draw, ctx.years)
    years = [ctx.draw.pick(dict(zip(ctx.years, weights))) for _ in range(total)]
    return sorted(ctx.draw.date_in(dt.date(y, 1, 1), dt.date(y, 12, 31)) for y in years)


def _first_responder(ctx: Context, kind: str, lads: list[Lad] | None = None) -> str:
    lad = _pick_lad(ctx, lads)
    names = {
        "police": [ctx.force.force_name, "Police", ctx.force.force_name.upper(), "British Transport Police"],
        "local_authority": [f"{lad.name} Council", "Children's Services", "Adult Social Care",
                            f"{lad.name} Council - Housing"],
        "government_agency": ["Home Office - UKVI", "Immigration Enforcement", "UK Visas and Immigration",
                              "Border Force", "Home Office"],
        "ngo_and_third_sector": ["Salvation Army", "Barnardo's", "Migrant Help", "NGO", "Local charity"],
    }[kind]
    return ctx.draw.pick(names)


def _decisions(ctx: Context, referred: dt.date, age_group: str) -> tuple[str, str]:
    draw = ctx.draw
    days = (ctx.extract_date - referred).days
    if days < 10 or draw.chance(0.03):
        return "Pending", ""
    positive = ctx.profile.rg_positive.get((referred.year, age_group), FALLBACK_RG_POSITIVE)
    if not draw.chance(positive):
        return "Negative", ""
    # Conclusive grounds decisions take many months; recent referrals mostly still wait.
    if not draw.chance(min(0.85, days / 900)):
        return "Positive", "Pending"
    cg = ctx.profile.cg_positive.get((referred.year, age_group), FALLBACK_CG_POSITIVE)
    return "Positive", "Positive" if draw.chance(cg) else "Negative"


def _local_nationalities(profile: Profile) -> dict:
    """Local NRM referrals: UK share between the police and national shares."""
    uk = (profile.uk_share_police + profile.nationality["UK"]) / 2
    others = _normalised({k: v for k, v in profile.nationality.items() if k != "UK"})
    return {"UK": uk, **{k: v * (1 - uk) for k, v in others.items()}}


def make_nrm_referrals(ctx: Context, crime_count: int) -> list[dict]:
    draw, rows = ctx.draw, []
    total = round(crime_count * draw.rng.uniform(1.5, 2.0))
    base = _local_nationalities(ctx.profile)
    for n, referred in enumerate(_referral_dates(ctx, total), start=1):
        age_group = draw.pick(ctx.profile.age_split)
        types, county_lines = _pick_case(ctx, age_group)
        location = "UK" if county_lines else draw.pick(ctx.profile.location_by_age[age_group])
        rg, cg = _decisions(ctx, referred, age_group)
        rows.append({
            "referral_id": f"NRM-{referred:%y%m}-{n:05d}",
            "referral_date": referred, "age_group": age_group, "sex": _pick_sex(draw, ctx.profile, types),
            "nationality": None if draw.chance(0.02)
            else _pick_nationality(draw, base, _boost_keys(types, county_lines)),
            "types": types, "county_lines": county_lines,
            "first_responder": _first_responder(ctx, draw.pick(ctx.profile.first_responder)),
            "exploitation_location": location, "rg_decision": rg, "cg_decision": cg,
            "lad_code": _pick_lad(ctx).code})
    return rows


def make_duty_to_notify(ctx: Context, referral_count: int) -> list[dict]:
    """Duty to Notify: adults who did not consent to a referral, reported by public authorities.

    England and Wales only: none for Police Scotland or PSNI, and BTP's are in its English and
    Welsh districts.
    """
    draw, rows, lads = ctx.draw, [], ctx.duty_to_notify_lads
    if not lads:
        return rows
    total = max(3, round(referral_count * ctx.profile.dtn_per_referral * draw.rng.uniform(0.8, 1.1)))
    # Mostly foreign nationals encountered by immigration officers, so fewer UK nationals.
    base = dict(_local_nationalities(ctx.profile))
    base["UK"] *= 0.5
    for n, reported in enumerate(_referral_dates(ctx, total), start=1):
        types = draw.pick(ctx.profile.mix_by_age["adult"])
        authority = draw.pick({"government_agency": 0.55, "police": 0.3, "local_authority": 0.15})
        rows.append({
            "report_id": f"DTN{reported.year}{n:05d}", "report_date": reported,
            "sex": _pick_sex(draw, ctx.profile, types),
            "nationality": None if draw.chance(0.03) else _pick_nationality(draw, base, list(types)),
            "types": types, "first_responder": _first_responder(ctx, authority, lads),
            "lad_code": _pick_lad(ctx, lads).code})
    return rows


# ---------------------------------------------------------------------------
# Rendering: clean rows -> messy cells in the house style
# ---------------------------------------------------------------------------

# Each house style: (canonical or extra key, column header) in file order. Keys
# that are not canonical columns (oic, status...) are realistic clutter that
# the yaml does not map.
STYLES = {
    "a": {
        "crimes": [("crime_ref", "Crime Reference"), ("date_recorded", "Date Recorded"),
                   ("date_committed", "Date Committed"), ("offence", "Offence"),
                   ("exploitation_types", "Exploitation Type(s)"), ("county_lines", "County Lines?"),
                   ("lad_code", "LA District Code"), ("lad_name", "LA District"),
                   ("postcode_district", "Postcode District"), ("beat", "Neighbourhood"),
                   ("sector", "Sector / Setting"), ("outcome", "Outcome"), ("status", "Status"),
                   ("oic", "OIC"), ("mo_text", "MO")],
        "victims": [("crime_ref", "Crime Ref"), ("victim_id", "Person ID"), ("role", "Role"),
                    ("victim_name", "Victim Name"), ("date_of_birth", "DOB"), ("age", "Age at Offence"),
                    ("sex", "Gender"), ("nationality", "Nationality")],
        "suspects": [("crime_ref", "Crime Ref"), ("suspect_id", "Person ID"), ("suspect_name", "Suspect Name"),
                     ("age", "Age"), ("sex", "Gender"), ("nationality", "Nationality"),
                     ("arrested", "Arrested (Y/N)")],
        "nrm_referrals": [("referral_id", "NRM Reference"), ("referral_date", "Date of Referral"),
                          ("age_group", "Adult/Child"), ("sex", "Gender"), ("nationality", "Nationality"),
                          ("exploitation_types", "Exploitation Type"),
                          ("first_responder", "First Responder Organisation"),
                          ("exploitation_location", "Location of Exploitation"), ("rg_decision", "RG Decision"),
                          ("cg_decision", "CG Decision"), ("lad_code", "Local Authority Code")],
        "duty_to_notify": [("report_id", "MS1 Reference"), ("report_date", "Date Submitted"), ("sex", "Gender"),
                           ("nationality", "Nationality"), ("exploitation_types", "Exploitation Type"),
                           ("first_responder", "Submitting Authority"), ("lad_code", "Local Authority Code")],
        "assets": [("asset", "Asset"), ("organisation", "Organisation"), ("asset_type", "Type"),
                   ("level", "Level"), ("function", "Function"), ("four_p", "4P"), ("theme", "Theme"),
                   ("description", "Description")],
        "actions": [("action", "Action"), ("theme", "Theme"), ("priority", "Priority"), ("owner", "Owner"),
                    ("timeframe", "Timeframe"), ("status", "Status")],
        "risks": [("risk", "Risk"), ("description", "Description"), ("likelihood", "Likelihood"),
                  ("impact", "Impact"), ("mitigation", "Mitigation"), ("owner", "Owner")],
        "intelligence_gaps": [("gap", "Intelligence Gap"), ("description", "Why it matters"),
                              ("source", "Possible Source"), ("owner", "Owner"), ("status", "Status")],
    },
    "b": {
        "crimes": [("crime_ref", "URN"), ("force", "FORCE_CD"), ("date_committed", "OCC_FROM_DATE"),
                   ("date_committed_to", "OCC_TO_DATE"), ("date_recorded", "REC_DATE"),
                   ("offence", "HO_OFFENCE_DESC"), ("exploitation_types", "MS_EXPLOITATION_TYPE"),
                   ("lad_code", "LAD_CD"), ("postcode_district", "PCD_DISTRICT"), ("beat", "BEAT_CODE"),
                   ("county_lines", "CL_FLAG"), ("sector", "SECTOR_DESC"), ("outcome", "OUTCOME_DESC"),
                   ("mo_text", "MO_TEXT")],
        "victims": [("crime_ref", "URN"), ("victim_id", "NOMINAL_ID"), ("role", "INVOLVEMENT"),
                    ("victim_name", "FULL_NAME"), ("date_of_birth", "DOB"), ("age", "AGE_AT_OCC"), ("sex", "SEX"),
                    ("nationality", "NATIONALITY")],
        "suspects": [("crime_ref", "URN"), ("suspect_id", "NOMINAL_ID"), ("role", "INVOLVEMENT"),
                     ("suspect_name", "FULL_NAME"), ("age", "AGE_AT_OCC"), ("sex", "SEX"),
                     ("nationality", "NATIONALITY")],
        "nrm_referrals": [("referral_id", "NRM_REF"), ("referral_date", "REFERRAL_DATE"),
                          ("age_group", "AGE_AT_EXPLOITATION"), ("sex", "GENDER"), ("nationality", "NATIONALITY"),
                          ("exploitation_types", "EXPLOITATION_TYPE"), ("first_responder", "FR_ORG"),
                          ("exploitation_location", "EXPLOITATION_LOCATION"), ("rg_decision", "RG_OUTCOME"),
                          ("cg_decision", "CG_OUTCOME"), ("lad_code", "LA_CODE")],
        "duty_to_notify": [("report_id", "DTN_REF"), ("report_date", "DATE_REPORTED"), ("sex", "GENDER"),
                           ("nationality", "NATIONALITY"), ("exploitation_types", "EXPLOITATION_TYPE"),
                           ("first_responder", "REPORTING_AUTHORITY"), ("lad_code", "LA_CODE")],
        "assets": [("asset", "Asset name"), ("organisation", "Lead organisation"), ("asset_type", "Asset type"),
                   ("level", "Resilience level"), ("function", "Resilience function"), ("four_p", "4Ps"),
                   ("theme", "Theme"), ("description", "Description")],
        "actions": [("action", "Action"), ("theme", "Theme"), ("priority", "Priority (H/M/L)"), ("owner", "Lead"),
                    ("timeframe", "Due"), ("status", "RAG / Status")],
        "risks": [("risk", "Risk"), ("description", "Risk description"), ("likelihood", "Likelihood (L/M/H)"),
                  ("impact", "Impact (L/M/H)"), ("mitigation", "Mitigation / controls"), ("owner", "Risk owner")],
        "intelligence_gaps": [("gap", "Gap"), ("description", "Rationale"), ("source", "Potential source"),
                              ("owner", "Lead"), ("status", "Status")],
    },
}
# Title rows above the header (a blank string is a blank row); header_row follows.
TITLE_ROWS = {
    "a": {"crimes": [LABEL, "Modern slavery occurrences extract {force} run {run}", ""], "assets": [LABEL]},
    "b": {"crimes": [LABEL, "MS_OCCURRENCES_EXTRACT {force} RUN {run}"], "risks": [LABEL + " - risk register"]},
}
# Columns written as real Excel date cells; other date columns are text.
DATE_CELLS = {"a": {"date_recorded"}, "b": {"date_committed", "date_committed_to"}}


def render_crimes(ctx: Context, crimes: list[dict]) -> list[dict]:
    draw, rows = ctx.draw, []
    for crime in crimes:
        child = crime["age_group"] == "child"
        row = {
            "crime_ref": crime["crime_ref"], "force": ctx.force.code, "offence": _offence_text(ctx, crime["offence"]),
            "exploitation_types": messy_exploitation(draw, crime["types"], crime["county_lines"], child),
            "county_lines": messy_flag(draw, crime["county_lines"]),
            "lad_code": blank_some(draw, crime["lad_code"], 0.05),
            "lad_name": blank_some(draw, crime["lad_name"], 0.05),
            "postcode_district": blank_some(draw, crime["postcode_district"], 0.08),
            "beat": blank_some(draw, crime["beat"], 0.06), "sector": _sector_text(draw, crime["sector"]),
            "outcome": blank_some(draw, crime["outcome"], 0.04), "mo_text": blank_some(draw, crime["mo_text"], 0.05),
            "oic": crime["oic"], "status": "Open" if crime["outcome"] in OUTCOMES_OPEN else "Closed",
        }
        row.update(_crime_dates(ctx, crime))
        rows.append(row)
    return _with_duplicates(draw, rows)


def _offence_text(ctx: Context, offence: str) -> str:
    return offence.upper().replace("MODERN SLAVERY ACT", "MSA") if ctx.style == "b" else offence


def _sector_text(draw: Draw, sector: str) -> str:
    if draw.chance(0.07):
        return ""
    return draw.pick(SECTOR_SPELLINGS[sector]) if sector in SECTOR_SPELLINGS else sector.capitalize()


def _crime_dates(ctx: Context, crime: dict) -> dict:
    """Excel date cells in some columns, messy text in others, as real extracts mix them."""
    draw, cells = ctx.draw, DATE_CELLS[ctx.style]
    dates = {"date_recorded": crime["date_recorded"],
             "date_committed": None if draw.chance(0.06) else crime["date_committed"],
             "date_committed_to": None if draw.chance(0.5) else crime["date_recorded"]}
    return {key: value if key in cells or value is None else messy_date(draw, value, serials=False)
            for key, value in dates.items()}


def _with_duplicates(draw: Draw, rows: list[dict]) -> list[dict]:
    """About 3% duplicated, alternately exact copies and near copies (same reference, one field different)."""
    count = min(len(rows), max(2, round(0.03 * len(rows))))
    chosen = sorted(int(i) for i in draw.rng.choice(len(rows), size=count, replace=False))
    copies = {i: dict(rows[i]) if n % 2 == 0 else _near_copy(draw, rows[i]) for n, i in enumerate(chosen)}
    out = []
    for i, row in enumerate(rows):
        out.append(row)
        if i in copies:
            out.append(copies[i])
    return out


def _near_copy(draw: Draw, row: dict) -> dict:
    near = dict(row)
    field = draw.uniform_pick(["outcome", "sector", "postcode_district", "exploitation_types", "beat"])
    if field == "outcome" and row["outcome"] != "Under investigation":
        near["outcome"] = "Under investigation"  # an earlier snapshot of the same crime
    else:
        near[field] = "" if row[field] else "Not known"
    return near


def render_victims(ctx: Context, victims: list[dict]) -> list[dict]:
    draw = ctx.draw
    return [{
        "crime_ref": v["crime_ref"], "victim_id": v["victim_id"], "role": v["role"],
        "victim_name": _cp1252_safe(blank_some(draw, v["victim_name"], 0.02)),
        "date_of_birth": "" if v["date_of_birth"] is None or draw.chance(0.04)
        else messy_date(draw, v["date_of_birth"]),
        # Age is sometimes left blank although the date of birth is there.
        "age": "" if v["age"] is None or draw.chance(0.07) else v["age"],
        "sex": messy_sex(draw, v["sex"]), "nationality": messy_nationality(draw, v["nationality"], ctx.welsh),
    } for v in victims]


def render_suspects(ctx: Context, suspects: list[dict]) -> list[dict]:
    draw = ctx.draw
    return [{
        "crime_ref": s["crime_ref"], "suspect_id": s["suspect_id"], "role": "Suspect",
        "suspect_name": blank_some(draw, s["suspect_name"], 0.08), "age": blank_some(draw, s["age"], 0.1),
        "sex": messy_sex(draw, s["sex"]), "nationality": messy_nationality(draw, s["nationality"], ctx.welsh),
        "arrested": s["arrested"],
    } for s in suspects]


def _messy_age_group(draw: Draw, age_group: str) -> str:
    return "" if draw.chance(0.02) else draw.pick(AGE_GROUP_SPELLINGS[age_group])


def _messy_lad(ctx: Context, code: str) -> str:
    """Mostly codes, some blank, a few typed as the district's name."""
    if ctx.draw.chance(0.12):
        return ""
    if ctx.draw.chance(0.03):
        return next(lad.name for lad in ctx.lads if lad.code == code)
    return code


def render_nrm(ctx: Context, referrals: list[dict]) -> list[dict]:
    draw = ctx.draw
    return [{
        "referral_id": r["referral_id"], "referral_date": messy_date(draw, r["referral_date"]),
        "age_group": _messy_age_group(draw, r["age_group"]), "sex": messy_sex(draw, r["sex"]),
        "nationality": messy_nationality(draw, r["nationality"], ctx.welsh),
        "exploitation_types": messy_exploitation(draw, r["types"], r["county_lines"], r["age_group"] == "child"),
        "first_responder": blank_some(draw, r["first_responder"], 0.03),
        "exploitation_location": blank_some(draw, draw.pick(LOCATION_SPELLINGS[r["exploitation_location"]]), 0.04),
        "rg_decision": draw.pick(DECISION_SPELLINGS[r["rg_decision"]]),
        "cg_decision": draw.pick(DECISION_SPELLINGS[r["cg_decision"]]) if r["cg_decision"] else "",
        "lad_code": _messy_lad(ctx, r["lad_code"]),
    } for r in referrals]


def render_dtn(ctx: Context, reports: list[dict]) -> list[dict]:
    draw = ctx.draw
    return [{
        "report_id": r["report_id"], "report_date": messy_date(draw, r["report_date"]),
        "sex": messy_sex(draw, r["sex"]), "nationality": messy_nationality(draw, r["nationality"], ctx.welsh),
        "exploitation_types": messy_exploitation(draw, r["types"], False, False),
        "first_responder": r["first_responder"], "lad_code": _messy_lad(ctx, r["lad_code"]),
    } for r in reports]


# ---------------------------------------------------------------------------
# Partnership registers
# ---------------------------------------------------------------------------

LEVELS = ("personal", "culture and locality", "legal and regulatory", "structural")
FUNCTIONS = ("prevention", "discovery", "respite and recovery", "sustainable resilience")

# asset, organisation, type, level, function, 4P, theme, description
ASSET_POOL = [
    ("Frontline awareness training (e-learning and face to face)", "{council}", "training",
     "culture and locality", "discovery", "Protect", "Identification",
     "Spotting the signs and making referrals; offered to council, health and housing staff."),
    ("Modern slavery single points of contact in neighbourhood teams", "{police}", "service", "structural",
     "discovery", "Pursue", "Identification", "A trained officer in each neighbourhood team who advises colleagues."),
    ("Modern slavery and organised immigration crime investigation team", "{police}", "service", "structural",
     "discovery", "Pursue", "Enforcement", "Specialist detectives who lead complex investigations."),
    ("Multi-agency welfare visits to car washes and nail bars", "{partnership}", "outreach",
     "legal and regulatory", "discovery", "Pursue", "Labour exploitation",
     "Joint visits by police, immigration, licensing and fire officers with interpreters."),
    ("Safe house places for adult survivors", "Victim care contract provider", "accommodation", "personal",
     "respite and recovery", "Prepare", "Victim support", "Places in the national victim care contract's safe houses."),
    ("Independent Child Trafficking Guardians", "Child trafficking guardian service", "service", "personal",
     "respite and recovery", "Protect", "Children", "Independent advocates for trafficked children."),
    ("Survivor move-on and employability programme", "Local anti-slavery charity", "service", "personal",
     "sustainable resilience", "Prepare", "Victim support",
     "Help into work, housing and education after support ends."),
    ("Custody suite navigators for young people", "Youth work charity", "outreach", "personal", "prevention",
     "Prevent", "County lines", "Youth workers who meet young people at a reachable moment in custody."),
    ("Schools programme on criminal exploitation and county lines", "{council} Children's Services", "training",
     "culture and locality", "prevention", "Prevent", "County lines", "Sessions for pupils, parents and staff."),
    ("HMO licensing inspections", "{council} Private Sector Housing", "inspection", "legal and regulatory",
     "discovery", "Protect", "Housing", "Inspections that find overcrowding and tied accommodation."),
    ("Ethical procurement and supply chain policy", "{council} Procurement", "policy", "legal and regulatory",
     "prevention", "Prevent", "Supply chains", "Contract clauses and supplier checks on labour practices."),
    ("Joint operations with the labour market enforcement bodies", "{police}", "operation",
     "legal and regulatory", "discovery", "Pursue", "Labour exploitation",
     "Joint days of action on agencies and gangmasters."),
    ("Helpline poster campaign in community languages", "{partnership}", "awareness", "culture and locality",
     "discovery", "Protect", "Awareness", "Posters and cards in public toilets, GP surgeries and transport hubs."),
    ("Partnership coordinator post", "{partnership}", "funding", "structural", "sustainable resilience",
     "Prepare", "Governance", "A coordinator who runs the partnership and its action plan."),
    ("Multi-agency child exploitation panel", "{council} Children's Services", "service", "structural",
     "respite and recovery", "Protect", "Children", "Monthly panel agreeing plans for exploited children."),
    ("Adult safeguarding modern slavery pathway", "{council} Adult Social Care", "service", "structural",
     "respite and recovery", "Protect", "Adults", "Guidance for section 42 enquiries where slavery is suspected."),
    ("Immigration advice clinic for survivors", "Legal advice charity", "service", "legal and regulatory",
     "respite and recovery", "Prepare", "Victim support", "Free regulated immigration advice."),
    ("Faith and community awareness network", "Local faith network", "outreach", "culture and locality",
     "discovery", "Protect", "Awareness", "Trained volunteers in places of worship and community centres."),
    ("Basic bank accounts for survivors", "Partner bank", "service", "personal", "sustainable resilience",
     "Prepare", "Victim support", "A route to open an account without the usual documents."),
    ("Trauma-informed GP registration and health checks", "NHS Integrated Care Board", "service", "personal",
     "respite and recovery", "Prepare", "Health", "Registration without proof of address and a health check."),
    ("Slavery and trafficking prevention and risk orders", "{police}", "legal", "legal and regulatory",
     "prevention", "Pursue", "Enforcement", "Orders sought after conviction or on application."),
    ("Fire safety inspections of premises with sleeping accommodation", "Fire and Rescue Service", "inspection",
     "legal and regulatory", "discovery", "Protect", "Housing", "Inspections of flats above shops and car washes."),
    ("Responsible car wash engagement scheme", "{partnership}", "outreach", "culture and locality", "prevention",
     "Prevent", "Labour exploitation", "Engagement with site operators on pay, safety and right to work."),
    ("Lived experience advisory group", "Local anti-slavery charity", "service", "culture and locality",
     "sustainable resilience", "Prepare", "Governance", "Survivors advising the partnership on its work."),
    ("Partnership information sharing agreement", "{partnership}", "policy", "structural",
     "sustainable resilience", "Prepare", "Intelligence", "Agreement allowing partners to share case information."),
    ("Exploitation intelligence analyst", "{police}", "service", "structural", "discovery", "Pursue",
     "Intelligence", "Analyst producing problem profiles and network maps."),
    ("Out-of-hours emergency accommodation protocol", "{council} Housing Options", "accommodation", "structural",
     "respite and recovery", "Protect", "Housing", "Beds for people found at night before an NRM referral."),
    ("Trading Standards and Environmental Health joint visits", "{council} Regulatory Services", "inspection",
     "legal and regulatory", "discovery", "Pursue", "Labour exploitation", "Visits to food businesses and premises."),
    ("Transport hub awareness for staff", "Transport operators", "training", "culture and locality", "discovery",
     "Protect", "Transport", "Training for rail, bus and coach station staff."),
    ("Drug and alcohol outreach with exploitation screening", "Drug and alcohol service", "outreach", "personal",
     "prevention", "Prevent", "Adults", "Screening questions on cuckooing and debt bondage."),
    ("Survivor peer mentor grants", "Police and Crime Commissioner", "funding", "structural",
     "sustainable resilience", "Prepare", "Victim support", "Small grants for peer mentoring by survivors."),
    ("Business and supply chain briefing sessions", "Chamber of Commerce", "training", "culture and locality",
     "prevention", "Prevent", "Supply chains", "Briefings for employers on spotting exploitation in supply chains."),
]
ACTION_POOL = [
    ("Refresh frontline training and record completion by agency", "Identification", "High", "{partnership}"),
    ("Agree a single data return from all partners each quarter", "Intelligence", "High", "{partnership}"),
    ("Run two multi-agency days of action on hand car washes", "Labour exploitation", "Medium", "{police}"),
    ("Map accommodation available to survivors out of hours", "Victim support", "High", "{council} Housing Options"),
    ("Add exploitation screening questions to the substance misuse assessment", "Adults", "Medium",
     "Drug and alcohol service"),
    ("Publish an ethical procurement statement and supplier checklist", "Supply chains", "Low",
     "{council} Procurement"),
    ("Set up a lived experience advisory group", "Governance", "Medium", "Local anti-slavery charity"),
    ("Review Duty to Notify reporting by council teams", "Identification", "High", "{council}"),
    ("Deliver county lines sessions in all secondary schools", "County lines", "Medium",
     "{council} Children's Services"),
    ("Agree a protocol for interpreters at welfare visits", "Labour exploitation", "Low", "{partnership}"),
    ("Evaluate the custody navigator scheme", "County lines", "Low", "Police and Crime Commissioner"),
    ("Produce an annual problem profile", "Intelligence", "High", "{police}"),
    ("Translate helpline materials into the five most common languages", "Awareness", "Medium", "{partnership}"),
    ("Ensure every child referred has an Independent Child Trafficking Guardian", "Children", "High",
     "{council} Children's Services"),
    ("Test the emergency accommodation protocol with a table-top exercise", "Victim support", "Medium",
     "{council} Housing Options"),
]
RISK_POOL = [
    ("Under-identification of labour exploitation", "Few referrals from sectors known to be high risk.",
     "High", "High", "Welfare visits; sector engagement; training for regulators.", "{partnership}"),
    ("Loss of partnership coordinator funding", "Coordinator post funded year to year.", "Medium", "High",
     "Bid to the PCC and councils for a three-year settlement.", "Police and Crime Commissioner"),
    ("Survivors leaving support without move-on plans", "Support ends after a conclusive grounds decision.",
     "High", "Medium", "Move-on programme; housing pathway.", "Local anti-slavery charity"),
    ("County lines recruitment of looked-after children", "Children placed out of area are targeted.",
     "High", "High", "Exploitation panel; return home interviews.", "{council} Children's Services"),
    ("Data not shared between partners", "No agreement covers case-level sharing.", "Medium", "Medium",
     "Information sharing agreement in draft.", "{partnership}"),
    ("Interpreting capacity at short notice", "Welfare visits delayed for lack of interpreters.", "Medium",
     "Medium", "Framework contract with telephone interpreting.", "{police}"),
    ("Backlog of NRM decisions", "Long waits for conclusive grounds decisions leave people in limbo.",
     "High", "Medium", "Escalation route to the competent authority.", "{partnership}"),
    ("Exploitation moving online", "Adverts and recruitment move to encrypted apps.", "Medium", "High",
     "Online investigation capability; platform referrals.", "{police}"),
    ("Staff turnover eroding training", "Trained staff leave and new staff are not trained.", "High", "Low",
     "Mandatory e-learning at induction.", "{council}"),
    ("Reliance on a single safe house provider", "Few places near the area.", "Low", "High",
     "Agreement with neighbouring partnerships.", "{partnership}"),
]
GAP_POOL = [
    ("Scale of labour exploitation in agriculture", "Seasonal work peaks are not reflected in referrals.",
     "Labour market enforcement bodies; farm operators", "{police}"),
    ("Outcomes for survivors after support ends", "No follow-up after exit from the victim care contract.",
     "Victim care contract provider", "{partnership}"),
    ("Duty to Notify reports from council teams", "Council reports are not counted locally.",
     "Home Office data returns", "{council}"),
    ("Children exploited across force borders", "Lines run across boundaries; local data miss them.",
     "Regional organised crime unit", "{police}"),
    ("Nationality and language of victims found by NGOs", "NGO contacts are not recorded with police data.",
     "Local anti-slavery charity", "{partnership}"),
    ("Online adverts for adult services", "Scale of online sexual exploitation unknown.",
     "Open source monitoring", "{police}"),
    ("Exploitation in care work", "Reports nationally of visa-sponsored care workers in debt bondage.",
     "Care regulator; council commissioning", "{council}"),
    ("Cuckooing of vulnerable adults' homes", "Not flagged consistently in police or housing records.",
     "Housing providers; police intelligence", "{council} Housing Options"),
    ("Hidden domestic servitude", "Rarely reported; victims seldom leave the house.",
     "Health visitors; GP practices", "NHS Integrated Care Board"),
    ("Victims who decline an NRM referral", "No picture of their needs or what happens next.",
     "Duty to Notify returns; first responders", "{partnership}"),
]


def _organisations(ctx: Context) -> dict:
    largest = max(ctx.lads, key=lambda lad: lad.population)
    return {"police": ctx.force.force_name, "council": f"{largest.name} Council",
            "partnership": f"{ctx.force.name} Modern Slavery Partnership"}


def _assets(ctx: Context) -> list[dict]:
    draw, orgs = ctx.draw, _organisations(ctx)
    order = [int(i) for i in draw.rng.permutation(len(ASSET_POOL))]
    chosen = order[:draw.integer(15, 30)]
    # Keep every level and function of the resilience frame represented.
    for position, (kind, values) in enumerate((("level", LEVELS), ("function", FUNCTIONS))):
        column = 3 + position
        for value in values:
            if not any(ASSET_POOL[i][column] == value for i in chosen):
                chosen.append(next(i for i in order if ASSET_POOL[i][column] == value))
    rows = []
    for i in chosen:
        asset, org, kind, level, function, four_p, theme, description = ASSET_POOL[i]
        rows.append({"asset": asset, "organisation": org.format(**orgs), "asset_type": kind,
                     "level": blank_some(draw, level, 0.05), "function": blank_some(draw, function, 0.05),
                     "four_p": _messy_four_p(draw, four_p), "theme": theme, "description": description})
    return rows


def _messy_four_p(draw: Draw, four_p: str) -> str:
    second = {"Pursue": "Protect", "Prevent": "Protect", "Protect": "Prepare", "Prepare": "Protect"}[four_p]
    return draw.pick({four_p: 0.75, four_p.lower(): 0.08, f"{four_p}/{second}": 0.12, "": 0.05})


def _timeframe(draw: Draw, last_year: int) -> str:
    year = last_year + draw.integer(0, 1)
    return draw.pick({f"Q{draw.integer(1, 4)} {year}": 0.4, f"by March {year + 1}": 0.25, "Ongoing": 0.15,
                      f"{MONTHS[draw.integer(0, 11)]} {year}": 0.2})


def _actions(ctx: Context) -> list[dict]:
    draw, orgs = ctx.draw, _organisations(ctx)
    chosen = [int(i) for i in draw.rng.permutation(len(ACTION_POOL))][:draw.integer(10, 15)]
    return [{"action": ACTION_POOL[i][0], "theme": ACTION_POOL[i][1], "priority": ACTION_POOL[i][2],
             "owner": ACTION_POOL[i][3].format(**orgs), "timeframe": _timeframe(draw, ctx.years[-1]),
             "status": draw.pick({"In progress": 0.45, "Not started": 0.3, "Complete": 0.2, "": 0.05})}
            for i in chosen]


def _risks(ctx: Context) -> list[dict]:
    draw, orgs = ctx.draw, _organisations(ctx)
    chosen = [int(i) for i in draw.rng.permutation(len(RISK_POOL))][:draw.integer(6, 10)]
    short = {"High": ["High", "H", "high"], "Medium": ["Medium", "Med", "M"], "Low": ["Low", "L", "low"]}
    rows = []
    for i in chosen:
        risk, description, likelihood, impact, mitigation, owner = RISK_POOL[i]
        rows.append({"risk": risk, "description": description, "likelihood": draw.pick(short[likelihood]),
                     "impact": draw.pick(short[impact]), "mitigation": blank_some(draw, mitigation, 0.1),
                     "owner": owner.format(**orgs)})
    return rows


def _gaps(ctx: Context) -> list[dict]:
    draw, orgs = ctx.draw, _organisations(ctx)
    chosen = [int(i) for i in draw.rng.permutation(len(GAP_POOL))][:draw.integer(6, 10)]
    return [{"gap": GAP_POOL[i][0], "description": GAP_POOL[i][1], "source": GAP_POOL[i][2],
             "owner": GAP_POOL[i][3].format(**orgs),
             "status": draw.pick({"Open": 0.6, "In progress": 0.3, "Closed": 0.1})} for i in chosen]


# ---------------------------------------------------------------------------
# Writers (deterministic bytes)
# ---------------------------------------------------------------------------

def _cells(style: str, kind: str, rows: list[dict]) -> tuple[list[str], list[list]]:
    spec = STYLES[style][kind]
    header = [name for _, name in spec]
    body = [[row.get(key, "") for key, _ in spec] for row in rows]
    return header, body


def _csv_bytes(header: list[str], body: list[list], encoding: str, blank_tail: int, newline: str) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=newline)
    writer.writerow(header)
    for row in body:
        writer.writerow(["" if value is None else value for value in row])
    # Trailing rows of commas, as left by Excel when rows are cleared but not deleted.
    buffer.write(("," * (len(header) - 1) + newline) * blank_tail)
    return buffer.getvalue().encode(encoding)


def write_csv(path: Path, ctx: Context, kind: str, rows: list[dict], blank_tail: int = 0) -> None:
    header, body = _cells(ctx.style, kind, rows)
    newline = "\r\n" if kind == "victims" else "\n"  # the cp1252 file came from a Windows machine
    path.write_bytes(_csv_bytes(header, body, CSV_ENCODINGS[kind], blank_tail, newline))
    log.info("wrote %s (%d rows)", path, len(body))


def _fill_sheet(ws, titles: list[str], header: list[str], body: list[list], date_columns: set[int]) -> None:
    for title in titles:
        ws.append([title] if title else [])
    ws.append(header)
    for cell in ws[len(titles) + 1]:
        cell.font = Font(bold=True)
    for values in body:
        ws.append([None if value == "" else value for value in values])
    for column in date_columns:
        for (cell,) in ws.iter_rows(min_row=len(titles) + 2, min_col=column + 1, max_col=column + 1):
            if isinstance(cell.value, dt.date):
                cell.number_format = "DD/MM/YYYY"
    if titles:
        ws[f"A{1}"].font = Font(bold=True, color="C00000")


def write_xlsx(path: Path, sheets: list[tuple[str, list[str], list[str], list[list], set[int]]],
               timestamp: dt.datetime) -> None:
    """Write a workbook whose bytes depend only on its content (fixed timestamps everywhere)."""
    wb = Workbook()
    wb.remove(wb.active)
    for name, titles, header, body, date_columns in sheets:
        _fill_sheet(wb.create_sheet(name), titles, header, body, date_columns)
    wb.properties.creator = "sample.generate"
    wb.properties.title = LABEL
    wb.properties.created = wb.properties.modified = timestamp
    buffer = io.BytesIO()
    # ExcelWriter directly: save_workbook would stamp the current time as "modified".
    ExcelWriter(wb, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED)).save()
    path.write_bytes(_fixed_zip_times(buffer.getvalue(), timestamp))
    log.info("wrote %s (%s)", path, ", ".join(f"{s[0]}: {len(s[3])} rows" for s in sheets))


def _fixed_zip_times(data: bytes, timestamp: dt.datetime) -> bytes:
    """Rewrite a zip with every member dated `timestamp` (zip entries otherwise carry 'now')."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            info = zipfile.ZipInfo(item.filename, date_time=timestamp.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            target.writestr(info, source.read(item.filename))
    return out.getvalue()


def _sheet(ctx: Context, kind: str, sheet: str, rows: list[dict], titles: list[str]):
    header, body = _cells(ctx.style, kind, rows)
    dates = {i for i, (key, _) in enumerate(STYLES[ctx.style][kind]) if key in DATE_CELLS[ctx.style]}
    return sheet, titles, header, body, dates


def _titles(ctx: Context, kind: str) -> list[str]:
    run = f"{ctx.extract_date:%d/%m/%Y}"
    return [t.format(force=ctx.force.force_name, run=run) for t in TITLE_ROWS[ctx.style].get(kind, [])]


# ---------------------------------------------------------------------------
# Locality yaml, case studies, README
# ---------------------------------------------------------------------------

YAML_HEADER = """\
# SYNTHETIC DATA - NOT REAL RECORDS. No row describes a real person or event.
# Generated by sample.generate (`pplib generate-sample`) for {force}; regenerate
# rather than edit the data files by hand.
#
# To point this at a real extract: copy this file into a folder beside your own
# files; for each source set `path` (relative to this file), `sheet` (Excel only),
# `header_row` (the row holding the column names, as numbered in Excel, when there
# are title rows above it) and `encoding` (CSV files not saved as UTF-8, e.g. cp1252
# from Excel's "CSV" option). Under `columns`, keep the canonical name on the left
# and write your file's column name on the right; delete lines for columns your
# file does not have. Set `synthetic: false` and check `period` and `disclosure`.
"""


def _source_entry(ctx: Context, kind: str, path: str, sheet: str | None = None) -> dict:
    entry: dict = {"path": path}
    if sheet:
        entry["sheet"] = sheet
    titles = TITLE_ROWS[ctx.style].get(kind, [])
    if titles:
        entry["header_row"] = len(titles) + 1
    if kind in CSV_ENCODINGS and CSV_ENCODINGS[kind] != "utf-8":
        entry["encoding"] = CSV_ENCODINGS[kind]
    names = SCHEMAS[kind].names
    entry["columns"] = {key: column for key, column in STYLES[ctx.style][kind] if key in names}
    return entry


def locality_config(ctx: Context) -> dict:
    sources = {kind: _source_entry(ctx, kind, FILES[kind]) for kind in CSV_ENCODINGS}
    sources = {"crimes": _source_entry(ctx, "crimes", FILES["crimes"], "Crimes"), **sources}
    for kind, sheet in REGISTER_SHEETS.items():
        sources[kind] = _source_entry(ctx, kind, FILES["registers"], sheet)
    return {
        "name": ctx.force.name, "force_code": ctx.force.code,
        "partnership": f"{ctx.force.name} Modern Slavery Partnership",
        "period": {"start": dt.date(ctx.years[0], 1, 1), "end": dt.date(ctx.years[-1], 12, 31)},
        "handling_marking": "OFFICIAL-SENSITIVE", "disclosure": {"threshold": 5, "method": "suppress"},
        "synthetic": True, "sources": sources, "case_studies": "case_studies",
    }


CASE_STUDIES = {
    "01-hand-car-wash.md": """\
# Labour exploitation at a hand car wash

*Synthetic illustration written for the sample data; it is not a real case and describes no real person.*

Four men were found working at a hand car wash on an arterial road in {place}. A welfare visit by police,
immigration and licensing officers, with an interpreter, found that they worked twelve hours a day, six days a
week, and slept in a converted storeroom behind the site. Their "debt" for travel to the UK was taken from their
wages, leaving them a few pounds a week. Two agreed to an NRM referral; the others declined, and Duty to Notify
reports were made for them.

The site operator was arrested on suspicion of offences under section 1 of the Modern Slavery Act 2015.
The partnership's learning: the signs had been visible to customers for months, and there was no
route for them to report concerns anonymously.
""",
    "02-county-lines.md": """\
# A child exploited on a county line

*Synthetic illustration written for the sample data; it is not a real case and describes no real person.*

A 15-year-old boy, reported missing several times, was found in a flat in {place} holding wraps of crack
cocaine and a phone used to take orders. The flat belonged to a vulnerable adult whose home had been taken over
by the line's controllers. The boy said he owed money after being "robbed" of drugs he was given to sell.

He was treated as a victim rather than a suspect: an NRM referral was made, an Independent Child Trafficking
Guardian was allocated, and the multi-agency child exploitation panel agreed a safety plan. The adult whose
flat was used was supported by adult social care and housing.
""",
    "03-sexual-exploitation.md": """\
# Sexual exploitation in short-let flats

*Synthetic illustration written for the sample data; it is not a real case and describes no real person.*

Officers responding to neighbours' complaints found two women in a short-let flat in {place}. They had been
moved between towns every few days and advertised on an adult services website by a third party who arranged
bookings and kept the money. Neither spoke English; both had arrived on the promise of work in hospitality.

Both women were referred into the NRM and moved to safe house accommodation. The partnership has since
agreed with short-let platforms and local letting agents how to share concerns about suspected pop-up brothels.
""",
}

README_TEXT = """\
SYNTHETIC DATA - NOT REAL RECORDS

This folder was generated by `pplib generate-sample` (sample.generate) for {force}.
Every record in it is invented: the people, names, dates of birth, crime references,
phone numbers and addresses do not belong to real people. Phone numbers come from
Ofcom's ranges reserved for drama. Counts and shares follow published national
NRM statistics so that a profile built from it looks plausible, but nothing here
describes what actually happened in the area.

The files are deliberately messy (title rows, mixed date formats, duplicated crimes,
inconsistent spellings, a Windows-1252 CSV, blank trailing rows) to exercise the
loader. Some free text deliberately contains a fictional name, phone number or
address, to check that personal data never reach published outputs.

locality.yaml describes each file; its header explains how to use it for a real extract.
"""


NO_DUTY_TO_NOTIFY_TEXT = """
There are no Duty to Notify reports: the duty (section 52 of the Modern Slavery Act
2015) applies to public authorities in England and Wales only, not in {country}.
duty_to_notify_SYNTHETIC.csv therefore holds its header row and nothing else.
"""

EQUIVALENT_POPULATION_TEXT = """
{force} has no resident population. Its records are scaled to a
population equivalent of {population:,}: the population it would police if it
made NRM referrals at the rate of the forces of England and Wales (from its
published referrals in the latest four quarters). Its area is taken as every
district of {countries}; records are spread over them by
resident population. Duty to Notify reports are in England and Wales only.
"""


def _in_words(items) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def readme_text(ctx: Context) -> str:
    """README.txt: what the folder is; for Scotland and NI why the Duty to Notify file is empty; for
    BTP how it was scaled."""
    text = README_TEXT.format(force=ctx.force.force_name)
    if not ctx.duty_to_notify_lads:
        text += NO_DUTY_TO_NOTIFY_TEXT.format(country=ctx.force.country)
    if not ctx.force.population:
        countries = reference.FORCE_COUNTRIES.get(ctx.force.code, (ctx.force.country,))
        text += EQUIVALENT_POPULATION_TEXT.format(force=ctx.force.force_name,
                                                  population=equivalent_population(ctx.force),
                                                  countries=_in_words(countries))
    return text


def _case_study_texts(ctx: Context) -> dict[str, str]:
    places = sorted(ctx.lads, key=lambda lad: -lad.population)
    return {name: text.format(place=f"the {places[i % len(places)].name} area")
            for i, (name, text) in enumerate(CASE_STUDIES.items())}


def write_case_studies(ctx: Context, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in _case_study_texts(ctx).items():
        (folder / name).write_text(text, encoding="utf-8", newline="\n")


def write_yaml(ctx: Context, path: Path) -> None:
    body = yaml.safe_dump(locality_config(ctx), sort_keys=False, allow_unicode=True, width=100)
    path.write_text(YAML_HEADER.format(force=ctx.force.force_name) + body, encoding="utf-8", newline="\n")


# ---------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------

def _resolve_force(force) -> Force:
    if isinstance(force, Force):
        return force
    try:
        return force_by_slug(force)
    except KeyError:
        return force_by_code(force)


def default_seed(force: Force) -> int:
    """Stable across runs and machines (unlike hash())."""
    return zlib.crc32(force.code.encode())


def default_house_style(force: Force) -> str:
    return HOUSE_STYLES[zlib.crc32(force.slug.encode()) % 2]


def _abbreviation(force: Force) -> str:
    words = [w for w in force.force_name.replace("-", " ").split() if w[0].isupper() and w.lower() != "and"]
    return "".join(w[0] for w in words)[:4].upper() or "XX"


def make_context(force, seed: int | None = None, years=(2021, 2022, 2023),
                 house_style: str | None = None) -> Context:
    """Everything generation depends on: the force, its districts, published shares, style and seed."""
    force = _resolve_force(force)
    style = house_style or default_house_style(force)
    if style not in HOUSE_STYLES:
        raise ValueError(f"house_style must be one of {HOUSE_STYLES}, not {style!r}")
    years = tuple(sorted(int(y) for y in years))
    seed = default_seed(force) if seed is None else seed
    return Context(force=force, lads=force_lads(force), years=years, profile=build_profile(years), style=style,
                   draw=Draw(seed), abbreviation=_abbreviation(force))


def generate_locality(force, out_dir: Path, seed: int | None = None, years=(2021, 2022, 2023),
                      house_style: str | None = None) -> Path:
    """Write one synthetic locality folder (data files, locality.yaml, case studies); return the yaml path."""
    ctx = make_context(force, seed, years, house_style)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    log.info("generating synthetic locality for %s (style %s, seed %d) in %s",
             ctx.force.name, ctx.style, ctx.draw.seed, out_dir)
    _write_data_files(ctx, out_dir)
    write_case_studies(ctx, out_dir / "case_studies")
    (out_dir / "README.txt").write_text(readme_text(ctx), encoding="utf-8", newline="\n")
    yaml_path = out_dir / "locality.yaml"
    write_yaml(ctx, yaml_path)
    return yaml_path


def _write_data_files(ctx: Context, out_dir: Path) -> None:
    crimes, victims, suspects = make_crimes(ctx)
    referrals = make_nrm_referrals(ctx, len(crimes))
    reports = make_duty_to_notify(ctx, len(referrals))
    stamp = dt.datetime.combine(ctx.extract_date, dt.time(7, 30))
    crime_rows = render_crimes(ctx, crimes)
    write_xlsx(out_dir / FILES["crimes"], [_sheet(ctx, "crimes", "Crimes", crime_rows, _titles(ctx, "crimes"))], stamp)
    write_csv(out_dir / FILES["victims"], ctx, "victims", render_victims(ctx, victims))
    write_csv(out_dir / FILES["suspects"], ctx, "suspects", render_suspects(ctx, suspects))
    write_csv(out_dir / FILES["nrm_referrals"], ctx, "nrm_referrals", render_nrm(ctx, referrals),
              blank_tail=ctx.draw.integer(2, 5))
    # Scotland and Northern Ireland: no Duty to Notify, so the file holds its header row only.
    write_csv(out_dir / FILES["duty_to_notify"], ctx, "duty_to_notify", render_dtn(ctx, reports),
              blank_tail=ctx.draw.integer(2, 5) if ctx.duty_to_notify_lads else 0)
    registers = {"assets": _assets(ctx), "actions": _actions(ctx), "risks": _risks(ctx),
                 "intelligence_gaps": _gaps(ctx)}
    sheets = [_sheet(ctx, kind, REGISTER_SHEETS[kind], rows, _titles(ctx, kind)) for kind, rows in registers.items()]
    write_xlsx(out_dir / FILES["registers"], sheets, stamp)


def generate_sample(slugs=SAMPLE_SLUGS, out_root: Path | None = None) -> list[Path]:
    """Generate each force's locality into out_root/<slug>; return the yaml paths."""
    from pplib.paths import LOCALITIES_DIR

    out_root = Path(out_root) if out_root is not None else LOCALITIES_DIR
    return [generate_locality(slug, out_root / _resolve_force(slug).slug) for slug in slugs]
