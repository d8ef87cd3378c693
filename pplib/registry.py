"""The report's sections in the order partners read them, and its editions: declared once.
"""
from __future__ import annotations

# Report order, as partners read it.
SECTIONS = ("executive_summary", "introduction", "partnership_progress", "partnership_priorities",
            "national_picture", "local_picture", "mapping", "in_focus", "appendix")


EDITIONS = ("partner", "internal")
