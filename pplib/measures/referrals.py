"""Local NRM referrals and Duty to Notify reports: by exploitation type and year, first responder, and the
reasonable and conclusive grounds decisions.

Pure: each table says what it counts (``measures.value.describe``: measure ``referrals`` or ``dtn_reports``,
as ``pplib.disclosure.recode.MEASURES`` names them), so the partner edition protects it; each sentence writes
its counts through ``number`` (the section's).
"""
from __future__ import annotations

import pandas as pd

from pplib.measures.value import describe
from pplib.measures.wording import counted, in_brackets, plain, share, type_label, withheld
from pplib.records.clean import RESPONDER_TYPES
from pplib.records.schemas import EXPLOITATION_TYPES

DECISIONS = ("positive", "negative", "pending", "unknown")
NOUNS = {"referrals": "NRM referral", "dtn_reports": "Duty to Notify report"}


def _measure(frame: pd.DataFrame, default: str) -> str:
    return frame.attrs.get("measure", default)


def _order(values, order) -> list:
    present = [str(v) for v in values]
    order = list(dict.fromkeys(order))
    return [o for o in order if o in present] + sorted(v for v in set(present) if v not in order)


def by_type_and_year(frame: pd.DataFrame, measure: str = "referrals") -> pd.DataFrame:
    """Records per primary exploitation type (rows) and year (columns), with each type's total."""
    measure = _measure(frame, measure)
    types = frame["primary_type"].astype("object").fillna("unknown").astype(str)
    years = [str(y) for y in sorted(frame["year"].dropna().unique())]
    table = pd.crosstab(types, frame["year"].astype(str)).reindex(columns=years, fill_value=0)
    table = table.reindex(_order(table.index, EXPLOITATION_TYPES + ("other or not recorded", "unknown")))
    table["total"] = table.sum(axis=1)
    table = table.rename_axis(None, axis=1).rename_axis("primary_type").reset_index()
    counts = {y: {"conditions": {"year": y}} for y in years} | {"total": {}}
    return describe(table, measure, by={"primary_type": "primary_type"}, counts=counts,
                    within=frame.attrs.get("within"))


def by_responder(frame: pd.DataFrame, measure: str = "referrals") -> pd.DataFrame:
    """Records per kind of first responder (police, local authority, government agency, NGO...), with each
    one's children (NRM referrals only: Duty to Notify reports are of adults) and share of the total."""
    measure = _measure(frame, measure)
    kinds = frame["responder_type"].astype("object").fillna("unknown").astype(str)
    order = _order(kinds.unique(), RESPONDER_TYPES + ("unknown",))
    table = kinds.value_counts().reindex(order, fill_value=0).rename(measure).rename_axis("responder_type").reset_index()
    counts = {measure: {}}
    if "age_group" in frame:
        children = kinds[frame["age_group"] == "child"].value_counts()
        table["children"] = table["responder_type"].map(children).fillna(0).astype(int)
        counts["children"] = {"conditions": {"age_group": "child"}}
    total = table[measure].sum()
    table["percent"] = (100 * table[measure] / total).round(1) if total else 0.0
    return describe(table, measure, by={"responder_type": "responder_type"}, counts=counts,
                    within=frame.attrs.get("within"), ratios={"percent": (measure, None)})


def decisions(frame: pd.DataFrame) -> pd.DataFrame:
    """NRM referrals by reasonable grounds decision (rows) and, among them, conclusive grounds decision."""
    measure = _measure(frame, "referrals")
    rg = frame["rg_decision"].astype("object").fillna("unknown").astype(str)
    cg = frame["cg_decision"].astype("object").fillna("unknown").astype(str)
    rows = [r for r in DECISIONS if r in set(rg)]
    table = pd.DataFrame({"rg_decision": rows, "referrals": [int((rg == r).sum()) for r in rows]})
    counts = {"referrals": {}}
    for c in DECISIONS:
        column = "no conclusive grounds decision" if c == "unknown" else f"conclusive grounds {c}"
        table[column] = [int(((rg == r) & (cg == c)).sum()) for r in rows]
        counts[column] = {"conditions": {"cg_decision": c}}
    return describe(table, measure, by={"rg_decision": "rg_decision"}, counts=counts,
                    within=frame.attrs.get("within"))


def _most_common_type(records: pd.DataFrame) -> tuple[str, int] | None:
    """The most common primary type recorded (not unknown, not other) and its count; None when there is none."""
    known = records["primary_type"][~records["primary_type"].isin(["unknown", "other or not recorded"])]
    counts = known.value_counts()
    return (counts.index[0], int(counts.iloc[0])) if len(counts) else None


def bullets(data, number=plain) -> list[str]:
    """What the referrals and reports show: the most common type, the share of children, the first responder
    mix, and the decisions. Counts through `number`; no share of a withheld count."""
    nrm, dtn = data.nrm_referrals, data.duty_to_notify
    lines = []
    if len(nrm):
        total = number(len(nrm), "referrals")
        if found := _most_common_type(nrm):
            top, n = found
            text = number(n, "referrals", primary_type=top)
            lines.append(f"{type_label(top).capitalize()} was the most common primary type of NRM referral "
                         f"({counted(text, 'referral')}{share(text, total, n, len(nrm))}).")
        n_child = int((nrm["age_group"] == "child").sum())
        children = number(n_child, "referrals", age_group="child")
        lines.append(f"{children}{in_brackets(share(children, total, n_child, len(nrm)))} of the {total} "
                     "referrals were of people exploited as children.")
        kinds = nrm["responder_type"].value_counts()
        parts = []
        for kind, n in kinds.items():
            if kind == "unknown":
                continue
            text = number(int(n), "referrals", responder_type=kind)
            percent = "" if withheld(text) or withheld(total) else f" ({100 * n / len(nrm):.0f}%)"
            parts.append(f"{kind} {text}{percent}")
        if parts:
            lines.append("Referrals by first responder: " + "; ".join(parts) + ".")
        n_pos = int((nrm["rg_decision"] == "positive").sum())
        positive = number(n_pos, "referrals", rg_decision="positive")
        lines.append(f"{positive}{in_brackets(share(positive, total, n_pos, len(nrm)))} received a positive "
                     "reasonable grounds decision.")
    if len(dtn):
        reports = number(len(dtn), "dtn_reports")
        if found := _most_common_type(dtn):
            top, n = found
            text = number(n, "dtn_reports", primary_type=top)
            lines.append(f"Of the {reports} Duty to Notify reports (adults who did not enter the NRM), "
                         f"{type_label(top)} was the most common type ({text}{share(text, reports, n, len(dtn))}).")
    return lines
