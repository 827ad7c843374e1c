"""The engines an arena comparison answers on, and the plan that chooses them.

The app's engine (``Hearth.engine``, the chat window's) always serves one side. When the
plan says both models fit in memory at once (or a side runs on a server), the other side
gets a second engine of the arena's own: a host process of its own with its own queue
(``Scheduler.of``), so both models stay loaded from turn to turn, nothing reloads between
sides and the two answer at the same time. The side whose model the app's engine holds
stays there, so the chat window's model is kept where it can be.

When they do not fit, both sides run in the app's engine, one after the other, and the
second engine is ended first so its memory is free for the switch.

The plan is made once per comparison, at its first turn, on memory read then, with what
the engines already hold for the sides' models counted as free (it is not loaded twice).
The arena ends the second engine when it closes (:meth:`ArenaEngines.close`), so no host
outlives it.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from app.arena.contestant import Contestant
from app.arena.plan import ArenaPlan, make_plan
from app.engine.engine import Engine
from app.engine.errors import EngineError
from app.engine.protocol import LoadRequest
from app.hardware.machine import MachineInfo
from app.hardware.memory_now import process_memory
from app.hearth import Hearth
from app.library.preflight import LoadChoice, ModelDoesNotFit
from app.remote.connect import remote_load_request
from app.remote.refs import is_remote_ref
from app.store.arena import Side

TIGHTER = (
    "Memory is tighter now than the estimate: the second model would not load beside the first, so"
)


@dataclass(frozen=True)
class Layout:
    """Which engine answers for each side in a turn. ``side_by_side``: two engines, both
    sides at once. ``new``: the plan was made for this turn (the first of a comparison)."""

    plan: ArenaPlan
    engines: dict[Side, Engine]
    side_by_side: bool
    new: bool


def holds(engine: Engine | None, contestant: Contestant) -> bool:
    """Whether ``engine`` has ``contestant``'s model loaded."""
    request = engine.load_request if engine is not None else None
    return request is not None and same_model(request.model_path, contestant.model_path)


def same_model(first: str, second: str) -> bool:
    if first == second:
        return True
    if is_remote_ref(first) or is_remote_ref(second):
        return False
    return Path(first).resolve() == Path(second).resolve()


def load_request(hearth: Hearth, contestant: Contestant, *, beside: bool) -> LoadRequest:
    """How ``contestant``'s model loads: in the app's engine as any switch does, or
    ``beside`` it in the arena's own engine (whose earlier model is ended first)."""
    if is_remote_ref(contestant.model_path):
        return remote_load_request(contestant.model_path, hearth.paths.config)
    model = hearth.resolve_model(contestant.model_path)
    request = hearth.load_request(model, LoadChoice.CHECK)
    return replace(request, end_previous_first=True) if beside else request


class ArenaEngines:
    """The app's engine and, while a comparison runs side by side, the arena's own.
    Thread-safe: the turns run on a worker, :meth:`close` may come from any thread."""

    def __init__(self, hearth: Hearth) -> None:
        self.hearth = hearth
        self._second: Engine | None = None
        self._cond = threading.Condition()
        self._busy = 0
        self._session: int | None = None  # the comparison the plan below is for
        self._plan: ArenaPlan | None = None
        self._on_second: Side = "b"

    @property
    def second_pid(self) -> int | None:
        """The arena's own engine host, while one runs."""
        second = self._second
        return second.host_pid if second is not None else None

    def plan(self, contestants: dict[Side, Contestant]) -> ArenaPlan:
        """The plan on memory read now. Reads the models' headers: not on the GUI thread."""
        return make_plan(contestants, self._memory(contestants))

    def _memory(self, contestants: dict[Side, Contestant]) -> MachineInfo:
        ram = vram = 0
        for engine in {id(e): e for e in (self.hearth.engine, self._second) if e}.values():
            if any(holds(engine, c) for c in contestants.values()):
                held_ram, held_vram = process_memory(engine.host_pid)
                ram, vram = ram + held_ram, vram + held_vram
        return self.hearth.read_memory(self.hearth.machine(), add_ram=ram, add_vram=vram)

    @contextlib.contextmanager
    def turn(self, session_id: int, contestants: dict[Side, Contestant]) -> Iterator[Layout]:
        """Holds the engines for one turn of comparison ``session_id``."""
        with self._cond:
            self._busy += 1
        try:
            yield self._layout(session_id, contestants)
        finally:
            with self._cond:
                self._busy -= 1
                self._cond.notify_all()

    def _layout(self, session_id: int, contestants: dict[Side, Contestant]) -> Layout:
        plan = self._plan
        new = plan is None or self._session != session_id
        if plan is None or new:
            plan = self.plan(contestants)
            main = self.hearth.engine
            only_b = holds(main, contestants["b"]) and not holds(main, contestants["a"])
            self._on_second = "a" if only_b else "b"
            if plan.both_loaded and not self._fits_beside(contestants[self._on_second]):
                plan = plan.one_after_the_other(TIGHTER)
            self._session, self._plan = session_id, plan
        main = self.hearth.engine
        if not plan.both_loaded:
            self._end_second()  # its memory is wanted for the switches
            return Layout(plan, {"a": main, "b": main}, False, new)
        with self._cond:
            if self._second is None:
                self._second = Engine(log_path=str(self.hearth.paths.logs / "engine.log"))
            second = self._second
        engines: dict[Side, Engine] = {"a": main, "b": main}
        engines[self._on_second] = second
        return Layout(plan, engines, True, new)

    def _fits_beside(self, contestant: Contestant) -> bool:
        """Whether the second engine's model loads with the app's engine's kept: the
        switch plan would end the loaded model first when it needs that memory."""
        if holds(self._second, contestant):
            return True
        try:
            request = load_request(self.hearth, contestant, beside=False)
        except ModelDoesNotFit:
            return False
        except (EngineError, LookupError, ValueError, OSError):
            return True  # it cannot load either way; its load says why, on its side
        return not request.end_previous_first

    def _end_second(self) -> None:
        with self._cond:
            second, self._second = self._second, None
        if second is not None:
            second.unload()

    def close(self, wait_s: float = 10.0) -> None:
        """Ends the arena's own engine, once the turn using it (already stopped) has
        ended, or after ``wait_s``. The next turn makes its plan afresh. Any thread."""
        with self._cond:
            self._cond.wait_for(lambda: self._busy == 0, timeout=wait_s)
            self._session, self._plan = None, None
        self._end_second()
