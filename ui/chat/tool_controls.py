"""The tool switches by the message box: a "Tools" menu of what this chat offers the model.

Checkable entries: the calculator, the clock, Python (greyed out, with the reason, where
this computer's sandbox cannot be had), each MCP server that is switched on, and any
tool added to the chat service's toolbox; then "MCP servers…" to manage the servers.
The menu holds this chat's choice, or ``None`` while the chat follows the model's
default tools (set in the model's settings); until the user touches an entry it shows
that default. The controller stores a choice with the chat
and sets the menu when another chat is shown, as for the thinking switches.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QHBoxLayout, QMenu, QToolButton, QWidget

# Hearth's own tools, in menu order, with the words the menu shows.
OWN_TOOLS: tuple[tuple[str, str], ...] = (
    ("calculator", "Calculator"),
    ("clock", "Date and time"),
    ("python", "Python (sandboxed, asks first)"),
)
PYTHON = "python"

TOOLS_TIP = (
    "The tools the model may use in this chat. Calls that can change anything ask you "
    "first. Until you choose, the chat offers the model's default tools (Instructions & "
    "settings)."
)


class ToolControls(QWidget):
    """Signals: ``choice_changed(object)``: this chat's tools (``tuple[str, ...]``, or
    ``None`` for the model's default); ``manage_requested()``: open the MCP servers."""

    choice_changed = Signal(object)
    manage_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.button = QToolButton(self)
        self.button.setObjectName("toolsButton")
        self.button.setAccessibleName("Tools")
        self.button.setToolTip(TOOLS_TIP)
        self.button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.menu = QMenu(self.button)
        self.menu.setToolTipsVisible(True)
        self.button.setMenu(self.menu)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.button)

        self.choice: tuple[str, ...] | None = None
        self._default: tuple[str, ...] = ()
        self._servers: list[str] = []
        self._extra: list[str] = []
        self._python_problem: str | None = None
        self.actions_by_name: dict[str, QAction] = {}
        # Owned by this widget: the menu deletes its own actions when it is rebuilt.
        self.default_action = QAction("Model default", self, checkable=True)
        self.default_action.triggered.connect(self._follow_default)
        self.manage_action = QAction("MCP servers…", self)
        self.manage_action.triggered.connect(self.manage_requested)
        self._build()

    # Set by the window -------------------------------------------------------------------

    def set_available(
        self, servers: Sequence[str], python_problem: str | None, extra: Sequence[str] = ()
    ) -> None:
        """The MCP servers switched on, why Python is off here (None: it works), and the
        tools added to the toolbox beyond Hearth's own."""
        self._servers = list(servers)
        self._python_problem = python_problem
        self._extra = list(extra)
        self._build()

    def set_model_default(self, names: Sequence[str]) -> None:
        """The tools the loaded model offers by default (its settings)."""
        self._default = tuple(names)
        self._refresh()

    def set_choice(self, names: Sequence[str] | None) -> None:
        """Shows one chat's choice (None: the model's default); emits nothing."""
        self.choice = tuple(names) if names is not None else None
        self._build()

    def effective(self) -> tuple[str, ...]:
        """The tools this chat offers now."""
        return self.choice if self.choice is not None else self._default

    # The user's clicks -------------------------------------------------------------------

    def _toggled(self, name: str, on: bool) -> None:
        names = [n for n in self.effective() if n != name]
        if on:
            names.append(name)
        self.choice = tuple(names)
        self._refresh()
        self.choice_changed.emit(self.choice)

    def _follow_default(self) -> None:
        self.choice = None
        self._build()
        self.choice_changed.emit(None)

    # Display -----------------------------------------------------------------------------

    def _build(self) -> None:
        """The menu's entries: the own tools, the servers, and any other name chosen."""
        self.menu.clear()
        self.actions_by_name = {}
        self.menu.addAction(self.default_action)
        self.menu.addSeparator()
        for name, words in OWN_TOOLS:
            action = self._add(name, words)
            if name == PYTHON and self._python_problem:
                action.setEnabled(False)
                action.setText(f"{words}: unavailable")
                action.setToolTip(f"Python is off on this computer: {self._python_problem}")
        if self._servers:
            self.menu.addSection("MCP servers")
            for server in self._servers:
                self._add(server, server)
        known = {name for name, _ in OWN_TOOLS} | set(self._servers)
        chosen = (*self._extra, *self._default, *(self.choice or ()))
        others = [name for name in chosen if name not in known]
        if others:
            self.menu.addSection("Other")
            for name in dict.fromkeys(others):
                self._add(name, name)
        self.menu.addSeparator()
        self.menu.addAction(self.manage_action)
        self._refresh()

    def _add(self, name: str, words: str) -> QAction:
        action = QAction(words, self.menu, checkable=True)
        action.setObjectName(f"tool:{name}")
        # triggered: the user's click only (setChecked below does not emit it).
        action.triggered.connect(lambda on, tool=name: self._toggled(tool, on))
        self.menu.addAction(action)
        self.actions_by_name[name] = action
        return action

    def _refresh(self) -> None:
        chosen = set(self.effective())
        for name, action in self.actions_by_name.items():
            action.setChecked(name in chosen and action.isEnabled())
        default = ", ".join(self._default) or "none"
        self.default_action.setText(f"Model default ({default})")
        self.default_action.setChecked(self.choice is None)
        offered = [name for name in self.effective() if name in self.actions_by_name]
        usable = [name for name in offered if self.actions_by_name[name].isEnabled()]
        if not usable:
            self.button.setText("Tools: off")
        elif len(usable) == 1:
            self.button.setText(f"Tools: {usable[0]}")
        else:
            self.button.setText(f"Tools: {len(usable)} on")
        self.button.setAccessibleDescription(", ".join(usable) or "no tools")
