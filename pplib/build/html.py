"""From executed notebooks to the report page: the profile's nbconvert template, accessibility fixes, and
one assembled page with a contents list.
"""
from __future__ import annotations

import html
import re
from functools import lru_cache
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter
from nbconvert.exporters.templateexporter import TemplateExporter
from nbconvert.filters.highlight import Highlight2HTML
from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

from pplib.files import write_text

TEMPLATES = Path(__file__).parent / "templates"


class ProfileExporter(HTMLExporter):
    """nbconvert's HTML exporter without its closing BeautifulSoup pass, which parses, searches and rewrites
    the whole page to add two accessibility attributes and took two thirds of each export. The same two
    additions are made here on the page as the template writes it (tests compare the two DOMs)."""

    def from_notebook_node(self, nb, resources=None, **kw):
        # As HTMLExporter.from_notebook_node (nbconvert 7.17), up to its BeautifulSoup pass.
        langinfo = nb.metadata.get("language_info", {})
        lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
        self.register_filter("highlight_code",
                             self.filters.get("highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self)))
        resources = self._init_resources(resources)
        self.register_filter("filter_data_type",
                             WidgetsDataTypeFilter(notebook_metadata=self._nb_metadata, parent=self,
                                                   resources=resources))
        page, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
        return _accessible(page, self.log), resources


_FOCUSABLE = re.compile(r'(<div class="[^"]*\b(?:jp-Cell-inputWrapper|jp-OutputArea-output)\b[^"]*")')


_IMAGE_WITHOUT_ALT = re.compile(r"<img(?![^>]*\balt=)", flags=re.I)


def _accessible(page: str, log_to) -> str:
    """What nbconvert's HTML exporter adds: inputs and outputs reachable by keyboard, every image with alt text."""
    page = _FOCUSABLE.sub(r'\1 tabindex="0"', page)
    page, missing_alt = _IMAGE_WITHOUT_ALT.subn('<img alt="No description has been provided for this image"', page)
    if missing_alt:
        log_to.warning("Alternative text is missing on %s image(s).", missing_alt)
    return page


@lru_cache(maxsize=1)
def _exporter() -> HTMLExporter:
    """One per process: building the exporter compiles its templates, which costs more than most exports."""
    return ProfileExporter(template_name="profile", extra_template_basedirs=[str(TEMPLATES)],
                           exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)


def export_html(notebook: Path | nbformat.NotebookNode, target: Path, marking: str) -> Path:
    """Notebook -> standalone HTML: code hidden, marking on every page, nothing fetched from the network."""
    nb = nbformat.read(notebook, as_version=4) if isinstance(notebook, Path) else notebook
    nb.metadata["pplib"] = {"marking": marking}
    body, _ = _exporter().from_notebook_node(nb)
    return write_text(target, body)


def _table_of_contents(page: str) -> str:
    """A contents list of the page's section (h1) and subsection (h2) headings, inserted after <main>."""
    headings = re.findall(r'<h([12]) id="([^"]+)">(.*?)<a class="anchor-link"', page, flags=re.S)
    if not headings:
        return page
    items = "".join(f'<li class="pp-toc-{level}"><a href="#{anchor}">{text.strip()}</a></li>'
                    for level, anchor, text in headings)
    nav = f'<nav class="pp-toc" aria-label="Contents"><h2>Contents</h2><ul>{items}</ul></nav>'
    return page.replace("<main>", "<main>" + nav, 1) if "<main>" in page else page


CONTENT_START, CONTENT_END = "<!-- pp-content-start -->", "<!-- pp-content-end -->"

def _content(page: str, source: Path) -> str:
    """What a section page shows between its marking bands (the template marks where)."""
    start, end = page.find(CONTENT_START), page.rfind(CONTENT_END)
    if start < 0 or end < start:
        raise ValueError(f"{source} was not made by the profile template (no pp-content markers); rebuild it")
    return page[start + len(CONTENT_START):end]


def assemble_report(section_pages: list[Path], target: Path, title: str) -> Path:
    """The section pages, in order, as one page with a table of contents. The sections' exported HTML is
    put together as it is (exporting the merged notebooks again would repeat every section's export)."""
    pages = [path.read_text(encoding="utf-8") for path in section_pages]
    shell = pages[0]
    head, tail = shell[:shell.find(CONTENT_START) + len(CONTENT_START)], shell[shell.rfind(CONTENT_END):]
    body = "".join(_content(page, path) for page, path in zip(pages, section_pages))
    head = re.sub(r"<title>.*?</title>", f"<title>{html.escape(title)}</title>", head, count=1, flags=re.S)
    return write_text(target, _table_of_contents(head + body + tail))
