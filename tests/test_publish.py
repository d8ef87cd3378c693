"""The partner folder holds only what a partner should get: built elsewhere, published, audited, withdrawn."""
import json
import sys
import types
from pathlib import Path, PurePosixPath

import pytest

from pplib.build import locality, stamps
from pplib.build.batch import build
from pplib.build.html import CONTENT_END, CONTENT_START
from pplib.build.outputs import SectionResult, parameters_record, work_dir
from pplib.build.publish import AUDIT_PLACEHOLDER, PUBLISHED, publish_partner
from pplib.cli import main
from pplib.disclosure.audit import AuditResult, Problem
from pplib.paths import LOCALITIES_DIR

pytestmark = pytest.mark.slow  # builds reports or runs notebooks: not in the inner loop (-m "not slow")

DYFED = LOCALITIES_DIR / "dyfed-powys"
SECTIONS = ("national_picture", "local_picture")


def _files(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def _allowed(name: str) -> bool:
    """One of the PUBLISHED patterns, at its own depth (tables/*.csv, not tables/any/x.csv)."""
    path = PurePosixPath(name)
    return any(path.match(p) and len(path.parts) == len(PurePosixPath(p).parts) for p in PUBLISHED)


def _write(path: Path, text: str = "x") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


@pytest.fixture
def work(tmp_path):
    """A hand-made working folder: what a partner gets, and what a partner must not get."""
    work = tmp_path / "out" / "area" / "internal" / "partner-build"
    for name in ("report.html", "tables/captions.csv", "tables/crimes_by_type.csv", "tables.xlsx",
                 "disclosure_log.csv", "pplib.log", "sections/x.ipynb", "sections/x.html", "error.txt",
                 "data_quality/completeness.csv", "disclosure/ledger.json", ".stamps/x.json", "work/x/tmp.png",
                 "tables/nested/deeper.csv"):
        _write(work / name)
    _write(work / "disclosure" / "metadata.json", json.dumps({"format": 1, "rule": {"threshold": 5}}))
    params = {"year": 2023, "locality": str(DYFED), "output_dir": str(work)}
    _write(work / "parameters.json", json.dumps(parameters_record(params, "partner", SECTIONS)))
    return work


def test_only_the_published_files_reach_the_partner_folder(work, tmp_path):
    target = tmp_path / "out" / "area" / "partner"
    _write(target / "old-report.html")  # an earlier build's: gone
    files = publish_partner(work, target)
    assert files == ["report.html", "tables/captions.csv", "tables/crimes_by_type.csv", "tables.xlsx",
                     "disclosure_log.csv", "parameters.json", "disclosure/metadata.json"]
    assert _files(target) == set(files)
    metadata = json.loads((target / "disclosure" / "metadata.json").read_text(encoding="utf-8"))
    assert metadata == {"format": 1, "rule": {"threshold": 5}, "files": files}


def test_parameters_json_holds_no_machine_path(work, tmp_path):
    target = tmp_path / "partner"
    publish_partner(work, target)
    text = (target / "parameters.json").read_text(encoding="utf-8")
    assert json.loads(text) == {"year": 2023, "edition": "partner", "sections": list(SECTIONS)}
    assert str(tmp_path) not in text and str(LOCALITIES_DIR) not in text


def test_a_working_folder_without_metadata_still_lists_its_files(tmp_path):
    work, target = tmp_path / "work", tmp_path / "partner"
    _write(work / "report.html")
    assert publish_partner(work, target) == ["report.html", "disclosure/metadata.json"]
    metadata = json.loads((target / "disclosure" / "metadata.json").read_text(encoding="utf-8"))
    assert metadata == {"format": 1, "files": ["report.html", "disclosure/metadata.json"]}


def test_publishing_never_empties_the_folder_it_reads_from(work):
    with pytest.raises(ValueError, match="inside"):
        publish_partner(work, work.parent)
    assert (work / "report.html").exists()


def test_the_partner_edition_is_built_inside_the_internal_folder(tmp_path):
    assert work_dir(tmp_path, "area", "internal") == tmp_path / "area" / "internal"
    assert work_dir(tmp_path, "area", "partner") == tmp_path / "area" / "internal" / "partner-build"


# --- the build around it, with stand-in notebooks and audit (fast) ------------------------------------


@pytest.fixture
def audit(monkeypatch):
    """A stand-in pplib.disclosure.audit: set `.result`; `.folders` are the folders it was asked about."""
    stub = types.ModuleType("pplib.disclosure.audit")
    stub.result, stub.folders = AuditResult(shown=412, suppressed=37), []

    def audit_folder(folder):
        stub.folders.append(sorted(_files(Path(folder))))
        return stub.result

    stub.audit_folder = audit_folder
    monkeypatch.setitem(sys.modules, "pplib.disclosure.audit", stub)
    return stub


@pytest.fixture
def notebooks(monkeypatch):
    """Sections that write what real ones do, in a few milliseconds; `.seen` is what each found on starting."""
    seen = {}

    def run_section(locality_dir, section, out_root, parameters=None, edition="internal"):
        out = work_dir(out_root, "dyfed-powys", edition)
        seen[section] = sorted(_files(out))
        _write(out / "sections" / f"{section}.html",
               f"<html><title>t</title>{CONTENT_START}<h1>{section}</h1>{AUDIT_PLACEHOLDER}{CONTENT_END}</html>")
        _write(out / "sections" / f"{section}.ipynb", f'{{"env": "{out}"}}')
        _write(out / "tables" / "captions.csv", f"file,table,caption,published\n{section}.csv,{section},c,no\n")
        _write(out / "tables" / f"{section}.csv", "crimes\n12\n")
        _write(out / "disclosure" / "metadata.json", json.dumps({"format": 1, "tables": []}))
        _write(out / "pplib.log", f"read {locality_dir}")
        return SectionResult("dyfed-powys", section, out / "sections" / f"{section}.ipynb",
                             out / "sections" / f"{section}.html", edition)

    monkeypatch.setattr(locality, "run_section", run_section)
    monkeypatch.setattr(stamps, "_code_and_reference_hash", lambda: "fixed")
    return seen


def test_a_partner_build_publishes_audits_and_states_the_audit(tmp_path, notebooks, audit, capsys):
    assert main(["build", "--quiet", "--edition", "partner", "--locality", str(DYFED), "--out", str(tmp_path),
                 "--section", "national_picture", "--section", "local_picture"]) == 0
    assert "dyfed-powys (partner): built: " in capsys.readouterr().out
    partner = tmp_path / "dyfed-powys" / "partner"
    metadata = json.loads((partner / "disclosure" / "metadata.json").read_text(encoding="utf-8"))
    assert _files(partner) == set(metadata["files"]) and "report.html" in metadata["files"]
    assert audit.folders == [sorted(metadata["files"])]  # the audit read the published folder, as published
    page = (partner / "report.html").read_text(encoding="utf-8")
    assert AUDIT_PLACEHOLDER not in page
    assert ('<p class="pp-audit">Disclosure audit: passed. 37 of 449 local count cells (8.2%) are suppressed; '
            "no suppressed count can be worked out") in page
    [summary] = json.loads((tmp_path / "build-summary.json").read_text(encoding="utf-8"))
    assert (summary["cells_shown"], summary["cells_suppressed"]) == (412, 37)
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert "37 of 449 local count cells suppressed (8.2%)" in index
    assert 'href="dyfed-powys/partner/report.html"' in index and "report.pdf" not in index


def test_the_cli_says_how_much_was_suppressed(tmp_path, notebooks, audit, capsys):
    assert main(["build", "--quiet", "--edition", "partner", "--locality", str(DYFED), "--out", str(tmp_path),
                 "--section", "national_picture"]) == 0
    assert "; 37 of 449 local count cells suppressed (8.2%)" in capsys.readouterr().out


def test_a_partner_build_rebuilds_all_or_nothing_and_starts_clean(tmp_path, notebooks, audit):
    work = work_dir(tmp_path, "dyfed-powys", "partner")
    for stale in ("tables/old.csv", "disclosure/ledger.json", "disclosure_log.csv"):
        _write(work / stale)
    [first] = build([DYFED], SECTIONS, tmp_path, editions=("partner",))
    assert first.built == list(SECTIONS)
    assert notebooks["national_picture"] == []  # the earlier build's tables, ledger and log were deleted
    [second] = build([DYFED], SECTIONS, tmp_path, editions=("partner",))
    assert second.status == "up to date" and second.skipped == list(SECTIONS)
    (work / ".stamps" / "local_picture.json").unlink()  # one section out of date: every section again
    [third] = build([DYFED], SECTIONS, tmp_path, editions=("partner",))
    assert third.built == list(SECTIONS)
    build([DYFED], SECTIONS, tmp_path, editions=("internal",))  # the internal build leaves the partner's alone
    assert (work / "sections" / "local_picture.ipynb").exists() and (work / "tables" / "local_picture.csv").exists()


def test_the_pdf_is_printed_from_the_published_page_after_the_audit(tmp_path, notebooks, audit, monkeypatch):
    from pplib.build import pdf as browser
    printed = []

    def html_to_pdf(page, pdf):
        printed.append(Path(page).read_text(encoding="utf-8"))
        Path(pdf).write_bytes(b"%PDF-1.7")
        return Path(pdf)

    monkeypatch.setattr(browser, "html_to_pdf", html_to_pdf)
    [result] = build([DYFED], SECTIONS, tmp_path, editions=("partner",), pdf=True)
    partner = tmp_path / "dyfed-powys" / "partner"
    assert Path(result.pdf) == partner / "report.pdf" and "Disclosure audit: passed." in printed[0]
    files = json.loads((partner / "disclosure" / "metadata.json").read_text(encoding="utf-8"))["files"]
    assert files[-1] == "report.pdf" and _files(partner) == set(files)
    assert 'href="dyfed-powys/partner/report.pdf"' in (tmp_path / "index.html").read_text(encoding="utf-8")


def _withdrawn(partner: Path, where: str) -> str:
    assert _files(partner) == {"BUILD-FAILED.txt"}
    note = (partner / "BUILD-FAILED.txt").read_text(encoding="utf-8")
    assert "The partner edition of Dyfed-Powys was not built" in note and where in note
    assert "internal/partner-build/error.txt" in note
    return note


def test_a_failing_section_withdraws_the_partner_edition(tmp_path, notebooks, audit, monkeypatch):
    build([DYFED], SECTIONS, tmp_path, editions=("partner",))  # a good build first: it must not survive

    def crash(locality_dir, section, *args, **kwargs):
        raise RuntimeError(f"value 'Jane Doe' in {locality_dir} is not a date")

    monkeypatch.setattr(locality, "run_section", crash)
    [result] = build([DYFED], SECTIONS, tmp_path, editions=("partner",), rebuild=True)
    assert result.status == "failed" and result.failed_section == "national_picture"
    note = _withdrawn(tmp_path / "dyfed-powys" / "partner", "national_picture")
    assert "Traceback" not in note and "Jane Doe" not in note and str(DYFED) not in note
    error = (tmp_path / "dyfed-powys" / "internal" / "partner-build" / "error.txt").read_text(encoding="utf-8")
    assert "Traceback" in error and "Jane Doe" in error
    assert not (tmp_path / "dyfed-powys" / "internal" / "error.txt").exists()
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert 'href="dyfed-powys/partner/BUILD-FAILED.txt"' in index and "partner/report.html" not in index


def test_a_failed_audit_withdraws_the_partner_edition(tmp_path, notebooks, audit):
    audit.result = AuditResult(problems=[
        Problem("tables/local_picture.csv", 0, "crimes", "the suppressed cell is 3 (column total less the others)"),
        Problem("report.html", "", "", "a second problem")])
    [result] = build([DYFED], SECTIONS, tmp_path, editions=("partner",))
    assert result.status == "failed" and result.failed_section == "disclosure audit"
    assert result.error == ("tables/local_picture.csv, row 0, column crimes: the suppressed cell is 3 "
                            "(column total less the others)")
    note = _withdrawn(tmp_path / "dyfed-powys" / "partner", "disclosure audit")
    assert "suppressed cell is 3" not in note
    error = (tmp_path / "dyfed-powys" / "internal" / "partner-build" / "error.txt").read_text(encoding="utf-8")
    assert "the suppressed cell is 3" in error and "report.html: a second problem" in error


def test_a_missing_audit_is_a_failure_not_a_pass(tmp_path, notebooks, monkeypatch):
    monkeypatch.setitem(sys.modules, "pplib.disclosure.audit", None)  # importing it raises ImportError
    [result] = build([DYFED], ("national_picture",), tmp_path, editions=("partner",))
    assert result.status == "failed" and result.failed_section == "disclosure audit"
    _withdrawn(tmp_path / "dyfed-powys" / "partner", "disclosure audit")


# --- one real build --------------------------------------------------------------------------------------


def test_a_real_partner_build_publishes_only_the_report_and_its_tables(tmp_path):
    """With the real audit: published figures (national picture) and local counts (in focus)."""
    [result] = build([DYFED], ("national_picture", "in_focus"), tmp_path, editions=("partner",), jobs=1)
    assert result.status == "built", result.error
    partner = Path(result.out_dir)
    assert partner == tmp_path / "dyfed-powys" / "partner"
    published = _files(partner)
    metadata = json.loads((partner / "disclosure" / "metadata.json").read_text(encoding="utf-8"))
    assert published == set(metadata["files"])
    assert all(_allowed(name) for name in published), published
    assert {"report.html", "tables.xlsx", "tables/captions.csv", "parameters.json"} <= published
    for name in published - {"tables.xlsx"}:
        text = (partner / name).read_text(encoding="utf-8")
        assert str(tmp_path) not in text and str(LOCALITIES_DIR) not in text, name
    work = tmp_path / "dyfed-powys" / "internal" / "partner-build"
    assert {"sections/national_picture.ipynb", "sections/in_focus.ipynb"} <= _files(work)
    assert (work / "pplib.log").exists() and (work / "data_quality").is_dir()
    assert result.cells_shown + result.cells_suppressed > 0
