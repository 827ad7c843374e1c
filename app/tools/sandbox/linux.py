"""The Linux confinement, from Hearth's side: builds the launch of ``linux_confine.py``
and reads back what it set up.

See ``linux_confine`` for the layers: user, mount, network, PID, IPC and UTS
namespaces; a new root where only the scratch folder is writable and the home folder,
``/tmp`` and ``/run`` do not exist; rlimits; no_new_privs; and a seccomp filter where
pyseccomp and libseccomp are present. Unprivileged user namespaces are required: where
the kernel or its policy refuses them, ``available`` says so and the tool is off.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from app.tools.sandbox.base import ProbedConfinement, frozen_problem
from app.tools.sandbox.limits import SandboxLimits, SandboxRun
from app.tools.sandbox.prelude import PRELUDE
from app.tools.sandbox.process import run_bounded

CONFINE_SCRIPT = Path(__file__).with_name("linux_confine.py")
SETUP_FAILED = 125
SYSTEM_FOLDERS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc")
_PROBE_SECONDS = 20.0
_INSIDE_ID = 1000  # the id inside when Hearth runs as root: never 0 inside


class LinuxConfinement(ProbedConfinement):
    """seccomp: load the seccomp filter where it can be had (switched off only to test
    the other layers alone)."""

    name = "Linux namespaces"

    def __init__(self, python: str | None = None, *, seccomp: bool = True) -> None:
        super().__init__(python)
        self._seccomp = seccomp

    def _check(self) -> tuple[bool, str]:
        if not sys.platform.startswith("linux"):
            return False, "this confinement is for Linux"
        if problem := frozen_problem(self._python):
            return False, problem
        if not os.path.exists("/proc/self/ns/user"):
            return False, "this kernel has no user namespaces, which the sandbox needs"
        with tempfile.TemporaryDirectory(prefix="hearth-sandbox-probe-") as folder:
            run, report = self._run(
                "print('ready')", Path(folder), SandboxLimits(time_seconds=_PROBE_SECONDS)
            )
        if run.setup_error:
            return False, f"the sandbox cannot be set up here: {run.setup_error}{_hint()}"
        if run.exit_code != 0 or run.stdout.strip() != "ready":
            detail = (run.stderr or run.stdout).strip()[-300:]
            return False, f"a test run in the sandbox failed (status {run.exit_code}): {detail}"
        return True, describe(report)

    def run(self, code: str, scratch: Path, limits: SandboxLimits) -> SandboxRun:
        ready, reason = self.available()
        if not ready:
            return SandboxRun(setup_error=reason)
        return self._run(code, scratch, limits)[0]

    def _run(
        self, code: str, scratch: Path, limits: SandboxLimits
    ) -> tuple[SandboxRun, dict[str, Any]]:
        scratch = scratch.resolve()
        root = tempfile.mkdtemp(prefix="hearth-sandbox-root-")
        report_read, report_write = os.pipe()
        try:
            config = self._config(scratch, Path(root), limits, report_write)
            outcome = run_bounded(
                [self._python, "-I", "-B", str(CONFINE_SCRIPT), json.dumps(config)],
                stdin=code.encode("utf-8"),
                timeout=limits.time_seconds,
                output_bytes=limits.output_bytes,
                env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"},
                pass_fds=(report_write,),
            )
            os.close(report_write)
            report_write = -1
            report = _read_report(report_read)
        finally:
            if report_write >= 0:
                os.close(report_write)
            os.close(report_read)
            shutil.rmtree(root, ignore_errors=True)
        if outcome.returncode == SETUP_FAILED and "error" in report:
            return SandboxRun(setup_error=str(report["error"])), report
        return (
            SandboxRun(
                stdout=outcome.stdout.decode("utf-8", "replace"),
                stderr=outcome.stderr.decode("utf-8", "replace"),
                exit_code=outcome.returncode,
                timed_out=outcome.timed_out,
                truncated=outcome.truncated,
            ),
            report,
        )

    def _config(
        self, scratch: Path, root: Path, limits: SandboxLimits, report_fd: int
    ) -> dict[str, Any]:
        uid, gid = os.getuid(), os.getgid()
        home = str(scratch)
        return {
            "root": str(root),
            "scratch": home,
            "inside_uid": uid or _INSIDE_ID,
            "inside_gid": gid or _INSIDE_ID,
            "report_fd": report_fd,
            "read_only": _read_only_folders(self._python),
            "seccomp": self._seccomp,
            "limits": {
                "memory_bytes": limits.memory_bytes,
                "processes": limits.processes,
                "file_bytes": limits.file_bytes,
                "open_files": limits.open_files,
                "cpu_seconds": limits.cpu_seconds,
            },
            "argv": [self._python, "-I", "-B", "-X", "utf8", "-c", PRELUDE],
            "env": {
                "PATH": "/usr/local/bin:/usr/bin:/bin",
                "HOME": home,
                "TMPDIR": home,
                "LANG": "C.UTF-8",
                "MPLBACKEND": "Agg",
                "OPENBLAS_NUM_THREADS": "1",
                "OMP_NUM_THREADS": "1",
                "MKL_NUM_THREADS": "1",
            },
        }


def _read_only_folders(python: str) -> list[str]:
    """The system folders and the parts of the Python installation the code's
    interpreter needs (its ``bin`` and ``lib`` folders and a venv's ``pyvenv.cfg``, not
    the whole prefix, which may be a folder in the home folder such as ``~/.local``)."""
    prefixes = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    prefixes.add(str(Path(os.path.realpath(python)).parent.parent))
    prefixes.add(str(Path(python).absolute().parent.parent))
    parts = {
        str(Path(prefix, part))
        for prefix in prefixes
        for part in ("bin", "lib", "lib64", "pyvenv.cfg")
        if prefix not in ("/", "")
    }
    for entry in sys.path:  # site-packages outside the prefixes (a user site, say)
        if entry.endswith("site-packages") and os.path.isdir(entry):
            parts.add(entry)
    return [*SYSTEM_FOLDERS, *sorted(parts)]


def _read_report(fd: int) -> dict[str, Any]:
    data = b""
    while chunk := os.read(fd, 65536):
        data += chunk
    try:
        report = json.loads(data.decode("utf-8") or "{}")
    except ValueError:
        return {}
    return report if isinstance(report, dict) else {}


def describe(report: dict[str, Any]) -> str:
    """What the confinement achieved, in words, from the launcher's report."""
    parts = [
        "Linux " + ", ".join(report.get("namespaces", [])) + " namespaces (no network at all)",
        "a new root: system and Python folders read-only, the scratch folder the only"
        " writable place, no home folder, /tmp or /run",
    ]
    if report.get("proc") is not True:
        parts.append(str(report.get("proc")))
    seccomp = report.get("seccomp")
    parts.append("a seccomp filter" if seccomp is True else f"seccomp {seccomp}")
    if report.get("nested_user_namespaces") is False:
        parts.append("no nested user namespaces")
    parts.append("limits on time, memory, processes, file size and open files")
    return "; ".join(parts)


def _hint() -> str:
    """Why user namespaces may be refused, for the message."""
    for path, value, hint in (
        (
            "/proc/sys/kernel/unprivileged_userns_clone",
            "0",
            " (unprivileged user namespaces are switched off: sysctl"
            " kernel.unprivileged_userns_clone=1 turns them on)",
        ),
        (
            "/proc/sys/kernel/apparmor_restrict_unprivileged_userns",
            "1",
            " (AppArmor restricts unprivileged user namespaces: sysctl"
            " kernel.apparmor_restrict_unprivileged_userns=0, or an AppArmor profile for"
            " Hearth's Python, allows them)",
        ),
        ("/proc/sys/user/max_user_namespaces", "0", " (user.max_user_namespaces is 0)"),
    ):
        try:
            if Path(path).read_text().strip() == value:
                return hint
        except OSError:
            continue
    return ""
