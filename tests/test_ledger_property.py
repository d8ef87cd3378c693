"""Property: every row read ends in the ledger exactly once, whatever the input."""
import shutil
import tempfile
from pathlib import Path

import pytest
from factories import crime, make_locality, victim
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pplib.config import load_locality
from pplib.records.dataset import load_locality_data

refs = st.sampled_from(["A1", "A2", "A3", "", "B7"])
dates = st.sampled_from(["01/06/2022", "2022-02-30", "", "3/4/21", "44654", "01/01/2019", "nonsense"])
types = st.sampled_from(["Labour", "sexual exp; CSE", "", "county lines", "weird"])
crime_rows = st.lists(st.builds(lambda r, d, t, cl: crime(r, recorded=d, types=t, county_lines=cl),
                                refs, dates, types, st.sampled_from(["Y", "N", "", "maybe"])),
                      min_size=1, max_size=12)
victim_rows = st.lists(st.builds(lambda r, v, a, s: victim(r, v, age=a, sex=s),
                                 refs, st.sampled_from(["V1", "V2", ""]), st.sampled_from(["30", "", "x", "150"]),
                                 st.sampled_from(["M", "F", "", "Q"])),
                       min_size=1, max_size=12)


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(crimes=crime_rows, victims=victim_rows)
def test_used_merged_and_rejected_account_for_every_row(crimes, victims):
    folder = Path(tempfile.mkdtemp())
    try:
        data = load_locality_data(load_locality(make_locality(folder / "loc", crimes, victims)))
        for kind, loaded in data.loaded.items():
            entries = data.ledger[data.ledger["source"] == kind]
            assert len(entries) == loaded.rows_read
            assert sorted(entries["source_row"]) == list(loaded.frame["source_row"])
            assert set(entries["status"]) <= {"used", "merged", "rejected"}
            assert (entries["status"] == "used").sum() == len(getattr(data, kind))
            merged = entries[entries["status"] == "merged"]
            used_rows = set(entries.loc[entries["status"] == "used", "source_row"])
            assert set(merged["merged_into"]) <= used_rows | set(
                entries.loc[entries["status"] == "rejected", "source_row"])
            assert (entries.loc[entries["status"] == "rejected", "reason"] != "").all()
    finally:
        shutil.rmtree(folder)
