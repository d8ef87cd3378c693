"""How figures are written, after the Home Office NRM bulletin: labels, counts with their noun, shares.

``number`` arguments elsewhere are the report's: they write a count as the edition shows that cell; ``plain``
is the unprotected default.
"""
from __future__ import annotations


def plain(value, measure: str = "", **conditions) -> str:
    """A count as the internal edition writes it; sections pass their own `number` (disclosure applied)."""
    return f"{int(value):,}"


def withheld(text: str) -> bool:
    return "[c]" in text


TYPE_LABELS = {"labour": "labour exploitation", "criminal": "criminal exploitation",
               "sexual": "sexual exploitation", "domestic servitude": "domestic servitude",
               "organ harvesting": "organ harvesting", "other": "other exploitation",
               "other or not recorded": "another type or none recorded",
               "unknown": "exploitation type not recorded"}


def type_label(exploitation_type: str) -> str:
    return TYPE_LABELS.get(exploitation_type, exploitation_type)


def counted(text: str, noun: str, plural: str | None = None) -> str:
    """'1 crime', '2 crimes', '1,024 victims' from a count as the edition writes it."""
    return f"{text} {noun if text == '1' else (plural or noun + 's')}"


def share(part_text: str, whole_text: str, part: int, whole: int) -> str:
    """', 37%' after a count, only when the count and its total are both shown (a share of a withheld count
    would give it away)."""
    if withheld(part_text) or withheld(whole_text) or not whole:
        return ""
    return f", {100 * part / whole:.0f}%"


def in_brackets(share_text: str) -> str:
    return f" ({share_text[2:]})" if share_text else ""
