"""The OpenAI endpoints: models, chat completions, completions, embeddings."""

from __future__ import annotations

import anyio
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from app.server import fields
from app.server.backend import Backend, OfferedModel
from app.server.errors import ApiError
from app.server.format_openai import ChatFormat, CompletionFormat
from app.server.requests_openai import chat_job, completion_job, embedding_inputs
from app.server.serving import serve


def _backend(request: Request) -> Backend:
    backend: Backend = request.app.state.backend
    return backend


async def list_models(request: Request) -> Response:
    models = await anyio.to_thread.run_sync(_backend(request).models)
    return JSONResponse({"object": "list", "data": [_model(m) for m in models]})


async def get_model(request: Request) -> Response:
    wanted = request.path_params["model_id"]
    models = await anyio.to_thread.run_sync(_backend(request).models)
    for model in models:
        if model.id.lower() == wanted.lower():
            return JSONResponse(_model(model))
    raise ApiError(404, f"There is no model '{wanted}' on offer", code="model_not_found")


async def chat_completions(request: Request) -> Response:
    backend = _backend(request)
    body = fields.json_object(await request.body())
    # Reading a response_format schema imports llama.cpp's grammar code: off the loop.
    job = await anyio.to_thread.run_sync(chat_job, body, backend.max_tokens)
    return await serve(request, backend, job, ChatFormat(job.include_usage))


async def completions(request: Request) -> Response:
    backend = _backend(request)
    job = completion_job(fields.json_object(await request.body()), backend.max_tokens)
    return await serve(request, backend, job, CompletionFormat(job.include_usage))


async def embeddings(request: Request) -> Response:
    embedding_inputs(fields.json_object(await request.body()))
    raise ApiError(
        400,
        "No embedding model is loaded: the model Hearth has loaded writes text and cannot"
        " make embeddings",
        code="embeddings_unsupported",
        param="model",
    )


def _model(model: OfferedModel) -> dict[str, object]:
    return {"id": model.id, "object": "model", "created": model.created, "owned_by": "hearth"}


ROUTES = [
    Route("/v1/models", list_models, methods=["GET"]),
    Route("/v1/models/{model_id:path}", get_model, methods=["GET"]),
    Route("/v1/chat/completions", chat_completions, methods=["POST"]),
    Route("/v1/completions", completions, methods=["POST"]),
    Route("/v1/embeddings", embeddings, methods=["POST"]),
]
