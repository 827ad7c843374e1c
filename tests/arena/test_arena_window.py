"""The arena through the real window: the starter model against Gemma 3 270M, blind until
the vote, both kept loaded (they fit here); the vote stored and the leaderboard updated;
Stop in the middle of a turn."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import Qt

from app.store.arena import ArenaStore
from tests.arena.conftest import GB, host_alive, memory_free
from tests.support.screenshots import screenshot_folder
from ui.arena.window import ArenaWindow
from ui.main_window import MainWindow

TURN_TIMEOUT_MS = 180_000
DOCS = screenshot_folder()  # docs/ with HEARTH_SCREENSHOTS=docs


def _open_arena(qtbot, window: MainWindow, models: int = 1) -> ArenaWindow:
    window.arena_action.trigger()
    arena = window.arena_window
    assert arena is not None
    qtbot.addWidget(arena)
    qtbot.waitExposed(arena)
    page = arena.compare
    qtbot.waitUntil(lambda: page.second.model_box.count() >= models, timeout=30_000)
    return arena


def _pick(page, first: str, second: str) -> None:
    for picker, name in ((page.first, first), (page.second, second)):
        index = next(
            i for i in range(picker.model_box.count()) if name in picker.model_box.itemText(i)
        )
        picker.model_box.setCurrentIndex(index)


def _send(qtbot, page, text: str) -> None:
    page.prompt_edit.setFocus()
    qtbot.keyClicks(page.prompt_edit, text)
    qtbot.mouseClick(page.send_button, Qt.MouseButton.LeftButton)


def test_a_blind_vote_is_stored_and_rates_the_models(
    qtbot, arena_window_of, gemma_model: Path
) -> None:
    window = arena_window_of(max_tokens=24, gemma=gemma_model)
    memory_free(window.hearth, 8 * GB)  # room for both
    main_host = window.hearth.engine.host_pid
    arena = _open_arena(qtbot, window, models=2)
    page = arena.compare
    _pick(page, "SmolLM2", "gemma")
    qtbot.waitUntil(lambda: "at the same time" in page.plan_label.text(), timeout=30_000)
    assert "Both stay loaded" in page.plan_label.text() and "GB" in page.plan_label.text()
    qtbot.keyClicks(page.tag_edit, "trivia")
    _send(qtbot, page, "Name a primary colour.")
    qtbot.waitUntil(lambda: page.running, timeout=5_000)
    qtbot.waitUntil(lambda: not page.running, timeout=TURN_TIMEOUT_MS)
    # Gemma loaded beside the starter, in a host of the arena's own; the starter stayed.
    second_host = page.engines.second_pid
    assert second_host is not None and host_alive(second_host) and host_alive(main_host)
    assert window.hearth.engine.host_pid == main_host and page.loads == 1
    # Both answered; the names are hidden until the vote.
    a, b = page.panels["a"], page.panels["b"]
    assert a.answer_text() and b.answer_text()
    assert (a.title(), b.title()) == ("A", "B")
    for panel in (a, b):
        shown = panel.title() + panel.status_label.text()
        assert "SmolLM2" not in shown and "gemma" not in shown.lower()
    assert all(button.isEnabled() for button in page.vote_buttons.values())
    arena.resize(1100, 700)
    arena.grab().save(str(DOCS / "arena.png"))

    qtbot.mouseClick(page.vote_buttons["a"], Qt.MouseButton.LeftButton)
    # Revealed, with each side's speed and time to first token.
    revealed = {a.title(), b.title()}
    assert any("SmolLM2" in title for title in revealed)
    assert any("gemma" in title.lower() for title in revealed)
    assert "tokens/s" in a.status_label.text() and "first token" in b.status_label.text()
    assert not any(button.isEnabled() for button in page.vote_buttons.values())
    arena.grab().save(str(DOCS / "arena_revealed.png"))

    store = ArenaStore(window.hearth.database)
    votes = store.votes()
    assert len(votes) == 1 and votes[0].outcome == "a" and votes[0].tag == "trivia"
    winner = votes[0].side_a

    board = arena.leaderboard
    qtbot.waitUntil(lambda: board.board is not None and board.board.games == 1, timeout=30_000)
    arena.tabs.setCurrentWidget(board)
    qtbot.waitUntil(lambda: board.table.rowCount() == 2, timeout=30_000)
    assert board.table.item(0, 1).text() == winner  # the winner ranks first
    assert float(board.table.item(0, 2).text()) > float(board.table.item(1, 2).text())
    assert board.matrix.item(0, 1).text() == "100%"
    qtbot.waitUntil(lambda: board.tag_box.count() == 2, timeout=10_000)
    arena.grab().save(str(DOCS / "arena_leaderboard.png"))

    # A follow-up turn continues both sides in the same session, with nothing reloaded.
    _send(qtbot, page, "And another one?")
    qtbot.waitUntil(lambda: page.running, timeout=5_000)
    qtbot.waitUntil(lambda: not page.running, timeout=TURN_TIMEOUT_MS)
    turns = store.turns(votes[0].session_id)
    assert [t.position for t in turns] == [1, 2]
    assert turns[1].answer_a and turns[1].answer_b
    assert page.loads == 1
    assert (window.hearth.engine.host_pid, page.engines.second_pid) == (main_host, second_host)
    assert not any("Loading" in p.status_label.text() for p in (a, b))


def test_votes_export_as_json(qtbot, arena_window_of, tmp_path: Path) -> None:
    window = arena_window_of(max_tokens=8)
    arena = _open_arena(qtbot, window)
    page = arena.compare
    # One model with two temperatures: loaded once, answers twice.
    page.second.own_temperature.setChecked(True)
    page.second.temperature.setValue(1.3)
    _pick(page, "SmolLM2", "SmolLM2")
    qtbot.waitUntil(lambda: "loaded once" in page.plan_label.text(), timeout=30_000)
    _send(qtbot, page, "Hi!")
    qtbot.waitUntil(lambda: page.running, timeout=5_000)
    qtbot.waitUntil(lambda: not page.running, timeout=TURN_TIMEOUT_MS)
    qtbot.mouseClick(page.vote_buttons["tie"], Qt.MouseButton.LeftButton)
    target = tmp_path / "votes.json"
    board = arena.leaderboard
    board._choose = lambda _parent, _name, _kind: str(target)
    qtbot.mouseClick(board.json_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(target.exists, timeout=10_000)
    exported = json.loads(target.read_text())
    assert exported[0]["outcome"] == "tie"
    assert {exported[0]["side_a"], exported[0]["side_b"]} == {
        "SmolLM2-135M-Instruct",
        "SmolLM2-135M-Instruct · temperature 1.3",
    }


def test_stop_during_a_turn_keeps_it_unvoted(qtbot, arena_window_of) -> None:
    window = arena_window_of(max_tokens=600)
    arena = _open_arena(qtbot, window)
    page = arena.compare
    page.second.own_temperature.setChecked(True)
    page.second.temperature.setValue(1.0)
    _pick(page, "SmolLM2", "SmolLM2")
    _send(qtbot, page, "Write a long story about a dragon.")
    qtbot.waitUntil(
        lambda: any(len(p.answer_text()) > 20 for p in page.panels.values()),
        timeout=TURN_TIMEOUT_MS,
    )
    qtbot.mouseClick(page.stop_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not page.running, timeout=30_000)
    assert page.turn is not None
    assert "stopped" in (page.turn.status_a, page.turn.status_b)
    assert not any(button.isEnabled() for button in page.vote_buttons.values())
    assert "cannot be voted on" in page.vote_label.text()
    assert ArenaStore(window.hearth.database).votes() == []
    assert page.send_button.isEnabled()
