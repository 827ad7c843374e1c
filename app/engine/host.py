"""The engine host: the child process that holds one model and runs it.

llama.cpp is native code, and a bad model file, an allocation that fails or a backend
bug ends a process with a signal rather than a Python exception. So the model lives
here, in a process of its own, and the app only ever sees events on a pipe. Ending
this process gives back every byte the model used.

Runs as the target of a ``spawn`` multiprocessing process: nothing here may rely on
state inherited from the parent.
"""

from __future__ import annotations

import codecs
import contextlib
import os
import sys
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from multiprocessing.connection import Connection
from multiprocessing.sharedctypes import Synchronized
from typing import Any

from app.engine.chat_template import CHATML_TEMPLATE, ChatTemplate, ChatTemplateError
from app.engine.context_budget import ContextOverflowError, fit_to_context
from app.engine.protocol import (
    Failed,
    Finished,
    FinishReason,
    GenerateRequest,
    GenerationStats,
    Loaded,
    LoadProgress,
    LoadRequest,
    ModelInfo,
    PromptReady,
    Shutdown,
    TextChunk,
)
from app.engine.stop_strings import StopStringFilter
from app.library.gguf_header import GGUFError, read_gguf_header

# Progress events are sent in steps of this size, not for every tensor.
PROGRESS_STEP = 0.02
# Text is sent at most this often; a slow model's every token goes at once, a fast
# model's tokens are joined, so the pipe costs nothing measurable.
SEND_INTERVAL_SECONDS = 0.008


def host_main(conn: Connection, cancel_upto: Synchronized) -> None:  # type: ignore[type-arg]
    """Serves requests until told to stop or the pipe closes."""
    host: ModelHost | None = None
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        if isinstance(request, Shutdown):
            return
        if isinstance(request, LoadRequest):
            _redirect_native_logs(request.log_path)
            try:
                host = ModelHost.load(request, lambda f: conn.send(LoadProgress(f)))
            except (GGUFError, ChatTemplateError) as error:
                conn.send(Failed(None, type(error).__name__, str(error)))
                continue
            except Exception as error:  # llama-cpp-python raises plain ValueError etc.
                traceback.print_exc()
                conn.send(Failed(None, type(error).__name__, _load_failure_text(error)))
                continue
            conn.send(Loaded(host.info))
        elif isinstance(request, GenerateRequest):
            if host is None:
                conn.send(Failed(request.request_id, "NotLoaded", "no model is loaded"))
                continue
            try:
                host.generate(request, conn.send, _cancel_check(cancel_upto, request.request_id))
            except Exception as error:
                traceback.print_exc()
                conn.send(Failed(request.request_id, type(error).__name__, str(error)))


def _cancel_check(cancel_upto: Synchronized, request_id: int) -> Callable[[], bool]:  # type: ignore[type-arg]
    return lambda: cancel_upto.value >= request_id


def _load_failure_text(error: Exception) -> str:
    text = str(error)
    if "Failed to load model" in text or "failed to load" in text.lower():
        return (
            "llama.cpp could not read this model (a damaged file, or an architecture this"
            " version does not support)"
        )
    return text


def _redirect_native_logs(log_path: str | None) -> None:
    """llama.cpp writes to the C stderr; send it to the log file, not the user's terminal."""
    if not log_path:
        return
    with contextlib.suppress(OSError):
        fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(fd, 2)
        os.close(fd)
        sys.stderr = open(2, "w", closefd=False)  # noqa: SIM115 - lives as long as the process


