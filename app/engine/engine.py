"""The engine as the rest of the app sees it: the model in use, loaded in its own process.

Loading another model starts a new host and ends the old one only once the new one
is ready, so a failed or cancelled load leaves the previous model usable. If the host
dies, the error says how, and the next request starts a new host and reloads.

A model on a remote server (a request with ``remote`` set) is loaded the same way: a
:class:`~app.engine.remote.RemoteSession` takes the host's place, with the same methods,
so every caller (the chat, the queue, the API server, the window) has one path.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from app.engine.errors import EngineCrashed, EngineError, LoadCancelled, ModelLoadError
from app.engine.exact_memo import ExactBatchesMemo
from app.engine.process import EngineProcess, OnPrompt, OnText, OnToolCall
from app.engine.protocol import GenerationStats, LoadRequest, ModelInfo, SamplingParams
from app.engine.remote import RemoteSession
from app.engine.request import Request, RequestState
from app.engine.speculative import flash_attention_for

# What holds the loaded model: a host process here, or a session with a remote server.
ModelHost = EngineProcess | RemoteSession

log = logging.getLogger(__name__)


class Engine:
    """Holds at most one loaded model. Thread-safe for one caller plus cancels."""

    def __init__(self, log_path: str | None = None) -> None:
        self._log_path = log_path
        self._process: ModelHost | None = None
        self._request: LoadRequest | None = None
        self._lock = threading.RLock()
        # The load and the reply in flight (or last begun): every cancel goes through them.
        self._load_ticket: Request | None = None
        self._reply_ticket: Request | None = None
        self._exact_batches = ExactBatchesMemo()

    @property
    def info(self) -> ModelInfo | None:
        return self._process.info if self._process else None

    @property
    def load_request(self) -> LoadRequest | None:
        return self._request

    @property
    def host_pid(self) -> int | None:
        return self._process.pid if self._process else None

    @property
    def reply_request(self) -> Request | None:
        """The reply in flight, if any (its state says how far it has come)."""
        ticket = self._reply_ticket
        return None if ticket is None or ticket.finished else ticket

    def begin_load(self) -> Request:
        """A ticket for the next load, so it can be cancelled before it has begun."""
        ticket = Request("load")
        self._load_ticket = ticket
        return ticket

    def load(
        self,
        request: LoadRequest,
        on_progress: Callable[[float], None] | None = None,
        ticket: Request | None = None,
    ) -> ModelInfo:
        """Loads ``request``'s model in a new host; the old one ends only on success."""
        ticket = ticket or self.begin_load()
        if self._log_path and request.log_path is None:
            request = _with_log(request, self._log_path)
        had_previous = self._process is not None
        if request.end_previous_first and had_previous:
            self.unload()  # its memory is needed; a failed load then leaves no model
            switch_note = "The previous model was ended first to make room for this one."
        elif had_previous:
            switch_note = "The previous model stayed loaded until this one was ready."
        else:
            switch_note = ""
        request = self._exact_batches.recall(request)
        try:
            try:
                candidate, info = self._start(request, on_progress, ticket)
            except (ModelLoadError, EngineCrashed) as error:
                if request.n_gpu_layers == 0:
                    raise
                # The GPU could not take it (driver, memory, unsupported op): use the CPU.
                log.warning("GPU load failed, falling back to the CPU: %s", error)
                request = replace(
                    request,
                    n_gpu_layers=0,
                    # Kept for drafts: without it the CPU rounds a batch otherwise.
                    flash_attn=flash_attention_for(request.speculative) or False,
                    offload_reason=f"On the CPU: loading on the GPU failed ({error})",
                    exact_batches=None,
                )
                candidate, info = self._start(request, on_progress, ticket)
        except BaseException:
            ticket.advance(RequestState.FAILED)
            raise
        self._exact_batches.remember(request, info)
        info = replace(info, offload_reason=request.offload_reason, switch_note=switch_note)
        candidate.info = info
        with self._lock:
            previous, self._process, self._request = self._process, candidate, request
        if previous:
            previous.close()
        if ticket.kind == "load":
            ticket.advance(RequestState.DONE)
        return info

    def _start(
        self, request: LoadRequest, on_progress: Callable[[float], None] | None, ticket: Request
    ) -> tuple[ModelHost, ModelInfo]:
        candidate: ModelHost = (
            RemoteSession(request.remote) if request.remote is not None else EngineProcess()
        )
        try:
            return candidate, candidate.load(request, ticket, on_progress)
        except BaseException:
            candidate.close()
            raise

    def cancel_load(self) -> None:
        """Abandons the load in progress, or the one about to begin. Any thread."""
        ticket = self._load_ticket
        if ticket:
            ticket.cancel()

    def generate(
        self,
        messages: list[dict[str, Any]],
        sampling: SamplingParams,
        on_text: OnText,
        *,
        on_prompt: OnPrompt | None = None,
        on_reload: Callable[[], None] | None = None,
        on_thinking: OnText | None = None,
        on_tool_call: OnToolCall | None = None,
        stop: tuple[str, ...] = (),
        ignore_eos: bool = False,
        options: dict[str, Any] | None = None,
        grammar: str | None = None,
        ticket: Request | None = None,
    ) -> GenerationStats:
        """Streams one reply. ``ticket`` lets a caller (a server client, say) cancel this
        reply alone; :meth:`cancel` cancels whichever reply is in flight."""
        ticket = ticket or Request("reply")
        self._reply_ticket = ticket
        try:
            process = self._ready_process(on_reload, ticket)
        except LoadCancelled:
            ticket.advance(RequestState.DONE)
            # Stop came while a crashed model was being reloaded: nothing was generated.
            return _stopped_before_start()
        return process.generate(
            messages,
            sampling,
            on_text,
            on_prompt=on_prompt,
            on_thinking=on_thinking,
            on_tool_call=on_tool_call,
            stop=stop,
            ignore_eos=ignore_eos,
            options=options,
            grammar=grammar,
            ticket=ticket,
        )

    def _ready_process(self, on_reload: Callable[[], None] | None, ticket: Request) -> ModelHost:
        with self._lock:
            process, request = self._process, self._request
        if request is None:
            ticket.advance(RequestState.FAILED)
            raise EngineError("No model is loaded")
        if process is None or not process.is_alive():
            # The host died earlier (a crash was reported then): start over. Stop during
            # the reload cancels it, through the reply's own ticket.
            if on_reload:
                on_reload()
            self.load(request, ticket=ticket)
            with self._lock:
                process = self._process
        assert process is not None
        return process

    def cancel(self) -> None:
        """Stops the reply in progress, even one still reloading the model. Any thread."""
        ticket = self._reply_ticket
        if ticket:
            ticket.cancel()

    def unload(self) -> None:
        """Ends the host process: every byte of RAM and VRAM the model held is freed."""
        with self._lock:
            process, self._process, self._request = self._process, None, None
        if process:
            process.close()

    def forget_crashed(self) -> None:
        """Drops a dead host so the next request reloads (kept request stays)."""
        with self._lock:
            if self._process and not self._process.is_alive():
                self._process.close()
                self._process = None


def _stopped_before_start() -> GenerationStats:
    return GenerationStats(
        prompt_tokens=0,
        prompt_eval_tokens=0,
        completion_tokens=0,
        dropped_messages=0,
        ttft_ms=0.0,
        tokens_per_s=0.0,
        prompt_tokens_per_s=0.0,
        total_ms=0.0,
        finish_reason="cancelled",
    )


def _with_log(request: LoadRequest, log_path: str) -> LoadRequest:
    return replace(request, log_path=log_path)


__all__ = ["Engine", "EngineCrashed"]
