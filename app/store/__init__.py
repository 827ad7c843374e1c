"""Hearth's store: one SQLite file with conversations, messages and per-model settings.

Open it with :meth:`Database.open`, then hand the database to :class:`ConversationStore`
and :class:`ModelSettingsStore`. See ``database.py`` for how threads share it and
``migrations.py`` for the schema.
"""

from app.store.conversations import ConversationStore
from app.store.database import Database
from app.store.errors import (
    NotFoundError,
    NotHearthDatabaseError,
    SchemaTooNewError,
    StoreError,
)
from app.store.export import export_json, export_markdown
from app.store.model_settings import ModelSettingsStore
from app.store.records import (
    Conversation,
    Message,
    MessageStatus,
    ModelSettings,
    SearchHit,
)

__all__ = [
    "Conversation",
    "ConversationStore",
    "Database",
    "Message",
    "MessageStatus",
    "ModelSettings",
    "ModelSettingsStore",
    "NotFoundError",
    "NotHearthDatabaseError",
    "SchemaTooNewError",
    "SearchHit",
    "StoreError",
    "export_json",
    "export_markdown",
]
