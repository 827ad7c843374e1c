"""Stop always stops: during a long prompt, while a crashed model reloads, and a host
that does not answer is ended rather than reused."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest

import app.engine.process as engine_process
from app.engine.engine import Engine
from app.engine.errors import EngineCrashed
from app.engine.protocol import LoadRequest, SamplingParams

# About 1,500 tokens: several seconds of prompt evaluation for the starter model here.
LONG_TEXT = " ".join(f"word{i}" for i in range(400))


def _long_prompt(tag: str) -> list[dict[str, str]]:
    # A different start each time, so nothing is reused from the KV cache.
    return [{"role": "user", "content": f"{tag} {LONG_TEXT}"}]


@pytest.fixture
def long_prompt_engine(engine: Engine, starter_model: Path) -> Engine:
    # One batch for the whole prompt: only the abort callback can end it early.
    engine.load(LoadRequest(str(starter_model), n_ctx=4096, n_batch=2048))
    return engine


def test_stop_ends_a_long_prompt_evaluation(long_prompt_engine: Engine):
    engine = long_prompt_engine
    started = time.monotonic()
    full = engine.generate(_long_prompt("first"), SamplingParams(max_tokens=1), lambda _t: None)
    full_seconds = time.monotonic() - started
    assert full.finish_reason in ("length", "stop") and full.prompt_eval_tokens > 1000

    stopped_at: list[float] = []

    def stop_soon(_tokens: int, _dropped: int) -> None:
        def stop() -> None:
            stopped_at.append(time.monotonic())
            engine.cancel()

        threading.Timer(full_seconds / 10, stop).start()

    pieces: list[str] = []
    stats = engine.generate(
        _long_prompt("second"), SamplingParams(max_tokens=50), pieces.append, on_prompt=stop_soon
    )
    returned_at = time.monotonic()
    assert stats.finish_reason == "cancelled"
    assert pieces == []
    # Without the abort callback Stop waits for the whole prompt (the other 90%).
    assert returned_at - stopped_at[0] < full_seconds / 3

    # The cache stays consistent: the next reply on the same prompt works.
    after: list[str] = []
    again = engine.generate(_long_prompt("second"), SamplingParams(max_tokens=8), after.append)
    assert again.finish_reason in ("length", "stop") and again.completion_tokens > 0


def test_stop_reaches_a_reply_that_is_still_reloading_a_crashed_model(
    engine: Engine, starter_request: LoadRequest
):
    engine.load(starter_request)
    pid = engine.host_pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while engine._process is not None and engine._process.is_alive():
        assert time.monotonic() < deadline
        time.sleep(0.01)

    pieces: list[str] = []
    stats = engine.generate(
        [{"role": "user", "content": "Write a long story."}],
        SamplingParams(max_tokens=200),
        pieces.append,
        on_reload=engine.cancel,  # Stop pressed while the model reloads
    )
    assert stats.finish_reason == "cancelled"
    assert pieces == []
    # The next request reloads and answers.
    reply: list[str] = []
    engine.generate([{"role": "user", "content": "Hi"}], SamplingParams(max_tokens=5), reply.append)
    assert "".join(reply)


def test_a_host_that_does_not_answer_stop_is_ended(
    engine: Engine, starter_request: LoadRequest, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(engine_process, "CANCEL_CONFIRM_SECONDS", 1.0)
    engine.load(starter_request)
    pid = engine.host_pid
    assert pid is not None
    frozen: list[bool] = []

    def freeze_then_stop(_text: str) -> None:
        if not frozen:
            frozen.append(True)
            os.kill(pid, signal.SIGSTOP)  # a wedged host: alive, but answers nothing
            threading.Thread(target=engine.cancel).start()

    try:
        with pytest.raises(EngineCrashed, match="did not stop"):
            engine.generate(
                [{"role": "user", "content": "Write a very long story about a dragon."}],
                SamplingParams(seed=1, max_tokens=1500),
                freeze_then_stop,
                ignore_eos=True,
            )
        # It was ended, not left stopped.
        deadline = time.monotonic() + 5
        while _process_exists(pid):
            assert time.monotonic() < deadline, "the wedged host is still there"
            time.sleep(0.02)
    finally:
        if _process_exists(pid):
            os.kill(pid, signal.SIGKILL)
    # The next request starts a new host.
    reply: list[str] = []
    engine.generate([{"role": "user", "content": "Hi"}], SamplingParams(max_tokens=5), reply.append)
    assert engine.host_pid != pid and "".join(reply)


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (ended, not yet reaped) counts as gone.
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False
