"""The report's sections in the order partners read them, and its editions: declared once.
"""
from __future__ import annotations

# Report order, as partners read it.
SECTIONS = ("executive_summary", "introduction", "partnership_progress", "partnership_priorities",
            "national_picture", "local_picture", "mapping", "in_focus", "appendix")


EDITIONS = ("partner", "internal")


# The section a build's kernel is running (set by pplib.build.execute), so the disclosure ledger knows which
# section asked about each cell; a notebook opened by hand goes by its title instead.
SECTION_SETTING = "PPLIB_SECTION"

# Sections that read what the others made (the appendix lists every table and counts every suppression):
# made again whenever another section is.
READS_OTHER_SECTIONS = ("appendix",)
