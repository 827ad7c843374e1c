"""The API server's switch in Hearth's real window: serving, and gone when the window closes."""

from __future__ import annotations

import socket
from dataclasses import replace

import openai
import pytest
from PySide6.QtCore import Qt

from app.library.starter import STARTER_NAME
from ui.main_window import MainWindow

TIMEOUT_MS = 30_000


def test_the_window_serves_its_model_and_stops_when_closed(qtbot, window: MainWindow):
    panel = window.server_panel
    # A free port for this test, as the user would type another one in use elsewhere.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    panel.config = replace(panel.config, port=port)
    qtbot.waitUntil(panel.switch.isEnabled, timeout=TIMEOUT_MS)
    qtbot.mouseClick(panel.switch, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.state == "on", timeout=TIMEOUT_MS)
    assert panel.address.text() == f"http://127.0.0.1:{port}/v1"
    with openai.OpenAI(base_url=panel.url, api_key="-", max_retries=0) as client:
        reply = client.chat.completions.create(
            model=STARTER_NAME, messages=[{"role": "user", "content": "Hi"}], max_tokens=4
        )
    assert reply.choices[0].message.content
    window.close()
    assert window.finish_closing()  # as the app does once its window has gone
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
