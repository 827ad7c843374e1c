"""HTML: the page's main text, through the standard library's parser.

Scripts, styles, navigation, headers, footers, forms and asides are dropped; when the
page has a ``<main>`` or ``<article>``, only that is kept. Block elements become line
breaks so passages keep their paragraphs. Nothing the page links to is fetched.
"""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

from app.docs.readers.base import Document, Page, ReadError, decode_text, looks_binary

_SKIP = frozenset(
    [
        "script",
        "style",
        "noscript",
        "template",
        "nav",
        "header",
        "footer",
        "aside",
        "form",
        "svg",
        "canvas",
        "iframe",
        "head",
    ]
)
_MAIN = frozenset(("main", "article"))
_BLOCK = frozenset(
    [
        "p",
        "div",
        "br",
        "li",
        "ul",
        "ol",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "tr",
        "table",
        "section",
        "blockquote",
        "pre",
        "dt",
        "dd",
        "hr",
    ]
)
_VOID = frozenset(
    [
        "br",
        "hr",
        "img",
        "input",
        "meta",
        "link",
        "area",
        "base",
        "col",
        "embed",
        "source",
        "track",
        "wbr",
    ]
)


class _MainText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.all: list[str] = []
        self.main: list[str] = []
        self._skip = 0
        self._main = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _VOID:
            if tag in _BLOCK:
                self._write("\n")
            return
        if tag in _SKIP:
            self._skip += 1
        if tag in _MAIN:
            self._main += 1
        if tag in _BLOCK:
            self._write("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID:
            return
        if tag in _SKIP and self._skip:
            self._skip -= 1
        if tag in _MAIN and self._main:
            self._main -= 1
        if tag in _BLOCK:
            self._write("\n")

    def handle_data(self, data: str) -> None:
        self._write(data)

    def _write(self, text: str) -> None:
        if self._skip:
            return
        self.all.append(text)
        if self._main:
            self.main.append(text)


def _tidy(parts: list[str]) -> str:
    lines = [" ".join(line.split()) for line in "".join(parts).split("\n")]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()


def read_html(path: Path) -> Document:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ReadError(f"{path.name}: cannot be read ({error.strerror or error}).") from error
    if looks_binary(data):
        raise ReadError(f"{path.name}: not an HTML file (it holds binary data).")
    parser = _MainText()
    try:
        parser.feed(decode_text(data))
        parser.close()
    except Exception as error:  # html.parser is lenient; this is a last resort
        raise ReadError(f"{path.name}: not readable HTML ({type(error).__name__}).") from error
    main = _tidy(parser.main)
    text = main or _tidy(parser.all)
    if not text:
        raise ReadError(f"{path.name}: the page has no text.")
    return Document(path, "html", (Page(0, text),))
