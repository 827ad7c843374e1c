"""The name a model is kept under in the database: its model key.

Per-model settings (``model_settings.model_key``) and the model of each reply and
conversation (``messages.model``, ``conversations.model``) use it. A key must tell
apart two repositories' files of the same name (``ggml-model-Q4_K_M.gguf`` is common),
and should survive moving the models folder. So:

- a file inside the models folder: its path relative to the folder, with ``/``
  (``<owner>/<repo>/<file>``, see :mod:`app.hub.layout`);
- the starter model: its file name (it is unique, and its absolute path changes with
  every install);
- any other file (imported where it lies, opened by path): its absolute path;
- a model on a remote server: its reference, ``remote:SERVER/MODEL`` (app.remote.refs).

Earlier versions keyed every model by its bare file name; see
:mod:`app.store.model_rekey` for how those rows move to the keys above.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path, PurePath

from app.library.starter import starter_model_path
from app.remote.refs import is_remote_ref

_SPLIT_SUFFIX = re.compile(r"-\d{5}-of-\d{5}(?=\.gguf$)", re.IGNORECASE)


@functools.cache
def _starter() -> Path | None:
    path = starter_model_path()
    return path.resolve() if path else None


def _resolved(path: Path) -> Path:
    try:
        return path.expanduser().resolve()
    except OSError:  # an unreadable link: the path as given, made absolute
        return path.expanduser().absolute()


def model_key(model_path: str | PurePath, models_dir: Path | None) -> str:
    """The key of the model file at ``model_path``, with ``models_dir`` the models folder."""
    if is_remote_ref(str(model_path)):  # also as a Path (the API server holds one)
        return str(model_path)
    path = _resolved(Path(model_path))
    if path == _starter():
        return path.name
    if models_dir is not None:
        folder = _resolved(models_dir)
        if path.is_relative_to(folder):
            return path.relative_to(folder).as_posix()
    return str(path)


def key_label(key: str | None) -> str:
    """A short name for a key, for lists: the file name without ``.gguf`` or split suffix."""
    if not key:
        return "No model"
    if is_remote_ref(key):
        server, _, model = key[len("remote:") :].partition("/")
        return f"{PurePath(model).name or model} ({server})"
    name = PurePath(key.replace("\\", "/")).name
    name = _SPLIT_SUFFIX.sub("", name)
    return name[: -len(".gguf")] if name.lower().endswith(".gguf") else name


def is_bare_key(key: str) -> bool:
    """A key as versions before repo-and-path keys wrote it: a file name, no folder."""
    return "/" not in key and "\\" not in key


class ModelKeys:
    """Model keys for one models folder, which may change while Hearth runs."""

    def __init__(self, models_dir: Path | None) -> None:
        self.models_dir = models_dir

    def __call__(self, model_path: str | PurePath) -> str:
        return model_key(model_path, self.models_dir)


__all__ = ["ModelKeys", "is_bare_key", "key_label", "model_key"]
