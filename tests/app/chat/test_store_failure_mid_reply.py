"""The store failing under a streaming reply: the user is told, the model stops, and the
reply is marked as failed (not as "Hearth closed") once the store answers again."""

from __future__ import annotations

import sqlite3
import threading

from app.chat.service import StreamCallbacks
from app.engine.protocol import SamplingParams
from app.hearth import Hearth
from app.store.records import ModelSettings


def test_a_store_error_mid_reply_is_shown_and_stored_as_an_error(loaded: Hearth):
    key = loaded.chat.model_name or ""
    loaded.model_settings.save(
        ModelSettings(model_key=key, max_tokens=3000, seed=7, temperature=0.8)
    )
    conversation = loaded.conversations.create_conversation("locked", key).id
    blocker = sqlite3.connect(
        loaded.paths.database, isolation_level=None, timeout=1, check_same_thread=False
    )
    locked = threading.Event()

    def lock_the_store(_text: str) -> None:
        if not locked.is_set():
            locked.set()
            # Another program takes the database's write lock and keeps it for longer
            # than the store waits for it (5 s).
            blocker.execute("BEGIN EXCLUSIVE")
            threading.Timer(6.5, lambda: blocker.execute("COMMIT")).start()

    result = loaded.chat.send(
        conversation, "Write a very long story.", StreamCallbacks(on_text=lock_the_store)
    )
    assert result.error is not None and "could not be saved" in result.error
    assert result.message.status == "error"
    # The model was stopped, not left writing: it answers the next request at once.
    reply: list[str] = []
    stats = loaded.engine.generate(
        [{"role": "user", "content": "Hi"}], SamplingParams(max_tokens=4), reply.append
    )
    assert stats.completion_tokens > 0
    stored = loaded.conversations.get_message(result.message.id)
    assert stored.status == "error" and "could not be saved" in (stored.error or "")
    blocker.close()
