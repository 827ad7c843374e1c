"""One arena comparison: two sides answer the same prompt, blind, one after the other.

A *side* is a local model, a remote one (``remote:SERVER/MODEL``) or a model with another
temperature. Hearth runs one engine at a time, so the sides answer in turn: the one
whose model is already loaded first, then the other, switching models between them (the
switch follows the same plan as any load: ``Hearth.load_request``). Both answers are
stored in the turn as they end; follow-up turns give each side its own history (its own
earlier answers).

Which side is A and which is B is drawn at random when the session starts, so the labels
say nothing about the order the user picked them in.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from app.chat.service import sampling_from
from app.engine.errors import EngineCrashed, EngineError, LoadCancelled
from app.engine.protocol import GenerationStats
from app.engine.request import Request
from app.engine.scheduler import QueueCancelled, Scheduler
from app.hearth import Hearth
from app.library.preflight import LoadChoice
from app.remote.connect import remote_load_request
from app.remote.refs import is_remote_ref
from app.store.arena import ArenaSession, ArenaStore, ArenaTurn, Side

SIDES: tuple[Side, Side] = ("a", "b")


@dataclass(frozen=True)
class Contestant:
    """A side: the model to load and, optionally, a temperature of its own."""

    model_path: str
    name: str
    temperature: float | None = None

    @property
    def side_name(self) -> str:
        """What ratings are kept under: the name, with the setting when there is one."""
        if self.temperature is None:
            return self.name
        return f"{self.name} · temperature {self.temperature:g}"

    def settings(self) -> dict[str, Any]:
        return {} if self.temperature is None else {"temperature": self.temperature}


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
    """What a turn reports as it runs. kind: "loading" (the side's model is being
    loaded), "started", "text" (``text`` is the next piece), "done" (``result``)."""

    kind: str
    side: Side
    text: str = ""
    result: SideResult | None = None


class ArenaStop:
    """Stop for a turn: ends the load or the answer under way, and the turn. Any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stopped = False
        self._ticket: Request | None = None

    @property
    def stopped(self) -> bool:
        return self._stopped

    def hold(self, ticket: Request) -> Request:
        with self._lock:
            self._ticket = ticket
            if self._stopped:
                ticket.cancel()
        return ticket

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            ticket = self._ticket
        if ticket is not None:
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


def answer_order(hearth: Hearth, contestants: dict[Side, Contestant]) -> list[Side]:
    """The side whose model is loaded answers first (one switch per turn at most)."""
    request = hearth.engine.load_request
    loaded = request.model_path if request else None
    if loaded is not None and contestants["b"].model_path == loaded != contestants["a"].model_path:
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
) -> ArenaTurn:
    """Stores a new turn with ``prompt`` and has both sides answer it, one after the other."""
    history = store.turns(session.id)
    turn = store.add_turn(session.id, prompt)
    for side in answer_order(hearth, contestants):
        if stop.stopped:
            store.save_answer(turn.id, side, "", status="stopped")
            report(ArenaEvent("done", side, result=SideResult(side, "", "stopped", None)))
            continue
        result = _answer(hearth, contestants[side], side, history, prompt, report, stop)
        stats = result.stats
        store.save_answer(
            turn.id,
            side,
            result.text,
            status=result.status,
            ttft_ms=stats.ttft_ms if stats else None,
            tokens_per_s=stats.tokens_per_s if stats else None,
        )
        report(ArenaEvent("done", side, result=result))
    return store.get_turn(turn.id)


def _answer(
    hearth: Hearth,
    contestant: Contestant,
    side: Side,
    history: list[ArenaTurn],
    prompt: str,
    report: Callable[[ArenaEvent], None],
    stop: ArenaStop,
) -> SideResult:
    engine = hearth.engine
    loaded = engine.load_request.model_path if engine.load_request else None
    load_seconds = 0.0
    parts: list[str] = []
    try:
        if loaded != contestant.model_path or engine.info is None:
            report(ArenaEvent("loading", side))
            began = time.monotonic()
            ticket = stop.hold(engine.begin_load())
            if is_remote_ref(contestant.model_path):
                request = remote_load_request(contestant.model_path, hearth.paths.config)
            else:
                model = hearth.resolve_model(contestant.model_path)
                request = hearth.load_request(model, LoadChoice.CHECK)
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
