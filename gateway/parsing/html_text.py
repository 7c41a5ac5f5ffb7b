"""HTML mail into readable plain text with the standard library's HTMLParser.

Paragraphs, headings, divs and table rows become lines; list items get "- " or "1. "; table
cells are separated by " | "; links read "text (url)"; blockquotes are quoted with "> " so the
reply extractor can see quoted history; scripts, styles and the head are dropped; entities are
decoded; runs of whitespace collapse as a browser would collapse them.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

_SKIP = frozenset({"script", "style", "head", "title", "template", "noscript", "svg", "object"})
_BLOCK = frozenset(
    {
        "address", "article", "aside", "center", "dd", "details", "dialog", "div", "dl", "dt",
        "fieldset", "figcaption", "figure", "footer", "form", "header", "main", "nav",
        "section", "summary", "tbody", "thead", "tfoot", "caption",
    }
)  # fmt: skip
_PARAGRAPH = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "ul", "ol", "hr", "table"})
_WHITESPACE = re.compile(r"[ \t\n\r\f\v\u00a0\u200b]+")
_TAG = re.compile(r"<[^<>]*>")
_LOOSE_LT = re.compile(r"<(?![A-Za-z/!?][^<>]*>)")
MAX_NESTING = 12  # deeper lists and quotes are not indented further


def html_to_text(markup: str) -> str:
    """Readable text for `markup`; never raises (falls back to stripping tags)."""
    markup = _defuse(markup)
    parser = _TextParser()
    try:
        parser.feed(markup)
        parser.close()
        return parser.text()
    except Exception:  # HTMLParser can assert on malformed declarations
        return _strip_tags(markup)


def _defuse(markup: str) -> str:
    """Comments removed and every "<" that does not open a complete tag escaped.

    HTMLParser rescans to the end of the input for each unclosed "<": hostile mail such as
    "<a<a<a..." would take hours. After this it only ever sees complete tags.
    """
    out: list[str] = []
    pos = 0
    while (start := markup.find("<!--", pos)) >= 0:
        out.append(markup[pos:start])
        end = markup.find("-->", start + 4)
        if end < 0:
            pos = len(markup)
            break
        pos = end + 3
    out.append(markup[pos:])
    return _LOOSE_LT.sub("&lt;", "".join(out))


def _strip_tags(markup: str) -> str:
    text = html.unescape(_TAG.sub(" ", markup))
    lines = (_WHITESPACE.sub(" ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._lines: list[str] = []  # finished lines, quote prefix included
        self._words: list[str] = []  # the line being built
        self._blank_pending = False  # a paragraph break is owed before the next text
        self._skip_depth = 0
        self._pre_depth = 0
        self._quote_depth = 0
        self._lists: list[list[int]] = []  # one [counter] per open list; -1 for unordered
        self._links: list[tuple[str, int]] = []  # (href, length of text when the link opened)
        self._link_text: list[str] = []
        self._row_cells = 0
        self._indent = ""  # list indentation of the line being built

    # -- output -----------------------------------------------------------------------------

    def _emit(self, text: str) -> None:
        if self._links:
            self._link_text.append(text)
        if self._blank_pending and self._lines and self._lines[-1]:
            self._lines.append("")
        self._blank_pending = False
        self._words.append(text)

    def _break(self, paragraph: bool = False) -> None:
        line = "".join(self._words).rstrip()
        if not self._pre_depth:
            line = line.lstrip()
        if line:
            self._lines.append(self._prefix() + self._indent + line)
        self._words = []
        self._indent = ""
        if paragraph:
            self._blank_pending = True

    def _prefix(self) -> str:
        return "> " * min(self._quote_depth, MAX_NESTING)

    def text(self) -> str:
        self._break()
        out: list[str] = []
        for line in self._lines:
            if not line and (not out or not out[-1]):
                continue  # no runs of blank lines
            out.append(line)
        while out and not out[-1]:
            out.pop()
        return "\n".join(out)

    # -- parser callbacks -------------------------------------------------------------------

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self._skip_depth += 1
            return
        if self._skip_depth:
            return
        if tag == "br":
            self._break()
        elif tag in _PARAGRAPH or tag == "blockquote":
            self._break(paragraph=not (tag in ("ul", "ol") and self._lists))
            self._open_block(tag)
        elif tag in _BLOCK:
            self._break()
        elif tag == "tr":
            self._break()
            self._row_cells = 0
        elif tag in ("td", "th"):
            if self._row_cells:
                self._emit(" | ")
            self._row_cells += 1
        elif tag == "li":
            self._list_item()
        elif tag == "a":
            if self._links:  # links do not nest: a new one closes the open one
                self._close_link()
            self._links.append((_attr(attrs, "href"), len(self._link_text)))
        elif tag == "img":
            alt = _WHITESPACE.sub(" ", _attr(attrs, "alt")).strip()
            if alt:
                self._emit(f"[{alt}]")

    def _open_block(self, tag: str) -> None:
        if tag == "blockquote":
            self._quote_depth += 1
        elif tag == "pre":
            self._pre_depth += 1
        elif tag in ("ul", "ol"):
            self._lists.append([0 if tag == "ol" else -1])
        elif tag == "hr":
            self._lines.append(self._prefix() + "---")

    def _list_item(self) -> None:
        self._break()
        self._indent = "  " * min(max(len(self._lists) - 1, 0), MAX_NESTING)
        if self._lists and self._lists[-1][0] >= 0:
            self._lists[-1][0] += 1
            self._emit(f"{self._lists[-1][0]}. ")
        else:
            self._emit("- ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in ("br", "img", "hr"):
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self._skip_depth = max(self._skip_depth - 1, 0)
            return
        if self._skip_depth:
            return
        if tag in _PARAGRAPH or tag == "blockquote":
            self._break(paragraph=not (tag in ("ul", "ol") and len(self._lists) > 1))
            self._close_block(tag)
        elif tag in _BLOCK or tag in ("tr", "li"):
            self._break()
        elif tag == "a" and self._links:
            self._close_link()

    def _close_block(self, tag: str) -> None:
        if tag == "blockquote":
            self._quote_depth = max(self._quote_depth - 1, 0)
        elif tag == "pre":
            self._pre_depth = max(self._pre_depth - 1, 0)
        elif tag in ("ul", "ol") and self._lists:
            self._lists.pop()

    def _close_link(self) -> None:
        href, start = self._links.pop()
        label = "".join(self._link_text[start:]).strip()
        if not self._links:
            self._link_text = []
        target = href.strip()
        if target.lower().startswith("mailto:"):
            target = target[7:].split("?", 1)[0]
        if not target or target.startswith("#") or target.lower().startswith("javascript:"):
            return
        if target.rstrip("/") != label.rstrip("/"):
            self._emit(f" ({target})" if label else target)

    def handle_data(self, data: str) -> None:
        if self._skip_depth:
            return
        if self._pre_depth:
            lines = data.replace("\r\n", "\n").split("\n")
            for i, line in enumerate(lines):
                if i:
                    self._break()
                if line:
                    self._emit(line.replace("\u00a0", " "))
            return
        text = _WHITESPACE.sub(" ", data)
        if not text.strip():
            if text and self._words and not self._words[-1].endswith(" "):
                self._words.append(" ")
            return
        if self._words and self._words[-1].endswith(" ") and text.startswith(" "):
            text = text[1:]
        self._emit(text)


def _attr(attrs: list[tuple[str, str | None]], name: str) -> str:
    for key, value in attrs:
        if key == name and value:
            return value
    return ""
