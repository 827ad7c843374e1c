"""``hearth system``: this computer's memory, GPUs and engine build, and what fits."""

from __future__ import annotations

import argparse
import json

from app.hardware import describe_machine
from app.hearth import Hearth
from app.library.local_models import chat_models


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = commands.add_parser("system", help="memory, GPUs and the engine build")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    hearth = Hearth.open()
    try:
        machine = hearth.machine()
        if args.json:
            print(json.dumps(machine.to_dict(), indent=2))
            return 0
        print(describe_machine(machine))
        print("\nHow each model would load here:")
        for model in chat_models(hearth.local_models()):  # embedders never load for chat
            request = hearth.load_request(model)
            print(f"  {model.name}: {request.offload_reason}")
    finally:
        hearth.close()
    return 0
