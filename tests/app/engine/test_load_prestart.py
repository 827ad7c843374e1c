"""A host started ahead (while the user chooses a model) is the one the next load uses:
no second process starts, and it answers like any other."""

from __future__ import annotations

import time
from pathlib import Path

import psutil

from app.engine.engine import Engine
from app.engine.process import discard_spare_host, prestart_host, spare_host_pid
from app.engine.protocol import LoadRequest, SamplingParams


def test_the_next_load_takes_over_the_host_started_ahead(engine: Engine, starter_model: Path):
    prestart_host()
    prestart_host()  # asking again while one waits starts no second host
    spare = spare_host_pid()
    assert spare is not None
    children = {child.pid for child in psutil.Process().children()}

    engine.load(LoadRequest(str(starter_model), n_ctx=512))
    assert engine.host_pid == spare and spare_host_pid() is None
    assert {child.pid for child in psutil.Process().children()} == children
    text: list[str] = []
    engine.generate(
        [{"role": "user", "content": "Hi"}],
        SamplingParams(max_tokens=4, seed=1),
        text.append,
        ignore_eos=True,
    )
    assert "".join(text)


def test_a_spare_that_is_not_wanted_is_ended() -> None:
    prestart_host()
    spare = spare_host_pid()
    assert spare is not None
    discard_spare_host()
    assert spare_host_pid() is None
    assert not psutil.pid_exists(spare) or psutil.Process(spare).status() == "zombie"


def test_a_spare_that_died_is_replaced_by_a_fresh_host(engine: Engine, starter_model: Path):
    prestart_host()
    spare = spare_host_pid()
    assert spare is not None
    psutil.Process(spare).kill()
    deadline = time.monotonic() + 10
    while spare_host_pid() is not None and time.monotonic() < deadline:
        time.sleep(0.01)  # polling for the kill to land, not waiting for time to pass
    assert spare_host_pid() is None
    engine.load(LoadRequest(str(starter_model), n_ctx=512))
    assert engine.host_pid not in (None, spare)
