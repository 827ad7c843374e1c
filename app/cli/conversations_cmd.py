"""``hearth conversations list|show|search|export``."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from app.cli.output import error, table
from app.hearth import Hearth
from app.library.model_keys import key_label
from app.store.errors import NotFoundError
from app.store.export import export_json, export_markdown


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = commands.add_parser("conversations", help="stored conversations")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser("list", help="every conversation, newest first").set_defaults(run=run_list)
    show = actions.add_parser("show", help="print one conversation")
    show.add_argument("id", type=int)
    show.set_defaults(run=run_show)
    search = actions.add_parser("search", help="search every message")
    search.add_argument("query", nargs="+")
    search.set_defaults(run=run_search)
    export = actions.add_parser("export", help="export one conversation")
    export.add_argument("id", type=int)
    export.add_argument("--format", choices=("markdown", "json"), default="markdown")
    export.add_argument("--output", "-o", type=Path, help="write to this file, not stdout")
    export.set_defaults(run=run_export)


def _when(timestamp: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(timestamp))


def run_list(args: argparse.Namespace) -> int:
    hearth = Hearth.open()
    try:
        rows = [
            (c.id, _when(c.updated_at), key_label(c.model) if c.model else "", c.title)
            for c in hearth.conversations.list_conversations()
        ]
        print(table(("ID", "UPDATED", "MODEL", "TITLE"), rows) if rows else "No conversations.")
    finally:
        hearth.close()
    return 0


def run_show(args: argparse.Namespace) -> int:
    hearth = Hearth.open()
    try:
        print(export_markdown(hearth.conversations, args.id))
    except NotFoundError:
        return error(f"no conversation {args.id}")
    finally:
        hearth.close()
    return 0


def run_search(args: argparse.Namespace) -> int:
    hearth = Hearth.open()
    try:
        hits = hearth.conversations.search(" ".join(args.query))
        if not hits:
            print("No messages match.")
        for hit in hits:
            print(f"[{hit.conversation_id}] {hit.conversation_title} ({hit.role}): {hit.snippet}")
    finally:
        hearth.close()
    return 0


def run_export(args: argparse.Namespace) -> int:
    hearth = Hearth.open()
    try:
        exporter = export_json if args.format == "json" else export_markdown
        text = exporter(hearth.conversations, args.id)
    except NotFoundError:
        return error(f"no conversation {args.id}")
    finally:
        hearth.close()
    if args.output:
        args.output.write_text(text, encoding="utf-8")
    else:
        print(text)
    return 0
