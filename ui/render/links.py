"""What happens when the user clicks a link in a reply.

Nothing opens by itself: :func:`confirm_and_open_link` shows the full address
and asks first, and only ``http``, ``https`` and ``mailto`` are ever opened;
anything else (``javascript:``, ``file:``, ``data:``, ``ftp:``...) gets a message
saying it is not allowed. The decision (:func:`link_allowed`) is separate from
the dialogs, and the dialogs and the opener can be passed in, so each part can
be tested on its own.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QMessageBox, QWidget

ALLOWED_SCHEMES = frozenset({"http", "https", "mailto"})

AskFn = Callable[[QWidget | None, QUrl], bool]
RefuseFn = Callable[[QWidget | None, QUrl], None]
OpenFn = Callable[[QUrl], bool]


def link_allowed(url: QUrl) -> bool:
    """Whether ``url`` may be opened at all (after the user agrees)."""
    if not url.isValid() or url.isRelative():
        return False
    scheme = url.scheme().lower()
    if scheme not in ALLOWED_SCHEMES:
        return False
    if scheme in ("http", "https"):
        return bool(url.host())
    return bool(url.path())


def shown_address(url: QUrl) -> str:
    """The address as the dialogs show it: fully encoded, so look-alike
    characters and hidden parts cannot pass for something else."""
    return url.toString(QUrl.ComponentFormattingOption.FullyEncoded)


def build_confirm_box(parent: QWidget | None, url: QUrl) -> QMessageBox:
    """The question asked before opening ``url``: the full address, Open or Cancel."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle("Open link?")
    box.setText("Open this address in your browser?")
    box.setInformativeText(shown_address(url))
    box.setStandardButtons(QMessageBox.StandardButton.Open | QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    return box


def build_refusal_box(parent: QWidget | None, url: QUrl) -> QMessageBox:
    """The message shown for a link Hearth will not open."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle("Link not allowed")
    scheme = url.scheme() or "this kind of"
    box.setText(f"Hearth does not open {scheme} links. Only web and e-mail links can be opened.")
    box.setInformativeText(shown_address(url))
    box.setStandardButtons(QMessageBox.StandardButton.Ok)
    return box


def ask_with_dialog(parent: QWidget | None, url: QUrl) -> bool:
    """Ask with :func:`build_confirm_box`; True if the user chose Open."""
    box = build_confirm_box(parent, url)
    return box.exec() == QMessageBox.StandardButton.Open


def refuse_with_dialog(parent: QWidget | None, url: QUrl) -> None:
    """Tell the user with :func:`build_refusal_box` that the link is not allowed."""
    build_refusal_box(parent, url).exec()


def confirm_and_open_link(
    parent: QWidget | None,
    url: QUrl,
    *,
    ask: AskFn = ask_with_dialog,
    refuse: RefuseFn = refuse_with_dialog,
    open_url: OpenFn = QDesktopServices.openUrl,
) -> bool:
    """Open ``url`` if it is allowed and the user agrees; return whether it opened."""
    if not link_allowed(url):
        refuse(parent, url)
        return False
    if not ask(parent, url):
        return False
    return bool(open_url(url))
