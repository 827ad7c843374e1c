"""A fenced code block in a reply: language label, Copy button, highlighted code.

While the block streams, :meth:`CodeBlockView.sync` appends only the lines that
are new and rewrites the one incomplete last line, so a long code block costs
per update what arrived, not its whole size. Pygments lexes only from the last
line it can resume from (:mod:`ui.render.code_tokens`), and only lines whose
tokens changed are painted again.

A fence without a language gets a guess (:func:`ui.render.code_language.guess_lexer`)
once a few lines have come, or when the block ends if it is shorter. Long lines
scroll sideways rather than wrapping mid-token.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QEvent, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QFontDatabase, QGuiApplication, QTextCursor, QWheelEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from ui.render.code_highlighter import CodeHighlighter
from ui.render.code_language import PLAIN, guess_lexer, lexer_for
from ui.render.code_tokens import CodeTokens

_COPIED_FEEDBACK_MS = 1500
# Complete lines an untagged block waits for before its language is guessed.
GUESS_AFTER_LINES = 4


def code_font(size_like: QFont) -> QFont:
    """The system's fixed-width font at the size of ``size_like`` (the zoomed text)."""
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    if size_like.pointSizeF() > 0:
        font.setPointSizeF(size_like.pointSizeF())
    elif size_like.pixelSize() > 0:
        font.setPixelSize(size_like.pixelSize())
    return font


