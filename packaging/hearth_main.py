"""The bundle's entry script: the same ``main()`` as the ``hearth`` command.

``ui.launcher.main`` calls ``multiprocessing.freeze_support()`` before anything else,
which is what lets a frozen Hearth start its engine host processes: with the spawn
method, each host is this same executable started again with multiprocessing's
arguments, and ``freeze_support()`` turns that run into the host.
"""

import sys

from ui.launcher import main

if __name__ == "__main__":
    sys.exit(main())
