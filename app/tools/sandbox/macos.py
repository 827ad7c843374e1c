"""The macOS confinement: a ``sandbox-exec`` profile (Seatbelt), with rlimits.

Written and documented, not run by the test suite (which runs on Linux).

The profile denies everything by default, then allows what a Python process needs:
reading the file system except the home folder (Python's own folders are allowed back
where they live under it), running the interpreter, and writing only in the scratch
folder and ``/dev/null``. All networking is denied (``network*``), including local
sockets to other programs. Resource limits are set by ``posix_limits.py`` before it
execs ``sandbox-exec``; macOS does not enforce an address-space limit the way Linux
does, so the data-segment limit is set as well. A time limit kills the whole process
group. ``sandbox-exec`` is deprecated by Apple but still ships with macOS and is what
the system's own services use; where it is missing the tool is off.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

from app.tools.sandbox.base import ProbedConfinement, frozen_problem
from app.tools.sandbox.limits import SandboxLimits, SandboxRun
from app.tools.sandbox.prelude import PRELUDE
from app.tools.sandbox.process import run_bounded

SANDBOX_EXEC = "/usr/bin/sandbox-exec"
LIMITS_SCRIPT = Path(__file__).with_name("posix_limits.py")

PROFILE = """
(version 1)
(deny default)
(allow process-fork)
(allow process-exec (subpath (param "PYTHON_PREFIX")) (subpath (param "PYTHON_BASE")))
(allow signal (target same-sandbox))
(allow sysctl-read)
(allow mach-lookup (global-name "com.apple.system.opendirectoryd.libinfo"))
(allow file-read*)
(deny file-read* (subpath (param "HOME")))
(allow file-read*
    (subpath (param "PYTHON_PREFIX"))
    (subpath (param "PYTHON_BASE"))
    (subpath (param "SCRATCH")))
(allow file-write* (subpath (param "SCRATCH")) (literal "/dev/null"))
(allow file-ioctl (literal "/dev/null"))
(deny network*)
"""


class MacConfinement(ProbedConfinement):
    name = "macOS sandbox profile"

    def _check(self) -> tuple[bool, str]:
        if sys.platform != "darwin":
            return False, "this confinement is for macOS"
        if problem := frozen_problem(self._python):
            return False, problem
        if not os.path.exists(SANDBOX_EXEC):
            return False, f"{SANDBOX_EXEC} is missing, so code cannot be confined"
        with tempfile.TemporaryDirectory(prefix="hearth-sandbox-probe-") as folder:
            run = self._run("print('ready')", Path(folder), SandboxLimits(time_seconds=20))
        if run.exit_code != 0 or run.stdout.strip() != "ready":
            detail = (run.stderr or run.stdout).strip()[-300:]
            return False, f"a test run in the sandbox profile failed: {detail}"
        return True, (
            "the macOS sandbox profile: no network, the scratch folder the only writable"
            " place, the home folder unreadable; limits on time, memory, file size and"
            " open files"
        )

    def run(self, code: str, scratch: Path, limits: SandboxLimits) -> SandboxRun:
        ready, reason = self.available()
        if not ready:
            return SandboxRun(setup_error=reason)
        return self._run(code, scratch, limits)

    def _run(self, code: str, scratch: Path, limits: SandboxLimits) -> SandboxRun:
        scratch = scratch.resolve()
        home = str(Path.home().resolve())
        prefix = str(Path(sys.prefix).resolve())
        base = str(Path(sys.base_prefix).resolve())
        rlimits = {
            "RLIMIT_AS": limits.memory_bytes,
            "RLIMIT_DATA": limits.memory_bytes,
            "RLIMIT_FSIZE": limits.file_bytes,
            "RLIMIT_NOFILE": limits.open_files,
            "RLIMIT_CORE": 0,
            "RLIMIT_CPU": limits.cpu_seconds,
        }
        argv = [
            self._python,
            "-I",
            "-B",
            str(LIMITS_SCRIPT),
            json.dumps({"limits": rlimits, "cwd": str(scratch)}),
            SANDBOX_EXEC,
            "-p",
            PROFILE,
            "-D",
            f"HOME={home}",
            "-D",
            f"SCRATCH={scratch}",
            "-D",
            f"PYTHON_PREFIX={prefix}",
            "-D",
            f"PYTHON_BASE={base}",
            self._python,
            "-I",
            "-B",
            "-X",
            "utf8",
            "-c",
            PRELUDE,
        ]
        outcome = run_bounded(
            argv,
            stdin=code.encode("utf-8"),
            timeout=limits.time_seconds,
            output_bytes=limits.output_bytes,
            env={
                "PATH": "/usr/bin:/bin",
                "HOME": str(scratch),
                "TMPDIR": str(scratch),
                "LANG": "en_US.UTF-8",
                "MPLBACKEND": "Agg",
            },
        )
        return SandboxRun(
            stdout=outcome.stdout.decode("utf-8", "replace"),
            stderr=outcome.stderr.decode("utf-8", "replace"),
            exit_code=outcome.returncode,
            timed_out=outcome.timed_out,
            truncated=outcome.truncated,
        )
