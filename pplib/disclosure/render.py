"""How a partner table is written out: "[c]" in the cells the ledger withholds, counts as whole numbers.

A protected table (``pplib.disclosure.tables.protect``) keeps, in ``attrs["suppressed_cells"]``, the index
labels of its withheld cells per column, so a withheld cell is told apart from one missing in the input.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

MARKER = "[c]"  # the ONS convention for a confidential cell


def _whole_valued(series: pd.Series) -> bool:
    if pd.api.types.is_bool_dtype(series.dtype):
        return False
    if pd.api.types.is_integer_dtype(series.dtype):
        return True
    if pd.api.types.is_float_dtype(series.dtype):
        values = series.dropna().to_numpy(dtype=float)
        return bool(np.isfinite(values).all() and (values == np.round(values)).all())
    return False


def _missing(value) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def suppressed(frame: pd.DataFrame) -> pd.DataFrame:
    """Boolean mask of the cells a partner table shows as [c] (suppressed or blanked, not missing input)."""
    mask = pd.DataFrame(False, index=frame.index, columns=frame.columns)
    for column, labels in frame.attrs.get("suppressed_cells", {}).items():
        if column in frame.columns:
            mask[column] = frame.index.isin(labels) & frame[column].isna().to_numpy()
    return mask


def render(frame: pd.DataFrame, thousands: bool = False) -> pd.DataFrame:
    """An object-dtype copy for CSV and HTML: the marker ("[c]") in suppressed cells, whole numbers as
    text ("1234", or "1,234" with thousands=True), missing cells as ""; other values unchanged."""
    marker = frame.attrs.get("suppressed_marker", MARKER)
    hidden = suppressed(frame)
    out = frame.astype(object)
    for column in frame.columns:
        series = frame[column]
        whole = _whole_valued(series)
        values = []
        for value, hide in zip(series.tolist(), hidden[column].tolist()):
            if hide:
                values.append(marker)
            elif _missing(value):
                values.append("")
            elif whole:
                values.append(f"{int(value):,}" if thousands else str(int(value)))
            else:
                values.append(value)
        out[column] = pd.Series(values, index=frame.index, dtype=object)
    out.attrs = dict(frame.attrs)
    return out
