"""``hearth mcp list|add|rm``: the MCP servers in ``mcp.json`` (Hearth's config folder).

``list`` shows the servers; with ``--tools`` it starts each (switched-on) server and
lists its tools by the names the model sees. ``add NAME -- COMMAND [ARG...]`` adds a
stdio server, ``add NAME --url URL`` a Streamable HTTP one, and ``add --json TEXT``
(or ``-`` for standard input) takes every server of a config pasted from another app.
``rm NAME`` removes one. Environment values and headers are never printed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app.cli.output import error, one_line, table
from app.paths import hearth_paths
from app.tools.mcp.config import (
    McpConfigError,
    McpServerConfig,
    config_path,
    load_servers,
    parse_config,
    remove_server,
    save_server,
)
from app.tools.mcp.connection import McpServerError
from app.tools.mcp.manager import McpManager


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = commands.add_parser("mcp", help="list, add and remove MCP servers")
    actions = parser.add_subparsers(dest="mcp_command", required=True, metavar="ACTION")

    listing = actions.add_parser("list", help="show the configured MCP servers")
    listing.add_argument(
        "--tools", action="store_true", help="start each server and list its tools"
    )
    listing.set_defaults(run=run_list)

    adding = actions.add_parser(
        "add",
        parents=[_add_options()],
        help="add a server: NAME -- COMMAND [ARG...], NAME --url URL, or --json CONFIG",
    )
    adding.add_argument("name", nargs="?", help="the server's name")
    adding.add_argument(
        "rest",
        nargs=argparse.REMAINDER,
        metavar="-- COMMAND [ARG...]",
        help="the command that runs a stdio server, with its arguments, after --",
    )
    adding.set_defaults(run=run_add)

    removing = actions.add_parser("rm", help="remove a server")
    removing.add_argument("name", help="the server's name")
    removing.set_defaults(run=run_rm)


_VALUED = frozenset({"--url", "--env", "--header", "--cwd", "--json"})


def _add_options() -> argparse.ArgumentParser:
    """The options of ``add``; they may come before or after the server's name."""
    options = argparse.ArgumentParser(add_help=False)
    options.add_argument("--url", help="a Streamable HTTP server's address")
    options.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an environment variable for a stdio server (repeatable)",
    )
    options.add_argument(
        "--header",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an HTTP header for a URL server, such as Authorization=... (repeatable)",
    )
    options.add_argument("--cwd", help="the folder a stdio server runs in")
    options.add_argument(
        "--json",
        metavar="CONFIG",
        help='a pasted {"mcpServers": ...} config (or - to read it from standard input)',
    )
    options.add_argument("--replace", action="store_true", help="replace a server of the same name")
    return options


def _split_rest(args: argparse.Namespace) -> list[str]:
    """The command (after ``--``, or from the first word that is not an option); options
    between the name and the command are read into args."""
    rest = list(args.rest)
    if "--" in rest:
        cut = rest.index("--")
        options, command = rest[:cut], rest[cut + 1 :]
    else:  # argparse drops a "--" right after the name; or there was none
        cut = next((i for i, word in enumerate(rest) if not word.startswith("-")), len(rest))
        while cut > 0 and rest[cut - 1] in _VALUED:  # that word is an option's value
            cut = next(
                (i for i, word in enumerate(rest) if i > cut and not word.startswith("-")),
                len(rest),
            )
        options, command = rest[:cut], rest[cut:]
    if options:
        try:
            later, unknown = _add_options().parse_known_args(options)
        except SystemExit as stop:  # argparse has printed what is wrong
            raise McpConfigError("see the usage: hearth mcp add --help") from stop
        if unknown:
            raise McpConfigError(
                f"put the server's command after --: hearth mcp add NAME -- {' '.join(unknown)}"
            )
        args.env = [*args.env, *later.env]
        args.header = [*args.header, *later.header]
        for option in ("url", "cwd", "json"):
            if getattr(later, option) is not None:
                setattr(args, option, getattr(later, option))
        args.replace = args.replace or later.replace
    return command


def _config_file() -> Path:
    return config_path(hearth_paths())


