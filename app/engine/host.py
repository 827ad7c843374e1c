"""The engine host: the child process that holds one model and runs it.

llama.cpp is native code, and a bad model file, an allocation that fails or a backend
bug ends a process with a signal rather than a Python exception. So the model lives
here, in a process of its own, and the app only ever sees events on a pipe. Ending
this process gives back every byte the model used.

Runs as the target of a ``spawn`` multiprocessing process: nothing here may rely on
state inherited from the parent.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from multiprocessing.connection import Connection
from multiprocessing.sharedctypes import Synchronized
from typing import Any

from app.engine.builtin_templates import builtin_template
from app.engine.chat_template import ChatTemplate, ChatTemplateError, TemplateRefused
from app.engine.context_budget import BudgetResult, ContextOverflowError, fit_to_context
from app.engine.detokenizer import PieceCache, TextDecoder
from app.engine.exact_drafts import batch_matches_single_tokens
from app.engine.families import (
    FAMILY_MARKERS,
    Family,
    detect_family,
    end_markers,
    family_title,
    hidden_markers,
    tool_call_format,
)
from app.engine.families import thinking_format as family_thinking_format
from app.engine.kv_cache import cache_bytes, llama_arguments, refusal_text
from app.engine.lazy_tools import LazyToolGrammars
from app.engine.prompt_builder import PromptBuilder, RenderedPrompt
from app.engine.protocol import (
    RAW_PROMPT,
    TOOL_CHOICE,
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
    SamplingParams,
    Shutdown,
    TextChunk,
    TextKind,
    ToolCallEvent,
)
from app.engine.reply_parser import Piece, ReplyParser, VerbatimParser
from app.engine.sampler_chain import GrammarError, SamplerChain, check_grammar
from app.engine.speculative import INEXACT_NOTE, build_drafter
from app.engine.stop_strings import StopStringFilter
from app.engine.token_loop import TokenLoop, tokenize
from app.engine.tool_calls import CALL_TOKENS, TOOL_OUTPUT_MARKERS
from app.library.gguf_header import GGUFError, read_gguf_header

# Progress events are sent in steps of this size, not for every tensor.
PROGRESS_STEP = 0.02
# Text is sent at most this often (the window shows about 30 updates a second); the
# first text and a slow model's every token go at once, a fast model's tokens are
# joined. Each send wakes the receiving process, which on a busy machine can take the
# host's core for a while, so fewer sends keep the token loop lean.
SEND_INTERVAL_SECONDS = 0.025


def host_main(conn: Connection, cancel_upto: Synchronized) -> None:  # type: ignore[type-arg]
    """Serves requests until told to stop or the pipe closes."""
    # Ctrl+C in a terminal signals the whole process group: stopping a reply is the
    # parent's business (it asks through the cancel flag), so the host ignores it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # The native library loads while the app is still planning the load (or, for a
    # host started ahead, while the user chooses), not after the request arrives.
    import llama_cpp  # noqa: F401

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
                conn.send(Failed(None, type(error).__name__, _load_failure_text(error, request)))
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


def _load_failure_text(error: Exception, request: LoadRequest) -> str:
    refused = refusal_text(request.kv_type, request.flash_attn, error)
    if refused:
        return refused
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


# Special tokens that carry a reply's structure (thinking, harmony channels): they reach
# the reply parser as text. Any other control token is never shown.
STRUCTURE_TOKENS = frozenset(
    {
        "<think>",
        "</think>",
        "[THINK]",
        "[/THINK]",
        "<|channel|>",
        "<|message|>",
        "<|start|>",
        "<|end|>",
        "<|constrain|>",
        "<|return|>",
        "<|call|>",
    }
)


class ModelHost:
    """One loaded model with its KV cache, kept between turns."""

    def __init__(
        self,
        llm: Any,
        prompts: PromptBuilder,
        info: ModelInfo,
        drafter: Any = None,
        exact_drafts: bool = True,
    ) -> None:
        self.llm = llm
        # Speculative decoding's drafter (app.engine.speculative), or None; used at
        # temperature 0 only where a batch's logits are exactly each token's own
        # (app.engine.exact_drafts), so drafts never change a greedy reply.
        self.drafter = drafter
        self.exact_drafts = exact_drafts
        self.prompts = prompts
        self.info = info
        self._vocab = _vocab(llm)
        family: Family | None = info.family  # type: ignore[assignment]
        self._end_markers = end_markers(family) if family else ()
        self._hidden_markers = hidden_markers(family) if family else ()
        self._thinking_format = family_thinking_format(family) if family else "tags"
        self._tool_format = tool_call_format(family)
        self._loop = TokenLoop(llm)
        self._message_sizes: dict[str, int] = {}
        # Structure goes to the parser, an end marker to the stop filter, a call's
        # markup to the call reader when tools are offered; no other control token.
        self._pieces = PieceCache(
            self._vocab, STRUCTURE_TOKENS | set(self._end_markers), CALL_TOKENS
        )
        self._call_grammars = LazyToolGrammars(
            self._tool_format,
            lambda text: llm.tokenize(text.encode("utf-8"), add_bos=False, special=True),
            lambda token: int(_llama().llama_vocab_get_attr(self._vocab, token)),
        )

    @classmethod
    def load(cls, request: LoadRequest, on_progress: Callable[[float], None]) -> ModelHost:
        started = time.perf_counter()
        header = read_gguf_header(request.model_path)  # refuses broken files before llama.cpp
        import llama_cpp  # the native library is loaded in the host only

        source, template_source = _template_source(header.chat_template, request)
        if source is not None:
            _refuse_if_hostile(source)  # before any weights load
        llm = _load_with_progress(llama_cpp, request, on_progress)
        family = detect_family(_special_tokens(llm, FAMILY_MARKERS), source)
        bos = _token_text(llm, llm.token_bos())
        eos = _token_text(llm, llm.token_eos())
        prompts, notes = _prompt_builder(source, family, bos, eos)
        if source is None:
            template_source = "default"
        drafter, speculative, speculative_note = build_drafter(
            request.speculative,
            request.draft_model_path,
            llm,
            lambda path: _load_with_progress(
                llama_cpp, replace(request, model_path=path), lambda _f: None
            ),
        )
        exact_batches = None
        if drafter is not None:
            exact_batches = request.exact_batches
            if exact_batches is None:
                exact_batches = batch_matches_single_tokens(llm)
            if not exact_batches:
                speculative_note = INEXACT_NOTE
        info = ModelInfo(
            model_path=request.model_path,
            name=header.name,
            n_ctx=llm.n_ctx(),
            kv_type=request.kv_type,
            kv_bytes=cache_bytes(header, llm.n_ctx(), request.kv_type),
            n_ctx_train=header.context_length,
            n_layers=header.block_count,
            n_gpu_layers=request.n_gpu_layers,
            backend=_backend_name(llama_cpp, request.n_gpu_layers),
            system_info=llama_cpp.llama_print_system_info().decode(errors="replace").strip(),
            template_source=template_source,
            load_seconds=time.perf_counter() - started,
            family=family,
            template_note=notes,
            supports_system=prompts.supports_system,
            supports_thinking_toggle=prompts.supports_thinking_toggle,
            thinking_default=prompts.thinking_default,
            supports_effort=prompts.supports_effort,
            speculative=speculative,
            speculative_note=speculative_note,
            exact_batches=exact_batches,
        )
        return cls(llm, prompts, info, drafter, exact_batches is not False)

    def _drafter_for(self, sampling: SamplingParams) -> Any:
        """The drafter for a reply: none for a greedy one where drafts could change it."""
        if sampling.temperature == 0.0 and not self.exact_drafts:
            return None
        return self.drafter

    def _render(
        self, messages: Sequence[dict[str, Any]], options: dict[str, Any], *, forced: bool = False
    ) -> Any:
        return self.prompts.render(messages, options=options, describe_tools=not forced)

    def _tokenize(self, prompt: str) -> list[int]:
        # The template may write the BOS token itself; never add a second one.
        bos = self.prompts.template.bos_token
        add_bos = not (bos and prompt.startswith(bos))
        return tokenize(self._vocab, prompt.encode("utf-8"), add_bos=add_bos, special=True)

    def _message_tokens(self, message: dict[str, Any]) -> int:
        """A message's own tokens, a guess at what it adds to a prompt (the context
        budget's estimate); kept per text, since a chat sends its history every turn."""
        content = message.get("content")
        text = content if isinstance(content, str) else str(content or "")
        found = self._message_sizes.get(text)
        if found is None:
            if len(self._message_sizes) > 4096:
                self._message_sizes.clear()
            size = len(tokenize(self._vocab, text.encode("utf-8"), add_bos=False, special=False))
            found = self._message_sizes[text] = size + 4  # and the turn's own markup
        return found

    def _raw_prompt(self, text: str, budget: int) -> tuple[Any, list[int]]:
        """A prompt sent as written (no template), tokenized as llama.cpp's own
        completion does: the model's BOS where its vocabulary asks for one."""
        tokens = self._tokenize(text)
        if len(tokens) > budget:
            raise ContextOverflowError(
                f"the prompt is {len(tokens):,} tokens, more than the {budget:,} the context"
                " leaves for it; raise the context length or shorten the prompt"
            )
        return RenderedPrompt(text, False, None, starts_in_thinking=False), tokens

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
        # The raw prompt and a remote server's tool choice are no template variables.
        raw_prompt = request.options.get(RAW_PROMPT)
        options = {
            key: value
            for key, value in request.options.items()
            if key not in (RAW_PROMPT, TOOL_CHOICE)
        }

        # Each candidate the budget tries is rendered and tokenized once; the one it
        # keeps (the whole chat, when it fits) is not rendered again. Candidates are the
        # instructions plus a suffix of the chat, so their length tells them apart.
        tried: dict[int, tuple[Any, list[int]]] = {}

        def count(messages: Sequence[dict[str, Any]]) -> int:
            # A grammar that forces the call writes its syntax: no tools note then.
            rendered = self._render(messages, options, forced=bool(request.grammar))
            tried[len(messages)] = (rendered, self._tokenize(rendered.text))
            return len(tried[len(messages)][1])

        try:
            if isinstance(raw_prompt, str):
                rendered, tokens = self._raw_prompt(raw_prompt, n_ctx - reply_reserve)
                budget = BudgetResult([], len(tokens), 0)
            else:
                budget = fit_to_context(
                    request.messages, count, n_ctx - reply_reserve, self._message_tokens
                )
                rendered, tokens = tried.get(len(budget.messages)) or (None, [])
            if rendered is None:
                count(budget.messages)
                rendered, tokens = tried[len(budget.messages)]
            grammar = request.grammar or None
            if grammar:
                check_grammar(self._vocab, grammar)
        except (ChatTemplateError, ContextOverflowError, GrammarError) as error:
            send(Failed(request.request_id, type(error).__name__, str(error)))
            return
        send(PromptReady(request.request_id, len(tokens), budget.dropped))
        loop = self._loop
        reused = loop.cached_prefix(tokens)
        # Benchmarks generate past the end of a reply, family end markers included.
        ends = () if request.ignore_eos else self._end_markers
        stops = StopStringFilter((*request.stop, *ends))
        tools_offered = bool(options.get("tools"))
        parser: ReplyParser | VerbatimParser = (
            VerbatimParser()
            if isinstance(raw_prompt, str)
            else ReplyParser(
                self._thinking_format,  # type: ignore[arg-type]
                starts_in_thinking=rendered.starts_in_thinking,
                # The chat layer's delimiters round tool output; a model echoing them shows none.
                hidden_markers=(
                    *self._hidden_markers,
                    *(TOOL_OUTPUT_MARKERS if tools_offered else ()),
                ),
                tools_offered=tools_offered,
                tool_format=self._tool_format,
            )
        )
        # With tools offered and no grammar set ("auto"), a call the model starts is held
        # to the tools' schemas from its opener on.
        wants_calls = request.options.get(TOOL_CHOICE) != "none"
        lazy = (
            self._call_grammars.for_tools(options["tools"])
            if tools_offered and wants_calls and not grammar
            else None
        )
        outbox = _Outbox(request.request_id, send)
        pieces = self._pieces.entries(tools_offered)
        piece = self._pieces.entry
        decoder = TextDecoder()
        decode = decoder.decode
        held: list[str] = []  # decoded text not yet through the stop strings and parser
        no_ender = stops.enders.isdisjoint
        clock = time.perf_counter
        ends_on_eog = not request.ignore_eos
        completion = 0
        first_token_at: float | None = None
        loop_ended = 0.0
        finish: FinishReason = "length"
        with SamplerChain(self._vocab, self.llm.n_vocab(), sampling, grammar, lazy) as chain:
            if not loop.evaluate_prompt(tokens, cancelled):
                finish = "cancelled"
            else:
                drafter = self._drafter_for(sampling)
                if hasattr(drafter, "cancelled"):
                    drafter.cancelled = cancelled  # a draft model's prompt stops too
                replies = loop.tokens(chain.pointer, drafter)
                for token in replies:
                    if first_token_at is None:
                        first_token_at = time.perf_counter()
                    if cancelled():
                        finish = "cancelled"
                        break
                    entry = pieces.get(token) or piece(token, tools_offered)
                    if entry[1] and ends_on_eog:
                        finish = "stop"
                        break
                    completion += 1
                    text = decode(entry[0])
                    # Text goes through the stop strings and the parser when it may end
                    # the reply (it holds a stop string's last character) or may be sent;
                    # until then it is only gathered, so a token costs a few look-ups.
                    if text:
                        held.append(text)
                        if not no_ender(text) or clock() >= outbox.due:
                            text, stopped = stops.feed("".join(held))
                            held.clear()
                            if text:
                                outbox.add(parser.feed(text))
                            if stopped:
                                finish = "stop"
                                break
                    if completion >= sampling.max_tokens or loop.n_tokens >= n_ctx - 1:
                        break
                replies.close()
                loop_ended = time.perf_counter()
        if held:
            # Gathered since the last feed (a reply that ended on its own, was stopped or
            # hit its limit): it holds no stop string's last character, so cannot stop.
            text, _ = stops.feed("".join(held))
            if text:
                outbox.add(parser.feed(text))
        if finish != "stop":
            tail = stops.flush(decoder.finish())
            if tail:
                outbox.add(parser.feed(tail))
        outbox.add(parser.finish())
        outbox.flush()
        if outbox.calls and finish == "stop":
            finish = "tool_calls"
        ended = time.perf_counter()
        first = first_token_at or ended
        evaluated = max(1, len(tokens) - reused)
        timings = loop.timings
        sampled = max(1, timings.sampled)
        in_loop = loop_ended - timings.started if first_token_at is not None else 0.0
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
                    decode_ms_per_token=timings.decode_s * 1000 / max(1, timings.decoded),
                    sample_ms_per_token=timings.sample_s * 1000 / sampled,
                    other_ms_per_token=max(
                        0.0, (in_loop - timings.decode_s - timings.sample_s) * 1000 / sampled
                    ),
                    draft_tokens=timings.drafted,
                    accepted_tokens=timings.accepted,
                    prompt_decode_ms=loop.prompt_decode_s * 1000,
                ),
            )
        )


