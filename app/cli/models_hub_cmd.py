"""``hearth models search|files|pull``: Hugging Face from the command line.

``files`` and ``pull`` take a repository (``owner/name``) or a catalog id
(``hearth models files`` with no argument lists the catalog). ``pull`` fetches the
recommended quantization unless one is named, resumes a partial download, verifies
it, and leaves it in the models folder; Ctrl+C pauses (run it again to resume).
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from app.cli.output import error, human_size, status, table
from app.hardware import detect_machine
from app.hub.client import SearchSort
from app.hub.control import DownloadControl, DownloadOutcome
from app.hub.download import download_group
from app.hub.errors import HubAccessError, HubError
from app.hub.layout import local_path
from app.hub.progress import DownloadProgress
from app.library.remote_fit import FileChoice
from app.library.service import ModelLibrary, RepoFiles

SORTS = {"downloads": SearchSort.DOWNLOADS, "likes": SearchSort.LIKES, "recent": SearchSort.RECENT}


def add_parsers(actions: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    search = actions.add_parser("search", help="search Hugging Face for GGUF models")
    search.add_argument("query", nargs="*", help="words in the repository's name")
    search.add_argument("--sort", choices=sorted(SORTS), default="downloads")
    search.add_argument("--limit", type=int, default=30)
    search.set_defaults(run=run_search)
    files = actions.add_parser("files", help="a repository's GGUF files and how they fit here")
    files.add_argument("repo", nargs="?", help="owner/name or a catalog id (none: the catalog)")
    files.set_defaults(run=run_files)
    pull = actions.add_parser("pull", help="download a model (resumable, verified)")
    pull.add_argument("repo", help="owner/name or a catalog id")
    pull.add_argument("file", nargs="?", help="a file name or quantization (default: recommended)")
    pull.set_defaults(run=run_pull)


def _library() -> ModelLibrary:
    from app.cli.models_cmd import open_library  # one way to open it, shared with models_cmd

    return open_library()


def run_search(args: argparse.Namespace) -> int:
    try:
        results = _library().search(" ".join(args.query), SORTS[args.sort], args.limit)
    except HubError as problem:
        return error(str(problem))
    rows = [
        (
            r.repo_id,
            f"{r.downloads:,}",
            f"{r.likes:,}",
            r.last_modified.date().isoformat() if r.last_modified else "",
            "gated" if r.gated else "",
        )
        for r in results
    ]
    print(table(("REPOSITORY", "DOWNLOADS", "LIKES", "UPDATED", ""), rows))
    return 0


def run_files(args: argparse.Namespace) -> int:
    library = _library()
    if not args.repo:
        rows = [(m.id, m.name, m.repo_id, m.licence) for m in library.catalog.models]
        print(table(("ID", "MODEL", "REPOSITORY", "LICENCE"), rows))
        return 0
    try:
        repo = _open(library, args.repo)
    except HubError as problem:
        return _hub_error(problem)
    files = [_row(choice) for choice in repo.choices]
    print(table(("", "FILE", "QUANT", "SIZE", "FIT HERE"), files))
    print("\n* recommended for this computer. Fit at 4,096 tokens of context.")
    for note in repo.notes:
        status(note)
    return 0


def run_pull(args: argparse.Namespace) -> int:
    library = _library()
    try:
        repo = _open(library, args.repo)
    except HubError as problem:
        return _hub_error(problem)
    choice = repo.choice(args.file) if args.file else repo.recommended
    if choice is None:
        names = ", ".join(c.group.name for c in repo.choices)
        wanted = f"'{args.file}'" if args.file else "a model that runs here"
        return error(f"{repo.listing.repo_id} has no {wanted}; its files: {names}")
    group = choice.group
    if not group.is_complete:
        return error(f"{group.name}: the repository lacks some of its parts")
    status(f"{group.name}: {human_size(group.total_size)}, {choice.verdict_label} here")
    for note in repo.notes:
        status(note)
    control = DownloadControl()
    try:
        with _pause_on_ctrl_c(control):
            outcome = download_group(
                library.endpoint,
                repo.listing.revision,
                group,
                library.models_dir,
                token=library._token_provider(),
                control=control,
                on_progress=_print_progress,
            )
    except HubError as problem:
        sys.stderr.write("\n")
        return _hub_error(problem)
    sys.stderr.write("\n")
    target = local_path(library.models_dir, group.repo_id, group.first_part.path)
    if outcome is DownloadOutcome.PAUSED:
        status("Paused: the partial download is kept. Run the same command to resume.")
        return 130
    print(
        f"{'Already here' if outcome is DownloadOutcome.ALREADY_PRESENT else 'Verified'}: {target}"
    )
    return 0


def _open(library: ModelLibrary, repo_or_id: str) -> RepoFiles:
    model = library.catalog.get(repo_or_id)
    return library.open_repo(model.repo_id if model else repo_or_id, detect_machine())


def _row(choice: FileChoice) -> tuple[str, ...]:
    group = choice.group
    parts = f" ({len(group.parts)} parts)" if group.is_split else ""
    fit = "vision projector (mmproj)" if group.is_mmproj else choice.verdict_label
    return (
        "*" if choice.recommended else "",
        group.name + parts,
        group.quant or "",
        human_size(group.total_size),
        fit,
    )


def _hub_error(problem: HubError) -> int:
    if isinstance(problem, HubAccessError):
        status("Set a token with 'hearth models token' once the licence is accepted.")
    return error(str(problem))


def _print_progress(progress: DownloadProgress) -> None:
    speed = f", {human_size(progress.bytes_per_second)}/s" if progress.bytes_per_second else ""
    left = f", {_duration(progress.eta_seconds)} left" if progress.eta_seconds is not None else ""
    line = (
        f"\r  {progress.fraction * 100:5.1f}%  {human_size(progress.done)} of "
        f"{human_size(progress.total)}{speed}{left}   "
    )
    sys.stderr.write(line)
    sys.stderr.flush()


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


@contextmanager
def _pause_on_ctrl_c(control: DownloadControl) -> Iterator[None]:
    def pause(signum: int, frame: FrameType | None) -> None:
        control.pause()

    try:
        previous = signal.signal(signal.SIGINT, pause)
    except ValueError:  # not the main thread (tests calling main() from a worker)
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
