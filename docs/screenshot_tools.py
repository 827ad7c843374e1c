"""Takes docs/screenshot-tools.png: a chat with a tool block, and the approval dialog.

    QT_QPA_PLATFORM=offscreen .venv/bin/python docs/screenshot_tools.py [OUT.png]

Runs on a scratch Hearth home with the starter model, which does not reach for tools by
itself: the per-model setting "the model must call a tool" (a grammar makes the first
round of a reply one call) has it call the calculator, then Python. The calculator's
block is shown unfolded; the Python call waits for approval, and the dialog that asks is
drawn over the window where it opens (an offscreen grab has no window manager to
compose the two).
"""

from __future__ import annotations

import sys
from pathlib import Path

from screenshot_helpers import (
    ROOT,
    open_scratch_hearth,
    open_window,
    send,
    set_starter_settings,
    settle,
    wait_until,
)


def main(out: Path) -> None:
    from PySide6.QtCore import QPoint, QRect, Qt
    from PySide6.QtGui import QColor, QPainter, QPen

    app, hearth = open_scratch_hearth()
    set_starter_settings(
        hearth,
        system_prompt="Use the calculator for arithmetic.",
        tools="calculator",
        tool_choice="required",
        temperature=0.0,
        max_tokens=60,
    )
    window = open_window(app, hearth, 1100, 900)

    send(app, window, "What is 37*41?")
    wait_until(app, lambda: not window.chat.busy, "the calculator reply")
    calculator = next(b for w in window.chat_view.widgets for b in w.tool_blocks.values())
    calculator.set_expanded(True)

    # This chat offers Python instead, from the Tools menu by the message box.
    tools = window.composer.tool_controls
    wait_until(app, lambda: tools.actions_by_name["python"].isEnabled(), "the sandbox check")
    tools.actions_by_name["python"].trigger()
    tools.actions_by_name["calculator"].trigger()
    send(app, window, "Run this Python code: print(6*7)")
    wait_until(app, lambda: window.chat.approval_dialog is not None, "the approval dialog")
    dialog = window.chat.approval_dialog
    assert dialog is not None
    settle(app)

    shot = window.grab()
    asked = dialog.grab()
    painter = QPainter(shot)
    title_height = 26
    # Where it opens, over the lower right, leaving the chat's blocks in sight.
    left = shot.width() - asked.width() - 24
    top = shot.height() - asked.height() - title_height - 24
    frame = QRect(left, top, asked.width(), asked.height() + title_height)
    painter.fillRect(frame.translated(4, 4), QColor(0, 0, 0, 60))  # a shadow
    painter.fillRect(QRect(left, top, asked.width(), title_height), window.palette().window())
    painter.setPen(window.palette().windowText().color())
    painter.drawText(
        QRect(left + 10, top, asked.width() - 20, title_height),
        Qt.AlignmentFlag.AlignVCenter,
        dialog.windowTitle(),
    )
    painter.drawPixmap(QPoint(left, top + title_height), asked)
    painter.setPen(QPen(window.palette().mid().color(), 1))
    painter.drawRect(frame.adjusted(0, 0, -1, -1))
    painter.end()
    shot.save(str(out))
    print(f"saved {out}")

    window.chat.stop()
    wait_until(app, lambda: not window.chat.busy, "the reply to stop")
    window.close()
    window.finish_closing()
    hearth.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshot-tools.png")
