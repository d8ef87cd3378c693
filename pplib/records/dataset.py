"""A locality's records, validated, cleaned and reconciled, ready for analysis.

Every input row ends in exactly one ledger status: used, merged (into which
row) or rejected (why). Personal fields are kept apart from the analysis
frames and reached only through `LocalityData.personal_fields`, which logs
each access.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from pplib.config import ConfigError, Locality
from pplib.files import write_csv
from pplib.records import clean, validate
from pplib.records.clean import by_value, missing
from pplib.records.load import LoadedSource, check_sources
from pplib.records.schemas import SCHEMAS

log = logging.getLogger(__name__)

REGISTERS = ("assets", "actions", "risks", "intelligence_gaps")
LEDGER_COLUMNS = ["source", "file", "source_row", "status", "merged_into", "reason", "notes"]


TEXT_COLUMNS = ("source", "file", "status", "reason", "notes")


@dataclass
class Ledger:
    """Where every input row went: one entry per step (all the rows it sorted, at once), joined at the end.
    Its text is held as codes into each entry's few distinct values (a million rows repeat "used", the file's
    name and "" endlessly), and written out as `str` only by `frame()`."""
    entries: list[dict] = field(default_factory=list)

    def record(self, loaded: LoadedSource, rows: pd.DataFrame, status: str, reason="", merged_into=None,
               notes: dict[int, str] | None = None) -> None:
        """`reason` and `merged_into`: one value for every row, or one per row (a Series aligned with `rows`)."""
        if rows.empty:
            return
        source_row = rows["source_row"].to_numpy()
        text = {"source": loaded.kind, "file": loaded.path.name, "status": status, "reason": _per_row(reason),
                "notes": _notes_of(source_row, notes)}
        self.entries.append({"source_row": source_row, "merged_into": _per_row(merged_into),
                             **{name: _coded(value) for name, value in text.items()}})

    def frame(self) -> pd.DataFrame:
        if not self.entries:
            return pd.DataFrame(columns=LEDGER_COLUMNS)
        sizes = [len(entry["source_row"]) for entry in self.entries]
        source_row = np.concatenate([entry["source_row"] for entry in self.entries])
        kinds = sorted({str(entry["source"][1][0]) for entry in self.entries})
        rank = np.repeat([kinds.index(str(entry["source"][1][0])) for entry in self.entries], sizes)
        order = np.lexsort((source_row, rank))  # by source, then row, as sort_values would
        columns = {name: _joined_text([entry[name] for entry in self.entries], sizes) for name in TEXT_COLUMNS}
        columns.update(source_row=source_row, merged_into=_joined_merged_into(self.entries, sizes))
        return pd.DataFrame({name: _taken(columns[name], order) for name in LEDGER_COLUMNS})


def _per_row(value):
    return value.to_numpy() if isinstance(value, pd.Series) else value


def _notes_of(source_row, notes: dict[int, str] | None):
    """Each row's notes, or "" (a dictionary lookup over the whole column, not a call per row)."""
    if not notes:
        return ""
    return pd.Series(source_row).map(notes).fillna("").to_numpy()


def _coded(value) -> tuple[np.ndarray | None, np.ndarray]:
    """(codes, distinct values) of one value for every row (codes None) or of one value per row."""
    if not isinstance(value, np.ndarray):
        return None, np.array([value], dtype=object)
    codes, uniques = pd.factorize(value.astype(object), use_na_sentinel=False)
    return codes.astype(np.int32), np.asarray(uniques, dtype=object)


def _joined_text(parts: list[tuple[np.ndarray | None, np.ndarray]], sizes: list[int]) -> pd.Categorical:
    """The entries' coded text as one categorical of `str` values (a missing value stays missing)."""
    values = pd.Series(np.concatenate([uniques for _, uniques in parts]), dtype=object).astype("str")
    categories = pd.Index(values.dropna().unique(), dtype="str")
    recoded = categories.get_indexer(values).astype(np.int32)  # -1 where missing
    codes, offset = [], 0
    for (entry_codes, uniques), size in zip(parts, sizes):
        mine = recoded[offset:offset + len(uniques)]
        codes.append(np.full(size, mine[0], dtype=np.int32) if entry_codes is None else mine[entry_codes])
        offset += len(uniques)
    return pd.Categorical.from_codes(np.concatenate(codes), categories=categories)


