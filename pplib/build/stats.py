"""What a built edition folder holds, as figures: PDF pages, tables (distinct and in all), images, sizes.

``report_stats(folder)`` reads ``report.html`` (and ``report.pdf`` when there is one) and returns plain
numbers; the benchmark prints them beside its timings (benchmarks/benchmark.py). It changes nothing.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

MB = 2**20


def _table_key(table) -> str:
    """One table's identity: its caption's title and its cells, so the same table shown twice counts once."""
    caption = table.find("caption")
    title = caption.find("strong") if caption is not None else None
    head = title.get_text(" ", strip=True) if title is not None else ""
    cells = [" ".join(cell.get_text(" ", strip=True).split()) for cell in table.find_all(["th", "td"])]
    return hashlib.sha256("\x1f".join([head, *cells]).encode("utf-8")).hexdigest()


def html_stats(page: str) -> dict:
    """Tables (in all and distinct), charts and images of a report page's HTML."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(page, "html.parser")
    tables = soup.find_all("table")
    images = soup.find_all("img")
    return {"tables": len(tables), "distinct_tables": len({_table_key(t) for t in tables}),
            "charts": sum("pp-chart" in (img.get("class") or []) for img in images), "images": len(images)}


def pdf_pages(path: Path) -> int:
    from pypdf import PdfReader

    return len(PdfReader(str(path)).pages)


def report_stats(folder: Path) -> dict:
    """Figures of one edition folder: report.html's tables (tables, distinct_tables), images (charts: the
    embedded charts and maps, images: every <img>), html_mb; pdf_pages and pdf_mb when report.pdf is there
    (else None). A folder without report.html gives zeros and None."""
    folder = Path(folder)
    page, pdf = folder / "report.html", folder / "report.pdf"
    stats = {"tables": 0, "distinct_tables": 0, "charts": 0, "images": 0, "html_mb": None,
             "pdf_pages": None, "pdf_mb": None}
    if page.is_file():
        stats.update(html_stats(page.read_text(encoding="utf-8")), html_mb=page.stat().st_size / MB)
    if pdf.is_file():
        stats.update(pdf_pages=pdf_pages(pdf), pdf_mb=pdf.stat().st_size / MB)
    return stats


def stats_line(stats: dict) -> str:
    """'98 tables (90 distinct), 40 charts, 41 images; HTML 4.12 MB; PDF 38 pages, 2.10 MB' (no PDF: 'no PDF')."""
    text = (f"{stats['tables']} tables ({stats['distinct_tables']} distinct), {stats['charts']} charts, "
            f"{stats['images']} images")
    if stats["html_mb"] is not None:
        text += f"; HTML {stats['html_mb']:.2f} MB"
    if stats["pdf_pages"] is not None:
        text += f"; PDF {stats['pdf_pages']} pages, {stats['pdf_mb']:.2f} MB"
    else:
        text += "; no PDF"
    return text