class _CodeText(QTextEdit):
    """Read-only monospace code that is as tall as its lines and never wraps.

    A QTextEdit rather than a QPlainTextEdit: the plain editor walks every
    visible line when its size changes, and this view shows all its lines.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setAcceptRichText(False)
        self.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self.setLineWrapMode(QTextEdit.LineWrapMode.NoWrap)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        document = self.document()
        document.setUndoRedoEnabled(False)
        document.setDefaultFont(code_font(self.font()))
        document.documentLayout().documentSizeChanged.connect(self._fit_height)
        self.horizontalScrollBar().rangeChanged.connect(self._fit_height)
        self._fit_height()

    def _fit_height(self) -> None:
        margins = self.contentsMargins()
        height = math.ceil(self.document().size().height()) + margins.top() + margins.bottom()
        bar = self.horizontalScrollBar()
        if bar.maximum() > 0:
            height += bar.sizeHint().height()
        if height != self.height() or self.minimumHeight() != height:
            self.setFixedHeight(height)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)  # for a font change, sets the widget's font on the code
        if event.type() == QEvent.Type.FontChange:
            # The conversation was zoomed: keep fixed-width, at the new size.
            self.document().setDefaultFont(code_font(self.font()))

    def wheelEvent(self, event: QWheelEvent) -> None:
        # Sideways scrolling is ours; up and down belong to the chat's scroll area.
        if event.angleDelta().x() != 0 and self.horizontalScrollBar().maximum() > 0:
            super().wheelEvent(event)
        else:
            event.ignore()

    def sizeHint(self) -> QSize:
        return QSize(super().sizeHint().width(), self.height())


class CodeBlockView(QFrame):
    """One code block: header with language and Copy, then the code.

    Signals:
        copied(str): the Copy button put this code on the clipboard.
    """

    copied = Signal(str)

    def __init__(self, language: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self._language = language
        self._guess_pending = not language.strip()
        self._shown_lines = 0
        self._finished_code: str | None = None
        self._lines: list[str] = []
        self._partial: str | None = None  # the incomplete last line, when shown

        self.language_label = QLabel(language or "text", self)
        if language.strip().lower() not in PLAIN and lexer_for(language) is None:
            self.language_label.setToolTip("Not a language Hearth can highlight")
        self.language_label.setObjectName("codeLanguage")
        self.language_label.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        self.copy_button = QPushButton("Copy", self)
        self.copy_button.setObjectName("codeCopy")
        self.copy_button.setAccessibleName("Copy code")
        self.copy_button.setToolTip("Copy the code to the clipboard")
        self.copy_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.copy_button.clicked.connect(self.copy_to_clipboard)

        header = QHBoxLayout()
        header.setContentsMargins(8, 2, 4, 2)
        header.addWidget(self.language_label)
        header.addStretch(1)
        header.addWidget(self.copy_button)

        self.editor = _CodeText(self)
        self.tokens = CodeTokens(lexer_for(language))
        self.highlighter = CodeHighlighter(self.editor.document(), self.tokens, self.palette())

        layout = QVBoxLayout(self)
        layout.setContentsMargins(1, 1, 1, 1)
        layout.setSpacing(0)
        layout.addLayout(header)
        layout.addWidget(self.editor)

    @property
    def language(self) -> str:
        """The fence's language name ("" when none was given)."""
        return self._language

    @property
    def finished(self) -> bool:
        """Whether the closing fence has arrived."""
        return self._finished_code is not None

    def code(self) -> str:
        """Exactly the code, no fences: what Copy puts on the clipboard."""
        if self._finished_code is not None:
            return self._finished_code
        shown = self._lines[: self._shown_lines]
        return "\n".join(shown if self._partial is None else [*shown, self._partial])

    def set_code(self, code: str) -> None:
        """Show a finished block whole (one render)."""
        self._finished_code = code
        self._lines = code.split("\n")
        self._shown_lines = len(self._lines)
        self._partial = None
        if self._guess_pending:
            self._take_guess(code, relex=False)
        self.tokens.set_all(self._lines)
        self.editor.setPlainText(code)

    def sync(self, lines: list[str], partial: str | None) -> None:
        """Show an open block: complete ``lines`` so far and the incomplete one.

        ``lines`` only grows between calls; lines already shown are not
        touched. ``partial`` None means there is no incomplete line to show
        (or it is probably the closing fence being typed).
        """
        new_lines = lines[self._shown_lines :]
        if not new_lines and partial == self._partial:
            return
        self._lines = lines
        if self._guess_pending and len(lines) >= GUESS_AFTER_LINES:
            self._take_guess("\n".join(lines), relex=True)
        self._rewrite_end(new_lines, partial, complete=len(lines))

    def finish(self, code: str) -> None:
        """The closing fence arrived: drop the incomplete line, keep ``code``."""
        lines = code.split("\n") if code else []
        if self._guess_pending:
            self._take_guess(code, relex=True)
        self._rewrite_end(lines[self._shown_lines :], None, complete=len(lines))
        self._lines = lines
        self._shown_lines = len(lines)
        self._finished_code = code
        self.highlighter.refresh_lines(self.tokens.finish())

    def _take_guess(self, code: str, *, relex: bool) -> None:
        """Pick the untagged block's language from its code, once."""
        self._guess_pending = False
        lexer = guess_lexer(code)
        if lexer is None:
            return
        self.language_label.setText(lexer.aliases[0] if lexer.aliases else lexer.name)
        self.language_label.setToolTip("Language guessed from the code")
        changed = self.tokens.set_lexer(lexer)
        if relex:
            self.highlighter.refresh_lines(changed)

    def _rewrite_end(self, new_lines: list[str], partial: str | None, *, complete: int) -> None:
        # The document holds the shown lines, then (while there is one) a last
        # block with the incomplete line. Only that end is ever rewritten.
        pieces = [*new_lines, *([] if partial is None else [partial])]
        # Tokens first: Qt highlights the new lines as they go in.
        first = self._shown_lines
        changed = self.tokens.replace_from(first, pieces, complete=complete)
        self.highlighter.refresh_lines(n for n in changed if n < first)
        cursor = QTextCursor(self.editor.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        text = "\n".join(pieces)
        if self._partial is not None:
            cursor.movePosition(
                QTextCursor.MoveOperation.StartOfBlock, QTextCursor.MoveMode.KeepAnchor
            )
            if not pieces and self._shown_lines > 0:
                # Nothing replaces the incomplete line: drop its block too.
                cursor.movePosition(
                    QTextCursor.MoveOperation.PreviousCharacter, QTextCursor.MoveMode.KeepAnchor
                )
            cursor.insertText(text)
        elif pieces:
            cursor.insertText("\n" + text if self._shown_lines > 0 else text)
        self._shown_lines += len(new_lines)
        self._partial = partial

    def copy_to_clipboard(self) -> None:
        """Put exactly the code on the clipboard and say so on the button."""
        code = self.code()
        QGuiApplication.clipboard().setText(code)
        self.copy_button.setText("Copied")
        QTimer.singleShot(_COPIED_FEEDBACK_MS, self, self._reset_copy_label)
        self.copied.emit(code)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self.highlighter.set_palette(self.palette())

    def _reset_copy_label(self) -> None:
        self.copy_button.setText("Copy")
