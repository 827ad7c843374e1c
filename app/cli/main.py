"""``hearth <command>``: parses the command line and hands off to one command module."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from app.cli import (
    bench_cmd,
    chat_cmd,
    conversations_cmd,
    docs_cmd,
    mcp_cmd,
    models_cmd,
    remote_cmd,
    serve_cmd,
    system_cmd,
)

COMMANDS = ("chat", "conversations", "models", "bench", "system", "serve", "mcp", "remote", "docs")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hearth", description="Chat with language models that run on this computer."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    chat_cmd.add_parser(commands)
    conversations_cmd.add_parser(commands)
    models_cmd.add_parser(commands)
    bench_cmd.add_parser(commands)
    system_cmd.add_parser(commands)
    serve_cmd.add_parser(commands)
    mcp_cmd.add_parser(commands)
    remote_cmd.add_parser(commands)
    docs_cmd.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    try:
        return int(args.run(args) or 0)
    except BrokenPipeError:  # `hearth ... | head`
        return 0
