"""Hearth's OpenAI- and Anthropic-compatible HTTP API over the same engine as the window.

- :mod:`app.server.config`: what the server binds to and what it allows.
- :mod:`app.server.guard`: the checks every request passes first (host, key, origin, size).
- :mod:`app.server.errors`: errors in OpenAI's (or Anthropic's) shape, with their status.
- :mod:`app.server.requests_openai`, :mod:`app.server.requests_anthropic`: request
  bodies read and checked into a :class:`~app.server.jobs.ChatJob`.
- :mod:`app.server.grammar`: ``response_format`` as a GBNF grammar.
- :mod:`app.server.backend`: the models offered, just-in-time loading, kept conversations.
- :mod:`app.server.reply`: one reply run through the engine's scheduler, as async events.
- :mod:`app.server.routes_openai`, :mod:`app.server.routes_anthropic`: the endpoints.
- :mod:`app.server.sse`: server-sent events, with a cancel when the client goes.
- :mod:`app.server.app`: the ASGI application; :mod:`app.server.runner`: uvicorn on a thread.
"""
