"""Pure measures: dataset to plain values that say what they count (``value.describe``). Nothing here
protects; the report does, at one boundary (``pplib.report.section``).
"""
