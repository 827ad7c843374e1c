"""One arena comparison: two sides answer the same prompt, blind.

A *side* is a local model, a remote one (``remote:SERVER/MODEL``) or a model with another
temperature. Where the plan says both fit (``app.arena.engines``), each side has an engine
of its own and the two answer at the same time, their models kept loaded across turns.
Otherwise they share the app's engine and answer in turn: the one whose model is already
loaded first, then the other, switching models between them (the switch follows the
same plan as any load: ``Hearth.load_request``, and is reported as "loading"). Each answer
is stored in the turn as it ends; follow-up turns give each side its own history (its own
earlier answers).

Which side is A and which is B is drawn at random when the session starts, so the labels
say nothing about the order the user picked them in.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from app.arena.contestant import Contestant
from app.arena.engines import ArenaEngines, holds, load_request
from app.chat.service import sampling_from
from app.engine.engine import Engine
from app.engine.errors import EngineCrashed, EngineError, LoadCancelled
from app.engine.protocol import GenerationStats
from app.engine.request import Request
from app.engine.scheduler import QueueCancelled, Scheduler
from app.hearth import Hearth
from app.store.arena import ArenaSession, ArenaStore, ArenaTurn, Side

SIDES: tuple[Side, Side] = ("a", "b")

log = logging.getLogger(__name__)

__all__ = ["ArenaEvent", "ArenaStop", "Contestant", "SideResult", "run_turn", "start_session"]


@dataclass(frozen=True)
class SideResult:
    side: Side
    text: str
    status: str  # complete, stopped, error
    stats: GenerationStats | None
    error: str | None = None
    load_seconds: float = 0.0


@dataclass(frozen=True)
class ArenaEvent:
    """What a turn reports as it runs. kind: "plan" (``text`` is how the comparison runs,
    said at its first turn; no side), "loading" (the side's model is being loaded),
    "started", "text" (``text`` is the next piece), "done" (``result``)."""

    kind: str
    side: Side | None
    text: str = ""
    result: SideResult | None = None


class ArenaStop:
    """Stop for a turn: ends the loads and answers under way (both sides'), and the turn.
    Any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stopped = False
        self._tickets: list[Request] = []

    @property
    def stopped(self) -> bool:
        return self._stopped

    def hold(self, ticket: Request) -> Request:
        with self._lock:
            self._tickets.append(ticket)
            if self._stopped:
                ticket.cancel()
        return ticket

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            tickets = list(self._tickets)
        for ticket in tickets:
            ticket.cancel()


def start_session(
    store: ArenaStore,
    first: Contestant,
    second: Contestant,
    *,
    tag: str = "",
    chooser: random.Random | None = None,
) -> tuple[ArenaSession, dict[Side, Contestant]]:
    """A new session with the two contestants placed as A and B at random."""
    if first.side_name == second.side_name:
        raise ValueError("Pick two different models, or the same model with two temperatures.")
    pair = [first, second]
    (chooser or random.Random()).shuffle(pair)
    a, b = pair
    session = store.create_session(
        a.side_name,
        b.side_name,
        model_a=a.model_path,
        model_b=b.model_path,
        settings_a=a.settings(),
        settings_b=b.settings(),
        tag=tag,
    )
    return session, {"a": a, "b": b}


def answer_order(engine: Engine, contestants: dict[Side, Contestant]) -> list[Side]:
    """In one engine, the side whose model is loaded answers first (one switch a turn)."""
    if holds(engine, contestants["b"]) and not holds(engine, contestants["a"]):
        return ["b", "a"]
    return ["a", "b"]


def run_turn(
    hearth: Hearth,
    store: ArenaStore,
    session: ArenaSession,
    contestants: dict[Side, Contestant],
    prompt: str,
    report: Callable[[ArenaEvent], None],
    stop: ArenaStop,
    engines: ArenaEngines,
) -> ArenaTurn:
    """Stores a new turn with ``prompt`` and has both sides answer it: at the same time
    in two engines where the plan allows, else one after the other."""
    with engines.turn(session.id, contestants) as layout:
        if layout.new:
            report(ArenaEvent("plan", None, text=layout.plan.text))
        history = store.turns(session.id)
        turn = store.add_turn(session.id, prompt)

        def answer(side: Side) -> None:
            result = SideResult(side, "", "stopped", None)
            try:
                if not stop.stopped:
                    engine = layout.engines[side]
                    result = _answer(
                        hearth, engine, contestants[side], side, history, prompt, report, stop
                    )
            except Exception as error:  # a thread of its own: it must end with a result
                log.exception("arena side %s failed", side)
                result = SideResult(side, "", "error", None, str(error) or type(error).__name__)
            if result.status == "error":
                log.warning("arena side %s: %s", side, result.error)
            _keep(store, turn.id, result)
            report(ArenaEvent("done", side, result=result))

        if layout.side_by_side:
            other = threading.Thread(target=answer, args=("b",), name="hearth-arena-b", daemon=True)
            other.start()
            try:
                answer("a")
            finally:
                other.join()
        else:
            for side in answer_order(hearth.engine, contestants):
                answer(side)
    return store.get_turn(turn.id)


def _keep(store: ArenaStore, turn_id: int, result: SideResult) -> None:
    stats = result.stats
    store.save_answer(
        turn_id,
        result.side,
        result.text,
        status=result.status,
        ttft_ms=stats.ttft_ms if stats else None,
        tokens_per_s=stats.tokens_per_s if stats else None,
    )


def _answer(
    hearth: Hearth,
    engine: Engine,
    contestant: Contestant,
    side: Side,
    history: list[ArenaTurn],
    prompt: str,
    report: Callable[[ArenaEvent], None],
    stop: ArenaStop,
) -> SideResult:
    load_seconds = 0.0
    parts: list[str] = []
    try:
        if not holds(engine, contestant) or engine.info is None:
            beside = engine is not hearth.engine
            report(ArenaEvent("loading", side, text="beside" if beside else ""))
            began = time.monotonic()
            ticket = stop.hold(engine.begin_load())
            request = load_request(hearth, contestant, beside=beside)
            with Scheduler.of(engine).turn("window", ticket):
                engine.load(request, ticket=ticket)
            load_seconds = time.monotonic() - began
        report(ArenaEvent("started", side))
        settings = hearth.model_settings.get(hearth.model_key(contestant.model_path))
        sampling = sampling_from(settings)
        if contestant.temperature is not None:
            sampling = replace(sampling, temperature=contestant.temperature)
        messages = _messages(settings.system_prompt, history, side, prompt)

        def on_text(text: str) -> None:
            parts.append(text)
            report(ArenaEvent("text", side, text=text))

        ticket = stop.hold(Request("reply"))
        stats = Scheduler.of(engine).generate(messages, sampling, on_text, ticket=ticket)
    except (LoadCancelled, QueueCancelled):
        return SideResult(side, "".join(parts), "stopped", None, load_seconds=load_seconds)
    except EngineError as error:
        if isinstance(error, EngineCrashed):
            engine.forget_crashed()
        return SideResult(side, "".join(parts), "error", None, str(error), load_seconds)
    except LookupError as error:  # the model's file is gone
        return SideResult(side, "", "error", None, str(error), load_seconds)
    stopped = stats.finish_reason == "cancelled" or stop.stopped
    status = "stopped" if stopped else "complete"
    return SideResult(side, "".join(parts), status, stats, load_seconds=load_seconds)


def _messages(
    system_prompt: str, history: list[ArenaTurn], side: Side, prompt: str
) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    if system_prompt.strip():
        messages.append({"role": "system", "content": system_prompt})
    for turn in history:
        answer = turn.answer_a if side == "a" else turn.answer_b
        if not answer.strip():
            continue  # a side stopped before it wrote: never two questions in a row
        messages += [
            {"role": "user", "content": turn.prompt},
            {"role": "assistant", "content": answer},
        ]
    messages.append({"role": "user", "content": prompt})
    return messages
