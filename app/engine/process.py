"""One engine host process, seen from the app: start, load, generate, cancel, end.

Everything here runs in the caller's process and talks to the host over a pipe. The
caller is a worker thread (the window) or the main thread (the command line); it is
never the GUI thread. :meth:`EngineProcess.cancel` may be called from any thread.

Starting a host costs a Python start and the engine's imports (numpy, llama.cpp):
about half a second on a slow machine, before any weights are read. A front end that
knows a load is coming (the user is choosing a model) calls :func:`prestart_host`; the
next :class:`EngineProcess` then takes over that idle host instead of starting one.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from app.engine.errors import (
    EngineCrashed,
    EngineError,
    GenerationError,
    LoadCancelled,
    ModelLoadError,
    describe_exit,
)
from app.engine.host import host_main
from app.engine.protocol import (
    Failed,
    Finished,
    GenerateRequest,
    GenerationStats,
    Loaded,
    LoadProgress,
    LoadRequest,
    ModelInfo,
    PromptReady,
    SamplingParams,
    Shutdown,
    TextChunk,
    ToolCallEvent,
)
from app.engine.request import Request, RequestState

# How often the caller looks at the host while waiting, in seconds: it bounds how
# long a crash or a cancel takes to notice.
POLL_SECONDS = 0.02
# After a cancel, how long the host has to confirm before it is taken as wedged and ended.
CANCEL_CONFIRM_SECONDS = 5.0
SHUTDOWN_SECONDS = 3.0

OnText = Callable[[str], None]
OnPrompt = Callable[[int, int], None]
OnToolCall = Callable[[Any], None]  # an app.engine.tool_calls.ToolCall


class _Host:
    """A started host process, its pipe and its cancel mark."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        self.conn, child_conn = context.Pipe()
        # Lock-free: the host reads it between tokens, where a lock would cost time.
        self.cancel_upto = context.Value("q", 0, lock=False)
        self.process = context.Process(
            target=host_main,
            args=(child_conn, self.cancel_upto),
            name="hearth-engine",
            daemon=True,
        )
        self.process.start()
        child_conn.close()

    def end(self) -> None:
        if self.process.is_alive():
            with contextlib.suppress(OSError):
                self.conn.send(Shutdown())
            self.process.join(SHUTDOWN_SECONDS)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(SHUTDOWN_SECONDS)
        self.conn.close()


_spare: _Host | None = None
_spare_lock = threading.Lock()


def prestart_host() -> None:
    """Starts an idle host for the next load to take over, unless one is waiting.

    Any thread; returns at once (the host imports on its own). An unused spare ends
    with this process, or with :func:`discard_spare_host`.
    """
    global _spare
    with _spare_lock:
        if _spare is not None and _spare.process.is_alive():
            return
        dead, _spare = _spare, _Host()
    if dead is not None:
        dead.end()


def discard_spare_host() -> None:
    """Ends the idle host, if one is waiting (closing down, or memory is short)."""
    global _spare
    with _spare_lock:
        spare, _spare = _spare, None
    if spare is not None:
        spare.end()


def _take_spare() -> _Host | None:
    global _spare
    with _spare_lock:
        spare, _spare = _spare, None
    if spare is not None and not spare.process.is_alive():
        spare.end()
        return None
    return spare


def spare_host_pid() -> int | None:
    """The idle host's process id, if one is waiting."""
    with _spare_lock:
        alive = _spare is not None and _spare.process.is_alive()
        return _spare.process.pid if alive and _spare is not None else None


