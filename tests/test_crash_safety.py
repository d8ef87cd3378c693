"""Crash-safe, honest outputs: files written whole, "up to date" only when every output is as it was made,
failures shown as failures, one folder per locality, and no machine path or setting in any output."""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import openpyxl
import psutil
import pytest
import yaml

from pplib import files
from pplib.build import locality, stamps
from pplib.build.batch import build
from pplib.build.html import CONTENT_END, CONTENT_START
from pplib.build.outputs import SectionResult, work_dir
from pplib.cli import main
from pplib.config import ConfigError, load_locality
from pplib.paths import LOCALITIES_DIR, PROJECT_ROOT

pytestmark = pytest.mark.slow  # builds reports or runs notebooks: not in the inner loop (-m "not slow")

SECTIONS = ("national_picture", "local_picture")
# What the stand-in sections say they read, as a real kernel reports it (None: not known, so every file).
READS = {"national_picture": ["locality.yaml"]}


@pytest.fixture
def area(tmp_path) -> Path:
    """A writable copy of the smallest sample locality, so its path is this test's own."""
    target = tmp_path / "localities" / "dyfed-powys"
    shutil.copytree(LOCALITIES_DIR / "dyfed-powys", target)
    return target


def _page(section: str) -> str:
    return (f"<html><head><title>t</title></head><body>{CONTENT_START}<h1>{section} heading</h1>"
            f"{CONTENT_END}</body></html>")


@pytest.fixture
def notebooks(monkeypatch):
    """Sections that write a page, a notebook and a table in milliseconds; `.runs` lists what ran."""
    runs = []

    def run_section(locality_dir, section, out_root, parameters=None, edition="internal"):
        out = work_dir(Path(out_root), Path(locality_dir).name, edition)
        runs.append(section)
        files.write_text(out / "sections" / f"{section}.html", _page(section))
        files.write_text(out / "sections" / f"{section}.ipynb", "{}")
        captions = out / "tables" / "captions.csv"
        earlier = captions.read_text(encoding="utf-8").splitlines()[1:] if captions.exists() else []
        rows = [r for r in earlier if not r.startswith(f"{section}.csv,")] + [f"{section}.csv,{section},c,no"]
        files.write_text(captions, "\n".join(["file,table,caption,published", *rows]) + "\n")
        files.write_text(out / "tables" / f"{section}.csv", "crimes\n12\n")
        return SectionResult(Path(locality_dir).name, section, out / "sections" / f"{section}.ipynb",
                             out / "sections" / f"{section}.html", edition, reads=READS.get(section))

    monkeypatch.setattr(locality, "run_section", run_section)
    monkeypatch.setattr(stamps, "_code_and_reference_hash", lambda: "fixed")
    return runs


def _build(area: Path, out: Path, sections=SECTIONS, rebuild=False):
    [result] = build([area], sections, out, editions=("internal",), rebuild=rebuild)
    return result


# --- writing whole files -----------------------------------------------------------------------------------


def test_a_write_that_fails_leaves_the_old_file_and_no_temporary(tmp_path):
    target = files.write_text(tmp_path / "table.csv", "old\n")
    with pytest.raises(RuntimeError), files.replacing(target) as temporary:
        temporary.write_text("half a", encoding="utf-8")
        raise RuntimeError("killed midway")
    assert target.read_text(encoding="utf-8") == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["table.csv"]
    files.write_text(target, "new\n")
    assert target.read_text(encoding="utf-8") == "new\n" and len(list(tmp_path.iterdir())) == 1


def test_temporaries_match_no_pattern_the_build_reads_and_are_swept(tmp_path):
    with files.replacing(tmp_path / "tables" / "a.csv") as temporary:
        assert not list((tmp_path / "tables").glob("*.csv")) and temporary.exists()
    (tmp_path / "tables" / f".b.csv.dead{files.TEMPORARY_SUFFIX}").write_text("x")  # a killed build's
    (tmp_path / "keep" / "x").mkdir(parents=True)
    (tmp_path / "keep" / "x" / f".c.csv.dead{files.TEMPORARY_SUFFIX}").write_text("x")
    files.remove_temporaries(tmp_path, keep=("keep",))
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()) == [
        "keep/x/.c.csv.dead.pplib-tmp", "tables/a.csv"]


# --- up to date means every output as it was made ----------------------------------------------------------


