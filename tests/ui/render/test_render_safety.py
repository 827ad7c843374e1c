"""Untrusted replies: raw HTML stays text, images are never fetched, links never navigate."""

from __future__ import annotations

import threading
import urllib.request
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt, QUrl
from PySide6.QtGui import QColor, QImage, QTextCursor, QTextDocument
from pytestqt.qtbot import QtBot

from ui.render.message_body import MessageBody
from ui.render.prose_view import ProseView

MakeBody = Callable[[], MessageBody]


class _CountingServer(ThreadingHTTPServer):
    requests_seen: int = 0


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        assert isinstance(self.server, _CountingServer)
        self.server.requests_seen += 1
        body = b"\x89PNG\r\n\x1a\n"
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def image_server() -> Iterator[_CountingServer]:
    server = _CountingServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def only_view(body: MessageBody) -> ProseView:
    (view,) = body.segments()
    assert isinstance(view, ProseView)
    return view


def image_count(document: QTextDocument) -> int:
    count = 0
    block = document.begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            if it.fragment().charFormat().isImageFormat():
                count += 1
            it += 1
        block = block.next()
    return count


def anchor_at(view: ProseView, text: str) -> tuple[str, QTextCursor]:
    """The link under the middle of ``text`` in the view, and a cursor there."""
    cursor = QTextCursor(view.document())
    cursor.setPosition(view.plain_text().index(text) + len(text) // 2)
    return cursor.charFormat().anchorHref(), cursor


def test_raw_html_is_literal_text(make_body: MakeBody) -> None:
    body = make_body()
    body.set_markdown('Raw <b>x</b> and <img src="/etc/passwd"> here.\n\n<div>block</div>\n')
    view = only_view(body)
    assert view.plain_text() == 'Raw <b>x</b> and <img src="/etc/passwd"> here.\n<div>block</div>'
    cursor = QTextCursor(view.document())
    cursor.setPosition(view.plain_text().index("x</b>") + 1)
    assert cursor.charFormat().fontWeight() < 600  # not bold
    assert image_count(view.document()) == 0


def test_remote_image_is_a_link_and_is_never_requested(
    make_body: MakeBody, qtbot: QtBot, image_server: _CountingServer
) -> None:
    url = f"http://127.0.0.1:{image_server.server_address[1]}/img.png"
    # The server does answer: a request would have been counted.
    with urllib.request.urlopen(url, timeout=5) as reply:
        assert reply.status == 200
    assert image_server.requests_seen == 1
    image_server.requests_seen = 0

    body = make_body()
    body.set_markdown(f"Look: ![x]({url})\n\nand streamed: ")
    body.append(f"![y]({url}) done")
    view = only_view(body)
    view.grab()  # lay out and paint everything, as on screen
    qtbot.wait(200)

    assert image_server.requests_seen == 0
    assert image_count(view.document()) == 0
    assert f"Image: x ({url})" in view.plain_text()
    assert f"Image: y ({url})" in view.plain_text()
    href, _ = anchor_at(view, "Image: x")
    assert href == url


def test_local_images_are_never_read(make_body: MakeBody, tmp_path: Path) -> None:
    picture = tmp_path / "pic.png"
    image = QImage(4, 4, QImage.Format.Format_RGB32)
    image.fill(QColor("red"))
    assert image.save(str(picture))
    assert not QImage(str(picture)).isNull()  # a real, loadable image
    local_url = QUrl.fromLocalFile(str(picture)).toString()

    body = make_body()
    body.set_markdown(
        f"![passwd](file:///etc/passwd) ![pic]({picture}) ![pic2]({local_url}) "
        "![unc](//server/share/x.png)"
    )
    view = only_view(body)
    view.grab()

    document = view.document()
    assert image_count(document) == 0
    text = view.plain_text()
    assert "Image: passwd (file:///etc/passwd)" in text
    assert f"Image: pic ({picture})" in text
    assert "Image: unc (//server/share/x.png)" in text
    # Even asked directly, neither the document nor the view hands out the file.
    for name in (str(picture), local_url, "file:///etc/passwd"):
        assert document.resource(QTextDocument.ResourceType.ImageResource, QUrl(name)) is None
        assert view.loadResource(QTextDocument.ResourceType.ImageResource, QUrl(name)) is None


def test_clicking_a_link_emits_link_requested_and_does_not_navigate(
    make_body: MakeBody, qtbot: QtBot
) -> None:
    body = make_body()
    body.set_markdown("Before the link, [the docs](https://example.com/a?b=1#c) after it.")
    view = only_view(body)
    href, cursor = anchor_at(view, "the docs")
    assert href == "https://example.com/a?b=1#c"
    point: QPoint = view.cursorRect(cursor).center()
    text_before = view.plain_text()

    with qtbot.waitSignal(body.link_requested, timeout=2000) as signal:
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=point)

    assert signal.args == [QUrl("https://example.com/a?b=1#c")]
    assert view.source().isEmpty()
    assert view.plain_text() == text_before


def test_clicking_plain_text_emits_nothing(make_body: MakeBody, qtbot: QtBot) -> None:
    body = make_body()
    body.set_markdown("Before the link, [the docs](https://example.com) after it.")
    view = only_view(body)
    _, cursor = anchor_at(view, "Before")
    with qtbot.assertNotEmitted(body.link_requested, wait=100):
        qtbot.mouseClick(
            view.viewport(), Qt.MouseButton.LeftButton, pos=view.cursorRect(cursor).center()
        )


def test_clicking_an_image_link_asks_too(make_body: MakeBody, qtbot: QtBot) -> None:
    body = make_body()
    body.set_markdown("![cat](javascript:alert(1))")
    view = only_view(body)
    href, cursor = anchor_at(view, "Image: cat")
    assert href == "javascript:alert(1)"
    with qtbot.waitSignal(body.link_requested, timeout=2000) as signal:
        qtbot.mouseClick(
            view.viewport(), Qt.MouseButton.LeftButton, pos=view.cursorRect(cursor).center()
        )
    assert signal.args[0].scheme() == "javascript"
