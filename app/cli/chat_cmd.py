"""``hearth chat``: a reply streamed to the terminal, stored like any other chat.

With ``-i`` it is a conversation: Ctrl+C stops the current reply and keeps it,
``/new`` starts a new conversation and ``/exit`` (or Ctrl+D) leaves.
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from app.chat.service import ReplyResult, StreamCallbacks
from app.cli.output import error, status
from app.engine.errors import EngineError
from app.hearth import Hearth
from app.library.local_models import ModelNotFoundError
from app.library.starter import STARTER_NAME

TITLE_LENGTH = 60


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = commands.add_parser("chat", help="chat with a model in the terminal")
    parser.add_argument(
        "--model", "-m", default=STARTER_NAME, help="a model's name or a GGUF file's path"
    )
    parser.add_argument("-i", "--interactive", action="store_true", help="keep chatting")
    parser.add_argument(
        "--conversation", "-c", type=int, help="continue this conversation (its id)"
    )
    parser.add_argument("--quiet", "-q", action="store_true", help="print only the reply")
    parser.add_argument("prompt", nargs="*", help="the message to send")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    prompt = " ".join(args.prompt).strip()
    if not prompt and not args.interactive:
        return error("give a message to send, or -i to chat")
    hearth = Hearth.open()
    try:
        try:
            model = hearth.resolve_model(args.model)
        except ModelNotFoundError as problem:
            return error(str(problem))
        say = (lambda _text: None) if args.quiet else status
        say(f"Loading {model.name}...")
        try:
            info = hearth.engine.load(hearth.load_request(model))
        except EngineError as problem:
            return error(str(problem))
        say(f"{model.name} on {info.backend}, context {info.n_ctx:,} tokens")
        conversation_id = args.conversation
        if conversation_id is None and prompt:
            conversation_id = _new_conversation(hearth, prompt)
        code = 0
        if prompt:
            assert conversation_id is not None
            code = _send(hearth, conversation_id, prompt, quiet=args.quiet)
        if args.interactive:
            code = _interactive(hearth, conversation_id, quiet=args.quiet)
        return code
    finally:
        hearth.close()


def _new_conversation(hearth: Hearth, first_message: str) -> int:
    title = first_message.splitlines()[0][:TITLE_LENGTH] if first_message else "New chat"
    return hearth.conversations.create_conversation(title, hearth.chat.model_name).id


def _send(hearth: Hearth, conversation_id: int, text: str, *, quiet: bool) -> int:
    callbacks = StreamCallbacks(on_text=_write, on_reload=lambda: status("Reloading the model..."))
    with _ctrl_c_stops(hearth):
        result = hearth.chat.send(conversation_id, text, callbacks)
    sys.stdout.write("\n")
    sys.stdout.flush()
    if not quiet:
        status(_summary(result))
    return 1 if result.error else 0


def _interactive(hearth: Hearth, conversation_id: int | None, *, quiet: bool) -> int:
    status("Type a message. Ctrl+C stops a reply; /new starts a new chat; /exit leaves.")
    while True:
        try:
            text = input("> ").strip()
        except (EOFError, KeyboardInterrupt):
            sys.stdout.write("\n")
            return 0
        if not text:
            continue
        if text in ("/exit", "/quit"):
            return 0
        if text == "/new":
            conversation_id = None
            status("New conversation.")
            continue
        if conversation_id is None:
            conversation_id = _new_conversation(hearth, text)
        _send(hearth, conversation_id, text, quiet=quiet)


def _write(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def _summary(result: ReplyResult) -> str:
    if result.error:
        return f"[error] {result.error}"
    stats = result.stats
    if stats is None:
        return ""
    parts = []
    if stats.finish_reason == "cancelled":
        parts.append("stopped")
    if stats.completion_tokens:
        parts.append(
            f"{stats.completion_tokens} tokens, {stats.tokens_per_s:.1f} tok/s,"
            f" first token after {stats.ttft_ms:.0f} ms"
        )
    if stats.dropped_messages:
        parts.append(f"{stats.dropped_messages} oldest messages left out to fit the context")
    return f"[{'; '.join(parts)}]" if parts else ""


@contextmanager
def _ctrl_c_stops(hearth: Hearth) -> Iterator[None]:
    """While a reply streams, Ctrl+C stops it (and keeps it) instead of quitting."""

    def stop(_signum: int, _frame: object) -> None:
        hearth.chat.stop()

    previous = signal.signal(signal.SIGINT, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
