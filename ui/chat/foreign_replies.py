"""The replies on screen that another Hearth process is writing.

The command line beside the window writes its replies into the same database, half a
second at a time. A chat opened while such a reply is streaming was shown as the
database held it at that moment, and stayed that way: an empty reply that never ended.
This follows those replies: each poll reads them again (by id, a few rows), and says
which changed, so the view shows them grow and end. A writer that died mid-reply leaves
its reply "streaming" with no change; after ``STALE_S`` without one,
:meth:`due_for_lease_check` says so, and the window runs the store's own start-up repair
off the GUI thread (it marks a reply interrupted only if its writer's lease is gone).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from app.store.conversations import ConversationStore
from app.store.errors import NotFoundError
from app.store.records import Message

# A live writer stores its reply every half second while text comes; a prompt being
# evaluated can take longer, so this only decides how often the lease is looked at.
STALE_S = 3.0


@dataclass
class _Followed:
    seen: tuple[str, str, str]  # status, content, reasoning as last shown
    changed_at: float


class ForeignReplies:
    """Which shown replies another process writes, and what changed in them since."""

    def __init__(
        self, conversations: ConversationStore, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._conversations = conversations
        self._clock = clock
        self._followed: dict[int, _Followed] = {}

    @property
    def following(self) -> bool:
        return bool(self._followed)

    def follow(self, shown: Iterable[Message], live_id: int | None) -> None:
        """Starts over with the streaming replies among ``shown`` (all but this window's
        own live reply, ``live_id``)."""
        now = self._clock()
        self._followed = {
            message.id: _Followed(_state(message), now)
            for message in shown
            if message.role == "assistant"
            and message.status == "streaming"
            and message.id != live_id
        }

    def forget(self, message_id: int) -> None:
        """This window's own reply after all (it had begun before the chat was shown)."""
        self._followed.pop(message_id, None)

    def due_for_lease_check(self) -> bool:
        """Whether a followed reply has not changed for ``STALE_S`` (its writer may have
        died); then not again for another ``STALE_S``."""
        now = self._clock()
        if not any(now - followed.changed_at >= STALE_S for followed in self._followed.values()):
            return False
        for followed in self._followed.values():
            followed.changed_at = max(followed.changed_at, now)
        return True

    def poll(self) -> list[Message]:
        """The followed replies whose stored state changed since the last poll; those
        that ended (or were deleted) are followed no more."""
        changed: list[Message] = []
        now = self._clock()
        for message_id, followed in list(self._followed.items()):
            try:
                message = self._conversations.get_message(message_id)
            except NotFoundError:
                del self._followed[message_id]
                continue
            state = _state(message)
            if state != followed.seen:
                followed.seen, followed.changed_at = state, now
                changed.append(message)
            if message.status != "streaming":
                del self._followed[message_id]
        return changed


def _state(message: Message) -> tuple[str, str, str]:
    return message.status, message.content, message.reasoning or ""
