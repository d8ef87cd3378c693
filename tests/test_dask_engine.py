"""`pplib build --engine dask`: the same build as tasks on a Dask distributed cluster (here a local one)."""
import os
import shutil
from pathlib import Path

import pytest
from conftest import load_benchmark

from pplib.build.batch import build
from pplib.cli import main
from pplib.paths import LOCALITIES_DIR
from pplib.registry import SECTIONS as ALL_SECTIONS

pytestmark = pytest.mark.slow  # builds reports or runs notebooks: not in the inner loop (-m "not slow")

distributed = pytest.importorskip("distributed")

SECTIONS = ("introduction", "mapping")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """Two worker processes started *without* the boundary folder setting: a build must carry it to them."""
    saved = os.environ.pop("PPLIB_GEO_DIR", None)
    try:
        local = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0")
    finally:
        if saved is not None:
            os.environ["PPLIB_GEO_DIR"] = saved
    with local, distributed.Client(local) as client:
        yield client


@pytest.fixture
def localities(tmp_path):
    folders = []
    for slug in ("dyfed-powys", "nottinghamshire"):
        shutil.copytree(LOCALITIES_DIR / slug, tmp_path / "localities" / slug)
        folders.append(tmp_path / "localities" / slug)
    return folders


def _worker_pids(client) -> set[int]:
    return set(client.run(os.getpid).values())


def test_an_existing_cluster_builds_every_profile_with_the_builds_settings(cluster, localities, tmp_path,
                                                                            shared_boundaries):
    out = tmp_path / "out"
    results = build(localities, SECTIONS, out, editions=("partner",), engine="dask",
                    scheduler=cluster.scheduler.address)
    assert [r.status for r in results] == ["built", "built"]
    built_by = {int(r.worker.rsplit(":", 1)[1]) for r in results}
    assert built_by <= _worker_pids(cluster) and os.getpid() not in built_by  # built on the cluster, not here
    for r in results:
        report = (Path(r.out_dir) / "report.html").read_text(encoding="utf-8")
        assert "2. Introduction" in report and "6. Mapping exploitation" in report
        # maps drawn: the workers were given the boundary folder they did not start with
        assert '<img alt="Recorded modern slavery crimes by local authority district' in report
        assert "Maps not drawn" not in report
    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="dyfed-powys/partner/report.html"' in index


def test_a_failing_profile_on_the_cluster_is_reported_and_the_others_still_build(cluster, localities, tmp_path):
    broken, healthy = localities
    config = broken / "locality.yaml"
    text = config.read_text(encoding="utf-8")  # the crimes file no longer has the columns the config names
    config.write_text(text.replace("Crime Reference", "Crime Ref (renamed)", 1).replace("URN", "URN (renamed)", 1),
                      encoding="utf-8")
    results = build(localities, ("local_picture",), tmp_path / "out", editions=("internal",), engine="dask",
                    scheduler=cluster.scheduler.address)
    by_slug = {r.locality: r for r in results}
    assert by_slug[healthy.name].status == "built"
    assert by_slug[broken.name].status == "failed" and by_slug[broken.name].failed_section == "checking the sources"
    assert "expected column(s) not found" in by_slug[broken.name].error


def test_the_command_line_starts_a_local_cluster_when_given_no_scheduler(localities, tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["build", "--quiet", "--engine", "dask", "--jobs", "2", "--edition", "partner",
                 "--section", "introduction", "--out", str(out), "--locality", str(localities[0])])
    assert code == 0, capsys.readouterr()
    assert (out / localities[0].name / "partner" / "report.html").exists()
    assert "1 profiles built or up to date, 0 failed" in capsys.readouterr().out


def test_a_worker_with_several_threads_builds_one_profile_at_a_time_and_all_of_them(localities, tmp_path):
    """`dask worker` starts one thread per core by default: profiles sent to one worker process must still
    build (each thread keeps its own kernel; the process's working folder is taken in turn)."""
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=True, dashboard_address=":0") as local:
        results = build(localities, ("introduction", "national_picture"), tmp_path / "out",
                        editions=("partner", "internal"), engine="dask", scheduler=local.scheduler_address)
    assert [r.status for r in results] == ["built"] * 4, [r.error for r in results]
    assert len({r.worker for r in results}) == 1  # all four on the one worker process


def test_a_scheduler_without_the_dask_engine_is_refused(localities, tmp_path):
    with pytest.raises(SystemExit, match="--scheduler is for --engine dask"):
        main(["build", "--scheduler", "tcp://127.0.0.1:8786", "--out", str(tmp_path), "--locality", str(localities[0])])


def test_an_unknown_engine_is_refused(localities, tmp_path):
    with pytest.raises(ValueError, match="engine must be one of processes, dask"):
        build(localities, SECTIONS, tmp_path, engine="spark")


def test_a_synthetic_batch_on_the_cluster_has_the_same_outputs_as_the_process_engine(cluster, tmp_path):
    # a subset of the benchmark's 500-locality batch: two forces, then one of them drawn again
    benchmark = load_benchmark()
    folders = benchmark.synthetic_batch(3, tmp_path / "localities", ["city-of-london", "dyfed-powys"])
    assert [f.name for f in folders] == ["city-of-london", "dyfed-powys", "city-of-london-2"]
    on_dask = build(folders, ALL_SECTIONS, tmp_path / "dask", editions=("partner",), engine="dask",
                    scheduler=cluster.scheduler.address)
    in_processes = build(folders, ALL_SECTIONS, tmp_path / "processes", editions=("partner",), jobs=2)
    assert [r.status for r in on_dask] == [r.status for r in in_processes] == ["built"] * 3
    assert (tmp_path / "dask" / "city-of-london-2" / "partner" / "report.html").is_file()
    assert benchmark.differing_outputs(tmp_path / "dask", tmp_path / "processes") == []

