"""A request's life in one object: the states a reply and a load go through, and a
cancel that reaches it whenever it comes."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.engine.engine import Engine
from app.engine.errors import LoadCancelled
from app.engine.protocol import LoadRequest, SamplingParams
from app.engine.request import Request, RequestState


def test_states_move_forward_and_a_cancel_shows_until_the_end():
    request = Request("reply")
    assert request.state is RequestState.QUEUED and not request.cancelled
    request.advance(RequestState.PROMPT)
    request.cancel()
    assert request.state is RequestState.CANCELLING and request.cancelled
    request.advance(RequestState.GENERATING)  # late text does not undo the cancel
    assert request.state is RequestState.CANCELLING
    request.advance(RequestState.DONE)
    assert request.finished
    request.cancel()  # too late: nothing changes
    assert request.state is RequestState.DONE


def test_ids_only_grow():
    first, second = Request("load"), Request("reply")
    assert second.id > first.id


def test_a_load_cancelled_before_it_began_never_starts(engine: Engine, starter_model: Path):
    ticket = engine.begin_load()
    engine.cancel_load()
    with pytest.raises(LoadCancelled):
        engine.load(LoadRequest(str(starter_model), n_ctx=512), ticket=ticket)
    assert ticket.state is RequestState.FAILED
    assert engine.info is None and engine.host_pid is None


def test_a_reply_reports_its_state_while_it_streams(engine: Engine, starter_request: LoadRequest):
    engine.load(starter_request)
    seen: list[RequestState] = []

    def on_text(_text: str) -> None:
        current = engine.reply_request
        assert current is not None
        seen.append(current.state)

    engine.generate([{"role": "user", "content": "Hi"}], SamplingParams(max_tokens=8), on_text)
    assert RequestState.GENERATING in seen
    assert engine.reply_request is None  # done
