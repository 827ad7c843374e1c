"""The window fixture the documents window test shares with tests/ui/window."""

from __future__ import annotations

from tests.ui.window.conftest import open_window

__all__ = ["open_window"]