def test_an_emptied_workbook_is_made_again_not_taken_as_up_to_date(area, tmp_path, notebooks):
    out = tmp_path / "out"
    assert _build(area, out).status == "built"
    assert _build(area, out).status == "up to date"
    workbook = out / "dyfed-powys" / "internal" / "tables.xlsx"
    workbook.write_bytes(b"")  # what a build killed while writing it left, before writes were atomic
    again = _build(area, out)
    assert again.status == "built" and again.built == [] and notebooks == list(SECTIONS)  # put together again
    assert openpyxl.load_workbook(workbook).sheetnames == ["Contents", *SECTIONS]
    assert _build(area, out).status == "up to date"


def test_a_section_page_cut_short_or_a_table_changed_is_built_again(area, tmp_path, notebooks):
    out = tmp_path / "out"
    _build(area, out)
    internal = out / "dyfed-powys" / "internal"
    page = internal / "sections" / "local_picture.html"
    page.write_text(page.read_text(encoding="utf-8")[:20], encoding="utf-8")
    assert _build(area, out).built == ["local_picture"]
    (internal / "tables" / "national_picture.csv").write_text("crimes\n13\n", encoding="utf-8")
    assert _build(area, out).built == list(SECTIONS)  # which section wrote a table is not recorded: all again
    (internal / "tables" / "stray.csv").write_text("x\n1\n", encoding="utf-8")  # no build made it
    assert _build(area, out).built == list(SECTIONS)
    report = internal / "report.html"
    report.unlink()
    again = _build(area, out)
    assert again.built == [] and "local_picture heading" in report.read_text(encoding="utf-8")


