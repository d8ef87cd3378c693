"""Disclosure control for the partner edition: the one boundary, protection over linked tables, and the audit.

- ``cells``: names every local count (a *cell*) and builds the linear model a reader can use.
- ``plan``: the locality's ledger of cells; chooses primary and secondary suppression over every cell shown
  so far (recoding first), so the same cell is treated the same way everywhere.
- ``audit``: reads a built partner folder back and attacks it by linear programming.

What a partner folder holds beside its tables, for the audit (``disclosure/metadata.json``)::

    {"format": 1,
     "rule": {"threshold": 5, "group_threshold": 10, "method": "suppress", "rounding_base": 5, "marker": "[c]"},
     "files": ["report.html", "tables/x.csv", ...],           # every file the build put in the folder
     "domains": {"dimensions": {measure: {dim: {"values": [...], "additive": true}}},
                 "coarsenings": [{"measure", "fine", "coarse", "mapping": {fine: coarse}, "unknown"}]},
     "tables": [{"file": "tables/x.csv", "title": "...", "origin": "local" | "published" | "registers",
                 "cells": [{"row": 0, "column": "crimes", "key": "crimes|primary_type=labour"}],
                 "ratios": [{"row": 0, "column": "percent", "numerator": KEY, "denominator": KEY or number,
                             "scale": 100}]}]}

``row`` is the 0-based data row of the CSV (the header is not a row); the workbook's sheets hold the same
tables (its Contents sheet names each sheet's CSV file). In the report's text a local count is written as
``<span class="pp-n" data-cell="KEY">12</span>`` ("[c]" when suppressed) and a share of one as
``<span class="pp-r" data-num="KEY" data-den="KEY or number" data-scale="100">37%</span>``.
"""
