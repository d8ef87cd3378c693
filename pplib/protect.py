"""Disclosure control for the partner edition (STUB: interface fixed, implementation in progress).

Two editions: `internal` (for the analysts who hold the data: everything shown as is) and `partner`
(the default for sharing: counts derived from local records below the configured threshold are
suppressed, with secondary suppression, or all rounded, as the locality's `disclosure` says).
Published national figures are public and never pass through here.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from pplib.config import Disclosure

EDITIONS = ("internal", "partner")


@dataclass
class Protector:
    edition: str
    disclosure: Disclosure
    log: list[dict] = field(default_factory=list)  # one entry per cell suppressed or rounded

    @property
    def partner(self) -> bool:
        return self.edition == "partner"

    def count(self, n: int) -> str:
        """A local count as it may be written in a sentence in this edition ('12', 'fewer than 5', '10')."""
        return f"{int(n):,}"

    def share(self, part: int, whole: int) -> str:
        """A percentage of local counts, or 'n/a' where it could reveal a suppressed count."""
        return f"{100 * part / whole:.0f}%" if whole else "n/a"

    def table(self, frame: pd.DataFrame, name: str, counts: list[str] | None = None,
              groups: list[list[str]] | None = None) -> pd.DataFrame:
        """A copy of a table of local counts safe for this edition.

        counts: the count columns (default: integer columns other than year/population).
        groups: sets of key columns within which a suppressed cell could be recovered from a
        total (default: the whole column); secondary suppression works within each.
        """
        return frame.copy()

    def rule(self) -> str:
        """The disclosure rule applied, as a sentence for the report."""
        return "Internal edition: counts are shown as recorded; do not share it outside the analysts who hold the data."

    def disclosure_log(self) -> pd.DataFrame:
        return pd.DataFrame(self.log, columns=["table", "row", "column", "action", "reason"])
