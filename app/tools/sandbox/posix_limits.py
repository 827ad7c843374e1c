"""Sets resource limits, then execs the rest of its command line: run as a script.

``python -I posix_limits.py '{"limits": {"RLIMIT_AS": N, ...}, "cwd": DIR}' PROGRAM ...``
Used by the macOS confinement, whose ``sandbox-exec`` sets no limits itself. A limit the
system refuses (macOS caps some) is lowered to the hard limit in force rather than left
unset.
"""

from __future__ import annotations

import json
import os
import resource
import sys


def main(argv: list[str]) -> None:
    config = json.loads(argv[1])
    for name, value in config["limits"].items():
        which = getattr(resource, name, None)
        if which is None:
            continue
        _, hard = resource.getrlimit(which)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        try:
            resource.setrlimit(which, (value, value if name != "RLIMIT_CPU" else value + 1))
        except (ValueError, OSError):
            try:
                resource.setrlimit(which, (value, hard))
            except (ValueError, OSError):
                continue  # one the system does not let a process set (RLIMIT_AS on macOS)
    os.chdir(config["cwd"])
    program = argv[2:]
    os.execv(program[0], program)


if __name__ == "__main__":
    main(sys.argv)
