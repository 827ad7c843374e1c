"""The ``hearth`` program: the window when run bare, the command line otherwise.

This lives in ``ui`` because it may open the window; the core in ``app`` never
imports the window layer.
"""

from __future__ import annotations

import multiprocessing
import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    multiprocessing.freeze_support()  # engine host processes in a bundled app
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["--smoke-test"]:  # a bundle's self-check: no display, no user data
        from app.smoke_test import run_smoke_test

        return run_smoke_test()
    from app.cli.main import COMMANDS

    if args and (args[0] in COMMANDS or args[0] in ("-h", "--help")):
        from app.cli.main import main as cli_main

        return cli_main(args)
    from ui.application import run_window

    return run_window(args)


if __name__ == "__main__":
    sys.exit(main())
