"""``hearth models list``: the models Hearth can run."""

from __future__ import annotations

import argparse

from app.cli.output import human_size, table
from app.hearth import Hearth


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = commands.add_parser("models", help="the models on this computer")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="list the models Hearth can run")
    listing.set_defaults(run=run_list)


def run_list(args: argparse.Namespace) -> int:
    hearth = Hearth.open()
    try:
        models = hearth.local_models()
        rows = [
            (
                model.name + (" (starter)" if model.is_starter else ""),
                human_size(model.size_bytes),
                model.path,
            )
            for model in models
        ]
        print(table(("MODEL", "SIZE", "PATH"), rows))
        print(f"\nModels folder: {hearth.paths.models}")
    finally:
        hearth.close()
    return 0
