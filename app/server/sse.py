"""Server-sent events through sse-starlette, with the reply cancelled when the stream ends.

Whatever ends a stream (the client disconnecting, the server stopping, an error while
sending) runs ``on_close``, which cancels the reply. The disconnect handler calls it
first, so a client that goes away stops its generation at once, not when the next
piece of text fails to send.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from typing import Any

from sse_starlette import EventSourceResponse, ServerSentEvent

# Keep-alive comments while a reply waits its turn or thinks quietly, in seconds.
PING_SECONDS = 15


def event(data: dict[str, Any] | str, name: str | None = None) -> ServerSentEvent:
    """One event: a JSON object (or a literal string such as ``[DONE]``)."""
    text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    return ServerSentEvent(data=text, event=name, sep="\n")


def sse_response(
    events: AsyncIterator[ServerSentEvent],
    on_close: Callable[[], None],
    headers: dict[str, str] | None = None,
) -> EventSourceResponse:
    async def stream() -> AsyncIterator[ServerSentEvent]:
        try:
            async for item in events:
                yield item
        finally:
            on_close()

    async def client_gone(_message: Any) -> None:
        on_close()

    return EventSourceResponse(
        stream(),
        headers=headers,
        ping=PING_SECONDS,
        sep="\n",
        client_close_handler_callable=client_gone,
    )
