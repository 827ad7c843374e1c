"""The Python tool: runs the model's code in this OS's confinement (``app.tools.sandbox``).

The code runs in a separate process with no network, a time and a memory limit, and a
scratch folder as the only place it can write. It always waits for the user's say:
the chat shows the code first. Pictures the code saves in the scratch folder (a
matplotlib figure, say) come back as local files in ``ToolResult.images``.

Where the confinement cannot be had, the tool is off: ``available`` says why and a call
returns that reason as an error, never running the code unconfined.
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Mapping
from pathlib import Path
from stat import S_ISREG
from typing import Any

from app.tools.base import Tool, ToolResult
from app.tools.sandbox.base import Confinement
from app.tools.sandbox.limits import SandboxLimits, SandboxRun
from app.tools.sandbox.pick import confinement_for_this_os

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".bmp"})
MAX_IMAGES = 20
MAX_SCANNED = 10_000
MAX_CODE_CHARACTERS = 100_000
_SIGXCPU = 24
_SIGKILL = 9


class PythonTool(Tool):
    """scratch: the folder the code runs in and may write to (created if missing); a
    fresh temporary folder when None. limits: what one run may use. confinement: this
    OS's by default."""

    name = "python"
    description = (
        "Runs Python 3 code in a sandbox and returns what it prints. The value of a last"
        " line that is an expression is printed too. There is no network and no access to"
        " the user's files; the working folder is the only writable place and persists"
        " between calls in this chat. To show a chart, save it in the working folder,"
        " e.g. plt.savefig('chart.png'); it is shown to the user."
    )
    parameters: Mapping[str, Any] = {
        "type": "object",
        "properties": {
            "code": {
                "type": "string",
                "description": "The Python code to run.",
                "maxLength": MAX_CODE_CHARACTERS,
            }
        },
        "required": ["code"],
        "additionalProperties": False,
    }
    needs_approval = True  # always: the chat shows the code before it runs

    def __init__(
        self,
        scratch: Path | None = None,
        *,
        limits: SandboxLimits | None = None,
        confinement: Confinement | None = None,
    ) -> None:
        self._scratch = scratch
        self.limits = limits or SandboxLimits()
        self._confinement = confinement or confinement_for_this_os()
        self._lock = threading.Lock()

    def available(self) -> tuple[bool, str]:
        """(True, the confinement in words) or (False, why the tool is off)."""
        return self._confinement.available()

    @property
    def scratch(self) -> Path:
        """The working folder (made on first use)."""
        with self._lock:
            if self._scratch is None:
                self._scratch = Path(tempfile.mkdtemp(prefix="hearth-python-"))
            self._scratch.mkdir(parents=True, exist_ok=True)
            return self._scratch

    def run(self, arguments: Mapping[str, Any]) -> ToolResult:
        ready, reason = self.available()
        if not ready:
            return ToolResult(f"The Python tool is off: {reason}.", is_error=True)
        scratch = self.scratch.resolve()
        before = _images(scratch)
        run = self._confinement.run(str(arguments["code"]), scratch, self.limits)
        if run.setup_error:
            return ToolResult(
                f"The sandbox could not start, so the code did not run: {run.setup_error}.",
                is_error=True,
            )
        after = _images(scratch)
        made = tuple(path for path, stamp in after.items() if before.get(path) != stamp)
        return _result(run, self.limits, made[:MAX_IMAGES], scratch)


def _images(scratch: Path) -> dict[Path, tuple[int, int]]:
    """Image files in the scratch folder (not in hidden folders, never links, at most
    ``MAX_SCANNED`` entries looked at), with their modification time and size."""
    found: dict[Path, tuple[int, int]] = {}
    scanned = 0
    for folder, folders, files in os.walk(scratch):
        folders[:] = sorted(name for name in folders if not name.startswith("."))
        for name in sorted(files):
            scanned += 1
            if scanned > MAX_SCANNED:
                return found
            path = Path(folder, name)
            if path.suffix.lower() not in IMAGE_SUFFIXES:
                continue
            try:
                stat = path.lstat()
            except OSError:
                continue
            if S_ISREG(stat.st_mode):
                found[path] = (stat.st_mtime_ns, stat.st_size)
    return found


def _result(
    run: SandboxRun, limits: SandboxLimits, images: tuple[Path, ...], scratch: Path
) -> ToolResult:
    parts = []
    if run.stdout.strip():
        parts.append(run.stdout.rstrip())
    if run.stderr.strip():
        parts.append("[stderr]\n" + run.stderr.rstrip())
    if run.truncated:
        parts.append(f"[output cut at {limits.output_bytes // 1024} KB per stream]")
    failed = True
    code = run.exit_code
    if run.timed_out:
        parts.append(f"[stopped: the code ran past its time limit of {limits.time_seconds:g} s]")
    elif code in (_SIGXCPU + 128, -_SIGXCPU):
        parts.append("[stopped: the code used up its CPU time limit]")
    elif code in (_SIGKILL + 128, -_SIGKILL):
        parts.append(
            f"[killed: probably out of memory (the limit is {limits.memory_bytes >> 20} MB)]"
        )
    elif code:
        parts.append(f"[exit status {code}]")
    else:
        failed = False
    if images:
        names = ", ".join(str(path.relative_to(scratch)) for path in images)
        parts.append(f"[images shown to the user: {names}]")
    if not parts:
        parts.append("(the code ran and printed nothing)")
    return ToolResult("\n".join(parts), is_error=failed, images=images)
