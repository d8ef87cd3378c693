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


CONTENTS_ID = "pp-contents"


def _table_of_contents(page: str) -> str:
    """A contents list of the page's section (h1) and subsection (h2) headings, inserted after the title
    page (or after <main>), with a link back to it that stays on screen (no script: a fixed link)."""
    headings = re.findall(r'<h([12]) id="([^"]+)">(.*?)<a class="anchor-link"', page, flags=re.S)
    if not headings:
        return page
    items = "".join(f'<li class="pp-toc-{level}"><a href="#{anchor}">{text.strip()}</a></li>'
                    for level, anchor, text in headings)
    nav = (f'<nav class="pp-toc" id="{CONTENTS_ID}" aria-label="Contents"><h2>Contents</h2><ul>{items}</ul></nav>'
           f'<a class="pp-to-contents" href="#{CONTENTS_ID}">Contents</a>')
    if TITLE_PAGE_END in page:
        return page.replace(TITLE_PAGE_END, TITLE_PAGE_END + nav, 1)
    return page.replace("<main>", "<main>" + nav, 1) if "<main>" in page else page


_ID = re.compile(r'(?<![\w-])id="([^"]*)"')  # not data-...id=
_ID_OR_LINK = re.compile(r'(?<![\w-])id="([^"]*)"|(?<![\w-])href="#([^"]*)"')


def _unique_ids(parts: list[tuple[str, str]]) -> list[str]:
    """Each section's content with every element id unique across the report: an id seen before (in an
    earlier section, or earlier in the same one) is prefixed with its section's name, and that section's
    links to it (its heading's anchor link, its own contents) are rewritten to match. Ids seen once keep
    their name, so links into the report from elsewhere still work."""
    taken: set[str] = set()
    first_anywhere: dict[str, str] = {}  # an id as the first section holding it names it
    out = []
    for name, content in parts:
        renamed: list[str] = []
        for old in _ID.findall(content):
            new, n = old, 1
            while new in taken:
                n += 1
                new = f"{name}-{old}" if n == 2 else f"{name}-{old}-{n}"
            taken.add(new)
            renamed.append(new)
        first_here: dict[str, str] = {}
        for old, new in zip(_ID.findall(content), renamed):
            first_here.setdefault(old, new)
        latest: dict[str, str] = {}
        queue = iter(renamed)

        def swap(match: re.Match, queue=queue, latest=latest, first_here=first_here) -> str:
            if match.group(1) is not None:
                new = next(queue)
                latest[match.group(1)] = new
                return f'id="{new}"'
            target = match.group(2)
            # A heading's anchor link follows its id: the latest element of that name is its own.
            new = latest.get(target) or first_here.get(target) or first_anywhere.get(target, target)
            return f'href="#{new}"'

        content = _ID_OR_LINK.sub(swap, content)
        for old, new in first_here.items():
            first_anywhere.setdefault(old, new)
        out.append(content)
    return out


_HEADING = re.compile(r"<h([1-6])\b([^>]*)>(.*?)</h\1>", flags=re.S)


def _headings_in_order(page: str) -> str:
    """Heading levels that never skip one going down (an h2 followed by an h4 becomes h2, h3): each heading
    is at most one level below the one it sits under; the relative order of levels is kept."""
    stack: list[tuple[int, int]] = []  # (level as written, level given)

    def level(match: re.Match) -> str:
        written = int(match.group(1))
        while stack and stack[-1][0] >= written:
            stack.pop()
        given = min(written, stack[-1][1] + 1) if stack else written
        stack.append((written, given))
        return f"<h{given}{match.group(2)}>{match.group(3)}</h{given}>"

    return _HEADING.sub(level, page)


TITLE_PAGE_END = "<!-- pp-title-page-end -->"

EDITION_LABELS = {
    "partner": "Partner edition: for the partnership; small counts withheld",
    "internal": "Internal edition: for the analysts who hold the data only",
}


def front_matter(locality, edition: str) -> dict[str, str]:
    """What the title page states, from the locality's configuration and the build."""
    import datetime as dt
    import os

    from pplib import __version__
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    built = (dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc).date() if epoch.isdigit()
             else dt.date.today())
    return {
        "locality": locality.name,
        "partnership": locality.partnership,
        "period": f"{locality.period.start:%d %B %Y} to {locality.period.end:%d %B %Y}",
        "built": f"{built:%d %B %Y}",
        "edition": EDITION_LABELS.get(edition, edition),
        "version": f"pplib {__version__}",
        "marking": locality.handling_marking,
    }


def _title_page(front: dict[str, str]) -> str:
    e = {k: html.escape(str(v)) for k, v in front.items()}
    rows = "".join(f"<div><dt>{label}</dt><dd>{e[key]}</dd></div>" for label, key in (
        ("Partnership", "partnership"), ("Period", "period"), ("Date", "built"), ("Edition", "edition"),
        ("Version", "version"), ("Handling", "marking")))
    return (f'<section class="pp-title-page" aria-label="Title page">'
            f'<p class="pp-title-marking">{e["marking"]}</p>'
            f'<p class="pp-title-kind">Modern slavery problem profile</p>'
            f'<h1 class="pp-title">{e["locality"]}</h1>'
            f'<dl class="pp-title-facts">{rows}</dl></section>{TITLE_PAGE_END}')


CONTENT_START, CONTENT_END = "<!-- pp-content-start -->", "<!-- pp-content-end -->"

def _content(page: str, source: Path) -> str:
    """What a section page shows between its marking bands (the template marks where)."""
    start, end = page.find(CONTENT_START), page.rfind(CONTENT_END)
    if start < 0 or end < start:
        raise ValueError(f"{source} was not made by the profile template (no pp-content markers); rebuild it")
    return page[start + len(CONTENT_START):end]


_LATER_PART = re.compile(r"<h1[^>]*>[^<]*?\b\d+\.[2-9]\d*\s")  # "5.2 Local picture": a later part of section 5


def _section_class(content: str) -> str:
    """A top-level section starts a page in print; a later part of one ("5.2" after "5.1") runs on."""
    return "pp-section pp-section-continued" if _LATER_PART.search(content) else "pp-section"


def assemble_report(section_pages: list[Path], target: Path, title: str,
                    front: dict[str, str] | None = None) -> Path:
    """The section pages, in order, as one page with a title page (when `front`, see front_matter, is given)
    and a table of contents. The sections' exported HTML is put together as it is (exporting the merged
    notebooks again would repeat every section's export); ids are made unique across it and heading levels
    put in order."""
    pages = [path.read_text(encoding="utf-8") for path in section_pages]
    shell = pages[0]
    head, tail = shell[:shell.find(CONTENT_START) + len(CONTENT_START)], shell[shell.rfind(CONTENT_END):]
    contents = _unique_ids([(path.stem, _content(page, path)) for page, path in zip(pages, section_pages)])
    body = "".join(f'<div class="{_section_class(content)}">{content}</div>' for content in contents)
    head = re.sub(r"<title>.*?</title>", f"<title>{html.escape(title)}</title>", head, count=1, flags=re.S)
    front_page = _title_page(front) if front else ""
    return write_text(target, _table_of_contents(head + front_page + _headings_in_order(body) + tail))
