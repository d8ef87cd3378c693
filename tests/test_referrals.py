"""Local NRM referrals and Duty to Notify reports: every table says what it counts, and adds up."""
from pplib.config import load_locality
from pplib.measures import referrals
from pplib.records.dataset import load_locality_data


def _data(nottinghamshire):
    data = load_locality_data(load_locality(nottinghamshire))
    data.nrm_referrals.attrs["measure"], data.duty_to_notify.attrs["measure"] = "referrals", "dtn_reports"
    return data


def test_referral_tables_say_what_they_count_and_add_up(nottinghamshire):
    data = _data(nottinghamshire)
    nrm, dtn = data.nrm_referrals, data.duty_to_notify
    by_type = referrals.by_type_and_year(nrm)
    assert by_type.attrs["cells"]["measure"] == "referrals" and by_type["primary_type"].is_unique
    assert by_type["total"].sum() == len(nrm) == 721
    years = [c for c in by_type if c not in ("primary_type", "total")]
    assert (by_type[years].sum(axis=1) == by_type["total"]).all()
    assert by_type.attrs["cells"]["counts"]["2023"] == {"conditions": {"year": "2023"}}
    responders = referrals.by_responder(nrm)
    assert responders["referrals"].sum() == len(nrm) and "police" in set(responders["responder_type"])
    assert responders["children"].sum() == int((nrm["age_group"] == "child").sum())
    decisions = referrals.decisions(nrm)
    assert decisions["referrals"].sum() == len(nrm)
    parts = [c for c in decisions if c.startswith("conclusive") or c.startswith("no conclusive")]
    assert (decisions[parts].sum(axis=1) == decisions["referrals"]).all()
    assert referrals.by_type_and_year(dtn).attrs["cells"]["measure"] == "dtn_reports"
    assert referrals.by_type_and_year(dtn)["total"].sum() == len(dtn) == 207


def test_referral_bullets_write_every_count_through_number(nottinghamshire):
    data = _data(nottinghamshire)
    quoted = []
    def number(value, measure, **conditions):
        quoted.append((measure, conditions))
        return f"{value:,}"
    lines = referrals.bullets(data, number)
    assert any("most common primary type of NRM referral" in line for line in lines)
    assert any("exploited as children" in line for line in lines)
    assert any(line.startswith("Referrals by first responder") for line in lines)
    assert {m for m, _ in quoted} == {"referrals", "dtn_reports"}
    assert ("referrals", {"age_group": "child"}) in quoted


def test_a_decision_no_referral_has_is_still_a_cell_the_disclosure_model_knows(nottinghamshire):
    # a synthetic force with no negative conclusive grounds decision failed its partner build: the table has a
    # column for every decision, and the model knew only the values recorded
    from pplib.disclosure.plan import Ledger
    from pplib.disclosure.tables import protect

    nrm = _data(nottinghamshire).nrm_referrals
    nrm = nrm[nrm["cg_decision"].astype("object") != "negative"]
    nrm.attrs["measure"] = "referrals"
    table = referrals.decisions(nrm)
    assert table["conclusive grounds negative"].sum() == 0

    def recorded(measure, dim):  # the records' own values, as a section's domain gives them
        return sorted(set(nrm[dim].astype("object").fillna("unknown").astype(str)))

    shown, cells, _ = protect(Ledger(5, 10), "decisions", table, table.attrs["cells"], recorded)
    assert "referrals|cg_decision=negative|rg_decision=positive" in {c["key"] for c in cells}
    assert shown["referrals"].notna().any()
