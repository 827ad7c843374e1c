"""Takes docs/screenshot-thinking.png: a real thinking reply in the window, its thinking open.

    QT_QPA_PLATFORM=offscreen .venv/bin/python docs/screenshot_thinking.py [OUT.png]

Runs on a scratch Hearth home with the starter model. The 135M starter model does not
think by itself, so its reply is given a thinking model's shape with two real per-model
settings: instructions that ask for it, and an output grammar (constrained sampling)
that every reply must follow: ``<think>`` … ``</think>`` then the answer. The engine's
reply parser splits the two, and the window shows the thinking apart, above the answer.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

QUESTION = "What is the capital of France?"
THINK_FIRST = "Think first inside <think> tags, then answer briefly."
THINKING_SHAPE = r'root ::= "<think>\n" [^<\n ] [^<\n]{20,240} "\n</think>\n\n" [^<\n ] [^<]{4,240}'
TIMEOUT_SECONDS = 120


def wait_until(app: object, done: object, what: str) -> None:
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while not done():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        app.processEvents()  # type: ignore[attr-defined]
        time.sleep(0.01)


def main(out: Path) -> None:
    os.environ["HEARTH_HOME"] = tempfile.mkdtemp(prefix="hearth-screenshot-")
    from PySide6.QtWidgets import QApplication

    from app.chat.service import model_key
    from app.hearth import Hearth
    from app.library.starter import starter_model_path
    from ui.main_window import MainWindow
    from ui.style import apply_style

    app = QApplication(sys.argv[:1])
    apply_style(app)
    hearth = Hearth.open()
    starter = starter_model_path()
    assert starter is not None, "the starter model is not installed"
    key = model_key(str(starter))
    hearth.model_settings.save(
        replace(
            hearth.model_settings.get(key),
            system_prompt=THINK_FIRST,
            grammar=THINKING_SHAPE,
            seed=3,
            temperature=0.3,
            max_tokens=200,
        )
    )
    window = MainWindow(hearth)
    window.resize(1100, 760)
    window.show()
    window.start()
    wait_until(app, lambda: window.chat.model_ready, "the model to load")
    window.composer.edit.setPlainText(QUESTION)
    window.composer.button.click()
    wait_until(app, lambda: window.chat.busy, "the reply to start")
    wait_until(app, lambda: not window.chat.busy, "the reply to finish")
    reply = window.chat_view.widgets[-1]
    assert reply.thinking is not None and reply.thinking.isVisible(), "no thinking shown"
    reply.thinking.set_expanded(True)
    window.composer.edit.setFocus()
    settle = time.monotonic() + 0.5
    while time.monotonic() < settle:
        app.processEvents()
        time.sleep(0.01)
    window.grab().save(str(out))
    print(f"saved {out}")
    window.close()
    hearth.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshot-thinking.png")
