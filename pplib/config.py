"""Locality configuration: a small YAML file per locality, validated on load.

A locality is a police force area plus the partnership's own files. Paths in
the YAML are relative to the YAML file, so a locality folder can be copied
anywhere (a shared drive, a USB stick) and still build.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from pplib.records.schemas import SCHEMAS
from pplib.reference.forces import force_by_code

CSV_DELIMITERS = (",", ";", "\t", "|")


class ConfigError(ValueError):
    """A locality configuration that cannot be used; the message says why and where."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Period(_Strict):
    start: dt.date
    end: dt.date

    @model_validator(mode="after")
    def _ordered(self):
        if self.end < self.start:
            raise ValueError(f"end ({self.end}) is before start ({self.start})")
        return self


class Disclosure(_Strict):
    threshold: int = Field(5, ge=1, le=100, description="counts from local records below this are suppressed")
    group_threshold: int = Field(10, ge=1, le=1000, description="a group of fewer records than this is never "
                                 "shown all in one category (all male, all one nationality)")
    method: Literal["suppress", "round"] = "suppress"
    rounding_base: int = Field(5, ge=2, le=100)


class Source(_Strict):
    path: Path
    sheet: str | None = None
    header_row: int | None = Field(None, ge=1, description="1-based header row as seen in Excel; None = detect")
    encoding: str | None = None
    delimiter: str | None = Field(None, description="CSV field separator: ',' (the default), ';' or a tab")
    dayfirst: bool = Field(True, description="numeric dates are day first (31/01/2023); false for an export "
                                             "writing them month first (01/31/2023)")
    columns: dict[str, str] = Field(default_factory=dict, description="canonical name -> name in the file")

    @field_validator("delimiter")
    @classmethod
    def _one_separator(cls, delimiter: str | None) -> str | None:
        if delimiter is not None and delimiter not in CSV_DELIMITERS:
            raise ValueError(f"expected one of ',' ';' '|' or a tab (\"\\t\"), got {delimiter!r}")
        return delimiter


class Locality(_Strict):
    name: str = Field(min_length=1)
    force_code: str
    partnership: str = Field(min_length=1)
    period: Period
    handling_marking: str = "OFFICIAL-SENSITIVE"
    disclosure: Disclosure = Disclosure()
    synthetic: bool = False
    sources: dict[str, Source] = Field(default_factory=dict)
    case_studies: Path | None = None
    base_dir: Path = Field(Path("."), exclude=True)

    @field_validator("handling_marking")
    @classmethod
    def _marked(cls, marking: str) -> str:
        if not marking.strip():  # an unmarked report would pass for one anyone may read
            raise ValueError("must not be empty or blank: every page of a report carries it (e.g. OFFICIAL-SENSITIVE)")
        return marking

    @field_validator("force_code")
    @classmethod
    def _known_force(cls, code: str) -> str:
        try:
            force_by_code(code)
        except KeyError as exc:
            raise ValueError(exc.args[0]) from None
        return code

    @field_validator("sources")
    @classmethod
    def _known_sources(cls, sources: dict[str, Source]) -> dict[str, Source]:
        for kind, source in sources.items():
            if kind not in SCHEMAS:
                raise ValueError(f"unknown source '{kind}'; expected one of {', '.join(SCHEMAS)}")
            schema = SCHEMAS[kind]
            unknown = sorted(set(source.columns) - set(schema.names))
            if unknown:
                raise ValueError(
                    f"{kind}.columns maps unknown canonical column(s) {unknown}; "
                    f"canonical columns are {schema.names}")
        return sources

    @property
    def force(self):
        return force_by_code(self.force_code)

    @property
    def slug(self) -> str:
        return self.base_dir.name

    def source_path(self, kind: str) -> Path:
        return note_read(self.base_dir / self.sources[kind].path)


# The locality files (and folders) read in this process since forget_reads(): what a build's section was made
# from, so that a change to another file leaves it up to date (pplib.build.stamps).
_READS: set[Path] = set()


def note_read(path: Path) -> Path:
    _READS.add(Path(path))
    return path


def files_read() -> list[Path]:
    return sorted(_READS)


def forget_reads() -> None:
    _READS.clear()


def _format_errors(path: Path, err: ValidationError) -> str:
    lines = [f"{path}: the locality configuration is not valid:"]
    for e in err.errors():
        where = ".".join(str(p) for p in e["loc"]) or "(top level)"
        lines.append(f"  - {where}: {e['msg']}")
    return "\n".join(lines)


def load_locality(path: str | Path) -> Locality:
    """Read and validate a locality YAML file (or a folder holding locality.yaml)."""
    path = Path(path)
    if path.is_dir():
        path = path / "locality.yaml"
    if not path.exists():
        raise ConfigError(f"{path}: no such locality configuration file")
    note_read(path)
    try:
        # libyaml's safe loader where PyYAML has it: the same result, read many times faster
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping of settings (name:, force_code:, ...)")
    try:
        locality = Locality(**raw, base_dir=path.parent.resolve())
    except ValidationError as exc:
        raise ConfigError(_format_errors(path, exc)) from None
    missing = [k for k in locality.sources if not (locality.base_dir / locality.sources[k].path).exists()]
    if missing:
        listing = ", ".join(f"{k} ({locality.source_path(k)})" for k in missing)
        raise ConfigError(f"{path}: source file(s) not found: {listing}")
    return locality
