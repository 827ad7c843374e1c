"""``hearth chat``: a reply streamed to the terminal, stored like any other chat.

With ``-i`` it is a conversation: Ctrl+C stops the current reply and keeps it,
``/new`` starts a new conversation and ``/exit`` (or Ctrl+D) leaves.

The answer alone goes to stdout; the model's thinking goes to stderr before it (dimmed on
a terminal, or not at all with ``--hide-thinking``), with the status lines. ``--system``,
``--max-tokens``, ``--think`` and ``--effort`` apply to every message of this run; a
switch the model's template does not offer is reported in one line and ignored.

``--tools calculator,clock,python,SERVER`` offers tools (an MCP server's name offers all
its tools); ``--tool-choice required`` makes each reply begin with a call. Calls and
results are shown on stderr; a call that needs the user's say asks on the terminal
(see ``app.cli.tool_prompt``), and is declined when stdin is not a terminal.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from app.chat.service import ChatOptions, ReplyResult, StreamCallbacks
from app.cli import docs_cmd
from app.cli.output import dim, error, one_line, status
from app.cli.tool_prompt import call_line, result_line, terminal_approver
from app.engine.errors import EngineError
from app.engine.protocol import ModelInfo
from app.engine.tool_calls import ToolCall
from app.hearth import Hearth
from app.library.gguf_header import GGUFError
from app.library.local_models import ModelNotFoundError
from app.library.starter import STARTER_NAME
from app.remote.connect import remote_load_request
from app.remote.refs import is_remote_ref
from app.tools.toolbox import parse_names

log = logging.getLogger(__name__)

TITLE_LENGTH = 60
EFFORTS = ("low", "medium", "high")


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = commands.add_parser("chat", help="chat with a model in the terminal")
    parser.add_argument(
        "--model",
        "-m",
        default=STARTER_NAME,
        help="a model's name, a GGUF file's path, or remote:SERVER/MODEL (see hearth remote)",
    )
    parser.add_argument("-i", "--interactive", action="store_true", help="keep chatting")
    parser.add_argument(
        "--conversation", "-c", type=int, help="continue this conversation (its id)"
    )
    parser.add_argument("--quiet", "-q", action="store_true", help="print only the reply")
    parser.add_argument(
        "--system", metavar="TEXT", help="instructions for this chat, in place of the model's"
    )
    parser.add_argument(
        "--max-tokens", type=_positive_int, metavar="N", help="end each reply after N tokens"
    )
    parser.add_argument(
        "--think", choices=("on", "off"), help="turn the model's thinking on or off"
    )
    parser.add_argument(
        "--effort", choices=EFFORTS, help="how hard a thinking model thinks (e.g. gpt-oss)"
    )
    parser.add_argument(
        "--hide-thinking", action="store_true", help="do not print the model's thinking"
    )
    parser.add_argument(
        "--tools",
        metavar="NAMES",
        help="tools to offer, comma-separated: calculator, clock, python, an MCP server",
    )
    parser.add_argument(
        "--tool-choice",
        choices=("auto", "required"),
        help="required: each reply must begin with a tool call",
    )
    parser.add_argument(
        "--think-longer",
        type=_positive_int,
        metavar="N",
        help="then sample N answers and keep the best as a new version (see app.think)",
    )
    parser.add_argument(
        "--think-budget",
        type=_positive_int,
        default=120,
        metavar="SECONDS",
        help="the time --think-longer may take (default 120)",
    )
    docs_cmd.add_chat_argument(parser)
    parser.add_argument("prompt", nargs="*", help="the message to send")
    parser.set_defaults(run=run)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


@dataclass(frozen=True)
class _Chat:
    """What every message of this run shares: where it goes and how it is printed."""

    hearth: Hearth
    options: ChatOptions
    quiet: bool
    show_thinking: bool
    # --think-longer N and its budget in seconds (None: reply once).
    think_longer: int | None = None
    think_budget: float = 120.0
    # --docs NAMES: document collections the replies answer from (app.cli.docs_cmd).
    docs: str | None = None

    @classmethod
    def from_args(cls, hearth: Hearth, args: argparse.Namespace) -> _Chat:
        options = ChatOptions(
            system_prompt=args.system,
            max_tokens=args.max_tokens,
            thinking=None if args.think is None else args.think == "on",
            effort=args.effort,
            tools=parse_names(args.tools),
            tool_choice=args.tool_choice,
        )
        return cls(
            hearth,
            options,
            args.quiet,
            not args.hide_thinking,
            getattr(args, "think_longer", None),
            float(getattr(args, "think_budget", 120)),
            getattr(args, "docs", None),
        )


def run(args: argparse.Namespace) -> int:
    prompt = " ".join(args.prompt).strip()
    if not prompt and not args.interactive:
        return error("give a message to send, or -i to chat")
    hearth = Hearth.open()
    try:
        unknown = hearth.chat.toolbox.unknown(parse_names(args.tools) or ())
        if unknown:
            return error(_unknown_tools(hearth, unknown))
        missing_docs = docs_cmd.check_docs_names(args.docs) if args.docs else None
        if missing_docs:
            return error(missing_docs)
        say = (lambda _text: None) if args.quiet else status
        loaded = _load(hearth, args.model, say)
        if loaded is None:
            return 1
        notice = _ignored_switches(*loaded, args)
        if notice:
            status(notice)
        chat = _Chat.from_args(hearth, args)
        conversation_id = args.conversation
        if conversation_id is None and prompt:
            conversation_id = _new_conversation(hearth, prompt)
        code = 0
        if prompt:
            assert conversation_id is not None
            code = _send(chat, conversation_id, prompt)
        if args.interactive:
            code = _interactive(chat, conversation_id)
        return code
    finally:
        hearth.close()


def _load(
    hearth: Hearth, name_or_path: str, say: Callable[[str], None]
) -> tuple[str, ModelInfo] | None:
    """Loads the model (its name and info), or prints why not in one line and returns None.

    On stderr a broken model gives at most two lines: ``Loading <name>...`` (only once
    the file's header was read and the engine is asked to load it, and not with
    ``--quiet``) and one ``hearth: ...`` line saying what is wrong.
    """
    if is_remote_ref(name_or_path):
        return _load_remote(hearth, name_or_path, say)
    if Path(name_or_path).expanduser().is_dir():
        error(f"{name_or_path} is a folder, not a model file")
        return None
    try:
        model = hearth.resolve_model(name_or_path)
        request = hearth.load_request(model)  # reads the header: refuses broken files
    except GGUFError as problem:
        error(one_line(_naming(Path(name_or_path).name, str(problem))))
        return None
    except (ModelNotFoundError, EngineError) as problem:
        error(one_line(str(problem)))
        return None
    except Exception as problem:  # a file broken in a way nobody foresaw: no traceback
        log.exception("could not read the model %s", name_or_path)
        error(one_line(f"could not read the model {name_or_path}: {problem}"))
        return None
    say(f"Loading {model.name}...")
    try:
        info = hearth.engine.load(request)
    except EngineError as problem:
        error(one_line(str(problem)))
        return None
    say(f"{model.name} on {info.backend}, context {info.n_ctx:,} tokens")
    if info.template_note:
        say(info.template_note)
    return model.name, info


def _load_remote(
    hearth: Hearth, ref: str, say: Callable[[str], None]
) -> tuple[str, ModelInfo] | None:
    """Connects to a remote server's model (``remote:SERVER/MODEL``, see ``hearth remote``)."""
    try:
        request = remote_load_request(ref, hearth.paths.config)
        assert request.remote is not None
        say(f"Connecting to {request.remote.server} for {request.remote.model}...")
        info = hearth.engine.load(request)
    except EngineError as problem:
        error(one_line(str(problem)))
        return None
    say(f"{info.name} on {info.backend}")
    return info.name, info


