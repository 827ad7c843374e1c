"""Crashes, cancels and broken files: the caller always lives on, with a clear message."""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path

import pytest

from app.engine.engine import Engine
from app.engine.errors import EngineCrashed, ModelLoadError
from app.engine.protocol import LoadRequest, SamplingParams
from tests.support.tiny_gguf import write_tiny_llama

LONG = [{"role": "user", "content": "Write a very long story about a dragon."}]
# Enough tokens that finishing would take many seconds: returning early proves a stop.
MANY = SamplingParams(seed=1, max_tokens=1500)


def _stream_until(engine: Engine, chars: int, action, **kwargs):
    """Generates, and once ``chars`` characters arrived runs ``action`` on another thread."""
    pieces: list[str] = []
    fired = threading.Event()

    def on_text(text: str) -> None:
        pieces.append(text)
        if not fired.is_set() and sum(map(len, pieces)) >= chars:
            fired.set()
            threading.Thread(target=action).start()

    return pieces, lambda: engine.generate(LONG, MANY, on_text, ignore_eos=True, **kwargs)


def test_cancel_keeps_the_partial_reply(engine: Engine, starter_request: LoadRequest):
    engine.load(starter_request)
    pieces, run = _stream_until(engine, 40, engine.cancel)
    stats = run()
    assert stats.finish_reason == "cancelled"
    assert sum(map(len, pieces)) >= 40
    assert stats.completion_tokens < MANY.max_tokens
    # The model is still loaded and answers the next request.
    after: list[str] = []
    assert engine.generate(LONG, SamplingParams(max_tokens=5), after.append).completion_tokens


def test_kill_9_mid_reply_is_reported_and_the_next_request_reloads(
    engine: Engine, starter_request: LoadRequest
):
    engine.load(starter_request)
    first_pid = engine.host_pid
    assert first_pid

    pieces, run = _stream_until(engine, 20, lambda: os.kill(first_pid, signal.SIGKILL))
    with pytest.raises(EngineCrashed) as crash:
        run()
    assert "killed (SIGKILL)" in str(crash.value)
    assert crash.value.exit_code == -signal.SIGKILL
    assert pieces  # what streamed before the crash reached the caller

    reloads: list[bool] = []
    after: list[str] = []
    stats = engine.generate(
        LONG, SamplingParams(max_tokens=8), after.append, on_reload=lambda: reloads.append(True)
    )
    assert reloads == [True]
    assert engine.host_pid != first_pid
    assert stats.completion_tokens > 0 and "".join(after)


def test_a_segfault_in_the_host_is_named(engine: Engine, starter_request: LoadRequest):
    engine.load(starter_request)
    pid = engine.host_pid
    assert pid
    _pieces, run = _stream_until(engine, 10, lambda: os.kill(pid, signal.SIGSEGV))
    with pytest.raises(EngineCrashed, match="segmentation fault"):
        run()


def test_a_truncated_model_is_refused_clearly(engine: Engine, starter_model: Path, tmp_path: Path):
    truncated = tmp_path / "half.gguf"
    with starter_model.open("rb") as source:
        truncated.write_bytes(source.read(starter_model.stat().st_size // 2))
    with pytest.raises(ModelLoadError, match="truncated"):
        engine.load(LoadRequest(str(truncated)))
    assert engine.info is None


def test_a_file_that_is_not_a_model_is_refused_clearly(engine: Engine, tmp_path: Path):
    notes = tmp_path / "notes.gguf"
    notes.write_text("these are my shopping notes, not a model\n" * 100)
    with pytest.raises(ModelLoadError, match="not a GGUF model file"):
        engine.load(LoadRequest(str(notes)))


def test_a_failed_load_leaves_the_previous_model_in_use(
    engine: Engine, starter_request: LoadRequest, tmp_path: Path
):
    engine.load(starter_request)
    pid = engine.host_pid
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"GGUF" + b"\xff" * 64)
    with pytest.raises(ModelLoadError):
        engine.load(LoadRequest(str(broken)))
    assert engine.host_pid == pid
    out: list[str] = []
    assert engine.generate(LONG, SamplingParams(max_tokens=5), out.append).completion_tokens


def test_a_corrupt_tensor_area_does_not_take_the_caller_down(engine: Engine, tmp_path: Path):
    """Valid header, garbage weights: whatever llama.cpp does, the caller gets an error."""
    model = write_tiny_llama(tmp_path / "tiny.gguf")
    data = bytearray(model.read_bytes())
    data[-20000:] = os.urandom(20000)
    model.write_bytes(bytes(data))
    engine.load(LoadRequest(str(model), n_ctx=128))
    out: list[str] = []
    # Random weights are still weights: the reply is noise, but it arrives.
    stats = engine.generate(
        [{"role": "user", "content": "hello"}], SamplingParams(max_tokens=5), out.append
    )
    assert stats.completion_tokens >= 0


HOSTILE_TEMPLATES = [
    # Reach the object graph to find subprocess.Popen and run a shell command.
    "{% for c in ''.__class__.__mro__[1].__subclasses__() %}{% if 'Popen' in c.__name__ %}"
    "{{ c(['touch', 'MARKER']) }}{% endif %}{% endfor %}",
    # Reach a function's globals, then os.system.
    "{{ raise_exception.__globals__['__builtins__']['__import__']('os').system('touch MARKER') }}",
    # Mutate a list from inside the template (the immutable sandbox forbids it).
    "{% set x = [] %}{{ x.append(1) }}{{ messages }}",
]


@pytest.mark.parametrize("template", HOSTILE_TEMPLATES)
def test_a_template_that_reaches_python_internals_is_refused(
    engine: Engine, tmp_path: Path, template: str
):
    marker = tmp_path / "pwned"
    source = template.replace("MARKER", str(marker))
    model = write_tiny_llama(tmp_path / "hostile.gguf", chat_template=source)
    with pytest.raises(ModelLoadError, match=r"refused|not allowed|unsafe") as refused:
        engine.load(LoadRequest(str(model), n_ctx=128))
    assert "template" in str(refused.value)
    assert not marker.exists()
    assert engine.info is None


def test_a_template_override_replaces_the_models_own(engine: Engine, tmp_path: Path):
    hostile = HOSTILE_TEMPLATES[0].replace("MARKER", str(tmp_path / "pwned"))
    model = write_tiny_llama(tmp_path / "hostile.gguf", chat_template=hostile)
    override = "{% for m in messages %}{{ m['content'] }}\n{% endfor %}"
    info = engine.load(LoadRequest(str(model), n_ctx=128, chat_template_override=override))
    assert info.template_source == "override"
    out: list[str] = []
    stats = engine.generate(
        [{"role": "user", "content": "hello"}], SamplingParams(max_tokens=3), out.append
    )
    assert stats.prompt_tokens > 0
