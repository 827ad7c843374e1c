"""The engine streams real replies from the real starter model and keeps its KV cache."""

from __future__ import annotations

from app.engine.engine import Engine
from app.engine.protocol import LoadRequest, SamplingParams

QUESTION = [{"role": "user", "content": "Name three colours of the rainbow."}]


def test_load_reports_progress_and_the_model(engine: Engine, starter_request: LoadRequest):
    progress: list[float] = []
    info = engine.load(starter_request, progress.append)
    assert info.n_ctx == 2048
    assert info.n_layers == 30
    assert info.backend == "CPU"
    assert info.template_source == "model"
    assert progress == sorted(progress) and progress[-1] == 1.0 and len(progress) > 3


def test_a_reply_streams_in_pieces(engine: Engine, starter_request: LoadRequest):
    engine.load(starter_request)
    pieces: list[str] = []
    stats = engine.generate(QUESTION, SamplingParams(seed=7, max_tokens=60), pieces.append)
    assert len(pieces) > 3
    assert "".join(pieces).strip()
    assert stats.completion_tokens > 3
    assert stats.finish_reason in ("stop", "length")
    assert stats.tokens_per_s > 0 and stats.ttft_ms > 0


def test_the_same_seed_gives_the_same_reply(engine: Engine, starter_request: LoadRequest):
    engine.load(starter_request)
    first: list[str] = []
    second: list[str] = []
    engine.generate(QUESTION, SamplingParams(seed=3, max_tokens=30, temperature=1.0), first.append)
    engine.generate(QUESTION, SamplingParams(seed=3, max_tokens=30, temperature=1.0), second.append)
    assert "".join(first) == "".join(second)


def test_a_later_turn_evaluates_only_the_new_tokens(engine: Engine, starter_request: LoadRequest):
    engine.load(starter_request)
    messages = list(QUESTION)
    evaluated: list[tuple[int, int]] = []
    for turn in range(4):
        reply: list[str] = []
        stats = engine.generate(messages, SamplingParams(seed=turn, max_tokens=40), reply.append)
        evaluated.append((stats.prompt_tokens, stats.prompt_eval_tokens))
        messages += [
            {"role": "assistant", "content": "".join(reply)},
            {"role": "user", "content": f"Tell me more, part {turn + 2}."},
        ]
    first_total, first_evaluated = evaluated[0]
    assert first_evaluated == first_total
    for total, new in evaluated[1:]:
        # The prompt grows, but only the newest turn is evaluated again.
        assert total > first_total
        assert new < total / 2
        assert new < 60


def test_stop_strings_end_the_reply_without_showing_them(
    engine: Engine, starter_request: LoadRequest
):
    engine.load(starter_request)
    messages = [{"role": "user", "content": "Count from 1 to 20, separated by commas."}]
    sampling = SamplingParams(seed=1, max_tokens=120, temperature=0, repeat_penalty=1.0)
    free: list[str] = []
    engine.generate(messages, sampling, free.append)
    assert "7" in "".join(free)
    stopped: list[str] = []
    stats = engine.generate(messages, sampling, stopped.append, stop=("7",))
    text = "".join(stopped)
    assert stats.finish_reason == "stop"
    assert "7" not in text
    assert "6" in text  # it counted up to the stop string, then ended


def test_unload_ends_the_host_process(engine: Engine, starter_request: LoadRequest):
    import psutil

    engine.load(starter_request)
    pid = engine.host_pid
    assert pid is not None and psutil.pid_exists(pid)
    engine.unload()
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    assert engine.info is None
