"""Takes docs/screenshot-thinking.png: a real thinking reply in the window, its thinking open.

    QT_QPA_PLATFORM=offscreen .venv/bin/python docs/screenshot_thinking.py [OUT.png]

Runs on a scratch Hearth home with the starter model. The 135M starter model does not
think by itself, so its reply is given a thinking model's shape with two real per-model
settings: instructions that ask for it, and an output grammar (constrained sampling)
that every reply must follow: ``<think>`` … ``</think>`` then the answer. The engine's
reply parser splits the two, and the window shows the thinking apart, above the answer.
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

QUESTION = "What is the capital of France?"
THINK_FIRST = "Think first inside <think> tags, then answer briefly."
THINKING_SHAPE = r'root ::= "<think>\n" [^<\n ] [^<\n]{20,240} "\n</think>\n\n" [^<\n ] [^<]{4,240}'


def main(out: Path) -> None:
    app, hearth = open_scratch_hearth()
    set_starter_settings(
        hearth,
        system_prompt=THINK_FIRST,
        grammar=THINKING_SHAPE,
        seed=3,
        temperature=0.3,
        max_tokens=200,
    )
    window = open_window(app, hearth, 1100, 760)
    send(app, window, QUESTION)
    wait_until(app, lambda: not window.chat.busy, "the reply to finish")
    reply = window.chat_view.widgets[-1]
    assert reply.thinking is not None and reply.thinking.isVisible(), "no thinking shown"
    reply.thinking.set_expanded(True)
    window.composer.edit.setFocus()
    settle(app)
    window.grab().save(str(out))
    print(f"saved {out}")
    window.close()
    hearth.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshot-thinking.png")
