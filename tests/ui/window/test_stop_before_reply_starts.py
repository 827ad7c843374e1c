"""Stop pressed while the message still waits for the model (a switch loading) stops it.

Found by the soak (``bench/soak.py``): the Stop was forgotten once the load finished, and
the reply ran to completion (200 tokens, "complete") seconds after the user pressed Stop.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import Qt

from tests.ui.window.helpers import type_and_send, wait_for_reply
from tests.ui.window.test_switching import choose_model


def test_stop_while_the_message_waits_for_a_model_switch_stops_the_reply(
    qtbot, open_window, gemma_model: Path
) -> None:
    window = open_window(max_tokens=200)
    gemma = window.hearth.paths.models / gemma_model.name
    os.link(gemma_model, gemma)
    hearth = window.hearth
    key = hearth.model_key(gemma)
    hearth.model_settings.save(replace(hearth.model_settings.get(key), max_tokens=200))
    window.refresh_models()
    qtbot.waitUntil(lambda: window.model_bar.picker.findData(str(gemma)) >= 0)

    choose_model(qtbot, window, gemma)
    assert window.model_bar.progress.isVisible()  # Gemma is loading
    type_and_send(qtbot, window, "Write a long story about a lighthouse keeper.")
    assert window.composer.button.text() == "Stop"
    qtbot.mouseClick(window.composer.button, Qt.MouseButton.LeftButton)

    reply = wait_for_reply(qtbot, window).message
    stored = hearth.conversations.get_message(reply.id)
    # Before the fix the Stop was forgotten once the load finished: 200 tokens, "complete".
    assert stored.status == "stopped"
    assert (stored.completion_tokens or 0) < 20
