"""User text is data: what the report's pages and spreadsheets do with text that came from a locality's files.

Three walls, each for one kind of output:

- Markdown sentences: user text put into one of the library's sentences is escaped where it is put in
  (`md`), so it is shown as written and never read as Markdown or HTML. Markdown the users wrote (case
  studies) is parsed with raw HTML off (`user_markdown_html`).
- HTML: every sentence is rendered by markdown-it-py and then cleaned by nh3 against an allow-list
  (`markdown_html`): no script, no event handler, no style; links only to http, https and mailto (and
  anchors on the page); no image is ever loaded (an image becomes its alt text). The library's own spans
  (`pp-n`, `pp-r`, which the disclosure audit reads back) keep their class and data attributes.
- Spreadsheets: a text cell starting with = + - @, a tab or a carriage return is prefixed with a single
  quote in CSVs (`csv_cell`, after OWASP's CSV injection guidance) and written as a string cell, never a
  formula, in workbooks. Numbers stay numbers.

This module sits beside ``config.py``: measures build sentences too, and may not import the report.
"""
from __future__ import annotations

import re
from functools import lru_cache
from html import escape
from urllib.parse import urlsplit

import nh3
from markdown_it import MarkdownIt

# Every report and index page carries it (templates/profile/index.html.j2, build/batch.py): no script, no
# fetch from anywhere; images only as data: URLs (the charts), styles only inline.
CONTENT_SECURITY_POLICY = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
CSP_META = f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">'


# --- user text inside the library's Markdown ----------------------------------------------------------------

_INLINE_SYNTAX = re.compile(r"([\\`*_\[\]<>&!~|])")  # emphasis, code, links, images, HTML, entities, tables
_BLOCK_START = re.compile(r"^(?:[#>+=-]|\d+(?=[.)]))")  # what starts a heading, quote, list... at a line's start


def md(value) -> str:
    """User text for a Markdown sentence: shown as written, never as markup. Whitespace runs (newlines
    included) become one space, so the text cannot start a new block."""
    text = _INLINE_SYNTAX.sub(r"\\\1", " ".join(str(value).split()))
    start = _BLOCK_START.match(text)
    if start:  # '# x' -> '\# x'; '1. x' -> '1\. x'
        text = text[:start.end()] + "\\" + text[start.end():] if start.group().isdigit() else "\\" + text
    return text


# --- Markdown to safe HTML ----------------------------------------------------------------------------------

LINK_SCHEMES = frozenset({"http", "https", "mailto"})
HEADINGS = {f"h{n}" for n in range(1, 7)}
ALLOWED_TAGS = HEADINGS | {"p", "br", "hr", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li", "a",
                           "span", "s", "table", "thead", "tbody", "tr", "th", "td"}
ALLOWED_ATTRIBUTES = {"a": {"href"}, "ol": {"start"}, "span": {"data-cell", "data-num", "data-den", "data-scale"},
                      **{h: {"id"} for h in HEADINGS}}
ALLOWED_CLASSES = {"span": {"pp-n", "pp-r"}, "a": {"anchor-link"}}
ANCHOR = "\u00b6"  # the pilcrow nbconvert puts after a heading, which the contents list looks for


def allowed_link(url: str) -> bool:
    """An anchor on the page, or an http(s) or mailto address: nothing that runs, and nothing on this disk."""
    url = url.strip()
    if url.startswith("#"):
        return True
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    if parts.scheme.lower() not in LINK_SCHEMES:
        return False
    return bool(parts.netloc) if parts.scheme.lower() != "mailto" else bool(parts.path)


def _keep_attribute(tag: str, attribute: str, value: str) -> str | None:
    """nh3's last word on each attribute: an href only when it is an allowed link."""
    if attribute == "href" and not allowed_link(value):
        return None
    return value


def _image_as_alt_text(self, tokens, idx, options, env) -> str:
    """An image is never loaded: its alt text is shown instead."""
    return escape(self.renderInlineAsText(tokens[idx].children or [], options, env))


def _heading_with_anchor(self, tokens, idx, options, env) -> str:
    """Headings as nbconvert writes them (id from the text, a pilcrow link), so the contents list finds them."""
    opening = tokens[idx]
    anchor = self.renderInlineAsText(tokens[idx + 1].children or [], options, env).replace(" ", "-")
    opening.attrSet("id", anchor)
    tokens[idx + 2].meta["anchor"] = anchor
    return self.renderToken(tokens, idx, options, env)


def _heading_close(self, tokens, idx, options, env) -> str:
    anchor = tokens[idx].meta.get("anchor")
    link = f'<a class="anchor-link" href="#{escape(anchor, quote=True)}">{ANCHOR}</a>' if anchor else ""
    return link + self.renderToken(tokens, idx, options, env)


@lru_cache(maxsize=2)
def _parser(raw_html: bool) -> MarkdownIt:
    parser = MarkdownIt("commonmark", {"html": raw_html}).enable(["table", "strikethrough"])
    parser.validateLink = allowed_link  # any other link is left as the text it was written as
    parser.add_render_rule("image", _image_as_alt_text)
    parser.add_render_rule("heading_open", _heading_with_anchor)
    parser.add_render_rule("heading_close", _heading_close)
    return parser


def clean_html(fragment: str) -> str:
    """An HTML fragment through nh3's allow-list (the second wall behind escaping)."""
    return nh3.clean(fragment, tags=ALLOWED_TAGS, clean_content_tags={"script", "style"},
                     attributes=ALLOWED_ATTRIBUTES, allowed_classes=ALLOWED_CLASSES,
                     attribute_filter=_keep_attribute, url_schemes=set(LINK_SCHEMES), strip_comments=True)


def markdown_html(source: str) -> str:
    """The library's own Markdown (which may carry its pp-n/pp-r spans, and user text escaped with `md`) as
    safe HTML."""
    return clean_html(_parser(raw_html=True).render(source))


def user_markdown_html(source: str) -> str:
    """Markdown a user wrote (a case study) as safe HTML: raw HTML in it is shown as text."""
    return clean_html(_parser(raw_html=False).render(source))


# --- spreadsheet cells --------------------------------------------------------------------------------------

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_ESCAPED = re.compile(r"^'+[=+\-@\t\r]")
_NUMBER = re.compile(r"^[+-]?(\d[\d,]*)?(\.\d+)?([eE][+-]?\d+)?%?$")


def csv_cell(value):
    """A CSV cell that a spreadsheet cannot run: text starting like a formula gets a leading single quote (and
    so does text already starting with quotes before one, so `from_csv_cell` can undo it exactly). Numbers,
    and text that is only a number such as '-3' or '+12%', are left as they are."""
    if not isinstance(value, str) or _NUMBER.match(value) and any(c.isdigit() for c in value):
        return value
    if value.startswith(FORMULA_START) or _ESCAPED.match(value):
        return "'" + value
    return value


def from_csv_cell(value):
    """What `csv_cell` was given: one leading quote removed where it added one."""
    if isinstance(value, str) and _ESCAPED.match(value):
        return value[1:]
    return value


def csv_safe(frame):
    """A table with every text cell and column name through `csv_cell`; numeric columns are not touched."""
    text_columns = frame.columns[[not _is_numeric(dtype) for dtype in frame.dtypes]]
    safe = frame.rename(columns=csv_cell)
    for column in text_columns:
        at = frame.columns.get_loc(column)
        safe.iloc[:, at] = frame.iloc[:, at].map(csv_cell)
    return safe


def _is_numeric(dtype) -> bool:
    return dtype.kind in "biufc"