def _joined_merged_into(entries: list[dict], sizes: list[int]) -> pd.arrays.IntegerArray:
    """Each row's merged_into (missing for rows not merged) as Int64."""
    values = np.zeros(sum(sizes), dtype=np.int64)
    missing_ = np.ones(len(values), dtype=bool)
    offset = 0
    for entry, size in zip(entries, sizes):
        into = entry["merged_into"]
        if into is not None:
            into = pd.array([into] * size if np.ndim(into) == 0 else into, dtype="Int64")
            values[offset:offset + size] = into.to_numpy(dtype=np.int64, na_value=0)
            missing_[offset:offset + size] = into.isna()
        offset += size
    return pd.arrays.IntegerArray(values, missing_)


def _taken(values, order: np.ndarray):
    """`values` in `order`; the text as `str`, the ledger's public dtype (with categoricals, a count per
    status would gain columns for statuses no row has)."""
    if isinstance(values, pd.Categorical):
        return pd.Series(values.take(order)).astype("str")
    return values.take(order) if isinstance(values, pd.api.extensions.ExtensionArray) else values[order]


@dataclass
class LocalityData:
    locality: Locality
    crimes: pd.DataFrame
    victims: pd.DataFrame
    suspects: pd.DataFrame
    nrm_referrals: pd.DataFrame
    duty_to_notify: pd.DataFrame
    registers: dict[str, pd.DataFrame]
    loaded: dict[str, LoadedSource]
    ledger: pd.DataFrame
    problems: pd.DataFrame
    _personal: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)
    _completeness: pd.DataFrame | None = field(default=None, repr=False)

    def personal_fields(self, kind: str, reason: str) -> pd.DataFrame:
        """The personal columns of a source (keyed by source_row). Each access is logged with its reason."""
        if not reason.strip():
            raise ValueError("say why personal fields are needed")
        log.warning("personal fields of %s accessed for %s: %s", kind, self.locality.name, reason)
        return self._personal[kind].copy()

    def completeness(self) -> pd.DataFrame:
        """Worked out once: every section of a report writes it, from the same loaded sources."""
        if self._completeness is None:
            self._completeness = completeness(self.loaded)
        return self._completeness.copy()


# --- steps shared by every source --------------------------------------------


def _blank_to_na(frame: pd.DataFrame) -> pd.DataFrame:
    """Blank strings, None and NaN as pd.NA in the cells read from a file (tested once per distinct value:
    extracts repeat values); numbered columns such as source_row are left as they are."""
    def blanked(column: pd.Series) -> pd.Series:
        if pd.api.types.is_numeric_dtype(column) or pd.api.types.is_datetime64_any_dtype(column):
            return column
        codes, uniques = pd.factorize(column.astype(object), use_na_sentinel=True)
        blank = np.append(np.array([missing(u) for u in uniques], dtype=bool), True)[codes]  # code -1: missing
        if column.dtype == object and not blank.any():
            return column  # shared, not copied: copy-on-write keeps the loaded frame as it was
        values = column.to_numpy(dtype=object, copy=True)
        values[blank] = pd.NA
        return pd.Series(values, index=column.index, dtype=object)
    # copy=False: a frame built from a dict copies (and stacks) every column by default
    return pd.DataFrame({name: blanked(column) for name, column in frame.items()}, index=frame.index, copy=False)


