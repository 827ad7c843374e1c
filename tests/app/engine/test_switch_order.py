"""Switching models: the old host ends first only when asked, and the status says which."""

from __future__ import annotations

from dataclasses import replace

import psutil

from app.engine.engine import Engine
from app.engine.protocol import LoadRequest


def test_the_old_model_stays_until_the_new_one_is_ready(
    engine: Engine, starter_request: LoadRequest
):
    engine.load(starter_request)
    old = engine.host_pid
    progress_while_old_alive: list[bool] = []
    info = engine.load(
        starter_request,
        on_progress=lambda _f: progress_while_old_alive.append(psutil.pid_exists(old or -1)),
    )
    assert progress_while_old_alive and all(progress_while_old_alive)
    assert "stayed loaded" in info.switch_note
    assert engine.host_pid != old


def test_the_old_model_ends_first_when_its_memory_is_needed(
    engine: Engine, starter_request: LoadRequest
):
    engine.load(starter_request)
    old = engine.host_pid
    assert old is not None
    old_alive: list[bool] = []
    info = engine.load(
        replace(starter_request, end_previous_first=True),
        on_progress=lambda _f: old_alive.append(_running(old)),
    )
    assert old_alive and not any(old_alive)
    assert "ended first" in info.switch_note


def _running(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
