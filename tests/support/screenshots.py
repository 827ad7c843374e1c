"""Where window tests save their screenshots.

Into ``docs/`` only when ``HEARTH_SCREENSHOTS=docs`` is set (to refresh the README's
pictures); otherwise into a temporary folder, so running the tests never changes the
checkout.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

DOCS = Path(__file__).resolve().parents[2] / "docs"


def screenshot_folder() -> Path:
    if os.environ.get("HEARTH_SCREENSHOTS") == "docs":
        return DOCS
    return Path(tempfile.mkdtemp(prefix="hearth-screenshots-"))
