"""Shows how much of the model's context the conversation uses, and when turns drop out."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QWidget


class ContextMeter(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bar = QProgressBar(self)
        self.bar.setTextVisible(False)
        self.bar.setFixedWidth(120)
        self.bar.setFixedHeight(8)
        self.label = QLabel(self)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        self.set_usage(0, 0, 0)

    def set_usage(self, used: int, context: int, dropped: int) -> None:
        self.bar.setRange(0, max(context, 1))
        self.bar.setValue(min(used, context))
        if not context:
            self.label.setText("")
            self.bar.hide()
            return
        self.bar.show()
        text = f"Context: {used:,} / {context:,} tokens"
        if dropped:
            noun = "message" if dropped == 1 else "messages"
            text += f" · {dropped} oldest {noun} left out to fit"
        self.label.setText(text)
        self.setToolTip(
            "How much of the model's memory for this conversation is in use."
            + (" The oldest messages no longer fit and are not sent." if dropped else "")
        )
