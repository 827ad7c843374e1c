"""Child process for the crash test: streams a reply into the store until it is killed.

Usage: python stream_until_killed.py DB_PATH

After every commit it prints ``<message id> <committed length>`` and flushes, so the
parent knows exactly what must survive a kill at any moment. The reply text is
``reply_text(n)``, which the parent rebuilds to check the stored text word for word.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from app.store import ConversationStore, Database

QUESTION = "Tell me a very long story, please."


def reply_text(words: int) -> str:
    """The reply after ``words`` streamed words."""
    return "".join(f"word{number} " for number in range(1, words + 1))


def main(db_path: Path) -> None:
    db = Database.open(db_path)
    store = ConversationStore(db)
    conversation = store.create_conversation("Crash test", "test-model")
    question = store.add_message(conversation.id, None, "user", QUESTION)
    print(question.id, len(question.content), flush=True)
    reply = store.add_message(
        conversation.id, question.id, "assistant", "", model="test-model", status="streaming"
    )
    print(reply.id, 0, flush=True)
    words = 0
    while True:
        words += 1
        text = reply_text(words)
        store.update_message(reply.id, content=text, completion_tokens=words)
        print(reply.id, len(text), flush=True)
        time.sleep(0.002)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
