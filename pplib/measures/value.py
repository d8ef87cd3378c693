"""What a measure returns: a plain table that says what it counts.

A measure never protects. It names, in ``frame.attrs["cells"]``, the measure its counts count, the
dimensions its rows are grouped by, the totals a reader is shown and the ratios derived from them, so that
the report (``pplib.report.section``) can pass every count it shows through the disclosure ledger.
"""
from __future__ import annotations

import pandas as pd

# What the partner edition calls the small categories it recodes, and what measures call values not recorded.
OTHER = "other or not recorded"


def describe(frame: pd.DataFrame, measure: str, by: dict[str, str] | None = None,
             counts: dict[str, dict] | None = None, within: dict | None = None,
             ratios: dict[str, tuple] | None = None, domains: dict[str, list] | None = None,
             additive: dict[str, bool] | None = None, also: list[tuple[dict, int]] | None = None) -> pd.DataFrame:
    """Say what `frame` counts, and return it.

    measure: what each count counts (crimes, victims, ...); by: table column -> dimension, one condition per
    row; counts: count column -> {"measure": ..., "conditions": {...}} for columns that count something else
    or a part (e.g. {"used": {"conditions": {"status": "used"}}}); within: conditions on every cell (default:
    the records' own, ``frame.attrs["within"]`` of the input); ratios: derived column -> (count column,
    denominator) where the denominator is None (the column's total), or the name of a column of published
    constants (population), with the scale (100 for percent, 100000 per 100,000) as a third item; domains:
    dimension -> every value it takes, where the dataset's own values are not what the table uses (areas);
    also: (conditions, count) of cells the page shows beside the table rather than in it (the records no area
    holds, in a sentence under the area table), decided with the table's own: decided later, a small one
    could withdraw a cell of the table already on the page."""
    frame.attrs["cells"] = {"measure": measure, "by": by or {}, "counts": counts or {},
                            "within": {k: str(v) for k, v in (within or {}).items()},
                            "ratios": ratios or {}, "domains": domains or {}, "additive": additive or {},
                            "also": [({k: str(v) for k, v in c.items()}, int(n)) for c, n in also or []]}
    return frame
