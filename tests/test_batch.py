"""The batch build: failure isolation, rebuilding only what changed or failed, the index, the assembled report."""
import json
import re
import shutil
from pathlib import Path

import pytest
from factories import browser_or_skip

from pplib.build import execute, locality, outputs, stamps
from pplib.build.batch import build
from pplib.cli import main
from pplib.config import load_locality
from pplib.paths import LOCALITIES_DIR

pytestmark = pytest.mark.slow  # builds reports or runs notebooks: not in the inner loop (-m "not slow")

SECTIONS = ("national_picture", "local_picture")


@pytest.fixture
def two_localities(tmp_path):
    """Writable copies of two small sample localities."""
    folders = []
    for slug in ("dyfed-powys", "nottinghamshire"):
        target = tmp_path / "localities" / slug
        shutil.copytree(LOCALITIES_DIR / slug, target)
        folders.append(target)
    return folders


def _break(folder: Path) -> None:
    """Make the locality fail before any notebook runs: the crimes file no longer has the mapped header."""
    victims = folder / "locality.yaml"
    text = victims.read_text(encoding="utf-8").replace("Crime Reference", "Crime Reference (renamed)", 1)
    text = text.replace("URN", "URN (renamed)", 1)
    victims.write_text(text, encoding="utf-8")


def test_one_failure_never_stops_the_others_and_the_batch_says_where(two_localities, tmp_path, capsys):
    broken, healthy = two_localities
    _break(broken)
    results = build(two_localities, SECTIONS, tmp_path / "out", editions=("internal",), jobs=2, progress=True)
    bar = capsys.readouterr().err  # per section, from the worker processes; the failed unit's filled in
    assert "sections: 100%" in bar and "4/4" in bar and re.search(r"\b[123]/4\b", bar), bar  # it moved on the way
    by_slug = {r.locality: r for r in results}
    assert by_slug[healthy.name].status == "built"
    assert (Path(by_slug[healthy.name].out_dir) / "report.html").exists()
    failed = by_slug[broken.name]
    assert failed.status == "failed" and failed.failed_section == "checking the sources"  # before any notebook
    assert failed.error.startswith("SourceError: ") and "expected column(s) not found" in failed.error
    index = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert "failed in <code>checking the sources</code>" in index
    assert f'href="{healthy.name}/internal/report.html"' in index


def test_cli_exits_non_zero_with_a_summary_when_a_locality_fails(two_localities, tmp_path, capsys):
    _break(two_localities[0])
    args = ["build", "--quiet", "--edition", "internal", "--out", str(tmp_path / "out"), "--section", "national_picture",
            "--section", "local_picture"]
    for folder in two_localities:
        args += ["--locality", str(folder)]
    assert main(args) == 1
    out = capsys.readouterr().out
    assert "1 profiles built or up to date, 1 failed" in out
    assert f"{two_localities[0].name} (internal): failed: failed in checking the sources" in out


def test_rebuild_only_what_failed_or_changed(two_localities, tmp_path, monkeypatch):
    monkeypatch.setattr(stamps, "_code_and_reference_hash", lambda: "fixed")  # code unchanged between runs
    flaky, healthy = two_localities
    real_run_section = execute.run_section

    def crash_once(locality_dir, section, *args, **kwargs):
        if Path(locality_dir).name == flaky.name and section == "local_picture":
            raise RuntimeError("kernel died unexpectedly")
        return real_run_section(locality_dir, section, *args, **kwargs)

    out = tmp_path / "out"
    monkeypatch.setattr(locality, "run_section", crash_once)
    first = {r.locality: r for r in build(two_localities, SECTIONS, out, editions=("internal",), jobs=1)}
    assert first[flaky.name].status == "failed" and first[flaky.name].failed_section == "local_picture"
    monkeypatch.setattr(locality, "run_section", real_run_section)
    second = {r.locality: r for r in build(two_localities, SECTIONS, out, editions=("internal",), jobs=1)}
    assert second[healthy.name].status == "up to date" and second[healthy.name].built == []
    assert second[flaky.name].built == ["local_picture"] and second[flaky.name].skipped == ["national_picture"]
    # unchanged bytes: nothing to do; a changed input file rebuilds that locality only
    third = {r.locality: r for r in build(two_localities, SECTIONS, out, editions=("internal",), jobs=1)}
    assert {r.status for r in third.values()} == {"up to date"}
    case_study = next((healthy / "case_studies").glob("*.md"))
    case_study.write_text(case_study.read_text(encoding="utf-8") + "\nUpdated.\n", encoding="utf-8")
    fourth = {r.locality: r for r in build(two_localities, SECTIONS, out, editions=("internal",), jobs=1)}
    assert fourth[healthy.name].built == [], "neither section reads the case studies"
    crimes = load_locality(healthy).source_path("crimes")
    crimes.write_bytes(crimes.read_bytes() + b" ")
    fifth = {r.locality: r for r in build(two_localities, SECTIONS, out, editions=("internal",), jobs=1)}
    assert fifth[healthy.name].built == ["local_picture"] and fifth[flaky.name].status == "up to date"


