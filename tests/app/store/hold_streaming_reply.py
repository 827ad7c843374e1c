"""Child process for the writer tests: a Hearth that holds one reply mid-stream.

Usage: python hold_streaming_reply.py  (with HEARTH_HOME set)

Opens Hearth the way the window and the command line do, starts a reply (status
"streaming"), prints its message id, then waits. A line "finish" on stdin completes the
reply and exits normally; a kill leaves it streaming, as a crash would.
"""

from __future__ import annotations

import sys

from app.hearth import Hearth


def main() -> None:
    hearth = Hearth.open()
    store = hearth.conversations
    conversation = store.create_conversation("Held reply", "test-model")
    question = store.add_message(conversation.id, None, "user", "Tell me a long story.")
    reply = store.add_message(
        conversation.id,
        question.id,
        "assistant",
        "Once upon",
        model="test-model",
        status="streaming",
    )
    print(reply.id, flush=True)
    if sys.stdin.readline().strip() == "finish":
        store.update_message(reply.id, content="Once upon a time.", status="complete")
    hearth.close()


if __name__ == "__main__":
    main()
