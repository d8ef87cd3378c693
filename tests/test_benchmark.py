"""The benchmark's own logic (benchmarks/benchmark.py): force selection, scaling, ratios, the table, the
comparison of two builds' outputs. Nothing here is timed; one slow test runs the floor on one locality."""
import datetime as dt
from dataclasses import dataclass

import pytest
from conftest import load_benchmark

from pplib.reference.forces import all_forces

benchmark = load_benchmark()


@dataclass
class _Force:
    slug: str
    population: int | None


FORCES = [_Force("big", 9_000_000), _Force("a", 500_000), _Force("b", 1_000_000), _Force("c", 1_100_000),
          _Force("d", 2_000_000), _Force("none", None)]


def test_sizes_leave_out_forces_without_a_population():
    assert benchmark.force_sizes(FORCES) == {"big": 9_000_000, "a": 500_000, "b": 1_000_000, "c": 1_100_000,
                                             "d": 2_000_000}


def test_median_sized_are_nearest_the_median_and_largest_is_the_largest():
    sizes = benchmark.force_sizes(FORCES)  # median 1,100,000
    assert benchmark.median_sized(sizes, 2) == ["c", "b"]
    assert benchmark.median_sized(sizes, 0) == []
    assert benchmark.largest(sizes) == "big"


def test_choose_forces_builds_the_representative_ones_first():
    built, middle, big = benchmark.choose_forces(FORCES, 2, 2)
    assert (built, middle, big) == (["big", "c", "b"], ["c", "b"], "big")  # never fewer than the naive side
    built, _, _ = benchmark.choose_forces(FORCES, 10, 1)
    assert built == ["big", "c", "a", "b", "d", "none"]


def test_choose_forces_on_the_registry():
    built, middle, big = benchmark.choose_forces(all_forces(), 3, 2)
    assert big == "metropolitan" and len(middle) == 2 and built == [big, *middle]
    sizes = benchmark.force_sizes(all_forces())
    below = sum(size < sizes[middle[0]] for size in sizes.values())
    assert abs(below - len(sizes) / 2) <= 2  # the middle of the registry, not its head


def test_scaled_naive_counts_the_largest_once_and_the_rest_at_the_median():
    loops = {"big": 100.0, "b": 20.0, "c": 30.0}
    # 46 forces: the largest at 100 s, 45 at the median 25 s; two loops side by side halve the wall time
    assert benchmark.scaled_naive(loops, ["b", "c"], "big", ["big"] + [f"f{i}" for i in range(45)], 2) == \
        pytest.approx((100 + 45 * 25) / 2)
    # the forces measured themselves: their own sum over the loops
    assert benchmark.scaled_naive({"big": 100.0, "b": 25.0}, ["b"], "big", ["big", "b"], 2) == pytest.approx(62.5)
    # not building the largest: it does not enter the scaling
    assert benchmark.scaled_naive(loops, ["b", "c"], "big", ["b", "c", "x"], 1) == pytest.approx(75)


def test_ratio_and_spread():
    assert benchmark.ratio(10, 4) == 2.5
    assert benchmark.ratio(None, 4) is None and benchmark.ratio(1, 0) is None
    assert benchmark.spread([3.0, 5.6, 3.7], " MB") == "3.00 to 5.60 MB (median 3.70 MB)"
    assert benchmark.spread([2.0], " s", 1) == "2.0 s"
    assert benchmark.spread([None]) == "none"


def test_format_table_is_one_markdown_table_under_its_header():
    when = dt.datetime(2026, 12, 2, 8, 30, tzinfo=dt.timezone.utc)
    header = benchmark.header_line(2, 3, when, "2 cores (CPU), 24 GiB, Linux")
    text = benchmark.format_table(header, [("build", "10.0 s", "3.3 s", None), ("a | b", "x")])
    lines = text.splitlines()
    assert lines[0] == header and "02 December 2026 08:30 UTC" in header and "2 jobs on 2 cores" in header
    assert lines[2:4] == ["| measure | figure | s per force | ratio |", "|---|---|---|---|"]
    assert lines[4] == "| build | 10.0 s | 3.3 s |  |"
    assert lines[5] == "| a \\| b | x |  |  |"
    assert len(lines) == 6


def test_naive_estimate_is_measured_when_the_naive_side_ran_every_force_built():
    loops = {"big": 100.0, "b": 20.0, "c": 30.0}
    assert benchmark.naive_estimate(loops, 130.0, ["b", "c"], "big", ["big", "c", "b"], 2) == (130.0, "measured")
    seconds, basis = benchmark.naive_estimate(loops, 130.0, ["b", "c"], "big", ["big", "b", "c", "d"], 2)
    assert basis == "scaled" and seconds == pytest.approx((100 + 3 * 25) / 2)


def test_header_states_the_load():
    when = dt.datetime(2026, 12, 2, 8, 30, tzinfo=dt.timezone.utc)
    assert benchmark.header_line(1, 46, when, "m", 2.71).endswith("1 job on m; load average 2.7 at the start")


def test_a_synthetic_batch_takes_every_force_then_each_again_with_another_seed():
    assert benchmark.batch_names(["a", "b"], 5) == [("a", "a", 0), ("b", "b", 0), ("a-2", "a", 1),
                                                   ("b-2", "b", 1), ("a-3", "a", 2)]
    assert benchmark.batch_names(["a", "b"], 0) == []


def test_outputs_differ_only_where_a_file_does_not_match_when_each_was_made_aside(tmp_path):
    for build, when in (("one", "2026-12-02 18:43:42"), ("two", "2026-12-02T18:44:03.5")):
        report = tmp_path / build / "notts" / "partner"
        (report / "tables").mkdir(parents=True)
        (report / "report.html").write_text(f"<p>made {when}</p><p>12 crimes</p>")
        (report / "tables" / "areas.csv").write_text("area,count\nA,12\n")
        (tmp_path / build / "notts" / "internal").mkdir()
        (tmp_path / build / "notts" / "internal" / "report.html").write_text(build)  # not the edition compared
    assert benchmark.differing_outputs(tmp_path / "one", tmp_path / "two") == []
    (tmp_path / "two" / "notts" / "partner" / "tables" / "areas.csv").write_text("area,count\nA,[c]\n")
    (tmp_path / "two" / "notts" / "partner" / "tables" / "extra.csv").write_text("x\n")
    assert benchmark.differing_outputs(tmp_path / "one", tmp_path / "two") == [
        "notts/partner/tables/areas.csv", "notts/partner/tables/extra.csv"]


@pytest.mark.slow
def test_the_floor_leaves_the_scripts_main_module_in_place(tmp_path, shared_boundaries):
    # the benchmark's pool sends each force as a function of its script (__main__); IPython's shell made its own
    # namespace __main__, so a worker's second force could not be unpickled and the floor failed
    import sys

    from pplib.paths import LOCALITIES_DIR

    main = sys.modules["__main__"]
    benchmark._floor_force(LOCALITIES_DIR / "dyfed-powys", tmp_path)
    assert sys.modules["__main__"] is main
    assert (tmp_path / "dyfed-powys" / "tables").is_dir()  # the sections ran
