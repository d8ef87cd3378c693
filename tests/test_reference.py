import pandas as pd

from pplib.paths import REFERENCE_DIR
from pplib.reference import import_reference, national_figures

from conftest import shared_dir


def test_import_reproduces_committed_reference_files(tmp_path):
    written = import_reference(shared_dir(), tmp_path)
    for path in written:
        assert path.read_bytes() == (REFERENCE_DIR / path.name).read_bytes(), path.name


def test_only_latest_official_rows_with_sources():
    national = national_figures()
    totals = national[national["measure"] == "total_referrals"].set_index("period")["value"]
    assert totals["2023"] == 16990  # EOY 2024 revision of 2023, not the first-published 17,004
    assert totals["2022"] == 16921
    assert national["source_url"].str.startswith("http").all()
    assert not national.duplicated(["period", "measure"]).any()
