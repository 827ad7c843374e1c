"""What the API serves: the models on offer, which one a request gets, and running it.

The server shares the window's engine and its queue (:class:`~app.engine.scheduler.Scheduler`,
lane ``"server"``). A request naming the loaded model (or none) uses it. A request naming
another local model loads it in its turn when the user allows just-in-time loading;
otherwise it gets a 404 that says how to allow it. Only models Hearth lists can be
loaded this way (never a path a client sends).

Routes see only the :class:`Backend` protocol, the seam for serving other engines' models.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol, cast

from app.chat.service import sampling_from
from app.engine.errors import EngineCrashed, ModelLoadError
from app.engine.families import Family, tool_call_format
from app.engine.process import OnText, OnToolCall
from app.engine.protocol import RAW_PROMPT, TOOL_CHOICE, GenerationStats, ModelInfo
from app.engine.request import Request, RequestState
from app.engine.scheduler import QueueCancelled, Scheduler, cancelled_before_start
from app.hearth import Hearth
from app.library.local_models import LocalModel
from app.library.preflight import LoadChoice, ModelDoesNotFit
from app.library.starter import STARTER_NAME, starter_model_path
from app.server.config import ServerConfig
from app.server.errors import ApiError
from app.server.jobs import ChatJob
from app.server.keeper import ConversationKeeper

log = logging.getLogger(__name__)

SERVER_LANE = "server"
_SPLIT_SUFFIX = re.compile(r"-\d{5}-of-\d{5}$", re.IGNORECASE)


@dataclass(frozen=True)
class OfferedModel:
    id: str
    path: Path
    loaded: bool
    created: int  # the file's modification time (Unix seconds)


@dataclass(frozen=True)
class Target:
    """The model a request will run on: its id, and its file (None: whatever is loaded)."""

    model_id: str
    path: Path | None


@dataclass(frozen=True)
class Turn:
    """Where a request's reply began: after how long a wait, on which model."""

    waited_s: float
    model_id: str
    prompt_tokens: int


OnBegan = Callable[[Turn], None]


class Backend(Protocol):
    """What the routes need from whatever serves the models (the seam for other engines)."""

    max_tokens: int  # the most tokens one request may ask for

    def models(self) -> list[OfferedModel]: ...

    def target(self, requested: str | None) -> Target: ...

    def run(
        self,
        job: ChatJob,
        target: Target,
        ticket: Request,
        *,
        on_began: OnBegan,
        on_text: OnText,
        on_thinking: OnText,
        on_tool_call: OnToolCall,
    ) -> GenerationStats: ...

    def cancel_all(self) -> None: ...


