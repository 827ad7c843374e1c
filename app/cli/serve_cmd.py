"""``hearth serve``: the OpenAI- and Anthropic-compatible API on this computer.

Loads a model (``--model``, else the one last used in the window, else the starter
model) and serves it until Ctrl+C. Loopback only unless ``--host`` says otherwise, and
then only with an API key (``--api-key`` or the ``HEARTH_API_KEY`` environment
variable, which keeps the key out of the process list). ``--jit`` and
``--keep-conversations`` override the window's server settings for this run.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from app.cli.chat_cmd import _load as load_model
from app.cli.output import error, one_line, status
from app.hearth import Hearth
from app.library.starter import STARTER_NAME
from app.server.config import (
    DEFAULT_HOST,
    DEFAULT_MAX_TOKENS,
    DEFAULT_PORT,
    DEFAULT_QUEUE_LIMIT,
    ServerConfig,
    ServerConfigError,
    with_app_settings,
)
from app.settings import AppSettings

API_KEY_VARIABLE = "HEARTH_API_KEY"


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = commands.add_parser(
        "serve", help="serve models over an OpenAI- and Anthropic-compatible API"
    )
    parser.add_argument("--model", "-m", help="the model to load (a name or a GGUF path)")
    parser.add_argument(
        "--host", default=DEFAULT_HOST, help=f"address to listen on (default {DEFAULT_HOST})"
    )
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0: any)"
    )
    parser.add_argument(
        "--api-key",
        help=f"require this key from clients (required off loopback; or ${API_KEY_VARIABLE})",
    )
    parser.add_argument(
        "--jit",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="load another local model when a request names it (default: the window's setting)",
    )
    parser.add_argument(
        "--keep-conversations",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="store API requests and replies as chats (default: the window's setting)",
    )
    parser.add_argument(
        "--allow-host",
        action="append",
        default=[],
        metavar="NAME",
        help="another Host header name to answer to (repeatable; '*' for any)",
    )
    parser.add_argument(
        "--cors-origin",
        action="append",
        default=[],
        metavar="URL",
        help="a web page origin allowed to call the API (repeatable)",
    )
    parser.add_argument(
        "--queue-limit",
        type=int,
        default=DEFAULT_QUEUE_LIMIT,
        help=f"requests that may wait for the model before 503 (default {DEFAULT_QUEUE_LIMIT})",
    )
    parser.add_argument(
        "--max-tokens",
        type=int,
        default=DEFAULT_MAX_TOKENS,
        help=f"the most tokens one request may ask for (default {DEFAULT_MAX_TOKENS})",
    )
    parser.set_defaults(run=run)


def config_from(args: argparse.Namespace, settings: AppSettings) -> ServerConfig:
    config = with_app_settings(
        ServerConfig(
            host=args.host,
            port=args.port,
            api_key=args.api_key or os.environ.get(API_KEY_VARIABLE) or None,
            allowed_hosts=tuple(args.allow_host),
            cors_origins=tuple(args.cors_origin),
            queue_limit=args.queue_limit,
            max_tokens=args.max_tokens,
        ),
        settings,
    )
    if args.jit is not None:
        config = replace(config, allow_jit_loading=args.jit)
    if args.keep_conversations is not None:
        config = replace(config, keep_conversations=args.keep_conversations)
    return config


def run(args: argparse.Namespace) -> int:
    # The web stack loads only for this command, not for every ``hearth`` command.
    from app.server.backend import LocalBackend
    from app.server.runner import ServerRunner

    hearth = Hearth.open()
    try:
        settings = hearth.settings.read()
        config = config_from(args, settings)
        try:
            config.check()
        except ServerConfigError as problem:
            return error(str(problem))
        wanted = args.model or _last_model(settings.last_model) or STARTER_NAME
        if load_model(hearth, wanted, status) is None:
            return 1
        runner = ServerRunner(LocalBackend(hearth, config), config)
        stop_asked = threading.Event()
        with _ctrl_c_asks_to_stop(stop_asked):
            try:
                url = runner.start()
            except ServerConfigError as problem:
                return error(one_line(str(problem)))
            status(f"Serving at {url}  (OpenAI: {url}/chat/completions, Anthropic: {url}/messages)")
            if config.allow_jit_loading:
                status("Requests may name any local model; it is loaded in its turn.")
            status("Press Ctrl+C to stop.")
            runner.wait(stop_asked)
            try:
                status("Stopping...")
                runner.stop()
            except KeyboardInterrupt:  # a second Ctrl+C: leave without waiting
                return 130
        return 0
    finally:
        hearth.close()


@contextlib.contextmanager
def _ctrl_c_asks_to_stop(stop_asked: threading.Event) -> Iterator[None]:
    """While serving, the first Ctrl+C only sets ``stop_asked``: an interrupt raised
    wherever the main thread happened to be could escape the command with the server
    and the engine hosts still up (seen once: the process never ended). A second one
    raises as usual."""

    def ask(_signum: int, _frame: object) -> None:
        stop_asked.set()
        signal.signal(signal.SIGINT, signal.default_int_handler)

    previous = signal.signal(signal.SIGINT, ask)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _last_model(path: str | None) -> str | None:
    return path if path and Path(path).is_file() else None
