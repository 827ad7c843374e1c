"""Takes docs/screenshot-render-light.png and docs/screenshot-render-dark.png: one reply
with formulas, a table, three code blocks in different languages and a quote, in the
real window, in a light and in a dark palette.

    QT_QPA_PLATFORM=offscreen .venv/bin/python docs/screenshot_render.py [OUT_FOLDER]

Runs on a scratch Hearth home. The reply is stored in a conversation and shown the way
any stored reply is (the 135M starter model does not write such answers itself); the
starter model is loaded so the window looks as it does in use. The dark screenshot
forces a dark palette on the whole application, as a dark desktop theme would.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from screenshot_helpers import ROOT, open_scratch_hearth, open_window, settle, wait_until

if TYPE_CHECKING:
    from PySide6.QtGui import QPalette

QUESTION = "How do I compute the area of a circle, and store the results?"
REPLY = r"""The area of a circle of radius $r$ is $A = \pi r^2$, the integral of the
circumference $2\pi \rho$ over every radius up to $r$:

$$A = \int_0^r 2\pi\rho\,d\rho = \pi r^2$$

| Radius | Area | Rounded |
|---|---|---|
| 1 | $\pi$ | 3.14 |
| 2 | $4\pi$ | 12.57 |

In Python:

```python
import math

def area(radius: float) -> float:
    return math.pi * radius**2  # square the radius
```

The same in Rust, where the type says what comes back:

```rust
fn area(radius: f64) -> f64 {
    std::f64::consts::PI * radius.powi(2)
}
```

And kept in a table:

```sql
INSERT INTO circles (radius, area) VALUES (2, 12.57);
```

> Doubling the radius multiplies the area by four, since $A \propto r^2$.
"""
SETTLE_SECONDS = 0.6


def dark_palette() -> QPalette:
    from PySide6.QtGui import QColor, QPalette

    palette = QPalette()
    colours = {
        QPalette.ColorRole.Window: "#202124",
        QPalette.ColorRole.WindowText: "#e8eaed",
        QPalette.ColorRole.Base: "#1b1c1e",
        QPalette.ColorRole.AlternateBase: "#2b2c2f",
        QPalette.ColorRole.Text: "#e8eaed",
        QPalette.ColorRole.Button: "#303134",
        QPalette.ColorRole.ButtonText: "#e8eaed",
        QPalette.ColorRole.BrightText: "#ffffff",
        QPalette.ColorRole.Highlight: "#3d6fb4",
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.Link: "#8ab4f8",
        QPalette.ColorRole.PlaceholderText: "#9aa0a6",
        QPalette.ColorRole.ToolTipBase: "#303134",
        QPalette.ColorRole.ToolTipText: "#e8eaed",
        QPalette.ColorRole.Light: "#4a4b4f",
        QPalette.ColorRole.Midlight: "#3c3d40",
        QPalette.ColorRole.Mid: "#5f6368",
        QPalette.ColorRole.Dark: "#151516",
        QPalette.ColorRole.Shadow: "#000000",
    }
    for role, colour in colours.items():
        palette.setColor(role, QColor(colour))
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.WindowText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#7f8286"))
    return palette


def main(folder: Path) -> None:
    # The same style in both shots; only the palette differs.
    app, hearth = open_scratch_hearth(style="Fusion")
    light = app.palette()
    store = hearth.conversations
    conversation = store.create_conversation("Circle areas", None)
    question = store.add_message(conversation.id, None, "user", QUESTION)
    store.add_message(conversation.id, question.id, "assistant", REPLY)

    window = open_window(app, hearth, 1100, 920)
    window.sidebar.refresh()
    window.chat.show_conversation(conversation.id)
    window.sidebar.select_conversation(conversation.id)
    wait_until(app, lambda: len(window.chat_view.widgets) == 2, "the conversation")
    window.composer.edit.setFocus()
    for name, palette in (("light", light), ("dark", dark_palette())):
        app.setPalette(palette)
        settle(app, SETTLE_SECONDS)
        window.chat_view.verticalScrollBar().setValue(0)
        settle(app, SETTLE_SECONDS)
        out = folder / f"screenshot-render-{name}.png"
        window.grab().save(str(out))
        print(f"saved {out}")
    window.close()
    hearth.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs")
