"""Link policy and the confirmation dialog, driven by clicking its real buttons."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QTimer, QUrl
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from ui.render.links import (
    build_confirm_box,
    confirm_and_open_link,
    link_allowed,
    shown_address,
)


@pytest.mark.parametrize(
    "address",
    [
        "http://example.com",
        "https://example.com/path?q=1#frag",
        "HTTPS://EXAMPLE.COM/",
        "mailto:someone@example.com",
    ],
)
def test_web_and_mail_links_are_allowed(address: str) -> None:
    assert link_allowed(QUrl(address))


@pytest.mark.parametrize(
    "address",
    [
        "javascript:alert(1)",
        "JavaScript:alert(document.cookie)",
        "file:///etc/passwd",
        "file://server/share/x.exe",
        "ftp://example.com/file",
        "data:text/html,<script>alert(1)</script>",
        "smb://host/share",
        "vbscript:msgbox",
        "/relative/path",
        "example.com",
        "http://",
        "",
    ],
)
def test_other_links_are_refused(address: str) -> None:
    assert not link_allowed(QUrl(address))


class _Opener:
    def __init__(self) -> None:
        self.opened: list[QUrl] = []

    def __call__(self, url: QUrl) -> bool:
        self.opened.append(url)
        return True


def click_in_next_dialog(button: QMessageBox.StandardButton, seen: list[str]) -> None:
    """When the modal dialog opens, record its text and press ``button`` in it."""

    def press() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(10, press)
            return
        seen.append(box.text() + "\n" + box.informativeText())
        box.button(button).click()

    QTimer.singleShot(0, press)


def test_confirmed_link_opens_after_showing_the_full_address(qtbot: QtBot) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    opener = _Opener()
    url = QUrl("https://example.com/some/long/path?with=query&and=more#fragment")
    seen: list[str] = []
    click_in_next_dialog(QMessageBox.StandardButton.Open, seen)

    assert confirm_and_open_link(parent, url, open_url=opener)

    assert opener.opened == [url]
    assert "https://example.com/some/long/path?with=query&and=more#fragment" in seen[0]


def test_cancelled_link_does_not_open(qtbot: QtBot) -> None:
    opener = _Opener()
    seen: list[str] = []
    click_in_next_dialog(QMessageBox.StandardButton.Cancel, seen)
    assert not confirm_and_open_link(None, QUrl("mailto:a@example.com"), open_url=opener)
    assert opener.opened == []
    assert "mailto:a@example.com" in seen[0]


def test_refused_link_says_so_and_never_asks(qtbot: QtBot) -> None:
    opener = _Opener()
    asked: list[QUrl] = []

    def ask(parent: QWidget | None, url: QUrl) -> bool:
        asked.append(url)
        return True

    seen: list[str] = []
    click_in_next_dialog(QMessageBox.StandardButton.Ok, seen)
    assert not confirm_and_open_link(None, QUrl("javascript:alert(1)"), ask=ask, open_url=opener)
    assert asked == [] and opener.opened == []
    assert "not" in seen[0] and "javascript:alert(1)" in seen[0]


def test_shown_address_cannot_hide_a_look_alike_host() -> None:
    # Cyrillic "а" in the host: shown as punycode, not as "apple.com".
    url = QUrl("https://\u0430pple.com/login")
    assert shown_address(url).startswith("https://xn--")
    box = build_confirm_box(None, url)
    try:
        assert box.informativeText() == shown_address(url)
        assert box.defaultButton() is box.button(QMessageBox.StandardButton.Cancel)
    finally:
        box.deleteLater()