class ModelHost:
    """One loaded model with its KV cache, kept between turns."""

    def __init__(self, llm: Any, template: ChatTemplate, info: ModelInfo) -> None:
        self.llm = llm
        self.template = template
        self.info = info
        self._eog: Callable[[int], bool] = _eog_checker(llm)

    @classmethod
    def load(cls, request: LoadRequest, on_progress: Callable[[float], None]) -> ModelHost:
        started = time.perf_counter()
        header = read_gguf_header(request.model_path)  # refuses broken files before llama.cpp
        import llama_cpp  # the native library is loaded in the host only

        template, template_source = _pick_template(header.chat_template, request)
        template.validate()  # a hostile template is refused before any weights load
        llm = _load_with_progress(llama_cpp, request, on_progress)
        bos = _token_text(llm, llm.token_bos())
        eos = _token_text(llm, llm.token_eos())
        template = ChatTemplate(template.source, bos_token=bos, eos_token=eos)
        template.validate()
        info = ModelInfo(
            model_path=request.model_path,
            name=header.name,
            n_ctx=llm.n_ctx(),
            n_ctx_train=header.context_length,
            n_layers=header.block_count,
            n_gpu_layers=request.n_gpu_layers,
            backend=_backend_name(llama_cpp, request.n_gpu_layers),
            system_info=llama_cpp.llama_print_system_info().decode(errors="replace").strip(),
            template_source=template_source,
            load_seconds=time.perf_counter() - started,
        )
        return cls(llm, template, info)

    def count_prompt_tokens(self, messages: Sequence[dict[str, str]]) -> int:
        return len(self._tokenize(self.template.render(messages)))

    def _tokenize(self, prompt: str) -> list[int]:
        # The template may write the BOS token itself; never add a second one.
        add_bos = not (self.template.bos_token and prompt.startswith(self.template.bos_token))
        return list(self.llm.tokenize(prompt.encode("utf-8"), add_bos=add_bos, special=True))

    def generate(
        self,
        request: GenerateRequest,
        send: Callable[[Any], None],
        cancelled: Callable[[], bool],
    ) -> None:
        started = time.perf_counter()
        sampling = request.sampling
        n_ctx = self.info.n_ctx
        reply_reserve = max(16, min(sampling.max_tokens, n_ctx // 2))
        try:
            budget = fit_to_context(
                request.messages, self.count_prompt_tokens, n_ctx - reply_reserve
            )
            tokens = self._tokenize(self.template.render(budget.messages))
        except (ChatTemplateError, ContextOverflowError) as error:
            send(Failed(request.request_id, type(error).__name__, str(error)))
            return
        send(PromptReady(request.request_id, len(tokens), budget.dropped))
        reused = _common_prefix(self.llm, tokens)
        if sampling.seed is not None:
            self.llm.set_seed(sampling.seed)
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        stops = StopStringFilter(request.stop)
        completion = 0
        first_token_at: float | None = None
        finish: FinishReason = "length"
        pending: list[str] = []
        last_send = 0.0
        for token in self._tokens(tokens, request):
            if first_token_at is None:
                first_token_at = time.perf_counter()
            if cancelled():
                finish = "cancelled"
                break
            if not request.ignore_eos and self._eog(token):
                finish = "stop"
                break
            completion += 1
            text, stopped = stops.feed(decoder.decode(self.llm.detokenize([token])))
            if text:
                pending.append(text)
                now = time.perf_counter()
                if now - last_send >= SEND_INTERVAL_SECONDS:
                    send(TextChunk(request.request_id, "".join(pending)))
                    pending.clear()
                    last_send = now
            if stopped:
                finish = "stop"
                break
            if completion >= sampling.max_tokens or self.llm.n_tokens >= n_ctx - 1:
                break
        if finish != "stop":
            pending.append(stops.flush(decoder.decode(b"", final=True)))
        if "".join(pending):
            send(TextChunk(request.request_id, "".join(pending)))
        ended = time.perf_counter()
        first = first_token_at or ended
        evaluated = max(1, len(tokens) - reused)
        send(
            Finished(
                request.request_id,
                GenerationStats(
                    prompt_tokens=len(tokens),
                    prompt_eval_tokens=evaluated,
                    completion_tokens=completion,
                    dropped_messages=budget.dropped,
                    ttft_ms=(first - started) * 1000,
                    tokens_per_s=(completion - 1) / (ended - first) if completion > 1 else 0.0,
                    prompt_tokens_per_s=evaluated / max(first - started, 1e-9),
                    total_ms=(ended - started) * 1000,
                    finish_reason=finish,
                ),
            )
        )

    def _tokens(self, prompt: list[int], request: GenerateRequest) -> Iterator[int]:
        sampling = request.sampling
        return iter(
            self.llm.generate(
                prompt,
                top_k=sampling.top_k,
                top_p=sampling.top_p,
                min_p=sampling.min_p,
                temp=sampling.temperature,
                repeat_penalty=sampling.repeat_penalty,
            )
        )


def _pick_template(from_model: str | None, request: LoadRequest) -> tuple[ChatTemplate, Any]:
    if request.chat_template_override:
        return ChatTemplate(request.chat_template_override), "override"
    if from_model:
        return ChatTemplate(from_model), "model"
    return ChatTemplate(CHATML_TEMPLATE), "default"


def _load_with_progress(
    llama_cpp: Any, request: LoadRequest, on_progress: Callable[[float], None]
) -> Any:
    """Builds the Llama object with llama.cpp's load-progress callback attached.

    llama-cpp-python has no argument for the callback, so the default model
    parameters are wrapped for the duration of this one constructor call.
    """
    last_sent = [-1.0]

    def progress(fraction: float, _user_data: Any) -> bool:
        if fraction - last_sent[0] >= PROGRESS_STEP or fraction >= 1.0:
            last_sent[0] = fraction
            on_progress(float(fraction))
        return True

    callback = llama_cpp.llama_progress_callback(progress)
    low_level = llama_cpp.llama_cpp
    original_defaults = low_level.llama_model_default_params

    def defaults_with_progress() -> Any:
        params = original_defaults()
        params.progress_callback = callback
        return params

    low_level.llama_model_default_params = defaults_with_progress
    try:
        return llama_cpp.Llama(
            model_path=request.model_path,
            n_ctx=request.n_ctx,
            n_batch=request.n_batch,
            n_gpu_layers=request.n_gpu_layers,
            n_threads=request.n_threads,
            flash_attn=request.flash_attn,
            # Hearth renders templates itself, sandboxed; keep the library from guessing.
            chat_format="chatml",
            verbose=False,
        )
    finally:
        low_level.llama_model_default_params = original_defaults


def _token_text(llm: Any, token: int) -> str:
    if token < 0:
        return ""
    return bytes(llm.detokenize([token], special=True)).decode("utf-8", errors="replace")


def _eog_checker(llm: Any) -> Callable[[int], bool]:
    import llama_cpp

    vocab = llama_cpp.llama_model_get_vocab(llm.model)
    return lambda token: bool(llama_cpp.llama_vocab_is_eog(vocab, token))


def _common_prefix(llm: Any, tokens: list[int]) -> int:
    cached = llm.n_tokens
    if cached == 0:
        return 0
    previous = llm.input_ids[:cached]
    same = 0
    for a, b in zip(previous, tokens, strict=False):
        if a != b:
            break
        same += 1
    return same


def _backend_name(llama_cpp: Any, n_gpu_layers: int) -> str:
    info = llama_cpp.llama_print_system_info().decode(errors="replace")
    if n_gpu_layers != 0 and llama_cpp.llama_supports_gpu_offload():
        for name in ("CUDA", "Metal", "Vulkan", "ROCm", "SYCL"):
            if name.upper() in info.upper():
                return name
    return "CPU"
