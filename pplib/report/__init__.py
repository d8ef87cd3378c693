"""The only place that protects, renders, writes and displays: ``section.Section`` (tables, charts, maps
and sentences through the disclosure ledger), the findings, the appendix's text, and the explorer.
"""
