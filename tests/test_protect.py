"""Disclosure control (pplib.protect): suppression, secondary suppression, rounding, wording, logging."""
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pplib.config import Disclosure
from pplib.protect import EDITIONS, MARKER, Protector, count_columns, render, suppressed

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def partner(threshold=5, method="suppress", base=5) -> Protector:
    return Protector("partner", Disclosure(threshold=threshold, method=method, rounding_base=base))


def by_type(counts: list[int]) -> pd.DataFrame:
    types = ["labour", "sexual", "criminal", "domestic servitude", "organ harvesting", "other", "unknown"]
    frame = pd.DataFrame({"primary_type": types[:len(counts)], "crimes": counts})
    total = frame["crimes"].sum()
    frame["percent"] = (100 * frame["crimes"] / total).round(1) if total else 0.0
    return frame


def hidden(frame: pd.DataFrame, column: str = "crimes") -> list[bool]:
    return frame[column].isna().tolist()


# --- independent check: can a suppressed cell be worked out from the known totals? -------------

def recoverable(values: dict, hidden_cells: set, equations: list[list]) -> set:
    """Suppressed cells pinned by the known totals: by linear algebra (rank test), or because the
    suppressed cells of one total add up to their number (each is at least 1, so each is 1)."""
    hidden_cells = sorted(hidden_cells)
    rows = [[c for c in cells if c in hidden_cells] for cells in equations]
    rows = [r for r in rows if r]
    pinned = set()
    for unknown in rows:
        if sum(values[c] for c in unknown) == len(unknown):
            pinned |= set(unknown)
    if rows:
        matrix = np.array([[1.0 if c in r else 0.0 for c in hidden_cells] for r in rows])
        rank = np.linalg.matrix_rank(matrix)
        for k, c in enumerate(hidden_cells):
            unit = np.zeros(len(hidden_cells))
            unit[k] = 1.0
            if np.linalg.matrix_rank(np.vstack([matrix, unit])) == rank:
                pinned.add(c)
    return pinned


def published_totals(frame: pd.DataFrame, keysets: list[list[str]], threshold: int) -> list[list[int]]:
    """The row sets whose totals a reader knows when each set of totals (by area, by type) is published
    as its own table through the same protector, with their grand total."""
    equations = []
    for keys in keysets:
        marginal = frame.groupby(keys, sort=False)["crimes"].sum().reset_index()
        shown = partner(threshold).table(marginal, "totals")
        for key, total in zip(marginal[keys].itertuples(index=False, name=None), shown["crimes"]):
            if not pd.isna(total):
                equations.append(list(np.flatnonzero((frame[keys].apply(tuple, axis=1) == key).to_numpy())))
        if len(marginal) > 1 and marginal["crimes"].sum() >= threshold:
            equations.append(list(range(len(frame))))
    return equations


# --- editions and wording ----------------------------------------------------------------------

def test_editions_and_unknown_edition():
    assert EDITIONS == ("internal", "partner")
    assert Protector("partner", Disclosure()).partner and not Protector("internal", Disclosure()).partner
    with pytest.raises(ValueError, match="edition"):
        Protector("public", Disclosure())


def test_internal_edition_changes_nothing():
    protect = Protector("internal", Disclosure())
    frame = by_type([12, 1, 0, 3, 250])
    shown = protect.table(frame, "Crimes by type")
    pd.testing.assert_frame_equal(shown, frame)
    shown.loc[0, "crimes"] = 99
    assert frame.loc[0, "crimes"] == 12  # a copy
    assert protect.log == [] and protect.disclosure_log().empty
    assert list(protect.disclosure_log().columns) == ["table", "row", "column", "action", "reason"]
    assert protect.count(1) == "1" and protect.count(12345) == "12,345" and protect.count(0) == "0"
    assert protect.share(1, 3) == "33%" and protect.share(1, 0) == "n/a"
    rule = protect.rule()
    assert "Internal edition" in rule and "analysts who hold the data" in rule


@pytest.mark.parametrize("threshold", [5, 10])
def test_count_in_sentences(threshold):
    protect = partner(threshold)
    assert protect.count(0) == "0"
    for n in range(1, threshold):
        assert protect.count(n) == f"fewer than {threshold}"
    assert protect.count(threshold) == str(threshold)
    assert protect.count(1234) == "1,234"
    assert protect.count(np.int64(3)) == f"fewer than {threshold}"
    assert protect.count(pd.NA) == "n/a"