class _Outbox:
    """Joins a reply's pieces and sends them at most every SEND_INTERVAL_SECONDS.

    Consecutive pieces of one kind are joined; a change of kind sends what came before,
    so thinking and answer text never mix in one chunk.
    """

    def __init__(self, request_id: int, send: Callable[[Any], None]) -> None:
        self._request_id = request_id
        self._send = send
        self._kind: TextKind = "answer"
        self._parts: list[str] = []
        # When the next text may be sent (perf_counter): the first goes at once.
        self.due = 0.0
        self.calls = 0

    def add(self, pieces: Sequence[Piece]) -> None:
        for piece in pieces:
            if piece.kind == "tool_call":
                self.flush()  # the text before a call arrives before it
                self._send(ToolCallEvent(self._request_id, piece.call))
                self.calls += 1
                continue
            if not piece.text:
                continue
            if piece.kind != self._kind and self._parts:
                self.flush()
            self._kind = piece.kind
            self._parts.append(piece.text)
        now = time.perf_counter()
        if self._parts and now >= self.due:
            self.flush()
            self.due = now + SEND_INTERVAL_SECONDS

    def flush(self) -> None:
        if self._parts:
            self._send(TextChunk(self._request_id, "".join(self._parts), self._kind))
            self._parts.clear()


