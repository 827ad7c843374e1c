"""The engine as the rest of the app sees it: the model in use, loaded in its own process.

Loading another model starts a new host and ends the old one only once the new one
is ready, so a failed or cancelled load leaves the previous model usable. If the host
dies, the error says how, and the next request starts a new host and reloads.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from app.engine.errors import EngineCrashed, EngineError, LoadCancelled, ModelLoadError
from app.engine.process import EngineProcess, OnPrompt, OnText
from app.engine.protocol import GenerationStats, LoadRequest, ModelInfo, SamplingParams

log = logging.getLogger(__name__)


class Engine:
    """Holds at most one loaded model. Thread-safe for one caller plus cancels."""

    def __init__(self, log_path: str | None = None) -> None:
        self._log_path = log_path
        self._process: EngineProcess | None = None
        self._request: LoadRequest | None = None
        self._loading: EngineProcess | None = None
        self._lock = threading.RLock()
        # Set by Stop; a request that is still reloading a crashed model sees it too.
        self._stop = threading.Event()

    @property
    def info(self) -> ModelInfo | None:
        return self._process.info if self._process else None

    @property
    def load_request(self) -> LoadRequest | None:
        return self._request

    @property
    def host_pid(self) -> int | None:
        return self._process.pid if self._process else None

    def load(
        self,
        request: LoadRequest,
        on_progress: Callable[[float], None] | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> ModelInfo:
        """Loads ``request``'s model in a new host; the old one ends only on success."""
        if self._log_path and request.log_path is None:
            request = _with_log(request, self._log_path)
        try:
            candidate, info = self._start(request, on_progress, cancelled)
        except (ModelLoadError, EngineCrashed) as error:
            if request.n_gpu_layers == 0:
                raise
            # The GPU could not take it (driver, memory, unsupported op): use the CPU.
            log.warning("GPU load failed, falling back to the CPU: %s", error)
            request = replace(
                request,
                n_gpu_layers=0,
                flash_attn=False,
                offload_reason=f"On the CPU: loading on the GPU failed ({error})",
            )
            candidate, info = self._start(request, on_progress, cancelled)
        info = replace(info, offload_reason=request.offload_reason)
        candidate.info = info
        with self._lock:
            previous, self._process, self._request = self._process, candidate, request
        if previous:
            previous.close()
        return info

    def _start(
        self,
        request: LoadRequest,
        on_progress: Callable[[float], None] | None,
        cancelled: Callable[[], bool] | None = None,
    ) -> tuple[EngineProcess, ModelInfo]:
        candidate = EngineProcess()
        self._loading = candidate
        try:
            return candidate, candidate.load(request, on_progress, cancelled)
        except BaseException:
            candidate.close()
            raise
        finally:
            self._loading = None

    def cancel_load(self) -> None:
        loading = self._loading
        if loading:
            loading.cancel_load()

    def generate(
        self,
        messages: list[dict[str, Any]],
        sampling: SamplingParams,
        on_text: OnText,
        *,
        on_prompt: OnPrompt | None = None,
        on_reload: Callable[[], None] | None = None,
        on_thinking: OnText | None = None,
        stop: tuple[str, ...] = (),
        ignore_eos: bool = False,
        options: dict[str, Any] | None = None,
        grammar: str | None = None,
    ) -> GenerationStats:
        self._stop.clear()
        try:
            process = self._ready_process(on_reload)
        except LoadCancelled:
            if not self._stop.is_set():
                raise
            # Stop came while a crashed model was being reloaded: nothing was generated.
            return _stopped_before_start()
        return process.generate(
            messages,
            sampling,
            on_text,
            on_prompt=on_prompt,
            on_thinking=on_thinking,
            stop=stop,
            ignore_eos=ignore_eos,
            options=options,
            grammar=grammar,
            stop_requested=self._stop.is_set,
        )

    def _ready_process(self, on_reload: Callable[[], None] | None) -> EngineProcess:
        with self._lock:
            process, request = self._process, self._request
        if request is None:
            raise EngineError("No model is loaded")
        if process is None or not process.is_alive():
            # The host died earlier (a crash was reported then): start over.
            if on_reload:
                on_reload()
            self.load(request, cancelled=self._stop.is_set)
            with self._lock:
                process = self._process
        assert process is not None
        return process

    def cancel(self) -> None:
        """Stops the reply in progress, even one still reloading the model. Any thread."""
        self._stop.set()
        process = self._process
        if process:
            process.cancel()

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
