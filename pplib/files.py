"""How every output file is written: whole or not at all, and without machine paths or settings in it.

A file is written to a temporary name beside it and then moved over it in one step (os.replace), so a
reader, or the next run after a build was killed, finds the old file or the new one, never part of one.
A killed build leaves only its temporary files behind, named `.<name>.<random>.pplib-tmp` (matched by no
pattern the build reads or publishes); remove_temporaries clears them.
"""
from __future__ import annotations

import json
import logging
import os
import re
import secrets
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

TEMPORARY_SUFFIX = ".pplib-tmp"


@contextmanager
def replacing(path: str | Path) -> Iterator[Path]:
    """A new, empty temporary file beside `path` for the block to write; when the block ends it replaces
    `path`, and when the block raises it is removed and `path` is left as it was."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}{TEMPORARY_SUFFIX}")
    # open(..., "x") rather than tempfile.mkstemp: the file gets the usual permissions, not owner-only.
    with open(temporary, "xb"):
        pass
    try:
        yield temporary
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_bytes(path: str | Path, data: bytes) -> Path:
    with replacing(path) as temporary:
        temporary.write_bytes(data)
    return Path(path)


def write_text(path: str | Path, text: str) -> Path:
    return write_bytes(path, text.encode("utf-8"))


def write_json(path: str | Path, data, indent: int | None = 2) -> Path:
    return write_text(path, json.dumps(data, indent=indent, default=str))


def write_csv(path: str | Path, frame) -> Path:
    """A table as CSV, whole or not at all, with text cells a spreadsheet cannot run (pplib.text.csv_safe)."""
    from pplib.text import csv_safe

    with replacing(path) as temporary:
        csv_safe(frame).to_csv(temporary, index=False, lineterminator="\n")
    return Path(path)


def copy_file(source: str | Path, target: str | Path) -> Path:
    with replacing(target) as temporary:
        shutil.copyfile(source, temporary)
    return Path(target)


def remove_temporaries(folder: str | Path, keep: tuple[str, ...] = ()) -> None:
    """What killed builds left in `folder` (but not in its subfolders named in `keep`, which another build
    may be writing): their half-written temporary files."""
    folder = Path(folder)
    for path in folder.rglob(f"*{TEMPORARY_SUFFIX}"):
        if path.relative_to(folder).parts[0] not in keep:
            path.unlink(missing_ok=True)


# --- no machine paths or settings in an output ---------------------------------------------------------------

_BASE64 = re.compile(r"(base64,[A-Za-z0-9+/=]+)")
SETTINGS_PREFIX = "PPLIB_"
SHORTEST_REDACTED_SETTING = 8  # shorter values ("1", "true", "chromium") are not secrets, and are common words


class Redactor:
    """Replaces, in text written to an output, the absolute folders of this machine (the output folder, the
    locality's folder, the toolkit's, Python's, the home folder) by short names, and the values of the
    build's PPLIB_* settings (a boundary URL can carry a password) by the setting's name."""

    def __init__(self, folders: dict[str, str | Path | None]):
        from pplib.paths import PROJECT_ROOT
        named = {**folders, "<pplib>": PROJECT_ROOT, "<python>": sys.prefix, "~": Path.home()}
        pairs = {}
        for name, value in os.environ.items():
            if name.startswith(SETTINGS_PREFIX) and len(value) >= SHORTEST_REDACTED_SETTING:
                pairs[value] = f"<{name}>"
        for label, folder in named.items():
            if folder and len(str(folder)) > 1:  # never "/" itself
                for form in _spellings(Path(folder)):
                    pairs.setdefault(form, label)
        self.pairs = sorted(pairs.items(), key=lambda pair: -len(pair[0]))  # the longest (innermost) first

    def text(self, text: str) -> str:
        if not any(old in text for old, _ in self.pairs):
            return text
        # Embedded images are left alone: their base64 could hold a short path's letters by chance.
        parts = _BASE64.split(text)
        for i in range(0, len(parts), 2):
            for old, new in self.pairs:
                parts[i] = parts[i].replace(old, new)
        return "".join(parts)

    def tree(self, value):
        """Every string inside `value` (dicts and lists, e.g. a notebook), redacted in place where possible."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            for key in value:
                if not str(key).startswith("image/"):  # a chart's PNG, as base64
                    value[key] = self.tree(value[key])
        elif isinstance(value, list):
            value[:] = [self.tree(item) for item in value]
        return value


class RedactingFormatter(logging.Formatter):
    """Log lines as the format makes them, redacted."""

    def __init__(self, redactor: Redactor, fmt: str):
        super().__init__(fmt)
        self.redactor = redactor

    def format(self, record: logging.LogRecord) -> str:
        return self.redactor.text(super().format(record))


def _spellings(folder: Path) -> set[str]:
    """A folder as text may show it: as given and resolved, and with the backslashes doubled in source code."""
    forms = {str(folder), str(folder.resolve()), folder.as_posix()}
    return forms | {form.replace("\\", "\\\\") for form in forms if "\\" in form}