def _template_source(from_model: str | None, request: LoadRequest) -> tuple[str | None, Any]:
    if request.chat_template_override:
        return request.chat_template_override, "override"
    if from_model:
        return from_model, "model"
    return None, "default"


def _refuse_if_hostile(source: str) -> None:
    """A template that reaches for Python internals is refused; other faults wait for
    the prompt builder, which falls back to a built-in template."""
    try:
        ChatTemplate(source).validate()
    except TemplateRefused:
        raise
    except ChatTemplateError:
        pass


def _prompt_builder(
    source: str | None, family: Family | None, bos: str, eos: str
) -> tuple[PromptBuilder, str]:
    """The model's template (or the family's built-in one), and a note for the user."""
    note = ""
    template: ChatTemplate | None = None
    if source is not None:
        try:
            template = ChatTemplate(source, bos_token=bos, eos_token=eos)
        except TemplateRefused:
            raise
        except ChatTemplateError as error:
            note = (
                f"This model's own chat template cannot be used ({error}); Hearth uses its"
                f" built-in {family_title(family)} template."
            )
    elif family is not None:
        title = family_title(family)
        note = f"This model has no chat template; Hearth uses its built-in {title} template."
    if template is None:
        template = ChatTemplate(builtin_template(family or "chatml"), bos_token=bos, eos_token=eos)
    prompts = PromptBuilder(template, family)
    return prompts, " ".join(part for part in (note, prompts.template_note) if part)


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
    # The library compiles the file's templates with a Jinja of its own; a template with a
    # syntax error would fail the load there. Hearth renders templates itself.
    formats = llama_cpp.llama_chat_format
    original_formatter = formats.Jinja2ChatFormatter
    formats.Jinja2ChatFormatter = _UnusedChatFormatter
    try:
        return llama_cpp.Llama(
            model_path=request.model_path,
            n_ctx=request.n_ctx,
            n_batch=request.n_batch,
            n_gpu_layers=request.n_gpu_layers,
            n_threads=request.n_threads,
            # Threads the user set hold for prompts too (llama.cpp's -t); the library would
            # take every core for them, which stalls on a machine that is busy.
            n_threads_batch=request.n_threads,
            flash_attn=request.flash_attn,
            **llama_arguments(request.kv_type),
            # Hearth renders templates itself, sandboxed; keep the library from guessing.
            chat_format="chatml",
            verbose=False,
        )
    finally:
        low_level.llama_model_default_params = original_defaults
        formats.Jinja2ChatFormatter = original_formatter


