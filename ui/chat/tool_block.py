"""One tool call in the chat: a compact block under the assistant turn that made it.

Folded, it is one line that says what happened ("Used calculator: 37*41 = 1517",
"Declined python: print(6*7)", "calculator failed: …"); a click unfolds the call's
arguments (Python code as highlighted code) and its whole result. Pictures the call
made (a Python chart, an MCP server's image) show under the line, folded or not: they
are local files, read from disk with ``QPixmap``, never fetched from anywhere.

A block starts "running" when the model writes the call, may wait for the user's say,
and ends in one of the stored outcomes (``app.store.records.ToolOutcome``), or "not
run" when the reply ended before it was answered.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase, QPixmap
from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ui.render.code_block import CodeBlockView

# Longest argument or result shown in the folded line, in characters.
SUMMARY_CHARS = 80
# Longest result shown unfolded (the model read it all; the store keeps it all).
SHOWN_RESULT_CHARS = 20_000
# Widest a picture is shown, in pixels (larger ones are scaled down).
IMAGE_WIDTH = 480
# Between a server's name and its tool's in an MCP tool's full name.
_SERVER_SEPARATOR = "__"

RUNNING = "running"
WAITING = "waiting"
NOT_RUN = "not run"

_STYLE = """
QFrame#toolBlock { border: 1px solid palette(mid); border-radius: 6px; }
QFrame#toolBlock[state="error"], QFrame#toolBlock[state="invalid"] {
    border-left: 4px solid #d9534f; }
