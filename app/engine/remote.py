"""A model on another machine's OpenAI-compatible server, driven like a local host process.

:class:`RemoteSession` has the shape of :class:`~app.engine.process.EngineProcess`
(``load``, ``generate``, ``close``, ``is_alive``, ``info``), so the engine keeps one
interface: a :class:`~app.engine.protocol.LoadRequest` with a ``remote`` target loads this
instead of starting a host, and replies, Stop, regenerate and the queue work unchanged.

- Loading asks the server for its model list (``GET /models``) and checks the model is
  on it; nothing else is sent until a reply is asked for.
- A reply is one streamed ``POST /chat/completions``. Thinking the server sends apart
  (``reasoning_content``) and ``<think>`` tags in the answer (read by
  :class:`~app.engine.reply_parser.ReplyParser`) both come out as thinking. Figures come
  from the server's usage (and llama.cpp's timings) where it sends them; otherwise the
  chunks that carried text are counted as tokens.
- The HTTP exchange runs on a thread of its own and the caller's thread waits on its
  items, looking at the request's ticket every :data:`POLL_SECONDS`. So Stop returns at
  once, whatever the network is doing, and ends the TCP connection (``shutdown``), which
  is how a server learns the client has gone.
- Every failure is a :class:`~app.engine.errors.GenerationError` (or
  :class:`~app.engine.errors.ModelLoadError` while loading) with a message for the user:
  server down, silent for longer than the server's time limit, connection dropped
  mid-reply, key refused, model gone. The text streamed before it stays with the caller.

HTTP is httpx2, the client huggingface_hub already brings: a dependency Hearth has
anyway, with per-phase time limits and access to the socket for a prompt Stop. The
``openai`` package would add a runtime dependency and hide both.
"""

from __future__ import annotations

import contextlib
import json
import logging
import queue
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx2

from app.engine.errors import GenerationError, LoadCancelled, ModelLoadError
from app.engine.process import OnPrompt, OnText, OnToolCall
from app.engine.protocol import (
    RAW_PROMPT,
    GenerationStats,
    LoadRequest,
    ModelInfo,
    RemoteTarget,
    SamplingParams,
)
from app.engine.remote_wire import (
    StreamReader,
    chat_body,
    model_ids,
    must_call,
    parse_error_body,
)
from app.engine.reply_parser import Piece, ReplyParser
from app.engine.request import Request, RequestState

log = logging.getLogger(__name__)

# How often the waiting thread looks at the ticket: bounds how long Stop takes.
POLL_SECONDS = 0.02
# The longest a connection may take to open, whatever the server's time limit.
CONNECT_SECONDS = 10.0
USER_AGENT = "Hearth (remote engine)"


class RemoteError(GenerationError):
    """A remote server could not be used; the message says why, for the user."""


