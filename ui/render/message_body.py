"""The body of one chat message: Markdown rendered as it streams in.

:class:`MessageBody` is fed the reply with :meth:`MessageBody.append` (the chat
window coalesces tokens into chunks) or all at once with
:meth:`MessageBody.set_markdown`. A :class:`~ui.render.blocks.BlockSplitter`
decides which blocks are finished; each finished block is rendered exactly once
into a :class:`~ui.render.prose_view.ProseView` (runs of prose) or a
:class:`~ui.render.code_block.CodeBlockView` (fenced code), and only the open
tail is re-rendered on each update. So an update costs what arrived plus the
unfinished block, never the whole message.

The pieces are laid out in pages of :data:`SEGMENTS_PER_PAGE`: a growing last piece
re-lays out its own page and the column of pages, not every piece of a long reply.
"""

from __future__ import annotations

from PySide6.QtCore import QUrl, Signal
from PySide6.QtWidgets import QSizePolicy, QVBoxLayout, QWidget

from ui.render.blocks import BlockSplitter, CodeBlock, OpenCode, ProseBlock
from ui.render.code_block import CodeBlockView
from ui.render.math_image import warm_up
from ui.render.prose_view import ProseView

Segment = ProseView | CodeBlockView

# Pieces per page: small enough that laying out one page is cheap, large enough that
# the column of pages stays short even for a reply of thousands of pieces.
SEGMENTS_PER_PAGE = 24


def _page_layout(widget: QWidget) -> QVBoxLayout:
    layout = QVBoxLayout(widget)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(6)
    return layout


class MessageBody(QWidget):
    """One message's rendered Markdown; grows as text is appended.

    Signals:
        link_requested(QUrl): the user clicked a link. Nothing navigates by
            itself; connect this to :func:`ui.render.links.confirm_and_open_link`.
    """

    link_requested = Signal(QUrl)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # Formulas need matplotlib: start loading it now, off the window's thread.
        warm_up()
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Minimum)
        self._layout = _page_layout(self)
        # Pieces sit at the top; any extra height given to the body stays below them.
        self._layout.addStretch(1)
        self._pages: list[tuple[QWidget, QVBoxLayout]] = []
        self._splitter = BlockSplitter()
        self._segments: list[Segment] = []
        self._open_code: CodeBlockView | None = None
        self._chunks: list[str] = []
        self._stable_renders: list[int] = []
        self._finished_blocks = 0
        self._tail_renders = 0

    # -- feeding ---------------------------------------------------------

    def set_markdown(self, text: str) -> None:
        """Show ``text`` as the whole message, replacing what was there."""
        self.clear()
        self._append(text, streaming=False)

    def append(self, chunk: str) -> None:
        """Add streamed text; re-renders only the unfinished tail.

        A formula that closes in the tail shows its source until it is typeset, in the
        background (a finished block always shows its formulas typeset).
        """
        self._append(chunk, streaming=True)

    def _append(self, chunk: str, *, streaming: bool) -> None:
        if not chunk:
            return
        self._chunks.append(chunk)
        for block in self._splitter.feed(chunk):
            if isinstance(block, ProseBlock):
                self._render_stable_prose(block)
            else:
                self._render_stable_code(block)
        self._render_tail(wait_for_formulas=not streaming)

    def clear(self) -> None:
        """Remove all content."""
        for page, _layout in self._pages:
            self._layout.removeWidget(page)
            page.hide()
            page.deleteLater()
        self._pages = []
        self._reset_state()

    # -- reading ---------------------------------------------------------

    def markdown(self) -> str:
        """The Markdown source received so far."""
        if len(self._chunks) > 1:
            self._chunks = ["".join(self._chunks)]
        return self._chunks[0] if self._chunks else ""

    def segments(self) -> list[Segment]:
        """The rendered pieces in order: prose runs and code blocks."""
        return list(self._segments)

    def plain_text(self) -> str:
        """The rendered text of every piece, prose and code, one after another."""
        parts: list[str] = []
        for segment in self._segments:
            if isinstance(segment, ProseView):
                parts.append(segment.plain_text())
            else:
                parts.append(segment.code())
        return "\n".join(parts)

    def stable_render_counts(self) -> list[int]:
        """How many times each finished block has been rendered (1 each, ideally)."""
        return list(self._stable_renders)

    @property
    def tail_renders(self) -> int:
        """How many times the unfinished tail has been (re-)rendered."""
        return self._tail_renders

    # -- rendering -------------------------------------------------------

    def _reset_state(self) -> None:
        self._splitter = BlockSplitter()
        self._segments = []
        self._open_code = None
        self._chunks = []
        self._stable_renders = []
        self._finished_blocks = 0
        self._tail_renders = 0

    def _count_stable_render(self, index: int) -> None:
        # One slot per finished block; a block rendered again would count 2.
        while len(self._stable_renders) <= index:
            self._stable_renders.append(0)
        self._stable_renders[index] += 1

    def _render_stable_prose(self, block: ProseBlock) -> None:
        self._count_stable_render(self._finished_blocks)
        self._finished_blocks += 1
        self._prose_at_end().append_stable(block.text)

    def _render_stable_code(self, block: CodeBlock) -> None:
        self._count_stable_render(self._finished_blocks)
        self._finished_blocks += 1
        view = self._open_code
        if view is not None:
            # This block streamed in: its lines are already shown.
            view.finish(block.code)
            self._open_code = None
        else:
            view = self._add_code_view(block.language)
            view.set_code(block.code)

    def _render_tail(self, *, wait_for_formulas: bool) -> None:
        self._tail_renders += 1
        open_code = self._splitter.tail_code
        if open_code is not None:
            self._show_open_code(open_code)
            return
        tail = self._splitter.tail_prose
        last = self._segments[-1] if self._segments else None
        if isinstance(last, ProseView):
            last.set_tail(tail, wait_for_formulas=wait_for_formulas)
        elif tail:
            self._prose_at_end().set_tail(tail, wait_for_formulas=wait_for_formulas)

    def _show_open_code(self, open_code: OpenCode) -> None:
        if self._open_code is None:
            self._open_code = self._add_code_view(open_code.language)
        self._open_code.sync(open_code.lines, open_code.partial)

    def _prose_at_end(self) -> ProseView:
        last = self._segments[-1] if self._segments else None
        if isinstance(last, ProseView):
            return last
        view = ProseView(self)
        view.link_requested.connect(self.link_requested)
        self._add_segment(view)
        return view

    def _add_code_view(self, language: str) -> CodeBlockView:
        view = CodeBlockView(language, self)
        self._add_segment(view)
        return view

    def _add_segment(self, segment: Segment) -> None:
        last = self._segments[-1] if self._segments else None
        if isinstance(last, ProseView):
            # Whatever was open in that prose run is finished or moved on.
            last.set_tail("")
        if not self._pages or self._pages[-1][1].count() >= SEGMENTS_PER_PAGE:
            page = QWidget(self)
            # A page is exactly as tall as its pieces, so finished pages never move
            # or stretch while the last one grows.
            page.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
            self._pages.append((page, _page_layout(page)))
            self._layout.insertWidget(self._layout.count() - 1, page)
        self._segments.append(segment)
        self._pages[-1][1].addWidget(segment)
