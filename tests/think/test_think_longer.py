"""Think longer with the real starter model: a new version from N candidates, the KV cache
of the shared prompt reused, the time budget, Stop, and raised effort for thinking models."""

from __future__ import annotations

import threading
from dataclasses import replace

from app.chat.tool_loop import ReplyControl
from app.hearth import Hearth
from app.store.think_runs import ThinkRunStore
from app.think.longer import ThinkCallbacks, ThinkLonger


def _asked(hearth: Hearth, question: str) -> int:
    conversation = hearth.conversations.create_conversation("maths", None)
    result = hearth.chat.send(conversation.id, question)
    assert result.error is None
    return result.message.id


def test_candidates_become_a_new_version_with_the_prompt_evaluated_once(loaded: Hearth) -> None:
    reply_id = _asked(loaded, "Tom has 3 apples and buys 4 more. How many apples does he have?")
    runs = ThinkRunStore(loaded.database)
    started: list[tuple[int, float]] = []
    result = ThinkLonger(loaded.chat, runs).run(
        reply_id,
        3,
        callbacks=ThinkCallbacks(on_candidate=lambda pos, of, t: started.append((pos, t))),
    )
    assert result.error is None and not result.stopped
    assert result.message is not None
    assert result.method in ("vote", "judge", "first")
    assert result.reason
    assert [position for position, _t in started] == [1, 2, 3]
    assert len({t for _p, t in started}) == 3  # temperatures varied
    # The new version sits beside the old one, and is the one shown.
    versions = loaded.conversations.versions(reply_id)
    assert [m.id for m in versions][-1] == result.message.id and len(versions) == 2
    shown = loaded.conversations.active_path(result.message.conversation_id)[-1]
    assert shown.id == result.message.id
    chosen = next(c for c in result.candidates if c.position == result.chosen)
    assert shown.content == chosen.content
    # Every candidate is stored, with the run's reason, for the window to show.
    stored = runs.for_message(result.message.id)
    assert stored is not None
    assert [c.position for c in stored.candidates] == [1, 2, 3]
    assert stored.reason == result.reason
    # The prompt was evaluated in full once; the other candidates reused the KV cache.
    later = [c.prompt_eval_tokens or 0 for c in result.candidates[1:]]
    assert max(later) <= 2, [c.prompt_eval_tokens for c in result.candidates]
    assert (shown.prompt_tokens or 0) > 20


def test_the_time_budget_stops_sampling_after_the_first_candidate(loaded: Hearth) -> None:
    reply_id = _asked(loaded, "How many centimetres are in 2 metres?")
    result = ThinkLonger(loaded.chat, ThinkRunStore(loaded.database)).run(
        reply_id, 4, budget_s=0.01
    )
    assert result.message is not None
    assert result.method == "single"
    assert "1 of 4 candidates finished within the time budget" in result.reason
    assert len(loaded.conversations.versions(reply_id)) == 2


def test_stop_ends_the_run_and_leaves_the_reply_as_it_was(loaded: Hearth) -> None:
    reply_id = _asked(loaded, "What is 12 times 3?")
    control = ReplyControl()
    first_text = threading.Event()

    def on_text(position: int, text: str) -> None:
        if position == 2:
            control.stop()  # Stop while the second candidate streams
        first_text.set()

    result = ThinkLonger(loaded.chat, ThinkRunStore(loaded.database)).run(
        reply_id, 3, callbacks=ThinkCallbacks(on_text=on_text), control=control
    )
    assert result.stopped and result.message is None
    assert "Stopped after 1 of 3" in result.reason
    assert [c.status for c in result.candidates] == ["complete", "stopped"]
    assert [m.id for m in loaded.conversations.versions(reply_id)] == [reply_id]


_EFFORT_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n"
    "{{ message['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n"
    "Effort: {{ reasoning_effort | default('medium') }}.\n{% endif %}"
)


def test_a_model_with_an_effort_switch_is_asked_again_harder(loaded: Hearth) -> None:
    model = loaded.resolve_model("SmolLM2-135M-Instruct")
    key = loaded.model_key(model.path)
    settings = loaded.model_settings.get(key)
    loaded.model_settings.save(replace(settings, chat_template_override=_EFFORT_TEMPLATE))
    loaded.engine.load(loaded.load_request(model))
    assert loaded.engine.info is not None and loaded.engine.info.supports_effort
    reply_id = _asked(loaded, "Name a colour.")
    result = ThinkLonger(loaded.chat, ThinkRunStore(loaded.database)).run(reply_id, 3)
    assert result.method == "effort"
    assert "raised to high" in result.reason
    assert result.message is not None and result.message.id != reply_id
    assert len(loaded.conversations.versions(reply_id)) == 2
