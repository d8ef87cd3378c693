"""Small categories recoded before anything is counted: it loses less than suppressing them everywhere.

In the partner edition an exploitation type with fewer crimes than the threshold is counted, in every
source, with the crimes whose type was not recorded ("other or not recorded": a small "other" beside them
would itself need suppressing, and another cell with it); a nationality or sector held by fewer records of a
source than the threshold is counted likewise in that source. Every table, map and sentence then counts
the recoded records, so a recoded category appears nowhere by its own name.
"""
from __future__ import annotations

import dataclasses

from pplib.measures.value import OTHER

UNRECORDED = ("unknown", "Unknown", "other")
MEASURES = {"crimes": "crimes", "victims": "victims", "suspects": "suspects",
            "referrals": "nrm_referrals", "dtn_reports": "duty_to_notify"}
_SMALL_BY_SOURCE = ("nationality", "sector")


@dataclasses.dataclass
class Recoded:
    data: object  # LocalityData, recoded
    categories: list[dict]  # {"measure", "dimension", "value"} of each category recoded into "other"


def recode(data, threshold: int) -> Recoded:
    notes = []
    types = data.crimes["primary_type"].value_counts()
    small_types = sorted(t for t, n in types.items() if n < threshold and t not in UNRECORDED)
    notes += [{"measure": "crimes", "dimension": "primary_type", "value": t} for t in small_types]
    if small_types:
        small_types += list(UNRECORDED)
    frames = {}
    for measure, attribute in MEASURES.items():
        frame = getattr(data, attribute).copy()
        if "primary_type" in frame and small_types:
            frame["primary_type"] = frame["primary_type"].where(~frame["primary_type"].isin(small_types), OTHER)
        for column in _SMALL_BY_SOURCE:
            if column in frame:
                counts = frame[column].value_counts()
                small = sorted(str(v) for v, n in counts.items() if n < threshold and str(v) not in UNRECORDED)
                notes += [{"measure": measure, "dimension": column, "value": v} for v in small]
                if small:
                    small += list(UNRECORDED)
                    frame[column] = frame[column].where(~frame[column].astype(str).isin(small), OTHER)
        frame.attrs = {"measure": measure, "recoded": True}
        frames[attribute] = frame
    return Recoded(dataclasses.replace(data, **frames), notes)