def test_assembled_report_has_every_section_and_a_contents_list(tmp_path):
    [result] = build([LOCALITIES_DIR / "dyfed-powys"], SECTIONS, tmp_path, editions=("internal",))
    page = Path(result.report).read_text(encoding="utf-8")
    contents = re.search(r'<nav class="pp-toc".*?</nav>', page, flags=re.S).group(0)
    assert 'href="#Dyfed-Powys:-5.1-National-picture"' in contents
    assert 'href="#Dyfed-Powys:-5.2-Local-picture"' in contents
    assert page.index("5.1 National picture") < page.index("5.2 Local picture")
    assert (Path(result.out_dir) / "sections" / "national_picture.html").exists()
    summary = json.loads((tmp_path / "build-summary.json").read_text(encoding="utf-8"))
    assert summary[0]["status"] == "built"


def test_kernel_start_races_are_retried(monkeypatch, tmp_path):
    calls = []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) < 3:
            raise RuntimeError("Kernel didn't respond in 60 seconds")
        return args[0]  # papermill returns the executed notebook

    monkeypatch.setattr(execute.papermill, "execute_notebook", flaky)
    monkeypatch.setattr(execute.time, "sleep", lambda s: None)
    notebook = outputs.section_notebook("introduction")
    executed = execute._execute(notebook, tmp_path / "y.ipynb", {}, tmp_path)
    assert len(calls) == 3
    assert execute.RESET_TAG not in [c.id for c in executed.cells]  # the build's own cell is dropped
    assert (tmp_path / "y.ipynb").exists()
    monkeypatch.setattr(execute.papermill, "execute_notebook",
                        lambda *a, **k: (_ for _ in ()).throw(ValueError("a real bug")))
    with pytest.raises(ValueError, match="a real bug"):
        execute._execute(notebook, tmp_path / "y.ipynb", {}, tmp_path)


def test_pdf_option_prints_the_report_with_the_marking_on_every_page(tmp_path):
    browser_or_skip()
    from pypdf import PdfReader
    [result] = build([LOCALITIES_DIR / "dyfed-powys"], ("national_picture",), tmp_path, editions=("partner",),
                     pdf=True)
    pages = PdfReader(result.pdf).pages
    assert len(pages) >= 3
    assert all(page.extract_text().count("OFFICIAL-SENSITIVE") >= 2 for page in pages)
    assert 'href="dyfed-powys/partner/report.pdf"' in (tmp_path / "index.html").read_text(encoding="utf-8")
    assert Path(result.pdf) == tmp_path / "dyfed-powys" / "partner" / "report.pdf"  # printed from the published page
    metadata = json.loads((tmp_path / "dyfed-powys" / "partner" / "disclosure" / "metadata.json").read_text())
    assert metadata["files"][-1] == "report.pdf"


def test_missing_browser_is_a_clear_failure_of_that_profile(tmp_path, monkeypatch):
    monkeypatch.setenv("PPLIB_BROWSER", str(tmp_path / "no-such-browser"))
    [result] = build([LOCALITIES_DIR / "dyfed-powys"], ("national_picture",), tmp_path, editions=("partner",),
                     pdf=True)
    assert result.status == "failed" and result.error.startswith("BrowserMissing")
    assert result.failed_section == "PDF"
    partner = tmp_path / "dyfed-powys" / "partner"
    assert [p.name for p in partner.iterdir()] == ["BUILD-FAILED.txt"]  # the report was published, then withdrawn
    assert "failed in PDF" in (partner / "BUILD-FAILED.txt").read_text(encoding="utf-8")
    assert "BrowserMissing" in (tmp_path / "dyfed-powys" / "internal" / "partner-build" / "error.txt").read_text()
