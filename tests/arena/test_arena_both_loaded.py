"""Where the two models are kept: both loaded at once, each in a host of its own, when
memory allows (they answer at the same time, and Stop ends both); one after the other in
the app's engine, the load shown, when it does not; and no host outlives the arena."""

from __future__ import annotations

from pathlib import Path

import psutil
from PySide6.QtCore import Qt

from tests.arena.conftest import GB, MB, host_alive, memory_free
from tests.arena.test_arena_window import TURN_TIMEOUT_MS, _open_arena, _pick, _send


def _engine_hosts() -> set[int]:
    """This process's living engine hosts (multiprocessing spawn children)."""
    hosts = set()
    for child in psutil.Process().children():
        try:
            if "spawn_main" in " ".join(child.cmdline()) and host_alive(child.pid):
                hosts.add(child.pid)
        except psutil.Error:
            continue
    return hosts


def test_both_answer_at_once_stop_ends_both_and_closing_ends_the_second_host(
    qtbot, arena_window_of, gemma_model: Path
) -> None:
    window = arena_window_of(max_tokens=600, gemma=gemma_model)
    hearth = window.hearth
    memory_free(hearth, 8 * GB)
    main_host = hearth.engine.host_pid
    arena = _open_arena(qtbot, window, models=2)
    page = arena.compare
    _pick(page, "SmolLM2", "gemma")
    qtbot.waitUntil(lambda: "at the same time" in page.plan_label.text(), timeout=30_000)
    _send(qtbot, page, "Write a long story about a dragon who learns to cook.")
    # Both sides are writing at once: in turn, the second would start only after the first.
    qtbot.waitUntil(
        lambda: all(len(p.answer_text()) > 20 for p in page.panels.values()),
        timeout=TURN_TIMEOUT_MS,
    )
    second_host = page.engines.second_pid
    assert _engine_hosts() >= {main_host, second_host} and len({main_host, second_host}) == 2
    qtbot.mouseClick(page.stop_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not page.running, timeout=30_000)
    assert page.turn is not None
    assert (page.turn.status_a, page.turn.status_b) == ("stopped", "stopped"), [
        p.status_label.text() for p in page.panels.values()
    ]
    assert "cannot be voted on" in page.vote_label.text()
    # Both models are still loaded after the Stop.
    assert host_alive(main_host) and host_alive(second_host)

    arena.close()
    qtbot.waitUntil(lambda: not host_alive(second_host), timeout=30_000)
    assert page.engines.second_pid is None
    assert host_alive(main_host) and hearth.engine.host_pid == main_host
    assert _engine_hosts() == {main_host}


def test_without_room_for_both_they_answer_in_turn_with_the_load_shown(
    qtbot, arena_window_of, gemma_model: Path
) -> None:
    window = arena_window_of(max_tokens=12, gemma=gemma_model)
    hearth = window.hearth
    memory_free(hearth, 2200 * MB)  # either model fits, not both
    main_host = hearth.engine.host_pid
    arena = _open_arena(qtbot, window, models=2)
    page = arena.compare
    _pick(page, "SmolLM2", "gemma")
    qtbot.waitUntil(lambda: "would not fit" in page.plan_label.text(), timeout=30_000)
    assert "one after the other" in page.plan_label.text()
    _send(qtbot, page, "Name a fruit.")
    loading = []
    qtbot.waitUntil(lambda: page.running, timeout=5_000)

    def loading_seen() -> bool:
        shown = " ".join(p.status_label.text() for p in page.panels.values())
        if "Loading the model" in shown:
            loading.append(shown)
        return not page.running

    qtbot.waitUntil(loading_seen, timeout=TURN_TIMEOUT_MS)
    assert page.turn is not None
    assert (page.turn.status_a, page.turn.status_b) == ("complete", "complete"), [
        p.status_label.text() for p in page.panels.values()
    ]
    # The starter answered first, then the app's engine switched to Gemma, shown as a
    # load; no second host was started.
    assert page.loads == 1 and loading
    assert page.engines.second_pid is None
    assert "gemma" in (hearth.engine.load_request.model_path or "").lower()
    assert hearth.engine.host_pid != main_host and _engine_hosts() == {hearth.engine.host_pid}
    assert (page.panels["a"].title(), page.panels["b"].title()) == ("A", "B")
    # The next turn switches back: Gemma (loaded) first, then the starter, loaded again.
    _send(qtbot, page, "And a vegetable?")
    qtbot.waitUntil(lambda: page.running, timeout=5_000)
    qtbot.waitUntil(lambda: not page.running, timeout=TURN_TIMEOUT_MS)
    assert page.loads == 2 and page.engines.second_pid is None


def test_closing_the_main_window_ends_the_arena_host_too(
    qtbot, arena_window_of, gemma_model: Path
) -> None:
    window = arena_window_of(max_tokens=8, gemma=gemma_model)
    memory_free(window.hearth, 8 * GB)
    arena = _open_arena(qtbot, window, models=2)
    page = arena.compare
    _pick(page, "SmolLM2", "gemma")
    qtbot.waitUntil(lambda: "at the same time" in page.plan_label.text(), timeout=30_000)
    _send(qtbot, page, "Hi!")
    qtbot.waitUntil(lambda: page.running, timeout=5_000)
    qtbot.waitUntil(lambda: not page.running, timeout=TURN_TIMEOUT_MS)
    second_host = page.engines.second_pid
    assert host_alive(second_host)
    window.close()  # the arena stays open behind it; quitting Hearth ends its host as well
    qtbot.waitUntil(lambda: not host_alive(second_host), timeout=30_000)
