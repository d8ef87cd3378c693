"""pplib.build.stats: the figures the benchmark prints of a built folder, from a small made-up one."""
from __future__ import annotations

from pathlib import Path

from pypdf import PdfWriter

from pplib.build.stats import report_stats, stats_line


def _table(title: str, value: str) -> str:
    return (f'<table class="pp-table"><caption class="pp-caption"><strong>Table: {title}.</strong> A caption.'
            f'</caption><thead><tr><th>Year</th></tr></thead><tbody><tr><td>{value}</td></tr></tbody></table>')


def _folder(tmp_path: Path, pages: int | None) -> Path:
    page = ("<html><body>" + _table("Crimes", "2023") + _table("Crimes", "2023")  # the same table twice
            + _table("Crimes", "2024") + _table("Victims", "2023")
            + '<img class="pp-chart" alt="a chart" src="data:image/png;base64,AA=="/>'
            + '<img class="pp-chart" alt="a map" src="data:image/png;base64,AA=="/>'
            + '<img alt="a logo" src="data:image/png;base64,AA=="/></body></html>')
    (tmp_path / "report.html").write_text(page, encoding="utf-8")
    if pages:
        writer = PdfWriter()
        for _ in range(pages):
            writer.add_blank_page(595, 842)
        with (tmp_path / "report.pdf").open("wb") as handle:
            writer.write(handle)
    return tmp_path


def test_tables_distinct_and_in_all_images_charts_sizes_and_pdf_pages(tmp_path):
    stats = report_stats(_folder(tmp_path, pages=3))
    assert (stats["tables"], stats["distinct_tables"]) == (4, 3)
    assert (stats["charts"], stats["images"]) == (2, 3)
    assert stats["pdf_pages"] == 3 and 0 < stats["pdf_mb"] < 0.1
    assert stats["html_mb"] == (tmp_path / "report.html").stat().st_size / 2**20
    assert stats_line(stats).startswith("4 tables (3 distinct), 2 charts, 3 images; HTML 0.00 MB; PDF 3 pages")


def test_no_pdf_and_no_report_give_none_not_an_error(tmp_path):
    stats = report_stats(_folder(tmp_path, pages=None))
    assert stats["pdf_pages"] is None and stats["pdf_mb"] is None and stats_line(stats).endswith("no PDF")
    empty = report_stats(tmp_path / "missing")
    assert empty["tables"] == 0 and empty["html_mb"] is None and empty["pdf_pages"] is None
