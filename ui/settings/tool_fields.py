"""The settings dialog's tools: which tools a model's chats offer by default, and whether
its replies must begin with a tool call.

One check box per tool the window knows (Hearth's own and the MCP servers switched on),
plus any other name the model's settings already hold, so saving never drops one.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import QCheckBox, QLabel, QVBoxLayout, QWidget

from app.tools.toolbox import parse_names

REQUIRED = "required"

TOOLS_HELP = (
    "The tools this model's chats offer by default; each chat can change them with the "
    "Tools menu by the message box. Calls that can change anything always ask you first."
)
MUST_CALL_HELP = (
    "Every reply begins with a call to one of the tools (a grammar makes the model write "
    "a well-formed call), then the model answers with the result. For small models that "
    "do not reach for tools by themselves."
)


class ToolDefaults(QWidget):
    """``choices``: (name, words shown) for each tool the window knows."""

    def __init__(self, choices: Sequence[tuple[str, str]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._choices = list(choices)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        intro = QLabel(TOOLS_HELP, self)
        intro.setWordWrap(True)
        intro.setObjectName("settingsNote")
        self._layout.addWidget(intro)
        self.boxes: dict[str, QCheckBox] = {}
        for name, words in self._choices:
            self._box(name, words)
        self.must_call_box = QCheckBox("The model must call a tool", self)
        self.must_call_box.setToolTip(MUST_CALL_HELP)
        self.must_call_box.setAccessibleDescription(MUST_CALL_HELP)
        self._layout.addWidget(self.must_call_box)

    def _box(self, name: str, words: str) -> QCheckBox:
        box = QCheckBox(words, self)
        box.setObjectName(f"tool:{name}")
        box.setAccessibleName(f"Offer {words}")
        # Before the "must call" box, after the tools already there.
        self._layout.insertWidget(1 + len(self.boxes), box)
        self.boxes[name] = box
        return box

    def set_values(self, tools: str | None, tool_choice: str | None) -> None:
        names = parse_names(tools) or ()
        for name in names:
            if name not in self.boxes:  # a name only the settings know (kept on Save)
                self._box(name, name)
        for name, box in self.boxes.items():
            box.setChecked(name in names)
        self.must_call_box.setChecked(tool_choice == REQUIRED)

    def tools(self) -> str | None:
        names = [name for name, box in self.boxes.items() if box.isChecked()]
        return ",".join(names) if names else None

    def tool_choice(self) -> str | None:
        return REQUIRED if self.must_call_box.isChecked() else None
