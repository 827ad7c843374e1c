"""The Windows confinement, from Hearth's side: launches ``windows_confine.py``.

Written and documented, not run by the test suite (which runs on Linux). The launcher
puts the code under a job object (memory, processes, CPU time, kill-on-close, UI
restrictions) and a restricted, low-integrity token that can write only to the scratch
folder. The network is not cut by these: ``available`` says so plainly.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from app.tools.sandbox.base import ProbedConfinement, frozen_problem
from app.tools.sandbox.limits import SandboxLimits, SandboxRun
from app.tools.sandbox.prelude import PRELUDE
from app.tools.sandbox.process import run_bounded

CONFINE_SCRIPT = Path(__file__).with_name("windows_confine.py")
SETUP_FAILED = 125
CREATE_NO_WINDOW = 0x08000000


class WindowsConfinement(ProbedConfinement):
    name = "Windows job object and restricted token"

    def _check(self) -> tuple[bool, str]:
        if sys.platform != "win32":
            return False, "this confinement is for Windows"
        if problem := frozen_problem(self._python):
            return False, problem
        with tempfile.TemporaryDirectory(prefix="hearth-sandbox-probe-") as folder:
            run = self._run("print('ready')", Path(folder), SandboxLimits(time_seconds=20))
        if run.setup_error or run.stdout.strip() != "ready":
            detail = run.setup_error or (run.stderr or run.stdout).strip()[-300:]
            return False, f"the job object and restricted token cannot be set up: {detail}"
        return True, (
            "a Windows job object (memory, processes, CPU time, killed on close) and a"
            " restricted low-integrity token: the scratch folder the only writable place."
            " The network is NOT cut on Windows"
        )

    def run(self, code: str, scratch: Path, limits: SandboxLimits) -> SandboxRun:
        ready, reason = self.available()
        if not ready:
            return SandboxRun(setup_error=reason)
        return self._run(code, scratch, limits)

    def _run(self, code: str, scratch: Path, limits: SandboxLimits) -> SandboxRun:
        scratch = scratch.resolve()
        config = {
            "scratch": str(scratch),
            "limits": {
                "memory_bytes": limits.memory_bytes,
                "processes": limits.processes,
                "cpu_seconds": limits.cpu_seconds,
            },
            "argv": [self._python, "-I", "-B", "-X", "utf8", "-c", PRELUDE],
            "env": {
                "SYSTEMROOT": "C:\\Windows",
                "HOME": str(scratch),
                "USERPROFILE": str(scratch),
                "TEMP": str(scratch),
                "TMP": str(scratch),
                "MPLBACKEND": "Agg",
            },
        }
        outcome = run_bounded(
            [self._python, "-I", "-B", str(CONFINE_SCRIPT), json.dumps(config)],
            stdin=code.encode("utf-8"),
            timeout=limits.time_seconds,
            output_bytes=limits.output_bytes,
            popen_options={"creationflags": CREATE_NO_WINDOW},
        )
        stderr = outcome.stderr.decode("utf-8", "replace")
        if outcome.returncode == SETUP_FAILED and stderr.startswith("hearth-sandbox:"):
            return SandboxRun(setup_error=stderr.removeprefix("hearth-sandbox:").strip())
        return SandboxRun(
            stdout=outcome.stdout.decode("utf-8", "replace"),
            stderr=stderr,
            exit_code=outcome.returncode,
            timed_out=outcome.timed_out,
            truncated=outcome.truncated,
        )