def test_share_in_sentences():
    protect = partner(5)
    assert protect.share(3, 40) == "n/a"  # the part is suppressed
    assert protect.share(0, 3) == "n/a"  # the whole is suppressed
    assert protect.share(0, 40) == "0%"
    assert protect.share(15, 40) == "38%"
    assert protect.share(5, 0) == "n/a"
    rounding = partner(5, "round", 5)
    assert rounding.share(7, 20) == "25%"  # 5 of 20, from rounded counts
    assert rounding.share(3, 20) == "n/a"


def test_rule_wording():
    rule = partner(5).rule()
    assert rule.startswith("Partner edition.") and "1 to 4" in rule and MARKER in rule
    assert "Zeros are shown" in rule and "national figures are not suppressed" in rule
    assert "worked out from a total" in rule
    assert "1 to 9" in partner(10).rule()
    assert "Counts from local records of 1 are suppressed" in partner(2).rule()
    assert "shown as recorded" in partner(1).rule()
    rounding = partner(5, "round", 10).rule()
    assert "rounded to the nearest 10" in rounding and "1 to 4" in rounding and "Zeros are shown" in rounding


# --- primary suppression -----------------------------------------------------------------------

@pytest.mark.parametrize("threshold", [5, 10])
def test_primary_suppression_and_zeros_shown(threshold):
    protect = partner(threshold)
    counts = [0, 1, threshold - 1, threshold, threshold + 1, 100]
    frame = pd.DataFrame({"area_code": [f"E0{i}" for i in range(6)], "crimes": counts})
    shown = protect.table(frame, "Crimes by area")
    small = [0 < c < threshold for c in counts]
    assert hidden(shown) == small  # two small cells: no secondary needed
    assert shown["crimes"].dtype == "Int64"
    assert shown.loc[0, "crimes"] == 0
    log = protect.disclosure_log()
    assert (log["action"] == "suppressed (primary)").sum() == 2 and len(log) == 2
    assert set(log["row"]) == {"area_code=E01", f"area_code=E02"}
    assert set(log["reason"]) == {f"1 to {threshold - 1}: below the threshold of {threshold}"}
    assert shown.attrs["protected_columns"] == ["crimes"] and shown.attrs["suppressed_marker"] == "[c]"


def test_missing_input_stays_missing_and_is_not_logged():
    protect = partner(5)
    frame = pd.DataFrame({"district": ["a", "b", "c", "d"], "crimes": [np.nan, 20.0, 30.0, 0.0]})
    shown = protect.table(frame, "Crimes by district")
    assert shown["crimes"].dtype == "Int64" and pd.isna(shown.loc[0, "crimes"])
    assert shown["crimes"].tolist()[1:] == [20, 30, 0]
    assert protect.log == []
    assert render(shown)["crimes"].tolist() == ["", "20", "30", "0"]


def test_empty_single_row_and_all_zero_tables():
    protect = partner(5)
    empty = protect.table(pd.DataFrame({"primary_type": pd.Series([], dtype=str),
                                        "crimes": pd.Series([], dtype=int)}), "empty")
    assert empty.empty and empty.attrs["protected_columns"] == ["crimes"]
    single = protect.table(pd.DataFrame({"sex": ["female"], "people": [3], "percent": [100.0]}), "single")
    assert hidden(single, "people") == [True] and hidden(single, "percent") == [True]
    zeros = protect.table(by_type([0, 0, 0]), "zeros")
    assert zeros["crimes"].tolist() == [0, 0, 0] and not zeros["crimes"].isna().any()
    assert [e["table"] for e in protect.log] == ["single", "single"]
    assert render(empty).empty


def test_default_count_columns():
    frame = pd.DataFrame({"year": [2021, 2022], "area_code": ["E1", "E2"], "force_id": [1, 2],
                          "population": [1000, 2000], "quarters": [4, 4], "crimes": [3, 10],
                          "victims": [2.0, 12.0], "rate_per_100k": [300.0, 500.0], "percent": [25.0, 75.0],
                          "score": [1.5, 2.0], "flagged": [True, False], "Int": pd.array([1, None], "Int64")})
    assert count_columns(frame) == ["crimes", "victims", "Int"]


# --- secondary suppression ---------------------------------------------------------------------