def test_a_change_to_a_file_a_section_never_read_leaves_it_up_to_date(area, tmp_path, notebooks):
    out = tmp_path / "out"
    _build(area, out)
    config = load_locality(area)
    crimes = config.source_path("crimes")
    crimes.write_bytes(crimes.read_bytes() + b" ")
    assert _build(area, out).built == ["local_picture"], "the national picture read only locality.yaml"
    (area / "locality.yaml").write_text((area / "locality.yaml").read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert _build(area, out).built == list(SECTIONS), "every section reads the configuration"
    stamp = json.loads(stamps.stamp_path(work_dir(out, "dyfed-powys", "internal"), "national_picture").read_text())
    assert stamp["reads"] == ["locality.yaml"]


def test_the_kernel_reports_the_locality_files_a_notebook_read(tmp_path, monkeypatch):
    from pplib.build import kernel
    from pplib.build.execute import _reads
    from pplib.config import files_read, forget_reads
    from pplib.measures.focus import case_study_files
    config = load_locality(LOCALITIES_DIR / "nottinghamshire")
    forget_reads()
    config.source_path("crimes")
    case_study_files(config)
    listing = tmp_path / "reads.json"
    monkeypatch.setenv(kernel.READS_SETTING, str(listing))
    kernel.write_reads()
    assert _reads(listing, config.base_dir) == sorted([str(config.sources["crimes"].path), str(config.case_studies)])
    forget_reads()
    assert files_read() == [] and _reads(tmp_path / "none.json", config.base_dir) is None


def test_a_one_section_rebuild_then_a_full_build_holds_every_section(area, tmp_path, notebooks):
    out = tmp_path / "out"
    _build(area, out)
    _build(area, out, sections=("local_picture",), rebuild=True)
    full = _build(area, out)
    assert full.status == "built"
    page = (out / "dyfed-powys" / "internal" / "report.html").read_text(encoding="utf-8")
    assert "national_picture heading" in page and "local_picture heading" in page
    assert _build(area, out).status == "up to date"


# --- failures shown as failures ----------------------------------------------------------------------------


def test_a_failed_rebuild_is_failed_in_the_index_and_its_old_report_says_it_is_out_of_date(
        area, tmp_path, notebooks, monkeypatch):
    out = tmp_path / "out"
    _build(area, out)
    real = locality.run_section

    def crash(locality_dir, section, *args, **kwargs):
        raise ValueError(f"row 7 holds 'PLANTED-REF-9' in {locality_dir}")

    monkeypatch.setattr(locality, "run_section", crash)
    failed = _build(area, out, rebuild=True)
    internal = out / "dyfed-powys" / "internal"
    assert failed.status == "failed"
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "<td>failed</td>" in index and 'href="dyfed-powys/internal/BUILD-FAILED.txt"' in index
    assert "internal/report.html" not in index
    page = (internal / "report.html").read_text(encoding="utf-8")
    assert re.search(r'<body><div class="pp-out-of-date" role="alert".*Out of date.*failed in national_picture', page)
    note = (internal / "BUILD-FAILED.txt").read_text(encoding="utf-8")
    assert "out of date" in note and "PLANTED" not in note
    error = (internal / "error.txt").read_text(encoding="utf-8")
    assert "PLANTED-REF-9" in error and str(area) not in error and str(tmp_path) not in error  # paths redacted
    assert str(tmp_path) not in failed.error and "<locality>" in failed.error

    monkeypatch.setattr(locality, "run_section", real)
    fixed = _build(area, out)
    assert fixed.status == "built"
    assert "pp-out-of-date" not in (internal / "report.html").read_text(encoding="utf-8")
    assert not (internal / "error.txt").exists() and not (internal / "BUILD-FAILED.txt").exists()


def test_a_fixed_partner_edition_leaves_no_stale_error_and_never_published_one(area, tmp_path, notebooks,
                                                                               monkeypatch):
    import sys as _sys
    import types

    from pplib.disclosure.audit import AuditResult
    stub = types.ModuleType("pplib.disclosure.audit")
    stub.audit_folder = lambda folder: AuditResult(shown=1, suppressed=0)
    monkeypatch.setitem(_sys.modules, "pplib.disclosure.audit", stub)
    real = locality.run_section
    monkeypatch.setattr(locality, "run_section",
                        lambda *a, **k: (_ for _ in ()).throw(ValueError("row 3: 'PLANTED Name' is not a date")))
    out = tmp_path / "out"
    [failed] = build([area], SECTIONS, out, editions=("partner",))
    partner, error = out / "dyfed-powys" / "partner", work_dir(out, "dyfed-powys", "partner") / "error.txt"
    assert failed.status == "failed" and [p.name for p in partner.iterdir()] == ["BUILD-FAILED.txt"]
    assert "PLANTED" not in (partner / "BUILD-FAILED.txt").read_text(encoding="utf-8")
    assert "PLANTED Name" in error.read_text(encoding="utf-8")  # the detail stays in the internal folder
    monkeypatch.setattr(locality, "run_section", real)
    [fixed] = build([area], SECTIONS, out, editions=("partner",))
    assert fixed.status == "built" and not error.exists()
    assert not any("PLANTED" in p.read_text(encoding="utf-8", errors="replace")
                   for p in (out / "dyfed-powys").rglob("*") if p.is_file())


# --- one folder per locality; a relative --out; a marking -------------------------------------------------


def test_localities_that_would_share_an_output_folder_are_refused_before_any_work(area, tmp_path, capsys,
                                                                                  notebooks):
    other = tmp_path / "elsewhere" / "Dyfed-Powys"  # the same folder on Windows and macOS
    shutil.copytree(area, other)
    out = tmp_path / "out"
    for given in ([area, other], [area, area / "locality.yaml"]):
        args = ["build", "--quiet", "--edition", "internal", "--section", "national_picture", "--out", str(out)]
        with pytest.raises(SystemExit) as refused:
            main(args + [a for folder in given for a in ("--locality", str(folder))])
        assert "dyfed-powys" in str(refused.value).lower()
        assert "would both be built into" in str(refused.value) or "given twice" in str(refused.value)
    assert not out.exists() and notebooks == []


def test_a_relative_out_folder_builds_through_the_cli(area, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code = main(["build", "--quiet", "--edition", "internal", "--section", "national_picture",
                 "--locality", str(area), "--out", "relative/out"])
    assert code == 0, capsys.readouterr()
    internal = tmp_path / "relative" / "out" / "dyfed-powys" / "internal"
    assert "5.1 National picture" in (internal / "report.html").read_text(encoding="utf-8")
    index = (tmp_path / "relative" / "out" / "index.html").read_text(encoding="utf-8")
    assert 'href="dyfed-powys/internal/report.html"' in index


@pytest.mark.parametrize("marking", ["", "   ", "\t\n"])
def test_an_empty_or_blank_marking_is_a_configuration_error(area, marking):
    config = yaml.safe_load((area / "locality.yaml").read_text(encoding="utf-8"))
    (area / "locality.yaml").write_text(yaml.safe_dump({**config, "handling_marking": marking}), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"(?s)locality\.yaml.*handling_marking: .*must not be empty or blank"):
        load_locality(area)


# --- no setting or machine path in any output -------------------------------------------------------------


SECRET = "s3cret-Pa55word-7f3a9c"


def _texts(folder: Path):
    """(file, text) for every file under folder; a workbook's (a zip) members one by one."""
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as book:
                for member in book.namelist():
                    yield f"{path}!{member}", book.read(member).decode("utf-8", "replace")
        else:
            yield str(path), path.read_bytes().decode("utf-8", "replace")


def test_no_setting_or_machine_path_reaches_any_output(area, tmp_path, monkeypatch):
    monkeypatch.setenv("PPLIB_BOUNDARY_URL", f"https://analyst:{SECRET}@example.invalid/geo")
    out = tmp_path / "out"
    results = build([area], SECTIONS, out, jobs=1)
    assert [r.status for r in results] == ["built", "built"], [r.error for r in results]
    leaks = [(name, needle) for name, text in _texts(out)
             for needle in (SECRET, str(tmp_path), str(area), str(out), str(PROJECT_ROOT)) if needle in text]
    assert leaks == []
    nb = json.loads((out / "dyfed-powys" / "internal" / "sections" / "local_picture.ipynb").read_text())
    assert nb["metadata"]["papermill"]["input_path"] == "notebooks/local_picture.ipynb"
    assert nb["metadata"]["papermill"]["parameters"]["locality"] == "<locality>"


def test_redaction_leaves_embedded_images_alone(tmp_path):
    redactor = files.Redactor({"<outputs>": "/srv/o"})
    page = 'see /srv/o/x <img src="data:image/png;base64,AAAA/srv/oBBBB="/> and /srv/o/y'
    assert redactor.text(page) == 'see <outputs>/x <img src="data:image/png;base64,AAAA/srv/oBBBB="/> and <outputs>/y'
    nb = {"outputs": [{"data": {"image/png": "xx/srv/oyy", "text/plain": "/srv/o/z"}}]}
    assert redactor.tree(nb) == {"outputs": [{"data": {"image/png": "xx/srv/oyy", "text/plain": "<outputs>/z"}}]}


# --- killed builds ------------------------------------------------------------------------------------------

# Where each build is killed: when this (relative to the locality's output folder) appears.
KILL_POINTS = [
    ("during a section", "internal/partner-build/work/local_picture"),
    ("during the workbook step", "internal/partner-build/.tables.xlsx.*" + files.TEMPORARY_SUFFIX),
    ("during publishing", ".partner-publishing"),
    ("during the internal edition's workbook step", "internal/.tables.xlsx.*" + files.TEMPORARY_SUFFIX),
]


def _command(area: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "pplib.cli", "build", "--quiet", "--jobs", "1", "--locality", str(area),
            "--out", str(out), *[a for s in SECTIONS for a in ("--section", s)]]


def _kill_when(pattern: str, area: Path, out: Path, timeout: float = 180) -> None:
    """Run the build and SIGKILL it, with the kernel it started, as soon as `pattern` appears."""
    folder = out / area.name
    proc = subprocess.Popen(_command(area, out), start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    started = time.monotonic()
    try:
        while not list(folder.glob(pattern)):
            assert proc.poll() is None, f"the build ended before {pattern} appeared"
            assert time.monotonic() - started < timeout, f"{pattern} never appeared"
            time.sleep(0.005)
        kernels = psutil.Process(proc.pid).children(recursive=True)
        os.killpg(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
    for kernel in kernels:  # in their own session: killed by their id
        try:
            kernel.kill()
        except psutil.NoSuchProcess:
            pass


def _complete_partner_folder_or_none(partner: Path) -> bool:
    if not partner.exists():
        return True
    metadata = json.loads((partner / "disclosure" / "metadata.json").read_text(encoding="utf-8"))
    return {p.relative_to(partner).as_posix() for p in partner.rglob("*") if p.is_file()} == set(metadata["files"])


def test_a_build_killed_anywhere_is_made_whole_by_the_next_run(area, tmp_path):
    out = tmp_path / "out"
    for where, pattern in KILL_POINTS:
        _kill_when(pattern, area, out)
        assert _complete_partner_folder_or_none(out / area.name / "partner"), where
    done = subprocess.run(_command(area, out), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    for edition in ("internal", "partner"):
        folder = out / area.name / edition
        page = (folder / "report.html").read_text(encoding="utf-8")
        assert "5.1 National picture" in page and "5.2 Local picture" in page and page.rstrip().endswith("</html>")
        book = openpyxl.load_workbook(folder / "tables.xlsx")
        assert len(book.sheetnames) == len(list((folder / "tables").glob("*.csv")))  # Contents + all but captions
        assert not list(folder.rglob(f"*{files.TEMPORARY_SUFFIX}"))
    again = subprocess.run(_command(area, out), capture_output=True, text=True, timeout=600)
    assert again.returncode == 0
    assert "dyfed-powys (partner): up to date" in again.stdout and "dyfed-powys (internal): up to date" in again.stdout
