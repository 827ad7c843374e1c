"""The thinking switches by the message box: "Think" on or off, and the effort.

They show only when the loaded model's template offers them (``enable_thinking``, the
``/think`` convention, ``reasoning_effort``). Each holds this chat's choice, or ``None``
while the chat follows the model's default (the per-model setting, else the model's
own); until the user touches a control it shows that default. The controller stores
a choice with the chat and sets the controls when another chat is shown.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QMenu, QToolButton, QWidget

EFFORTS: tuple[str, ...] = ("low", "medium", "high")

THINK_TIP = (
    "Let the model think before it answers (its thinking shows above the answer). "
    "Until you click, this chat follows the model's default, set under Instructions & "
    "settings; use the arrow to go back to it."
)
EFFORT_TIP = (
    "How long the model thinks before answering: low is quicker, high is more careful. "
    "\u201cDefault\u201d follows the model's setting."
)


class ThinkingControls(QWidget):
    """Signals: ``choice_changed(object, object)``: the user set this chat's thinking
    (``bool | None``) and effort (``str | None``); ``None`` is the model's default."""

    choice_changed = Signal(object, object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.think_button = QToolButton(self)
        self.think_button.setObjectName("thinkButton")
        self.think_button.setCheckable(True)
        self.think_button.setAccessibleName("Think")
        self.think_button.setToolTip(THINK_TIP)
        self.think_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.think_button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        menu = QMenu(self.think_button)
        group = QActionGroup(menu)
        self.default_action = QAction("Model default", menu, checkable=True)
        self.on_action = QAction("On for this chat", menu, checkable=True)
        self.off_action = QAction("Off for this chat", menu, checkable=True)
        for action in (self.default_action, self.on_action, self.off_action):
            group.addAction(action)
            menu.addAction(action)
        self.think_button.setMenu(menu)

        self.effort_box = QComboBox(self)
        self.effort_box.setObjectName("effortBox")
        self.effort_box.setAccessibleName("Thinking effort")
        self.effort_box.setToolTip(EFFORT_TIP)
        self.effort_box.addItem("Effort: default", None)
        for effort in EFFORTS:
            self.effort_box.addItem(f"Effort: {effort}", effort)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.think_button)
        layout.addWidget(self.effort_box)

        self.thinking: bool | None = None
        self.effort: str | None = None
        self._default_thinking: bool | None = None
        self._default_effort: str | None = None
        self._toggle_supported = False
        self._effort_supported = False
        self.think_button.clicked.connect(self._think_clicked)
        self.default_action.triggered.connect(lambda: self._set_thinking(None))
        self.on_action.triggered.connect(lambda: self._set_thinking(True))
        self.off_action.triggered.connect(lambda: self._set_thinking(False))
        self.effort_box.activated.connect(self._effort_chosen)
        self._refresh()

    # Set by the window ----------------------------------------------------------------------

    def set_model(
        self,
        *,
        toggle: bool,
        effort: bool,
        default_thinking: bool | None,
        default_effort: str | None,
    ) -> None:
        """What the loaded model offers, and its per-model defaults (None: the model's own)."""
        self._toggle_supported = toggle
        self._effort_supported = effort
        self._default_thinking = default_thinking
        self._default_effort = default_effort
        self._refresh()

    def set_choice(self, thinking: bool | None, effort: str | None) -> None:
        """Shows one chat's choice (None: the model's default); emits nothing."""
        self.thinking = thinking
        self.effort = effort if effort in EFFORTS else None
        self._refresh()

    @property
    def offered(self) -> bool:
        """Whether any control applies to the loaded model."""
        return self._toggle_supported or self._effort_supported

    def effective_thinking(self) -> bool | None:
        """On or off as this chat will send it; None when the model's own default decides."""
        return self.thinking if self.thinking is not None else self._default_thinking

    # The user's clicks ----------------------------------------------------------------------

    def _think_clicked(self, checked: bool) -> None:
        self._set_thinking(checked)

    def _set_thinking(self, thinking: bool | None) -> None:
        self.thinking = thinking
        self._refresh()
        self.choice_changed.emit(self.thinking, self.effort)

    def _effort_chosen(self, index: int) -> None:
        self.effort = self.effort_box.itemData(index)
        self._refresh()
        self.choice_changed.emit(self.thinking, self.effort)

    # Display --------------------------------------------------------------------------------

    def _refresh(self) -> None:
        self.think_button.setVisible(self._toggle_supported)
        self.effort_box.setVisible(self._effort_supported)
        self.setVisible(self.offered)
        effective = self.effective_thinking()
        self.think_button.setChecked(bool(effective))
        if self.thinking is not None:
            self.think_button.setText("Think")
        elif effective is None:
            self.think_button.setText("Think: auto")
        else:
            self.think_button.setText("Think (default)")
        following = "the model decides" if effective is None else ("on" if effective else "off")
        self.default_action.setText(f"Model default ({following})")
        self.default_action.setChecked(self.thinking is None)
        self.on_action.setChecked(self.thinking is True)
        self.off_action.setChecked(self.thinking is False)
        default_effort = self._default_effort or "model's own"
        self.effort_box.setItemText(0, f"Effort: default ({default_effort})")
        self.effort_box.setCurrentIndex(max(0, self.effort_box.findData(self.effort)))
