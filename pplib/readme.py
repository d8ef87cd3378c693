"""Keep generated parts of README.md in step with the code they describe."""
from __future__ import annotations

import re

from pplib.paths import PROJECT_ROOT
from pplib.records.schemas import data_dictionary_markdown

README = PROJECT_ROOT / "README.md"
START, END = "<!-- data-dictionary:start -->", "<!-- data-dictionary:end -->"


def _block() -> str:
    return f"{START}\n{data_dictionary_markdown()}\n{END}"


def readme_data_dictionary() -> str:
    text = README.read_text(encoding="utf-8")
    match = re.search(re.escape(START) + ".*?" + re.escape(END), text, flags=re.S)
    return match.group(0) if match else ""


def update_data_dictionary() -> None:
    text = README.read_text(encoding="utf-8")
    current = readme_data_dictionary()
    README.write_text(text.replace(current, _block()) if current else text + "\n" + _block() + "\n",
                      encoding="utf-8")


def data_dictionary_is_current() -> bool:
    return readme_data_dictionary() == _block()
