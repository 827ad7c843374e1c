"""Opens everything a front end needs: folders, the database, the stores and the engine.

The window and the command line both start here, so they share one set of rules for
where things live and how a model is loaded with its saved settings.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from app.chat.service import ChatService, model_key
from app.engine.engine import Engine
from app.engine.protocol import LoadRequest
from app.hardware import MachineInfo, detect_machine
from app.hardware.memory_now import MemoryReader, process_memory, refresh_memory
from app.hardware.offload import OffloadPlan
from app.library.fit import ModelShape
from app.library.gguf_header import GGUFError, GGUFHeader, read_gguf_header
from app.library.imports import ImportRegistry
from app.library.local_models import LocalModel, list_local_models, resolve_model
from app.library.models_folder import with_chosen_models_folder
from app.library.preflight import LoadChoice, preflight
from app.library.switch_plan import plan_with_switch
from app.logging_setup import configure_logging
from app.paths import HearthPaths, hearth_paths
from app.store.conversations import ConversationStore
from app.store.database import Database
from app.store.model_settings import ModelSettingsStore
from app.store.writers import writer_lease

log = logging.getLogger(__name__)

# The context used when a model's settings name none: enough for long chats, small
# enough for the KV cache of a 7B model to stay modest.
DEFAULT_CONTEXT = 4096
# More layers than any model has: a header claiming more is corrupt (and planning for
# it would allocate per-layer lists of that length).
MAX_LAYERS = 10_000


@dataclass
class Hearth:
    paths: HearthPaths
    database: Database
    conversations: ConversationStore
    model_settings: ModelSettingsStore
    engine: Engine
    chat: ChatService
    interrupted_on_start: int = 0
    _machine: MachineInfo | None = None
    # Reads free memory now (plus what would be freed); tests hand in a recorded machine's.
    read_memory: MemoryReader = refresh_memory

    @classmethod
    def open(cls, paths: HearthPaths | None = None) -> Hearth:
        paths = with_chosen_models_folder(paths or hearth_paths()).ensure()
        configure_logging(paths.log_file)
        database = Database.open(paths.database)
        # Replies this process streams record its writer lease, so another Hearth opening
        # on the same folder (the CLI beside the window) leaves them streaming.
        conversations = ConversationStore(database, writer=writer_lease(paths.database))
        interrupted = conversations.mark_interrupted()
        if interrupted:
            log.warning("%d replies were interrupted when Hearth last stopped", interrupted)
        model_settings = ModelSettingsStore(database)
        engine = Engine(log_path=str(paths.logs / "engine.log"))
        chat = ChatService(conversations, model_settings, engine)
        return cls(paths, database, conversations, model_settings, engine, chat, interrupted)

    def close(self) -> None:
        self.engine.unload()
        self.database.close()

    def local_models(self) -> list[LocalModel]:
        return list_local_models(self.paths.models, self.imported_models())

    def resolve_model(self, name_or_path: str) -> LocalModel:
        return resolve_model(name_or_path, self.paths.models, self.imported_models())

    def imported_models(self) -> list[Path]:
        """GGUF files the user imported, used where they lie (see app.library.imports)."""
        return ImportRegistry.in_folder(self.paths.config).paths()

    def machine(self) -> MachineInfo:
        """This computer, probed once per session; a load reads its memory again."""
        if self._machine is None:
            self._machine = detect_machine()
        return self._machine

    def load_request(self, model: LocalModel, choice: LoadChoice | None = None) -> LoadRequest:
        """How to load ``model``: its saved settings, its header and this machine's memory.

        With a ``choice``, the preflight check runs first: ``LoadChoice.CHECK`` raises
        ``ModelDoesNotFit`` (with the numbers) for a model that cannot fit, before any
        weights load; ``CPU`` / ``PARTLY_GPU`` load it anyway as the user chose.
        """
        settings = self.model_settings.get(model_key(str(model.path)))
        header, shape = _model_header(model.path)
        trained = header.context_length or DEFAULT_CONTEXT
        n_ctx = settings.context_length or min(trained, DEFAULT_CONTEXT)
        plan, end_previous_first = self._plan(shape, n_ctx, choice, settings.gpu_layers, model)
        arguments = plan.llama_kwargs()
        return LoadRequest(
            model_path=str(model.path),
            n_ctx=n_ctx,
            n_gpu_layers=arguments["n_gpu_layers"],
            flash_attn=arguments["flash_attn"],
            chat_template_override=settings.chat_template_override,
            offload_reason=plan.reason,
            end_previous_first=end_previous_first,
        )

    def _plan(
        self,
        shape: ModelShape,
        n_ctx: int,
        choice: LoadChoice | None,
        gpu_layers: int | None,
        model: LocalModel,
    ) -> tuple[OffloadPlan, bool]:
        """The load plan on memory read now, and whether the loaded model must end first."""

        def plan_on(machine: MachineInfo) -> OffloadPlan:
            return preflight(
                shape,
                machine,
                n_ctx,
                choice=choice,
                override=gpu_layers,
                model_path=str(model.path),
            )

        machine = self.machine()
        now = self.read_memory(machine)
        held_ram, held_vram = process_memory(self.engine.host_pid)
        if not held_ram and not held_vram:
            return plan_on(now), False
        freed = self.read_memory(machine, add_ram=held_ram, add_vram=held_vram)
        return plan_with_switch(plan_on, now, freed)


def _model_header(path: Path) -> tuple[GGUFHeader, ModelShape]:
    """The header of a model file and its shape; :class:`GGUFError` if it cannot be a model.

    Besides the reader's own checks, values of the wrong type (a context length that is
    text, say), an absurd layer count and a file without weights are refused here, so
    every broken file ends in one clear error rather than a traceback.
    """
    try:
        header = read_gguf_header(path)
        layers = header.block_count
        if not 0 <= layers <= MAX_LAYERS:
            raise GGUFError(f"{path.name} claims {layers:,} layers: its header is corrupt")
        if not header.tensors and _split_count(header) <= 1:
            raise GGUFError(f"{path.name} holds no weights: it is not a model")
        header.context_length  # noqa: B018 - read now, so a corrupt value is caught here
        return header, ModelShape.from_header(header)
    except GGUFError:
        raise
    except (ArithmeticError, LookupError, TypeError, ValueError) as problem:
        raise GGUFError(f"{path.name} has a corrupt header ({problem})") from None


def _split_count(header: GGUFHeader) -> int:
    """How many files a split model spans (its first file may hold no weights)."""
    count = header.get("split.count", 1)
    return count if isinstance(count, int) else 1