class RemoteSession:
    """One remote model in use. Thread-safe for one caller plus cancels."""

    pid: int | None = None  # no process of ours holds the model

    def __init__(self, target: RemoteTarget) -> None:
        self.target = target
        self.info: ModelInfo | None = None
        self._closed = False

    def is_alive(self) -> bool:
        return not self._closed

    def close(self) -> None:
        self._closed = True

    def kill(self) -> None:
        self._closed = True

    def load(
        self,
        request: LoadRequest,
        ticket: Request,
        on_progress: Callable[[float], None] | None = None,
    ) -> ModelInfo:
        """Checks the server offers the model; raises ModelLoadError (or LoadCancelled)."""
        ticket.advance(RequestState.LOADING)
        target = self.target
        started = time.perf_counter()
        try:
            offered = list_models(target, ticket)
        except RemoteError as error:
            raise ModelLoadError(str(error)) from None
        if ticket.cancelled:
            raise LoadCancelled("Loading was cancelled")
        context = next((n_ctx for model, n_ctx in offered if model == target.model), None)
        if context is None:
            names = ", ".join(model for model, _ in offered[:6]) or "no models"
            raise ModelLoadError(
                f"{target.server} does not offer the model {target.model} (any more): it"
                f" offers {names}. Pick one of those."
            )
        if on_progress:
            on_progress(1.0)
        self.info = ModelInfo(
            model_path=request.model_path,
            name=target.model,
            n_ctx=context,
            n_ctx_train=context,
            n_layers=0,
            n_gpu_layers=0,
            backend=f"{target.server} (remote)",
            system_info=f"A remote server: {target.base_url}",
            template_source="model",
            load_seconds=time.perf_counter() - started,
            # The server's template decides; the user's switches are sent for it to read.
            supports_thinking_toggle=True,
            supports_effort=True,
        )
        return self.info

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
        """Streams a reply; the same contract as ``EngineProcess.generate``.

        ``ignore_eos`` has no counterpart in the API and is not sent.
        """
        ticket = ticket or Request("reply")
        if options and options.get(RAW_PROMPT) is not None:
            ticket.advance(RequestState.FAILED)
            raise RemoteError(
                f"{self.target.server} is reached through its chat API: a remote model takes"
                " chat messages, not a raw text prompt. Use POST /v1/chat/completions."
            )
        body = chat_body(
            self.target.model, messages, sampling, stop=stop, options=options, grammar=grammar
        )
        stream = _Streamer(self.target, ticket, on_text, on_thinking or (lambda _text: None))
        try:
            stats = stream.run(body)
            calls = stream.reader.calls() if stats.finish_reason != "cancelled" else []
            if stats.finish_reason != "cancelled" and not calls and must_call(options, grammar):
                raise RemoteError(
                    f"{self.target.server} answered without calling a tool, though this reply"
                    f" had to call one. The model {self.target.model} may not support tool"
                    " calls there (llama.cpp's server needs --jinja; vLLM needs"
                    " --enable-auto-tool-choice); its answer is kept."
                )
            for call in calls:
                if on_tool_call:
                    on_tool_call(call)
            if on_prompt and stats.prompt_tokens:
                on_prompt(stats.prompt_tokens, 0)
            return stats
        finally:
            ticket.advance(RequestState.FAILED)  # no-op once done


class _Streamer:
    """One streamed reply: its exchange, what was read, the clock."""

    def __init__(
        self, target: RemoteTarget, ticket: Request, on_text: OnText, on_thinking: OnText
    ) -> None:
        self.target = target
        self.ticket = ticket
        self.on_text = on_text
        self.on_thinking = on_thinking
        self.reader = StreamReader()
        self.parser = ReplyParser("tags")
        self.started = time.perf_counter()
        self.first: float | None = None
        self._thinking_begun = False

    def run(self, body: dict[str, Any]) -> GenerationStats:
        ticket = self.ticket
        exchange = _Exchange(self.target, "POST", "/chat/completions", body, stream=True)
        ticket.advance(RequestState.PROMPT)
        exchange.start()
        try:
            while True:
                if ticket.cancelled:
                    exchange.abort()
                    ticket.advance(RequestState.DONE)
                    return self._stats("cancelled")
                try:
                    kind, value = exchange.items.get(timeout=POLL_SECONDS)
                except queue.Empty:
                    continue
                if kind == "line":
                    self._line(value)
                elif kind == "end":
                    break
                else:  # "failed": the exchange has ended
                    raise RemoteError(self._failure(value))
        except BaseException:
            exchange.abort()
            with contextlib.suppress(Exception):  # the first failure is the one to tell
                self._flush()  # text held back (a possible tag) is part of what came
            raise
        self._flush()
        if not self.reader.done and self.reader.finish_reason is None:
            raise RemoteError(_dropped(self.target))
        ticket.advance(RequestState.DONE)
        return self._stats(self.reader.finish)

    def _line(self, line: str) -> None:
        try:
            delta = self.reader.line(line)
        except ValueError as error:
            raise RemoteError(f"{self.target.server} sent a broken reply: {error}") from None
        if delta is None or self.ticket.cancelled:
            return
        if self.first is None:
            self.first = time.perf_counter()
        self.ticket.advance(RequestState.GENERATING)
        if delta.reasoning:
            thought = delta.reasoning if self._thinking_begun else delta.reasoning.lstrip()
            if thought:
                self._thinking_begun = True
                self.on_thinking(thought)
        if delta.content:
            self._emit(self.parser.feed(delta.content))

    def _flush(self) -> None:
        if not self.ticket.cancelled:
            self._emit(self.parser.finish())

    def _emit(self, pieces: list[Piece]) -> None:
        for piece in pieces:
            if piece.kind == "answer":
                self.on_text(piece.text)
            elif piece.kind == "thinking":
                self.on_thinking(piece.text)

    def _failure(self, error: BaseException) -> str:
        target = self.target
        if isinstance(error, _HttpStatus):
            return _status_message(target, error, listing=False)
        if isinstance(error, httpx2.ConnectTimeout):
            return (
                f"Could not reach {target.server} at {target.base_url}: it did not answer"
                f" within {min(CONNECT_SECONDS, target.timeout_s):.0f} s."
            )
        if isinstance(error, httpx2.ConnectError):
            return _unreachable(target, error)
        if isinstance(error, httpx2.TimeoutException):
            waited = f"{target.timeout_s:g} s"
            if self.first is None:
                return (
                    f"{target.server} did not begin the reply within {waited}: it may be busy"
                    " or the model too slow for the time limit set for this server."
                )
            return (
                f"{target.server} went silent for {waited} in the middle of the reply and was"
                " given up on. What came so far is kept."
            )
        if isinstance(error, (httpx2.RemoteProtocolError, httpx2.ReadError)):
            return _dropped(target)
        return f"Lost the connection to {target.server}: {error or type(error).__name__}"

    def _stats(self, finish: Any) -> GenerationStats:
        ended = time.perf_counter()
        usage = self.reader.usage
        completion = usage.completion_tokens if usage else self.reader.text_chunks
        prompt = usage.prompt_tokens if usage else 0
        first = self.first if self.first is not None else ended
        ttft = first - self.started
        tokens_per_s = (completion - 1) / (ended - first) if completion > 1 and ended > first else 0
        prompt_per_s = prompt / max(ttft, 1e-9) if prompt else 0.0
        if usage and usage.predicted_per_s:
            tokens_per_s = usage.predicted_per_s
        if usage and usage.prompt_per_s:
            prompt_per_s = usage.prompt_per_s
        return GenerationStats(
            prompt_tokens=prompt,
            prompt_eval_tokens=prompt,
            completion_tokens=completion,
            dropped_messages=0,
            ttft_ms=ttft * 1000 if self.first is not None else 0.0,
            tokens_per_s=float(tokens_per_s),
            prompt_tokens_per_s=float(prompt_per_s),
            total_ms=(ended - self.started) * 1000,
            finish_reason=finish,
        )