def test_secondary_suppression_in_one_column():
    protect = partner(5)
    frame = by_type([12, 7, 20, 3, 0, 9])
    shown = protect.table(frame, "Crimes by type")
    # the 3 is suppressed; alone it could be worked out from the total, so the smallest other non-zero (7) goes too
    assert hidden(shown) == [False, True, False, True, False, False]
    assert shown["crimes"].tolist()[0::2] == [12, 20, 0]
    log = protect.disclosure_log().set_index("row")
    assert log.loc["primary_type=domestic servitude", "action"].tolist()[0] == "suppressed (primary)"
    secondary = log[(log["action"] == "suppressed (secondary)") & (log["column"] == "crimes")]
    assert secondary.index.tolist() == ["primary_type=sexual"]
    assert "primary_type=domestic servitude" in secondary["reason"].iloc[0]
    assert "recovered from the total" in secondary["reason"].iloc[0]
    # percents of suppressed rows are blanked (and logged); the others are kept
    assert hidden(shown, "percent") == hidden(shown)
    assert shown.loc[0, "percent"] == frame.loc[0, "percent"]
    percents = log[log["column"] == "percent"]
    assert set(percents["action"]) == {"suppressed (secondary)"} and len(percents) == 2
    assert percents["reason"].str.contains("percentage or rate in a row with a suppressed count").all()
    assert set(log["action"]) == {"suppressed (primary)", "suppressed (secondary)"}


def test_two_small_cells_need_no_secondary_unless_they_add_up_to_ones():
    protect = partner(5)
    assert hidden(protect.table(by_type([30, 2, 3, 40]), "a")) == [False, True, True, False]
    # two cells of 1: total minus the shown cells = 2, so both must be 1: a third cell is suppressed
    shown = protect.table(by_type([30, 1, 1, 40]), "b")
    assert hidden(shown) == [True, True, True, False]


def test_a_lone_small_count_with_zeros_needs_no_secondary():
    protect = partner(5)
    shown = protect.table(by_type([0, 3, 0]), "lone")
    assert hidden(shown) == [False, True, False]
    assert protect.count(3) == "fewer than 5"  # its total (3) is suppressed wherever it is written


@FAST
@given(st.lists(st.one_of(st.integers(0, 6), st.integers(0, 60)), min_size=0, max_size=8),
       st.sampled_from([5, 10]))
def test_one_column_total_never_pins_down_a_suppressed_cell(counts, threshold):
    protect = partner(threshold)
    frame = pd.DataFrame({"key": [f"k{i}" for i in range(len(counts))], "count": counts})
    shown = protect.table(frame, "t")
    mask = shown["count"].isna().to_numpy()
    values = np.array(counts, dtype=int)
    assert (mask[(values > 0) & (values < threshold)]).all()  # every small count is suppressed
    assert not mask[values == 0].any()  # zeros are shown
    assert (shown["count"].dropna().to_numpy() == values[~mask]).all()  # the rest as recorded
    total = values.sum()
    if mask.any() and total >= threshold:
        rest = total - values[~mask].sum()  # what the total minus the shown cells gives
        assert mask.sum() >= 2 and rest > mask.sum()  # shared by two or more cells, not all forced to 1
    # a count in a sentence agrees with the table: small ones read "fewer than", shown ones as shown
    for value, is_hidden in zip(counts, mask):
        if 0 < value < threshold:
            assert protect.count(value) == f"fewer than {threshold}" and is_hidden
        elif not is_hidden:
            assert protect.count(value) == f"{value:,}"


def long_table(values: list[list[int]]) -> tuple[pd.DataFrame, dict, list[list]]:
    rows = [{"area_code": f"E{a}", "primary_type": f"t{t}", "crimes": v}
            for a, row in enumerate(values) for t, v in enumerate(row)]
    frame = pd.DataFrame(rows)
    cells = {i: v for i, v in enumerate(frame["crimes"])}
    groups = [list(idx) for idx in frame.groupby("area_code").indices.values()]
    groups += [list(idx) for idx in frame.groupby("primary_type").indices.values()]
    return frame, cells, groups


@FAST
@given(st.integers(1, 5).flatmap(lambda w: st.lists(
    st.lists(st.one_of(st.integers(0, 5), st.integers(0, 30)), min_size=w, max_size=w), min_size=1, max_size=5)))
