"""``hearth models list|import|rm|token`` on this computer, and the Hub commands
``search|files|pull`` (in :mod:`app.cli.models_hub_cmd`), over :class:`ModelLibrary`."""

from __future__ import annotations

import argparse
import getpass
import sys

from app.cli import models_hub_cmd
from app.cli.output import error, human_size, status, table
from app.library.credentials import forget_token, save_token
from app.library.imports import ImportRefusedError
from app.library.local_models import LocalModel, ModelNotFoundError, resolve_model
from app.library.models_folder import with_chosen_models_folder
from app.library.removal import RemovalError, model_files
from app.library.service import ModelLibrary
from app.paths import hearth_paths


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = commands.add_parser("models", help="find, download and manage models")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="list the models Hearth can run")
    listing.set_defaults(run=run_list)
    models_hub_cmd.add_parsers(actions)
    adding = actions.add_parser("import", help="use GGUF files you already have, where they lie")
    adding.add_argument("files", nargs="+", help="GGUF files")
    adding.set_defaults(run=run_import)
    removing = actions.add_parser("rm", help="remove a model (asks first)")
    removing.add_argument("model", help="a model's name, as 'hearth models list' shows it")
    removing.add_argument("--yes", "-y", action="store_true", help="do not ask")
    removing.add_argument(
        "--delete-file", action="store_true", help="for an imported model: delete its file too"
    )
    removing.set_defaults(run=run_remove)
    token = actions.add_parser("token", help="keep a Hugging Face token for gated models")
    token.add_argument("--forget", action="store_true", help="remove the kept token")
    token.set_defaults(run=run_token)


def open_library() -> ModelLibrary:
    """The library over this user's folders (with the models folder they chose)."""
    return ModelLibrary(with_chosen_models_folder(hearth_paths()).ensure())


def kind(model: LocalModel) -> str:
    if model.is_starter:
        return "starter"
    if model.is_imported:
        return "imported"
    return model.repo_id or "models folder"


def run_list(args: argparse.Namespace) -> int:
    library = open_library()
    rows = [
        (
            model.name + (" (starter)" if model.is_starter else ""),
            human_size(model.size_bytes),
            kind(model),
            model.path,
        )
        for model in library.models()
    ]
    print(table(("MODEL", "SIZE", "FROM", "PATH"), rows))
    print(f"\nModels folder: {library.models_dir}")
    return 0


def run_import(args: argparse.Namespace) -> int:
    library = open_library()
    failed = 0
    for file in args.files:
        try:
            path = library.import_file(file)
        except ImportRefusedError as problem:
            failed += 1
            error(str(problem))
            continue
        print(f"Imported {path} (used where it is; nothing was copied)")
    return 1 if failed else 0


def run_remove(args: argparse.Namespace) -> int:
    library = open_library()
    try:
        model = resolve_model(args.model, library.models_dir, library.imports.paths())
    except ModelNotFoundError as problem:
        return error(str(problem))
    model = next((m for m in library.models() if m.path == model.path), model)
    deleting = not model.is_imported or args.delete_file
    files = model_files(model) if deleting else []
    if deleting:
        what = f"delete {len(files)} file(s), {human_size(sum(f.stat().st_size for f in files))}"
    else:
        what = f"stop listing it (the file stays at {model.path})"
    if not args.yes and not _confirm(f"Remove {model.name}: {what}?"):
        return error("not removed (pass --yes to remove without asking)")
    try:
        deleted = library.remove(model, delete_files=deleting)
    except RemovalError as problem:
        return error(str(problem))
    for path in deleted:
        print(f"Deleted {path}")
    if not deleted:
        print(f"{model.name} is no longer listed; {model.path} was left in place")
    return 0


def run_token(args: argparse.Namespace) -> int:
    if args.forget:
        forget_token()
        print("The Hugging Face token was removed.")
        return 0
    token = getpass.getpass("Hugging Face access token (input hidden): ").strip()
    if not token:
        return error("no token given")
    where = save_token(token)
    print(f"Token kept in {where}.")
    return 0


def _confirm(question: str) -> bool:
    if not sys.stdin.isatty():
        status(question)
        return False
    return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")
