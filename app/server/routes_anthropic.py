"""The Anthropic endpoint: ``POST /v1/messages`` (whole and streamed)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.server import fields
from app.server.backend import Backend
from app.server.format_anthropic import MessagesFormat
from app.server.requests_anthropic import messages_job
from app.server.serving import serve


async def messages(request: Request) -> Response:
    backend: Backend = request.app.state.backend
    job = messages_job(fields.json_object(await request.body()), backend.max_tokens)
    return await serve(request, backend, job, MessagesFormat())


ROUTES = [Route("/v1/messages", messages, methods=["POST"])]