def test_two_way_secondary_suppression(values):
    protect = partner(5)
    frame, cells, groups = long_table(values)
    shown = protect.table(frame, "Crimes by area and type", groups=[["area_code"], ["primary_type"]])
    mask = shown["crimes"].isna().to_numpy()
    small = {i for i, v in cells.items() if 0 < v < 5}
    assert small <= set(np.flatnonzero(mask))
    for group in groups:
        nonzero = [i for i in group if cells[i] > 0]
        hidden_here = [i for i in nonzero if mask[i]]
        assert len(hidden_here) != 1 or len(nonzero) == 1, (group, values)
    log = protect.disclosure_log()
    assert len(log) == mask.sum()
    assert set(log["action"]) <= {"suppressed (primary)", "suppressed (secondary)"}
    # with the totals by area and by type published through the same protector, no small count can be
    # worked out, unless the log says which totals must be withheld
    equations = published_totals(frame, [["area_code"], ["primary_type"]], 5)
    pinned = recoverable(cells, set(np.flatnonzero(mask)), equations) & small
    warned = set(log[log["reason"].str.contains("must not all be published")]["row"])
    assert {f"area_code={frame.loc[i, 'area_code']}, primary_type={frame.loc[i, 'primary_type']}"
            for i in pinned} <= warned


def test_bridge_between_two_suppressed_blocks_is_caught():
    # Small counts in two 2x2 blocks joined by one small cell: every row and column has two or more
    # suppressed cells, yet rows E0+E1 minus columns t0+t1 give the joining cell exactly.
    values = [[2, 3, 50, 60],
              [3, 2, 4, 70],
              [80, 90, 2, 3],
              [60, 50, 3, 2]]
    frame, cells, _ = long_table(values)
    protect = partner(5)
    shown = protect.table(frame, "bridge", groups=[["area_code"], ["primary_type"]])
    mask = set(np.flatnonzero(shown["crimes"].isna().to_numpy()))
    small = {i for i, v in cells.items() if 0 < v < 5}
    equations = published_totals(frame, [["area_code"], ["primary_type"]], 5)
    assert recoverable(cells, small, equations) == {6}  # the naive pattern gives away (E1, t2)
    assert not recoverable(cells, mask, equations) & small
    assert (protect.disclosure_log()["action"] == "suppressed (secondary)").any()


def test_grand_total_is_a_known_total():
    # 3, 8 and 50 on the diagonal: the tables of totals by area and by type suppress 3 and 8, but the
    # grand total (61) minus the cells shown would give the 3, so the 8 is suppressed here too
    frame, cells, _ = long_table([[3, 0, 0], [0, 8, 0], [0, 0, 50]])
    protect = partner(5)
    shown = protect.table(frame, "diagonal", groups=[["area_code"], ["primary_type"]])
    assert np.flatnonzero(shown["crimes"].isna().to_numpy()).tolist() == [0, 4]
    assert "the whole 'crimes' column" in protect.log[-1]["reason"]
    assert not any("must not all be published" in e["reason"] for e in protect.log)


def test_totals_that_would_reveal_a_count_are_named():
    # E0 has 3 and 20, and the 20 is t1's only count: E0's total minus t1's total is 3, whatever the table shows
    frame, _, _ = long_table([[3, 20, 0], [0, 0, 10]])
    protect = partner(5)
    shown = protect.table(frame, "stuck", groups=[["area_code"], ["primary_type"]])
    assert hidden(shown) == [True, True, False, False, False, False]
    assert "must not all be published" in protect.log[0]["reason"]
    assert set(shown.attrs["totals_to_withhold"]) == {
        "'crimes' where area_code=E0", "'crimes' where primary_type=t1", "the whole 'crimes' column"}
    # when t1's total would itself be suppressed in a table of totals by type, nothing is at risk
    calm = partner(5)
    calm.table(long_table([[3, 10], [0, 0]])[0], "calm", groups=[["area_code"], ["primary_type"]])
    assert not any("must not all be published" in e["reason"] for e in calm.log)


def test_rows_that_add_up_across_columns():
    protect = partner(5)
    frame = pd.DataFrame({"source": ["crimes", "victims"], "rows read": [40, 30], "used": [32, 30],
                          "merged": [6, 0], "rejected": [2, 0]})
    plain = protect.table(frame, "Sources used")
    assert plain["merged"].tolist() == [6, 0]  # columns alone: nothing to pair the 2 with in its column
    # rows read = used + merged + rejected; no column totals are published (groups=[])
    shown = protect.table(frame, "Sources used", groups=[], across=[["used", "merged", "rejected"]])
    assert shown.loc[0, ["merged", "rejected"]].isna().all() and shown.loc[0, "used"] == 32
    assert "source=crimes across used, merged, rejected" in protect.log[-2]["reason"]
    assert shown.loc[1].tolist() == ["victims", 30, 30, 0, 0]
    with pytest.raises(ValueError, match="not counts"):
        protect.table(frame, "Sources used", across=[["source", "used"]])