def _screen(loaded: LoadedSource, ledger: Ledger, problems: list[pd.DataFrame]) -> tuple[pd.DataFrame, dict]:
    """Reject rows the file's structure garbles, blank rows and rows with a bad required value; blank out
    bad optional values (noted)."""
    frame = _blank_to_na(loaded.frame)
    malformed = frame["source_row"].isin(list(loaded.malformed))
    _reject_with_reasons(loaded, ledger, frame[malformed], loaded.malformed)
    frame = _without(frame, malformed)
    blank = frame.drop(columns="source_row").isna().all(axis=1)
    ledger.record(loaded, frame[blank], "rejected", "blank row")
    frame = _without(frame, blank)
    found = validate.problems(loaded, frame)
    problems.append(found.assign(source=loaded.kind, file=loaded.path.name))
    rejected_rows = found.loc[found["severity"] == "reject"].groupby("source_row")["message"].agg("; ".join)
    rejected = frame["source_row"].isin(rejected_rows.index)
    _reject_with_reasons(loaded, ledger, frame[rejected], rejected_rows)
    frame = _without(frame, rejected)
    notes = found[found["severity"] == "note"]
    _blank_noted_values(frame, notes)
    return frame, notes.groupby("source_row")["message"].agg("; ".join).to_dict()


def _without(frame: pd.DataFrame, rows: pd.Series) -> pd.DataFrame:
    """`frame` less the `rows` marked, not copied when none is (a million rows: a copy is a few hundred MB)."""
    return frame[~rows] if rows.any() else frame


def _reject_with_reasons(loaded: LoadedSource, ledger: Ledger, rows: pd.DataFrame, reasons) -> None:
    """`rows` rejected, each with its own reason (`reasons`: source_row -> reason, a dict or a Series)."""
    ledger.record(loaded, rows, "rejected", rows["source_row"].map(reasons))


def _blank_noted_values(frame: pd.DataFrame, notes: pd.DataFrame) -> None:
    """A date or an age that cannot be read is treated as missing (in place), one column at a time."""
    unreadable = np.array([e.startswith("a date") or c == "age" for e, c in zip(notes["expected"], notes["column"])],
                          dtype=bool)
    for column, rows in notes[unreadable].groupby("column")["source_row"]:
        frame.loc[frame["source_row"].isin(rows), column] = pd.NA


def _merge_duplicates(frame: pd.DataFrame, keys: list[str], loaded: LoadedSource, ledger: Ledger,
                      notes: dict) -> pd.DataFrame:
    """One record per key, each column taking the most complete record's value, then the next's. Only the
    rows sharing a key are grouped; the rows merged go to the ledger in one entry, and the result is taken
    from `frame` in one pass, each merged record at its first row's place (in source_row order)."""
    frame = frame if frame["source_row"].is_monotonic_increasing else frame.sort_values("source_row")
    keyed = frame[keys].notna().all(axis=1).to_numpy()
    repeated = keyed & frame.duplicated(keys, keep=False).to_numpy()
    ranked = _most_complete_first(frame[repeated])
    merged = ranked.groupby(keys, sort=False).first().reset_index()
    merged["source_row"] = ranked.drop_duplicates(keys)["source_row"].to_numpy()  # groups in order of first rows
    _record_merged(ranked, keys, loaded, ledger, notes)
    kept = ~repeated
    kept[repeated] = np.isin(frame["source_row"].to_numpy()[repeated], merged["source_row"].to_numpy())
    return _take_merged(frame, kept, keyed, merged)


def _take_merged(frame: pd.DataFrame, kept: np.ndarray, keyed: np.ndarray, merged: pd.DataFrame) -> pd.DataFrame:
    """The `kept` rows of `frame`, those that merged records replace holding the merged values, and in keyed
    rows a missing text value as None, as grouping leaves it."""
    rows = frame["source_row"].to_numpy()[kept]
    replaced = np.searchsorted(rows, merged["source_row"].to_numpy())
    keyed = keyed[kept]
    columns = {}
    for name, column in frame.items():
        values = column.to_numpy()[kept]
        if name != "source_row":
            values[replaced] = merged[name].to_numpy(dtype=values.dtype)
        if values.dtype == object:
            values[keyed & pd.isna(values)] = None
        columns[name] = pd.Series(values, dtype=column.dtype, copy=False)  # object stays object
    return pd.DataFrame(columns)


