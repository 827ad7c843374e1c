"""Opens everything a front end needs: folders, the database, the stores and the engine.

The window and the command line both start here, so they share one set of rules for
where things live and how a model is loaded with its saved settings.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from app.chat.service import ChatService
from app.engine.engine import Engine
from app.engine.errors import ModelLoadError
from app.engine.protocol import LoadRequest
from app.engine.speculative import DRAFT, flash_attention_for, mode_or_default
from app.hardware import MachineInfo, detect_machine
from app.hardware.memory_now import (
    MemoryReader,
    process_memory,
    refresh_memory,
    with_reserved,
)
from app.hardware.offload import OffloadPlan
from app.hardware.units import format_gb
from app.library.context_choice import choose_context
from app.library.fit import ModelShape, place
from app.library.gguf_header import GGUFError, GGUFHeader, read_gguf_header
from app.library.imports import ImportRegistry
from app.library.local_models import (
    LocalModel,
    is_embedding_header,
    list_local_models,
    resolve_model,
)
from app.library.model_keys import ModelKeys
from app.library.models_folder import with_chosen_models_folder
from app.library.preflight import LoadChoice, preflight
from app.library.switch_plan import plan_with_switch
from app.logging_setup import configure_logging
from app.paths import HearthPaths, hearth_paths
from app.settings import SettingsFile
from app.store.conversations import ConversationStore
from app.store.database import Database
from app.store.model_rekey import pending_bare_names, rekey_bare_names
from app.store.model_settings import ModelSettingsStore
from app.store.writers import writer_lease
from app.tools.toolbox import ToolBox

if TYPE_CHECKING:
    from app.tools.mcp.manager import McpManager

log = logging.getLogger(__name__)

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
    settings: SettingsFile  # the one owner of settings.json
    keys: ModelKeys  # the names models are kept under in the database
    interrupted_on_start: int = 0
    _machine: MachineInfo | None = None
    # Reads free memory now (plus what would be freed); tests hand in a recorded machine's.
    read_memory: MemoryReader = refresh_memory
    _mcp: McpManager | None = None
    _mcp_lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def open(cls, paths: HearthPaths | None = None) -> Hearth:
        paths = paths or hearth_paths()
        settings = SettingsFile(paths.settings_file)
        paths = with_chosen_models_folder(paths, settings).ensure()
        configure_logging(paths.log_file)
        database = Database.open(paths.database)
        keys = ModelKeys(paths.models)
        _settle_bare_model_names(database, paths, keys)
        # Replies this process streams record its writer lease, so another Hearth opening
        # on the same folder (the CLI beside the window) leaves them streaming.
        conversations = ConversationStore(database, writer=writer_lease(paths.database))
        interrupted = conversations.mark_interrupted()
        if interrupted:
            log.warning("%d replies were interrupted when Hearth last stopped", interrupted)
        model_settings = ModelSettingsStore(database)
        engine = Engine(log_path=str(paths.logs / "engine.log"))
        chat = ChatService(conversations, model_settings, engine, key_of=keys)
        hearth = cls(
            paths,
            database,
            conversations,
            model_settings,
            engine,
            chat,
            settings,
            keys,
            interrupted,
        )
        # Each chat's Python scratch folder lives with the data: its pictures are shown
        # in the chat for as long as the chat is kept.
        chat.toolbox = ToolBox(lambda: hearth.mcp, python_scratch=paths.data / "python")
        return hearth

    @property
    def mcp(self) -> McpManager:
        """The MCP servers' client, made on first use (the SDK takes a while to import);
        its servers start when a chat first offers their tools."""
        with self._mcp_lock:
            if self._mcp is None:
                from app.tools.mcp.manager import McpManager

                self._mcp = McpManager.for_paths(self.paths)
            return self._mcp

    def close(self) -> None:
        self.engine.unload()
        with self._mcp_lock:
            mcp, self._mcp = self._mcp, None
        if mcp is not None:
            mcp.close()
        self.database.close()

    def local_models(self) -> list[LocalModel]:
        """Walks the models folder: call it off the GUI thread."""
        return list_local_models(self.paths.models, self.imported_models())

    def model_key(self, model_path: str | Path) -> str:
        """The name ``model_path``'s settings and replies are kept under."""
        return self.keys(model_path)

    def use_paths(self, paths: HearthPaths) -> None:
        """From now on use ``paths`` (another models folder was chosen)."""
        self.paths = paths
        self.keys.models_dir = paths.models

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
        settings = self.model_settings.get(self.model_key(model.path))
        header, shape = _model_header(model.path)
        if is_embedding_header(header):
            raise ModelLoadError(
                f"{model.name} is an embedding model: it turns text into vectors for"
                " searching documents and cannot chat. Choose it as the documents'"
                " embedding model (hearth docs embedder) and pick a chat model here."
            )
        kv_type = settings.kv_cache_type or "f16"
        context = choose_context(shape, self.machine(), settings.context_length, kv_type=kv_type)
        n_ctx = context.n_ctx
        speculative = mode_or_default(settings.speculative)
        draft_path = self._draft_path(settings.draft_model)
        draft_bytes = _draft_bytes(draft_path, n_ctx, kv_type) if speculative == DRAFT else 0
        plan, end_previous_first = self._plan(
            shape,
            n_ctx,
            choice,
            settings.gpu_layers,
            model,
            kv_type,
            flash_attention_for(speculative),
            draft_bytes,
        )
        arguments = plan.llama_kwargs()
        return LoadRequest(
            model_path=str(model.path),
            n_ctx=n_ctx,
            n_gpu_layers=arguments["n_gpu_layers"],
            flash_attn=arguments["flash_attn"],
            kv_type=plan.kv_cache_type,
            chat_template_override=settings.chat_template_override,
            offload_reason=plan.reason,
            end_previous_first=end_previous_first,
            speculative=speculative,
            draft_model_path=draft_path,
        )

    def _draft_path(self, key: str | None) -> str | None:
        """The file of a draft model kept under ``key`` (as written if none is found:
        the host then says it could not be loaded)."""
        if not key:
            return None
        for candidate in (Path(key), self.paths.models / key):
            if candidate.is_file():
                return str(candidate)
        try:
            return str(self.resolve_model(key).path)
        except LookupError:
            return key

    def _plan(
        self,
        shape: ModelShape,
        n_ctx: int,
        choice: LoadChoice | None,
        gpu_layers: int | None,
        model: LocalModel,
        kv_type: str = "f16",
        flash_attn: bool | None = None,
        draft_bytes: int = 0,
    ) -> tuple[OffloadPlan, bool]:
        """The load plan on memory read now, and whether the loaded model must end first.

        ``draft_bytes``: a draft model loaded beside it, in the same host and with the same
        GPU layers: counted in RAM, or on the GPU where the plan puts layers there.
        """

        def plan_for(machine: MachineInfo, on_gpu: bool) -> OffloadPlan:
            return preflight(
                shape,
                with_reserved(machine, draft_bytes, on_gpu=on_gpu),
                n_ctx,
                choice=choice,
                override=gpu_layers,
                kv_type=kv_type,
                model_path=str(model.path),
                flash_attn=flash_attn,
            )

        def plan_on(machine: MachineInfo) -> OffloadPlan:
            plan = plan_for(machine, on_gpu=False)
            if draft_bytes and plan.n_gpu_layers:
                plan = plan_for(machine, on_gpu=True)
            if not draft_bytes:
                return plan
            counted = f"A draft model of {format_gb(draft_bytes)} is counted beside it."
            return replace(plan, reason=f"{plan.reason} {counted}")

        machine = self.machine()
        now = self.read_memory(machine)
        held_ram, held_vram = process_memory(self.engine.host_pid)
        if not held_ram and not held_vram:
            return plan_on(now), False
        freed = self.read_memory(machine, add_ram=held_ram, add_vram=held_vram)
        return plan_with_switch(plan_on, now, freed)


def _draft_bytes(path: str | None, n_ctx: int, kv_type: str) -> int:
    """The memory a draft model takes at ``n_ctx`` (0 if its file cannot be read: the
    host then says the draft could not be loaded, and loads the model without it)."""
    if not path:
        return 0
    try:
        _header, shape = _model_header(Path(path))
    except (GGUFError, OSError):
        return 0
    return place(shape, n_ctx, 0, kv_type, flash_attn=True).cpu_bytes


def _settle_bare_model_names(database: Database, paths: HearthPaths, keys: ModelKeys) -> None:
    """Rows kept under a bare file name (before step 6) move to their model's key.

    Only when some are left to settle: the models folder is walked then, once.
    """
    if not pending_bare_names(database):
        return
    imported = ImportRegistry.in_folder(paths.config).paths()
    keys_by_name: dict[str, list[str]] = {}
    for model in list_local_models(paths.models, imported):
        keys_by_name.setdefault(model.path.name, []).append(keys(model.path))
    result = rekey_bare_names(database, keys_by_name)
    if result.moved or result.copied:
        log.info("model keys: moved %s, copied %s", result.moved, result.copied)
    if result.waiting:
        log.info("model keys: no model on disk for %s yet", ", ".join(result.waiting))


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