def run_list(args: argparse.Namespace) -> int:
    path = _config_file()
    try:
        servers = load_servers(path)
    except McpConfigError as problem:
        return error(str(problem))
    if not servers:
        print(f"No MCP servers. Add one with: hearth mcp add NAME -- COMMAND [ARG...] ({path})")
        return 0
    if not args.tools:
        rows = [(s.name, s.transport, "off" if s.disabled else "on", s.target) for s in servers]
        print(table(("NAME", "TRANSPORT", "STATE", "COMMAND OR URL"), rows))
        return 0
    return _list_tools(path, servers)


def _list_tools(path: Path, servers: list[McpServerConfig]) -> int:
    manager = McpManager.for_paths(hearth_paths())
    failed: list[str] = []
    try:
        for number, server in enumerate(servers):
            if number:
                print()
            print(f"{server.name} ({server.transport}: {server.target})")
            if server.disabled:
                print("  switched off")
                continue
            try:
                tools = manager.tools(server.name)
            except McpServerError as problem:
                failed.append(server.name)
                print(f"  not reachable: {one_line(str(problem))}")
                continue
            if not tools:
                print("  no tools")
            width = max((len(tool.name) for tool in tools), default=0)
            for tool in tools:
                summary = one_line(tool.description)
                print(f"  {tool.name.ljust(width)}  {summary[:100]}")
    finally:
        manager.close()
    if failed:
        return error(f"could not list the tools of {', '.join(failed)}")
    return 0


def _pairs(items: list[str], what: str) -> dict[str, str]:
    pairs = {}
    for item in items:
        name, equals, value = item.partition("=")
        if not equals or not name.strip():
            raise McpConfigError(f"{what} must be NAME=VALUE, not {item!r}")
        pairs[name.strip()] = value
    return pairs


def _servers_to_add(args: argparse.Namespace) -> list[McpServerConfig]:
    command = _split_rest(args)
    if args.json is not None:
        if args.name or command or args.url:
            raise McpConfigError("--json takes the servers from the config: give no NAME")
        text = sys.stdin.read() if args.json == "-" else args.json
        servers = parse_config(text, source="the pasted config")
        if not servers:
            raise McpConfigError("the pasted config has no servers")
        return servers
    if not args.name:
        raise McpConfigError("give the server a name: hearth mcp add NAME -- COMMAND")
    if args.url and command:
        raise McpConfigError("give a command or --url, not both")
    if args.url:
        if args.env or args.cwd:
            raise McpConfigError("--env and --cwd are for stdio servers, not --url")
        return [
            McpServerConfig(name=args.name, url=args.url, headers=_pairs(args.header, "--header"))
        ]
    if not command:
        raise McpConfigError("give the command that runs the server: hearth mcp add NAME -- CMD")
    if args.header:
        raise McpConfigError("--header is for --url servers")
    return [
        McpServerConfig(
            name=args.name,
            command=command[0],
            args=tuple(command[1:]),
            env=_pairs(args.env, "--env"),
            cwd=args.cwd,
        )
    ]


def run_add(args: argparse.Namespace) -> int:
    path = _config_file()
    try:
        servers = _servers_to_add(args)
        existing = {server.name for server in load_servers(path)}
        clashes = [s.name for s in servers if s.name in existing]
        if clashes and not args.replace:
            raise McpConfigError(
                f"there is already a server named {', '.join(map(repr, clashes))}"
                " (--replace replaces it)"
            )
        for server in servers:
            save_server(path, server, replace=args.replace)
    except McpConfigError as problem:
        return error(str(problem))
    for server in servers:
        verb = "Replaced" if server.name in existing else "Added"
        print(f"{verb} {server.name} ({server.transport}: {server.target})")
    return 0


def run_rm(args: argparse.Namespace) -> int:
    path = _config_file()
    try:
        removed = remove_server(path, args.name)
    except McpConfigError as problem:
        return error(str(problem))
    if not removed:
        return error(f"there is no MCP server named {args.name!r}")
    print(f"Removed {args.name}")
    return 0
