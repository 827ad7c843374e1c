"""The arena with a local model against a model on a remote server (issue 11's engines):
both answer, blind, and the vote rates them."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import Qt

from app.remote.connect import add_server
from app.remote.servers import RemoteServers
from app.store.arena import ArenaStore
from tests.support.api_server import serving

TURN_TIMEOUT_MS = 180_000


def test_local_against_remote(qtbot, arena_window_of, tmp_path: Path) -> None:
    window = arena_window_of(max_tokens=12)
    hearth = window.hearth
    with serving(tmp_path / "workstation") as served:
        add_server(hearth.paths.config, "box", served.base_url)
        ref = RemoteServers.in_folder(hearth.paths.config).all()[0].refs()[0]
        key = hearth.model_key(str(ref))
        hearth.model_settings.save(replace(hearth.model_settings.get(key), max_tokens=12))
        window.arena_action.trigger()
        arena = window.arena_window
        assert arena is not None
        qtbot.addWidget(arena)
        page = arena.compare
        qtbot.waitUntil(lambda: page.second.model_box.findData(str(ref)) >= 0, timeout=30_000)
        page.first.model_box.setCurrentIndex(page.first.model_box.findText("SmolLM2-135M-Instruct"))
        page.second.model_box.setCurrentIndex(page.second.model_box.findData(str(ref)))
        qtbot.waitUntil(lambda: "runs on a server" in page.plan_label.text(), timeout=30_000)
        page.prompt_edit.setFocus()
        qtbot.keyClicks(page.prompt_edit, "Say hello.")
        qtbot.mouseClick(page.send_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: page.running, timeout=5_000)
        qtbot.waitUntil(lambda: not page.running, timeout=TURN_TIMEOUT_MS)
        assert page.turn is not None
        assert (page.turn.status_a, page.turn.status_b) == ("complete", "complete")
        assert page.panels["a"].answer_text() and page.panels["b"].answer_text()
        qtbot.mouseClick(page.vote_buttons["b"], Qt.MouseButton.LeftButton)
        titles = page.panels["a"].title() + page.panels["b"].title()
        assert "box" in titles and "SmolLM2" in titles
        votes = ArenaStore(hearth.database).votes()
        assert {votes[0].side_a, votes[0].side_b} == {"SmolLM2-135M-Instruct", ref.label}
        page.begin_shutdown()