def test_several_count_columns_and_unknown_columns():
    protect = partner(5)
    frame = pd.DataFrame({"year": [2021, 2022, 2023], "recorded crimes": [10, 2, 12],
                          "recorded victims": [11, 14, 20], "NRM referrals": [0, 6, 30]})
    shown = protect.table(frame, "Measures by year")
    assert shown["year"].tolist() == [2021, 2022, 2023]  # a key, not a count
    assert hidden(shown, "recorded crimes") == [True, True, False]
    assert not shown["recorded victims"].isna().any() and not shown["NRM referrals"].isna().any()
    assert protect.log[0]["row"] == "year=2021" and protect.log[0]["column"] == "recorded crimes"
    with pytest.raises(KeyError, match="area_code"):
        protect.table(frame, "x", groups=[["area_code"]])


# --- rounding ----------------------------------------------------------------------------------

def test_rounding_mode():
    protect = partner(5, "round", 5)
    frame = by_type([12, 7, 23, 3, 0, 8])  # total 53 -> 55
    shown = protect.table(frame, "Crimes by type")
    assert shown["crimes"].tolist()[:3] == [10, 5, 25] and shown["crimes"].tolist()[4:] == [0, 10]
    assert hidden(shown) == [False, False, False, True, False, False]  # no secondary suppression
    assert shown["percent"].tolist()[0] == round(100 * 10 / 55, 1)  # from rounded counts
    assert pd.isna(shown.loc[3, "percent"])
    log = protect.disclosure_log()
    assert (log["action"] == "rounded").sum() == 4  # every rounded cell, 8 -> 10 and 7 -> 5 alike
    assert (log["action"] == "suppressed (primary)").sum() == 1
    assert protect.count(7) == "5" and protect.count(8) == "10" and protect.count(3) == "fewer than 5"
    assert protect.count(0) == "0" and protect.count(1236) == "1,235"
    # a count written in a sentence is what the table shows
    for value, cell in zip(frame["crimes"], shown["crimes"]):
        assert protect.count(value) == (f"fewer than 5" if pd.isna(cell) else f"{cell:,}")


def test_rounding_never_shows_a_count_as_zero():
    protect = partner(1, "round", 10)  # no threshold, but 1 to 4 would round to 0
    shown = protect.table(by_type([4, 5, 14, 15, 0]), "t")
    assert hidden(shown) == [True, False, False, False, False]
    assert shown["crimes"].tolist()[1:] == [10, 10, 20, 0]
    assert protect.count(4) == "fewer than 5"
    assert "1 to 4" in protect.rule()


def test_rounding_rates_and_other_derived_columns():
    protect = partner(5, "round", 5)
    frame = pd.DataFrame({"district": ["a", "b"], "crimes": [7, 12], "population": [100_000, 200_000],
                          "rate_per_100k": [7.0, 6.0], "lower_95": [2.8, 3.1]})
    shown = protect.table(frame, "Rates")
    assert shown["rate_per_100k"].tolist() == [5.0, 5.0]  # worked out from the rounded counts
    assert shown["lower_95"].isna().all()
    assert render(shown)["lower_95"].tolist() == [MARKER, MARKER]


# --- rendering and sentences from tables -------------------------------------------------------

def test_render_marks_suppressed_cells():
    protect = partner(5)
    frame = by_type([12, 7, 2000, 3, 0])
    frame.loc[5] = ["other", np.nan, np.nan]
    shown = protect.table(frame, "Crimes by type")
    out = render(shown)
    assert out["crimes"].tolist() == ["12", MARKER, "2000", MARKER, "0", ""]
    assert out["percent"].tolist()[1] == MARKER and out["percent"].tolist()[5] == ""
    assert render(shown, thousands=True)["crimes"].tolist()[2] == "2,000"
    assert (out.dtypes == object).all()
    assert suppressed(shown)["crimes"].tolist() == [False, True, False, True, False, False]
    csv = out.to_csv(index=False)
    assert "[c]" in csv and "<NA>" not in csv
    assert protect.cell(shown, 1, "crimes") == MARKER and protect.cell(shown, 2, "crimes") == "2,000"


def test_protecting_twice_keeps_the_marks():
    protect = partner(5)
    once = protect.table(by_type([12, 7, 20, 3]), "t")
    twice = protect.table(once, "t")
    assert render(twice)["crimes"].tolist() == render(once)["crimes"].tolist()
