"""``hearth remote add|list|rm``: the OpenAI-compatible servers Hearth can chat with.

``add NAME URL`` lists the server's models first (so a wrong address or key is said at
once) and keeps the server; ``--key-stdin`` reads its API key from standard input (never
from the command line, where other users and the shell history could read it) and keeps
it in the system keychain. ``list`` shows each server and its models as last listed;
``--refresh`` asks the servers again. ``rm NAME`` removes a server and its key. Chat with
one of its models with ``hearth chat --model remote:NAME/MODEL``.
"""

from __future__ import annotations

import argparse
import sys

from app.cli.output import error, one_line, status, table
from app.paths import hearth_paths
from app.remote.connect import add_server, refresh_models, remove_server
from app.remote.keys import KEYCHAIN
from app.remote.refs import RemoteRef
from app.remote.servers import DEFAULT_TIMEOUT_S, RemoteServer, RemoteServers


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = commands.add_parser(
        "remote", help="add, list and remove remote OpenAI-compatible servers"
    )
    actions = parser.add_subparsers(dest="remote_command", required=True, metavar="ACTION")

    adding = actions.add_parser("add", help="add a server: NAME URL")
    adding.add_argument("name", help="a short name for the server (letters, digits, - _ .)")
    adding.add_argument("url", help="its API address, such as http://gpu-box:8000/v1")
    adding.add_argument(
        "--key-stdin", action="store_true", help="read the server's API key from standard input"
    )
    adding.add_argument(
        "--timeout",
        type=_positive_float,
        default=DEFAULT_TIMEOUT_S,
        metavar="SECONDS",
        help=f"how long the server may stay silent (default {DEFAULT_TIMEOUT_S:g})",
    )
    adding.add_argument("--no-check", action="store_true", help="keep it without contacting it now")
    adding.add_argument("--replace", action="store_true", help="replace a server of the same name")
    adding.set_defaults(run=run_add)

    listing = actions.add_parser("list", help="show the servers and their models")
    listing.add_argument(
        "--refresh", action="store_true", help="ask each server for its models now"
    )
    listing.set_defaults(run=run_list)

    removing = actions.add_parser("rm", help="remove a server and its key")
    removing.add_argument("name", help="the server's name")
    removing.set_defaults(run=run_rm)


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("must be more than 0")
    return value


def run_add(args: argparse.Namespace) -> int:
    key = None
    if args.key_stdin:
        key = sys.stdin.readline().strip()
        if not key:
            return error("--key-stdin: no key on standard input")
    config = hearth_paths().ensure().config
    try:
        added = add_server(
            config,
            args.name,
            args.url,
            key,
            timeout_s=args.timeout,
            check=not args.no_check,
            replace_existing=args.replace,
        )
    except ValueError as problem:  # RemoteServerError, RemoteRefError
        return error(one_line(str(problem)))
    server = added.server
    status(f"Added {server.name} at {server.base_url}")
    if added.key_kept_in == KEYCHAIN:
        status("Its key is kept in the system keychain.")
    elif added.key_kept_in:
        status(f"No system keychain: its key is kept in {added.key_kept_in} (yours alone).")
    if not args.no_check:
        _print_models(server)
    return 0


def run_list(args: argparse.Namespace) -> int:
    config = hearth_paths().ensure().config
    servers = RemoteServers.in_folder(config).all()
    if not servers:
        status("No remote servers. Add one with: hearth remote add NAME URL")
        return 0
    code = 0
    if args.refresh:
        fresh = []
        for server in servers:
            try:
                fresh.append(refresh_models(config, server.name))
            except ValueError as problem:
                status(f"hearth: {one_line(str(problem))}")
                fresh.append(server)
                code = 1
        servers = fresh
    rows = [(s.name, s.base_url, "yes" if s.has_key else "no", _listed(s)) for s in servers]
    print(table(("NAME", "URL", "KEY", "MODELS"), rows))
    for server in servers:
        if server.models:
            print()
            _print_models(server)
    return code


def run_rm(args: argparse.Namespace) -> int:
    config = hearth_paths().ensure().config
    if not remove_server(config, args.name):
        return error(f"there is no remote server named {args.name!r}")
    status(f"Removed {args.name} and its key.")
    return 0


def _listed(server: RemoteServer) -> str:
    if server.listed_at is None:
        return "not listed yet"
    return str(len(server.models))


def _print_models(server: RemoteServer) -> None:
    if not server.models:
        print(f"{server.name} offers no models.")
        return
    print(f"{server.name} offers (chat with hearth chat --model REF):")
    for model in server.models:
        print(f"  {RemoteRef(server.name, model)}")