def list_models(target: RemoteTarget, ticket: Request | None = None) -> list[tuple[str, int]]:
    """The models ``target``'s server offers (id, context length or 0), by ``GET /models``.

    Raises :class:`RemoteError` saying what went wrong, and
    :class:`~app.engine.errors.LoadCancelled` if ``ticket`` is cancelled meanwhile.
    """
    exchange = _Exchange(target, "GET", "/models", None, stream=False)
    exchange.start()
    while True:
        if ticket is not None and ticket.cancelled:
            exchange.abort()
            raise LoadCancelled("Loading was cancelled")
        try:
            kind, value = exchange.items.get(timeout=POLL_SECONDS)
        except queue.Empty:
            continue
        if kind == "body":
            try:
                return model_ids(json.loads(value))
            except ValueError:
                raise RemoteError(
                    f"{target.server} did not answer with a model list at"
                    f" {target.base_url}/models: is this the address of an OpenAI-compatible"
                    " API (it usually ends in /v1)?"
                ) from None
        if kind == "failed":
            raise RemoteError(_listing_failure(target, value))


def _listing_failure(target: RemoteTarget, error: BaseException) -> str:
    if isinstance(error, _HttpStatus):
        return _status_message(target, error, listing=True)
    if isinstance(error, httpx2.ConnectTimeout):
        return f"Could not reach {target.server} at {target.base_url}: it did not answer."
    if isinstance(error, httpx2.ConnectError):
        return _unreachable(target, error)
    if isinstance(error, httpx2.TimeoutException):
        return f"{target.server} did not list its models within {target.timeout_s:g} s."
    return f"Could not talk to {target.server} at {target.base_url}: {error}"


def _unreachable(target: RemoteTarget, error: BaseException) -> str:
    reason = str(error) or type(error).__name__
    if "refused" in reason.lower():
        reason = "nothing is listening there"
    return (
        f"Could not reach {target.server} at {target.base_url} ({reason}). Is the server running?"
    )


def _dropped(target: RemoteTarget) -> str:
    return (
        f"The connection to {target.server} dropped in the middle of the reply. What came"
        " so far is kept; send again or regenerate once the server is back."
    )