def _most_complete_first(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(_filled=frame.notna().sum(axis=1)).sort_values(
        ["_filled", "source_row"], ascending=[False, True]).drop(columns="_filled")


def _record_merged(ranked: pd.DataFrame, keys: list[str], loaded: LoadedSource, ledger: Ledger,
                   notes: dict) -> None:
    """Every row but the first of each key, merged into that first row, as one ledger entry."""
    kept = ranked.groupby(keys, sort=False)["source_row"].transform("first")
    merged = ranked.duplicated(keys).to_numpy()
    into = kept[merged]
    ledger.record(loaded, ranked[merged], "merged", "duplicate of row " + into.astype(str) +
                  f" (same {', '.join(keys)})", merged_into=into, notes=notes)


def _keep_in_period(frame: pd.DataFrame, date_col: str, loaded: LoadedSource, locality: Locality,
                    ledger: Ledger, notes: dict) -> pd.DataFrame:
    start, end = pd.Timestamp(locality.period.start), pd.Timestamp(locality.period.end)
    inside = frame[date_col].between(start, end)
    outside = frame[~inside]
    shown = by_value(outside[date_col], lambda date: f"{date:%d/%m/%Y}" if pd.notna(date) else "no date")
    ledger.record(loaded, outside, "rejected", f"{date_col} " + shown.astype(str) +
                  f" is outside the report period {start:%d/%m/%Y} to {end:%d/%m/%Y}", notes=notes)
    return _without(frame, ~inside)


def _add_calendar(frame: pd.DataFrame, date_col: str) -> pd.DataFrame:
    dates = frame[date_col]
    return frame.assign(year=dates.dt.year.astype("Int64"), quarter=_quarters(dates))


def _quarters(dates: pd.Series) -> pd.Series:
    """'2023-Q1' for each date, each distinct quarter written once: a million rows share a few dozen strings
    (written row by row, they are a million strings, twice over)."""
    codes, quarters = pd.factorize(dates.dt.to_period("Q"), use_na_sentinel=False)
    labels = pd.Series(quarters).astype(str).str.replace("Q", "-Q")
    return pd.Series(labels.to_numpy(dtype=object)[codes], index=dates.index, dtype=labels.dtype)


def _split_personal(frame: pd.DataFrame, kind: str, personal: dict[str, pd.DataFrame]) -> pd.DataFrame:
    columns = [c for c in SCHEMAS[kind].personal if c in frame]
    personal[kind] = frame[["source_row", *columns]].reset_index(drop=True)
    return frame.drop(columns=columns).reset_index(drop=True)


def _nationalities(values: pd.Series) -> pd.Series:
    return clean.by_value(values, lambda v: clean.nationality(v) or "Other (unrecognised)")


# --- per source ----------------------------------------------------------------

def _crimes(loaded, locality, ledger, problems):
    frame, notes = _screen(loaded, ledger, problems)
    frame = _merge_duplicates(frame, ["crime_ref"], loaded, ledger, notes)
    frame["date_recorded"] = clean.parse_dates(frame["date_recorded"])
    frame["date_committed"] = clean.parse_dates(frame["date_committed"])
    frame = _keep_in_period(frame, "date_recorded", loaded, locality, ledger, notes)
    frame[["primary_type", "secondary_types"]] = clean.split_primary_secondary(frame["exploitation_types"])
    frame["county_lines"] = clean.by_value(frame["county_lines"], clean.flag).astype("boolean")
    # a district recorded by name only (mapped to lad_name) places the crime as its code would
    frame["lad_code"] = clean.by_value(frame["lad_code"].fillna(frame["lad_name"]), clean.lad_code)
    frame["sector"] = clean.by_value(frame["sector"], clean.sector)
    frame = frame.sort_values(["date_recorded", "source_row"]).reset_index(drop=True)
    frame["crime_key"] = [f"C{i:05d}" for i in range(1, len(frame) + 1)]  # pseudonym for crime_ref
    ledger.record(loaded, frame, "used", notes=notes)
    return _add_calendar(frame, "date_recorded"), notes


def _people(loaded, crimes, id_col, ledger, problems):
    frame, notes = _screen(loaded, ledger, problems)
    identity = [id_col] if frame[id_col].notna().any() else [c for c in ("victim_name", "suspect_name",
                                                                           "date_of_birth") if c in frame]
    frame = _merge_duplicates(frame, ["crime_ref", *identity], loaded, ledger, notes)
    linked = frame["crime_ref"].isin(crimes["crime_ref"])
    ledger.record(loaded, frame[~linked], "rejected",
                  "crime reference not among the crimes used (unknown, or recorded outside the period)",
                  notes=notes)
    frame = frame[linked].copy()
    crime = frame[["crime_ref"]].join(
        crimes.set_index("crime_ref")[["crime_key", "date_committed", "date_recorded", "primary_type", "year"]],
        on="crime_ref")
    age = pd.to_numeric(frame["age"], errors="coerce")
    if "date_of_birth" in frame:
        dob = clean.parse_dates(frame["date_of_birth"])
        on_date = crime["date_committed"].fillna(crime["date_recorded"])
        age = age.fillna(((on_date - dob).dt.days // 365.25).where(lambda a: a.between(0, 120)))
    frame = frame.assign(
        crime_key=crime["crime_key"], age=age.astype("Int64"), sex=clean.by_value(frame["sex"], clean.sex),
        age_group=age.map(clean.age_group), age_band=age.map(clean.age_band),
        nationality=_nationalities(frame["nationality"]),
        primary_type=crime["primary_type"], year=crime["year"].astype("Int64"),
    )
    ledger.record(loaded, frame, "used", notes=notes)
    return frame


def _referrals(loaded, locality, date_col, key, ledger, problems):
    frame, notes = _screen(loaded, ledger, problems)
    frame = _merge_duplicates(frame, [key], loaded, ledger, notes)
    frame[date_col] = clean.parse_dates(frame[date_col])
    frame = _keep_in_period(frame, date_col, loaded, locality, ledger, notes)
    frame[["primary_type", "secondary_types"]] = clean.split_primary_secondary(frame["exploitation_types"])
    frame["sex"] = clean.by_value(frame["sex"], clean.sex)
    frame["nationality"] = _nationalities(frame["nationality"])
    frame["lad_code"] = clean.by_value(frame["lad_code"], clean.lad_code)
    if "age_group" in frame:
        frame["age_group"] = clean.by_value(frame["age_group"], lambda v: clean.age_group_text(v) or "unknown")
    for column in ("rg_decision", "cg_decision"):
        if column in frame:
            frame[column] = clean.by_value(frame[column], clean.decision)
    frame["responder_type"] = clean.by_value(frame["first_responder"], clean.responder_type)
    ledger.record(loaded, frame, "used", notes=notes)
    return _add_calendar(frame, date_col)


def _register(loaded, ledger, problems):
    frame, notes = _screen(loaded, ledger, problems)
    ledger.record(loaded, frame, "used", notes=notes)
    return frame.reset_index(drop=True)


def completeness(loaded: dict[str, LoadedSource]) -> pd.DataFrame:
    """Share of non-blank values per canonical column and source (blank rows excluded)."""
    rows = []
    for kind, source in loaded.items():
        frame = _blank_to_na(source.frame)
        frame = frame[frame.drop(columns="source_row").notna().any(axis=1) & ~frame["source_row"].isin(list(source.malformed))]
        for name in SCHEMAS[kind].names:
            supplied = name in source.columns
            filled = int(frame[name].notna().sum()) if supplied else 0
            rows.append({"source": kind, "column": name, "column_in_file": source.columns.get(name, ""),
                         "rows": len(frame), "filled": filled,
                         "percent_complete": round(100 * filled / len(frame), 1) if supplied and len(frame) else 0.0,
                         "supplied": supplied})
    return pd.DataFrame(rows)


def load_locality_data(locality: Locality) -> LocalityData:
    if "crimes" not in locality.sources:
        raise ConfigError(f"{locality.base_dir / 'locality.yaml'}: sources: no crimes source; every profile "
                          "counts police recorded crimes: add `crimes:` under `sources:`")
    loaded = check_sources(locality)
    ledger, problems, personal = Ledger(), [], {}
    crimes, _ = _crimes(loaded["crimes"], locality, ledger, problems)
    victims = _people(loaded["victims"], crimes, "victim_id", ledger, problems) if "victims" in loaded else None
    suspects = _people(loaded["suspects"], crimes, "suspect_id", ledger, problems) if "suspects" in loaded else None
    nrm = _referrals(loaded["nrm_referrals"], locality, "referral_date", "referral_id", ledger, problems) \
        if "nrm_referrals" in loaded else None
    dtn = _referrals(loaded["duty_to_notify"], locality, "report_date", "report_id", ledger, problems) \
        if "duty_to_notify" in loaded else None
    registers = {k: _register(loaded[k], ledger, problems) for k in REGISTERS if k in loaded}
    frames = {"crimes": crimes, "victims": victims, "suspects": suspects, "nrm_referrals": nrm,
              "duty_to_notify": dtn}
    public = {kind: _split_personal(frame, kind, personal) if frame is not None
              else _empty(kind) for kind, frame in frames.items()}
    data = LocalityData(locality=locality, registers=registers, loaded=loaded, ledger=ledger.frame(),
                        problems=pd.concat(problems, ignore_index=True) if problems else pd.DataFrame(),
                        _personal=personal, **public)
    log.info("%s: %d crimes, %d victims, %d suspects, %d NRM referrals used", locality.name,
             len(data.crimes), len(data.victims), len(data.suspects), len(data.nrm_referrals))
    return data


# Columns the pipeline adds, so a source that was not supplied still has the columns analysis reads.
_DERIVED = {
    "crimes": ["primary_type", "secondary_types", "crime_key", "year", "quarter"],
    "victims": ["crime_key", "age_group", "age_band", "primary_type", "year"],
    "suspects": ["crime_key", "age_group", "age_band", "primary_type", "year"],
    "nrm_referrals": ["primary_type", "secondary_types", "responder_type", "year", "quarter"],
    "duty_to_notify": ["primary_type", "secondary_types", "responder_type", "year", "quarter"],
}


def _empty(kind: str) -> pd.DataFrame:
    schema = SCHEMAS[kind]
    return pd.DataFrame(columns=["source_row", *[c for c in schema.names if c not in schema.personal],
                                 *_DERIVED[kind]])


def ledger_summary(ledger: pd.DataFrame) -> pd.DataFrame:
    """Rows per source and status: the ledger without its record-level rows."""
    return ledger.groupby(["source", "status"]).size().rename("rows").reset_index()


def write_quality_reports(data: LocalityData, out_dir: Path, record_level: bool = True) -> dict[str, Path]:
    """Field completeness and the ledger's summary, as CSV; with `record_level`, also the ledger and the
    problems found, row by row (these name rows and quote values, so only the internal edition has them)."""
    target = out_dir / "data_quality"
    target.mkdir(parents=True, exist_ok=True)
    files = {"completeness": data.completeness(), "ledger_summary": ledger_summary(data.ledger)}
    if record_level:
        files.update(ledger=data.ledger, problems=data.problems)
    paths = {}
    for name, frame in files.items():
        paths[name] = target / f"{name}.csv"
        write_csv(paths[name], frame)  # whole or not at all, formulas as text (pplib.files)
    return paths


def _file_stamps(locality: Locality) -> tuple:
    files = [locality.base_dir / "locality.yaml", *(locality.source_path(k) for k in locality.sources)]
    return tuple((str(f), f.stat().st_mtime_ns, f.stat().st_size) for f in files)


_CACHE: dict[tuple, LocalityData] = {}
CACHE_SIZE = 8


def cached_locality_data(locality: Locality) -> LocalityData:
    """load_locality_data, kept while the locality's configuration and files are unchanged: sections run
    one after another in one kernel, and an explorer redraws on every control change, so each loads a
    locality once."""
    key = (str(locality.base_dir), locality.model_dump_json(), _file_stamps(locality))
    if key not in _CACHE:
        if len(_CACHE) >= CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))  # the oldest
        _CACHE[key] = load_locality_data(locality)
    return _CACHE[key]