class LocalBackend:
    """The models on this computer, through the engine the window uses. Thread-safe."""

    def __init__(
        self,
        hearth: Hearth,
        config: ServerConfig,
        *,
        scheduler: Scheduler | None = None,
        on_model_loaded: Callable[[ModelInfo], None] | None = None,
    ) -> None:
        self.hearth = hearth
        self.scheduler = scheduler or Scheduler.of(hearth.engine)
        self.queue_limit = config.queue_limit
        self.max_tokens = config.max_tokens
        # Switches the window may change while the server runs.
        self.allow_jit_loading = config.allow_jit_loading
        self.keep_conversations = config.keep_conversations
        self.on_model_loaded = on_model_loaded
        self._keeper = ConversationKeeper(hearth.conversations)
        self._tickets: set[Request] = set()

    # The models on offer ---------------------------------------------------------------

    def loaded_path(self) -> Path | None:
        request = self.hearth.engine.load_request
        return Path(request.model_path) if request else None

    def models(self) -> list[OfferedModel]:
        """The loaded model, then (when just-in-time loading is on) every other local one."""
        loaded = self.loaded_path()
        offered: list[OfferedModel] = []
        if loaded is not None:
            offered.append(_offered(model_id(loaded), loaded, True))
        if self.allow_jit_loading:
            for model in self._local_models():
                if loaded is None or not _same_file(model.path, loaded):
                    offered.append(_offered(model.name, model.path, False))
        return offered

    def target(self, requested: str | None) -> Target:
        """The model a request naming ``requested`` runs on; a 404/503 if there is none.

        May walk the models folder: call it off the event loop.
        """
        loaded = self.loaded_path()
        if requested and (loaded is None or not _names(requested, loaded)):
            return self._local_target(requested)
        if loaded is None:
            raise ApiError(
                503,
                "No model is loaded in Hearth: load one in the window (or with"
                " 'hearth serve --model')",
                code="model_not_loaded",
            )
        # Named: that file, checked again in its turn. Not named: whatever is loaded then.
        return Target(model_id(loaded), loaded if requested else None)

    def _local_target(self, requested: str) -> Target:
        if not self.allow_jit_loading:
            loaded = self.loaded_path()
            offered = f"'{model_id(loaded)}'" if loaded else "no model"
            raise ApiError(
                404,
                f"The model '{requested}' is not loaded: this server offers {offered}. To"
                " load models by name, allow loading on request in Hearth's server"
                " settings (or 'hearth serve --jit').",
                code="model_not_found",
                param="model",
            )
        for model in self._local_models():
            if _names(requested, model.path) or requested.lower() == model.name.lower():
                return Target(model.name, model.path)
        raise ApiError(
            404,
            f"There is no model '{requested}' on this computer; GET /v1/models lists them",
            code="model_not_found",
            param="model",
        )

    # Running a reply -------------------------------------------------------------------

    def run(
        self,
        job: ChatJob,
        target: Target,
        ticket: Request,
        *,
        on_began: OnBegan,
        on_text: OnText,
        on_thinking: OnText,
        on_tool_call: OnToolCall,
    ) -> GenerationStats:
        """Waits for the turn, loads the model if asked and allowed, and streams the reply.

        Blocks: call it on a thread of its own. Raises the engine's errors, ApiError and
        QueueFull (a full queue).
        """
        self._tickets.add(ticket)
        answer: list[str] = []
        thinking: list[str] = []
        try:
            with self.scheduler.turn(SERVER_LANE, ticket, max_waiting=self.queue_limit) as waited:
                if ticket.cancelled:
                    ticket.advance(RequestState.DONE)
                    return cancelled_before_start()
                model_path = self._ensure_loaded(target, ticket)
                settings = self.hearth.model_settings.get(self.hearth.model_key(model_path))
                sampling = job.sampling_over(sampling_from(settings))
                if "max_tokens" not in job.sampling:
                    sampling = replace(
                        sampling, max_tokens=min(sampling.max_tokens, self.max_tokens)
                    )

                def prompt_ready(tokens: int, _dropped: int) -> None:
                    on_began(Turn(waited, target.model_id, tokens))

                def answer_text(text: str) -> None:
                    answer.append(text)
                    on_text(text)

                def thinking_text(text: str) -> None:
                    thinking.append(text)
                    on_thinking(text)

                options, grammar = self._prompt_options(job)
                stats = self.hearth.engine.generate(
                    job.messages,
                    sampling,
                    answer_text,
                    on_prompt=prompt_ready,
                    on_thinking=thinking_text,
                    on_tool_call=on_tool_call,
                    stop=job.stop,
                    options=options,
                    # A forced call's, the request's format, else the model's saved grammar.
                    grammar=grammar or job.grammar or settings.grammar or None,
                    ticket=ticket,
                )
        except QueueCancelled:  # the client went away while it waited
            return cancelled_before_start()
        except EngineCrashed:
            self.hearth.engine.forget_crashed()  # the next request starts a new host
            raise
        finally:
            self._tickets.discard(ticket)
        if self.keep_conversations:
            self._keep(job, target, "".join(answer), "".join(thinking), stats)
        return stats

    def cancel_all(self) -> None:
        """Cancels every API request, waiting or running (the server is stopping)."""
        for ticket in list(self._tickets):
            ticket.cancel()

    def _ensure_loaded(self, target: Target, ticket: Request) -> Path:
        """The model for ``target``, loaded now if another one is (only when allowed)."""
        loaded = self.loaded_path()
        if target.path is None or (loaded is not None and _same_file(target.path, loaded)):
            if loaded is None:
                raise ApiError(503, "No model is loaded in Hearth", code="model_not_loaded")
            return loaded
        if not self.allow_jit_loading:
            raise ApiError(
                404,
                f"The model '{target.model_id}' is no longer loaded",
                code="model_not_found",
                param="model",
            )
        model = LocalModel(target.model_id, target.path, 0)
        try:
            request = self.hearth.load_request(model, LoadChoice.CHECK)
        except ModelDoesNotFit as refusal:
            raise ApiError(503, str(refusal), code="model_does_not_fit") from None
        except ModelLoadError as refusal:  # an embedding model: no chat
            raise ApiError(400, str(refusal), code="model_not_supported", param="model") from None
        log.info("loading %s for an API request", target.model_id)
        info = self.hearth.engine.load(request, ticket=ticket)
        if self.on_model_loaded is not None:
            self.on_model_loaded(info)
        return target.path

    def _prompt_options(self, job: ChatJob) -> tuple[dict[str, Any], str | None]:
        """What the engine is given beside the messages: the template's switches and
        tools (or the raw prompt), and the grammar of a call the reply must make."""
        if job.raw_prompt is not None:
            return {RAW_PROMPT: job.raw_prompt}, None
        options = self._switches(job.options)
        offer = job.tools
        if offer is None:
            return options, None
        options["tools"] = offer.specs()
        loaded = self.hearth.engine.load_request
        if loaded is not None and loaded.remote is not None:
            options[TOOL_CHOICE] = offer.remote_choice()  # the remote server enforces it
            return options, None
        info = self.hearth.engine.info
        family = cast("Family | None", info.family if info else None)
        return options, offer.grammar(tool_call_format(family))

    def _switches(self, asked: dict[str, Any]) -> dict[str, Any]:
        """The thinking switches asked for that the loaded model's template offers."""
        info = self.hearth.engine.info
        switches: dict[str, Any] = {}
        if "enable_thinking" in asked and (info is None or info.supports_thinking_toggle):
            switches["enable_thinking"] = asked["enable_thinking"]
        if "reasoning_effort" in asked and (info is None or info.supports_effort):
            switches["reasoning_effort"] = asked["reasoning_effort"]
        return switches

    def _keep(
        self, job: ChatJob, target: Target, answer: str, thinking: str, stats: GenerationStats
    ) -> None:
        path = target.path or self.loaded_path()
        key = self.hearth.model_key(path) if path else None
        try:
            # A raw completion is kept as a chat whose question is the prompt.
            raw = [{"role": "user", "content": job.raw_prompt}] if job.raw_prompt else []
            self._keeper.keep(job.messages or raw, answer, thinking, stats, key)
        except Exception:  # the reply was served; failing to keep it must not fail it
            log.exception("could not keep an API conversation")

    def _local_models(self) -> list[LocalModel]:
        return self.hearth.local_models()


def model_id(path: Path) -> str:
    """The name the API offers a model file under: the starter's name, else the file's."""
    starter = starter_model_path()
    if starter is not None and _same_file(path, starter):
        return STARTER_NAME
    return _SPLIT_SUFFIX.sub("", path.name.removesuffix(".gguf"))


def _names(requested: str, path: Path) -> bool:
    """Does ``requested`` name the model at ``path`` (its id, file name or stem)?"""
    wanted = requested.strip().lower()
    return wanted in {model_id(path).lower(), path.name.lower(), path.stem.lower()}


def _same_file(a: Path, b: Path) -> bool:
    """The same model path (a link to a model is a model of its own in Hearth's list)."""
    return os.path.normpath(a.absolute()) == os.path.normpath(b.absolute())


def _offered(identifier: str, path: Path, loaded: bool) -> OfferedModel:
    try:
        created = int(path.stat().st_mtime)
    except OSError:
        created = 0
    return OfferedModel(identifier, path, loaded, created)