def _ignored_switches(name: str, info: ModelInfo, args: argparse.Namespace) -> str:
    """One line when --think or --effort asks for a control the model's template lacks.

    Printed even with ``--quiet``: the user asked for something that will not happen.
    """
    asked = (
        ("--think", args.think, info.supports_thinking_toggle),
        ("--effort", args.effort, info.supports_effort),
    )
    ignored = [flag for flag, value, offered in asked if value is not None and not offered]
    if not ignored:
        return ""
    what = "thinking switch" if "--think" in ignored else "thinking effort setting"
    verb = "is" if len(ignored) == 1 else "are"
    return f"{name} has no {what}: {' and '.join(ignored)} {verb} ignored"


def _naming(file_name: str, message: str) -> str:
    """``message``, led by the file's name unless it already says which file."""
    return message if file_name in message else f"{file_name}: {message}"


def _new_conversation(hearth: Hearth, first_message: str) -> int:
    title = first_message.splitlines()[0][:TITLE_LENGTH] if first_message else "New chat"
    return hearth.conversations.create_conversation(title, hearth.chat.model_name).id


def _unknown_tools(hearth: Hearth, names: list[str]) -> str:
    toolbox = hearth.chat.toolbox
    servers = toolbox.server_names()
    known = ", ".join(toolbox.own_names())
    if servers:
        known += "; MCP servers: " + ", ".join(servers)
    return f"no tool or MCP server named {', '.join(names)} (there are: {known})"