QFrame#toolBlock[state="declined"], QFrame#toolBlock[state="skipped"],
QFrame#toolBlock[state="not run"] { border-style: dashed; }
QFrame#toolBlock[state="waiting"] { border: 1px solid palette(highlight); }
QToolButton#toolHeader { border: none; text-align: left; padding: 3px 4px; }
QLabel#toolCaption { color: palette(placeholder-text); }
"""


def display_name(name: str) -> str:
    """A tool's name as the user knows it: an MCP tool's with its server after it."""
    server, separator, tool = name.partition(_SERVER_SEPARATOR)
    if separator and server and tool:
        return f"{tool} ({server})"
    return name or "a tool"


def _first_line(text: str, limit: int = SUMMARY_CHARS) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    line = lines[0] if lines else ""
    if len(line) > limit or len(lines) > 1:
        return line[: limit - 1].rstrip() + "…"
    return line


def arguments_summary(arguments: Mapping[str, Any] | None, raw: str = "") -> str:
    """The arguments in a few words: one value alone, else ``name=value`` pairs."""
    if arguments is None:
        return _first_line(raw)
    values = list(arguments.items())
    if not values:
        return ""
    if len(values) == 1:
        value = values[0][1]
        return _first_line(value if isinstance(value, str) else json.dumps(value))
    pairs = ", ".join(
        f"{key}={value if isinstance(value, str) else json.dumps(value)}" for key, value in values
    )
    return _first_line(pairs)


def summary(
    name: str, arguments: Mapping[str, Any] | None, raw: str, state: str, result: str
) -> str:
    """The folded line for a call in ``state`` with ``result`` (its text, when it has one)."""
    tool = display_name(name)
    shown = arguments_summary(arguments, raw)
    about = f"{tool}: {shown}" if shown else tool
    answer = _first_line(result)
    if state == RUNNING:
        return f"Calling {about}…"
    if state == WAITING:
        return f"Waiting for your approval: {about}"
    if state == "ok":
        joiner = " = " if name == "calculator" else " → "
        return f"Used {about}{joiner}{answer}" if answer else f"Used {about}"
    if state == "error":
        return f"{tool} failed: {answer}" if answer else f"{tool} failed"
    if state == "invalid":
        return f"Could not call {tool}: {answer}" if answer else f"Could not call {tool}"
    if state == "declined":
        return f"Declined {about} (it did not run)"
    if state == "skipped":  # why (Stop, the limit of rounds) is in the result and the note
        return f"Did not run {about}"
    return f"Did not run {about}: the reply ended first"


class ToolBlock(QFrame):
    """One call. Signals: ``expanded_changed(bool)``."""

    expanded_changed = Signal(bool)

    def __init__(
        self,
        call_id: str,
        name: str,
        arguments: Mapping[str, Any] | None,
        raw: str = "",
        error: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.call_id = call_id
        self.name = name
        self.arguments = dict(arguments) if arguments is not None else None
        self.raw = raw
        self.error = error
        self.state = RUNNING
        self.result_text = ""
        self.image_paths: tuple[str, ...] = ()
        self.setObjectName("toolBlock")
        self.setProperty("state", RUNNING)
        self.setStyleSheet(_STYLE)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)

        self.header = QToolButton(self)
        self.header.setObjectName("toolHeader")
        self.header.setCheckable(True)
        self.header.setAutoRaise(True)
        self.header.setCursor(Qt.CursorShape.PointingHandCursor)
        self.header.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.header.setArrowType(Qt.ArrowType.RightArrow)
        self.header.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.header.toggled.connect(self._toggled)

        self.details = QWidget(self)
        details = QVBoxLayout(self.details)
        details.setContentsMargins(8, 0, 8, 6)
        details.setSpacing(4)
        details.addWidget(_caption("Arguments", self.details))
        code = self._code()
        if code is not None:
            self.code_view: CodeBlockView | None = CodeBlockView("python", self.details)
            self.code_view.set_code(code)
            details.addWidget(self.code_view)
            self.arguments_label: QLabel | None = None
        else:
            self.code_view = None
            self.arguments_label = _plain(self._arguments_text(), self.details, fixed=True)
            details.addWidget(self.arguments_label)
        self.result_caption = _caption("Result", self.details)
        self.result_label = _plain("", self.details, fixed=False)
        details.addWidget(self.result_caption)
        details.addWidget(self.result_label)
        self.details.hide()

        self.images = QWidget(self)
        self.images_layout = QVBoxLayout(self.images)
        self.images_layout.setContentsMargins(8, 0, 8, 6)
        self.images.hide()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(0)
        layout.addWidget(self.header)
        layout.addWidget(self.details)
        layout.addWidget(self.images)
        self._refresh()

    # What happened ----------------------------------------------------------------------

    def set_waiting(self) -> None:
        """The call waits for the user's say."""
        if self.state in (RUNNING, WAITING):
            self._set_state(WAITING)

    def set_result(self, outcome: str, text: str, images: Sequence[str] = ()) -> None:
        """The call's outcome (``ok``, ``error``, ``invalid``, ``declined``,
        ``skipped``), its result text and the pictures it made (local files)."""
        self.result_text = text
        if tuple(images) != self.image_paths:
            self.image_paths = tuple(images)
            self._show_images()
        self._set_state(outcome)

    def end_unanswered(self) -> None:
        """The reply ended before this call was answered."""
        if self.state in (RUNNING, WAITING):
            self._set_state(NOT_RUN)

    @property
    def answered(self) -> bool:
        return self.state not in (RUNNING, WAITING)

    def summary(self) -> str:
        return summary(self.name, self.arguments, self.raw, self.state, self.result_text)

    # Folding ----------------------------------------------------------------------------

    def is_expanded(self) -> bool:
        return self.header.isChecked()

    def set_expanded(self, expanded: bool) -> None:
        self.header.setChecked(expanded)

    def _toggled(self, expanded: bool) -> None:
        self.details.setVisible(expanded)
        self.header.setArrowType(Qt.ArrowType.DownArrow if expanded else Qt.ArrowType.RightArrow)
        self.expanded_changed.emit(expanded)

    # Display ----------------------------------------------------------------------------

    def _set_state(self, state: str) -> None:
        self.state = state
        self.setProperty("state", state)
        self.style().unpolish(self)
        self.style().polish(self)
        self._refresh()

    def _refresh(self) -> None:
        line = self.summary()
        self.header.setText(line)
        self.header.setToolTip("Show the call's arguments and result")
        self.header.setAccessibleName(line)
        result = self.result_text
        if len(result) > SHOWN_RESULT_CHARS:
            result = result[:SHOWN_RESULT_CHARS] + "\n… (longer; the model read all of it)"
        self.result_label.setText(result)
        self.result_caption.setVisible(bool(result))
        self.result_label.setVisible(bool(result))

    def _code(self) -> str | None:
        if self.name == "python" and self.arguments is not None:
            code = self.arguments.get("code")
            if isinstance(code, str):
                return code
        return None

    def _arguments_text(self) -> str:
        if self.arguments is None:
            return self.raw or "(none)"
        return json.dumps(self.arguments, ensure_ascii=False, indent=2, sort_keys=True)

    def _show_images(self) -> None:
        while self.images_layout.count():
            item = self.images_layout.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        for path in self.image_paths:
            picture = local_picture(path)
            label = QLabel(self.images)
            if picture is None:
                label.setText(f"(picture not found: {Path(path).name})")
                label.setObjectName("toolCaption")
            else:
                label.setPixmap(picture)
                label.setToolTip(path)
                label.setAccessibleName(f"Picture from {display_name(self.name)}")
            self.images_layout.addWidget(label)
        self.images.setVisible(bool(self.image_paths))


def local_picture(path: str) -> QPixmap | None:
    """A picture file on this computer, scaled to fit the chat; None if there is none.

    Only a plain local path is read; anything that looks like an address is refused.
    """
    if "://" in path:
        return None
    file = Path(path)
    if not file.is_file():
        return None
    picture = QPixmap(str(file))
    if picture.isNull():
        return None
    if picture.width() > IMAGE_WIDTH:
        picture = picture.scaledToWidth(IMAGE_WIDTH, Qt.TransformationMode.SmoothTransformation)
    return picture


def _caption(text: str, parent: QWidget) -> QLabel:
    label = QLabel(text, parent)
    label.setObjectName("toolCaption")
    return label


def _plain(text: str, parent: QWidget, *, fixed: bool) -> QLabel:
    label = QLabel(parent)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if fixed:
        label.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
    label.setText(text)
    return label