class EngineProcess:
    """A host process holding (at most) one model."""

    def __init__(self) -> None:
        host = _take_spare() or _Host()
        self._conn = host.conn
        self._cancel_upto = host.cancel_upto
        self._process = host.process
        self.info: ModelInfo | None = None

    @property
    def pid(self) -> int | None:
        return self._process.pid

    def is_alive(self) -> bool:
        return self._process.is_alive()

    def load(
        self,
        request: LoadRequest,
        ticket: Request,
        on_progress: Callable[[float], None] | None = None,
    ) -> ModelInfo:
        """Loads the model; cancelling ``ticket`` ends the host and raises LoadCancelled."""
        ticket.advance(RequestState.LOADING)

        def check_cancel() -> None:
            if ticket.cancelled:
                self.kill()
                raise LoadCancelled("Loading was cancelled")

        check_cancel()
        self._send(request)
        while True:
            event = self._receive(on_wait=check_cancel)
            if isinstance(event, LoadProgress):
                if on_progress:
                    on_progress(event.fraction)
            elif isinstance(event, Loaded):
                self.info = event.info
                return event.info
            elif isinstance(event, Failed):
                raise ModelLoadError(f"Could not load the model: {event.message}")

    def generate(
        self,
        messages: list[dict[str, Any]],
        sampling: SamplingParams,
        on_text: OnText,
        *,
        on_prompt: OnPrompt | None = None,
        on_thinking: OnText | None = None,
        on_tool_call: OnToolCall | None = None,
        stop: tuple[str, ...] = (),
        ignore_eos: bool = False,
        options: dict[str, Any] | None = None,
        grammar: str | None = None,
        ticket: Request | None = None,
    ) -> GenerationStats:
        """Streams a reply through ``on_text`` (its thinking through ``on_thinking``).

        Returns the reply's figures. Raises :class:`EngineCrashed` if the host dies,
        :class:`GenerationError` if the request is refused. Once ``ticket`` is
        cancelled no more text is passed on, and it returns with
        ``finish_reason == "cancelled"`` as soon as the host confirms; a host that does
        not confirm within ``CANCEL_CONFIRM_SECONDS`` is ended and reported as a crash.
        """
        ticket = ticket or Request("reply")
        request_id = ticket.id  # ids only grow, so the host's "cancel up to" mark works
        self._send(
            GenerateRequest(
                request_id, messages, sampling, stop, ignore_eos, dict(options or {}), grammar
            )
        )
        ticket.advance(RequestState.PROMPT)
        cancel_sent = False
        try:
            while True:
                if ticket.cancelled and not cancel_sent:
                    self._cancel_upto.value = max(self._cancel_upto.value, request_id)
                    cancel_sent = True
                if (
                    ticket.cancelled_at is not None
                    and time.monotonic() - ticket.cancelled_at > CANCEL_CONFIRM_SECONDS
                ):
                    # A host that does not answer Stop is wedged: never reuse it.
                    self.kill()
                    raise EngineCrashed(
                        f"The engine did not stop within {CANCEL_CONFIRM_SECONDS:.0f} s of"
                        " Stop and was ended",
                        None,
                    )
                event = self._receive(timeout=POLL_SECONDS)
                if event is None or getattr(event, "request_id", request_id) != request_id:
                    continue  # a late event from an earlier request
                if isinstance(event, TextChunk):
                    if not ticket.cancelled:  # nothing shows after Stop
                        ticket.advance(RequestState.GENERATING)
                        if event.kind == "answer":
                            on_text(event.text)
                        elif on_thinking:
                            on_thinking(event.text)
                elif isinstance(event, ToolCallEvent):
                    if not ticket.cancelled and on_tool_call:
                        on_tool_call(event.call)
                elif isinstance(event, PromptReady):
                    if on_prompt:
                        on_prompt(event.prompt_tokens, event.dropped_messages)
                elif isinstance(event, Finished):
                    ticket.advance(RequestState.DONE)
                    if ticket.cancelled:
                        return replace(event.stats, finish_reason="cancelled")
                    return event.stats
                elif isinstance(event, Failed):
                    raise GenerationError(event.message)
        finally:
            ticket.advance(RequestState.FAILED)  # no-op once done

    def close(self) -> None:
        """Ends the host, giving back all the memory the model used."""
        if self._process.is_alive():
            with contextlib.suppress(OSError):
                self._conn.send(Shutdown())
            self._process.join(SHUTDOWN_SECONDS)
        self.kill()
        self._conn.close()

    def kill(self) -> None:
        if self._process.is_alive():
            self._process.kill()
        self._process.join(SHUTDOWN_SECONDS)

    def _send(self, message: Any) -> None:
        try:
            self._conn.send(message)
        except OSError:
            self._raise_crashed()

    def _receive(
        self, timeout: float | None = None, on_wait: Callable[[], None] | None = None
    ) -> Any:
        """The next event; None if ``timeout`` passed; raises if the host died."""
        deadline = None if timeout is None else time.perf_counter() + timeout
        while True:
            try:
                if self._conn.poll(POLL_SECONDS):
                    return self._conn.recv()
            except (EOFError, OSError):
                self._raise_crashed()
            if not self._process.is_alive():
                # Drain what the host sent before it died, then report.
                try:
                    if self._conn.poll(0):
                        return self._conn.recv()
                except (EOFError, OSError):
                    pass
                self._raise_crashed()
            if on_wait:
                on_wait()
            if deadline is not None and time.perf_counter() >= deadline:
                return None

    def _raise_crashed(self) -> None:
        self._process.join(1.0)
        code = self._process.exitcode
        raise EngineCrashed(describe_exit(code), code)


__all__ = ["EngineError", "EngineProcess"]