def _send(chat: _Chat, conversation_id: int, text: str) -> int:
    printer = _ReplyPrinter(show_thinking=chat.show_thinking)
    say = (lambda _text: None) if chat.quiet else status

    def on_tool_call(call: ToolCall) -> None:
        printer.finish()
        say(call_line(call))

    callbacks = StreamCallbacks(
        on_text=printer.answer,
        on_thinking=printer.thinking,
        on_reload=lambda: status("Reloading the model..."),
        on_tool_call=on_tool_call,
        on_tool_result=lambda call, result: say(result_line(call, result)),
        approve=terminal_approver(chat.hearth.chat.stop),
    )
    options, docs = docs_cmd.docs_options(chat.hearth, chat.docs, conversation_id, chat.options)
    try:
        with _ctrl_c_stops(chat.hearth):
            result = chat.hearth.chat.send(conversation_id, text, callbacks, options)
    finally:
        printer.finish()
    sys.stdout.write("\n")
    if docs is not None:
        docs_cmd.print_sources(docs, result)
        docs.close()
    sys.stdout.flush()
    if not chat.quiet:
        status(_summary(result))
    if result.note:
        status(f"hearth: {result.note}")
    if chat.think_longer and not result.error and result.message.status == "complete":
        from app.think.terminal import think_longer_in_terminal

        return think_longer_in_terminal(
            chat.hearth,
            result.message.id,
            chat.think_longer,
            budget_s=chat.think_budget,
            quiet=chat.quiet,
            status=status,
            options=chat.options,
        )
    return 1 if result.error else 0


def _interactive(chat: _Chat, conversation_id: int | None) -> int:
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
            conversation_id = _new_conversation(chat.hearth, text)
        _send(chat, conversation_id, text)


class _ReplyPrinter:
    """Prints a reply as it streams: the thinking to stderr first, the answer to stdout."""

    def __init__(self, *, show_thinking: bool) -> None:
        self._show_thinking = show_thinking
        self._thinking_open = False  # thinking printed, its line not ended yet

    def thinking(self, text: str) -> None:
        if not self._show_thinking or not text:
            return
        sys.stderr.write(dim(text, sys.stderr))
        sys.stderr.flush()
        self._thinking_open = True

    def answer(self, text: str) -> None:
        self._end_thinking()
        sys.stdout.write(text)
        sys.stdout.flush()

    def finish(self) -> None:
        self._end_thinking()

    def _end_thinking(self) -> None:
        if self._thinking_open:
            sys.stderr.write("\n")
            sys.stderr.flush()
            self._thinking_open = False


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