class _UnusedChatFormatter:
    """Stands in for the library's template compiler while a model loads."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def to_chat_handler(self) -> None:
        return None


def _token_text(llm: Any, token: int) -> str:
    if token < 0:
        return ""
    return bytes(llm.detokenize([token], special=True)).decode("utf-8", errors="replace")


_CONTROL_ATTR = 1 << 3  # LLAMA_TOKEN_ATTR_CONTROL
_SPECIAL_ATTRS = _CONTROL_ATTR | 1 << 4  # ... | LLAMA_TOKEN_ATTR_USER_DEFINED


def _llama() -> Any:
    import llama_cpp

    return llama_cpp


def _vocab(llm: Any) -> Any:
    import llama_cpp

    return llama_cpp.llama_model_get_vocab(llm.model)


def _special_tokens(llm: Any, candidates: Iterable[str]) -> set[str]:
    """Which of ``candidates`` the vocabulary holds as one special token each."""
    import llama_cpp

    vocab = _vocab(llm)
    found = set()
    for text in candidates:
        tokens = llm.tokenize(text.encode("utf-8"), add_bos=False, special=True)
        if len(tokens) == 1 and llama_cpp.llama_vocab_get_attr(vocab, tokens[0]) & _SPECIAL_ATTRS:
            found.add(text)
    return found


def _backend_name(llama_cpp: Any, n_gpu_layers: int) -> str:
    info = llama_cpp.llama_print_system_info().decode(errors="replace")
    if n_gpu_layers != 0 and llama_cpp.llama_supports_gpu_offload():
        for name in ("CUDA", "Metal", "Vulkan", "ROCm", "SYCL"):
            if name.upper() in info.upper():
                return name
    return "CPU"