def _status_message(target: RemoteTarget, error: _HttpStatus, *, listing: bool) -> str:
    status, detail = error.status, error.detail
    said = f"HTTP {status}: {detail}" if detail else f"HTTP {status}"
    if status in (401, 403):
        if target.api_key:
            return (
                f"{target.server} refused the API key ({said}). Keep the right key for it:"
                " Models ▸ Remote servers, or"
                f" 'hearth remote add {target.server} {target.base_url} --key-stdin --replace'."
            )
        return (
            f"{target.server} wants an API key ({said}). Add the server again with its key:"
            f" 'hearth remote add {target.server} {target.base_url} --key-stdin --replace'."
        )
    if status == 404 and listing:
        return (
            f"{target.server} has no model list at {target.base_url}/models ({said}): check"
            " the address (it usually ends in /v1)."
        )
    if status == 404:
        return (
            f"{target.server} no longer offers the model {target.model} ({said}). Pick one"
            " of the models it offers now."
        )
    if status in (429, 503):
        return f"{target.server} is busy ({said}); try again shortly."
    if status == 413:
        return f"The conversation is too large for {target.server} ({said})."
    return f"{target.server} could not answer ({said})."


class _HttpStatus(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"HTTP {status}: {detail}")
        self.status = status
        self.detail = detail


class _Exchange:
    """One HTTP request on a daemon thread of its own; what it gets arrives in ``items``:
    ``("line", str)`` for each line of a streamed body, ``("body", bytes)`` for a whole
    one, then ``("end", None)``; or ``("failed", exception)``. :meth:`abort` may be called
    from any thread at any time and ends the connection at once."""

    def __init__(
        self,
        target: RemoteTarget,
        method: str,
        path: str,
        body: dict[str, Any] | None,
        *,
        stream: bool,
    ) -> None:
        self.target = target
        self.items: queue.Queue[tuple[str, Any]] = queue.Queue()
        self._method = method
        self._url = target.base_url.rstrip("/") + path
        self._body = body
        self._stream = stream
        self._aborted = threading.Event()
        self._lock = threading.Lock()
        self._socket: socket.socket | None = None
        self._thread = threading.Thread(target=self._run, name="hearth-remote", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def abort(self) -> None:
        """Ends the exchange: the connection is shut down and nothing more arrives."""
        self._aborted.set()
        with self._lock:
            sock = self._socket
        if sock is not None:
            _shut(sock)

    def _run(self) -> None:
        timeout = httpx2.Timeout(
            self.target.timeout_s, connect=min(CONNECT_SECONDS, self.target.timeout_s)
        )
        headers = {"User-Agent": USER_AGENT}
        if self.target.api_key:
            headers["Authorization"] = f"Bearer {self.target.api_key}"
        if self._stream:
            headers["Accept"] = "text/event-stream"
        try:
            with httpx2.Client(timeout=timeout, headers=headers) as client:
                request = client.build_request(
                    self._method,
                    self._url,
                    json=self._body,
                    extensions={"trace": self._trace},
                )
                response = client.send(request, stream=True)
                try:
                    self._read(response)
                finally:
                    response.close()
        except Exception as error:
            if not self._aborted.is_set():
                log.info("remote request to %s failed: %r", self.target.server, error)
                self.items.put(("failed", error))
            return
        self.items.put(("end", None))

    def _read(self, response: httpx2.Response) -> None:
        if response.status_code >= 400:
            raw = b"".join(response.iter_bytes())
            raise _HttpStatus(response.status_code, parse_error_body(raw))
        if not self._stream:
            self.items.put(("body", response.read()))
            return
        for line in response.iter_lines():
            if self._aborted.is_set():
                return
            self.items.put(("line", line))

    def _trace(self, name: str, info: dict[str, Any]) -> None:
        """httpcore's trace hook: keeps the socket of the connection as soon as it opens."""
        if not name.endswith(".complete"):
            return
        get = getattr(info.get("return_value"), "get_extra_info", None)
        sock = get("socket") if callable(get) else None
        if isinstance(sock, socket.socket):
            with self._lock:
                self._socket = sock
            if self._aborted.is_set():
                _shut(sock)


def _shut(sock: socket.socket) -> None:
    """Ends a connection from any thread: wakes a blocked read and tells the server."""
    # The plain socket's shutdown, also for TLS: no TLS goodbye, just the TCP end.
    with contextlib.suppress(OSError):  # already closed
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


__all__ = ["RemoteError", "RemoteSession", "list_models"]
