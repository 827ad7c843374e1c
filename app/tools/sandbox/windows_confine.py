"""The Windows confinement: run as a script of its own, never imported.

``python -I windows_confine.py CONFIG_JSON`` runs one program under:

- a **job object**: a memory limit per process, a cap on processes, a CPU-time limit,
  UI restrictions (no clipboard, desktop switching, global atoms, system settings), and
  kill-on-close, so that when this launcher ends (or Hearth kills it at the time
  limit) every process in the job ends with it;
- a **restricted token**: the caller's token with every privilege removed
  (``DISABLE_MAX_PRIVILEGE``, ``LUA_TOKEN``) and the **low integrity level**, so that
  the mandatory no-write-up policy refuses writes to the user's files and folders,
  which are at medium integrity; the scratch folder is labelled low integrity
  (``icacls /setintegritylevel``) and is the one place it can write.

Written and documented, not run by the test suite (which runs on Linux). A job object
and a restricted token do not cut the network: on Windows, the Python tool's code can
reach the network, and ``WindowsConfinement.available`` says so. (An AppContainer
without the ``internetClient`` capability would; that is future work.)
"""

from __future__ import annotations

import ctypes
import json
import subprocess
import sys
from ctypes import wintypes

SETUP_FAILED = 125

JOB_OBJECT_LIMIT_PROCESS_TIME = 0x00000002
JOB_OBJECT_LIMIT_ACTIVE_PROCESS = 0x00000008
JOB_OBJECT_LIMIT_PROCESS_MEMORY = 0x00000100
JOB_OBJECT_LIMIT_DIE_ON_UNHANDLED_EXCEPTION = 0x00000400
JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE = 0x00002000
JOB_OBJECT_UILIMIT_ALL = 0x000000FF
JOB_OBJECT_BASIC_UI_RESTRICTIONS = 4
JOB_OBJECT_EXTENDED_LIMIT_INFORMATION = 9

TOKEN_DUPLICATE = 0x0002
TOKEN_ASSIGN_PRIMARY = 0x0001
TOKEN_QUERY = 0x0008
TOKEN_ADJUST_DEFAULT = 0x0080
DISABLE_MAX_PRIVILEGE = 0x1
LUA_TOKEN = 0x4
TOKEN_INTEGRITY_LEVEL = 25
SE_GROUP_INTEGRITY = 0x20
LOW_INTEGRITY_SID = "S-1-16-4096"

CREATE_SUSPENDED = 0x00000004
CREATE_UNICODE_ENVIRONMENT = 0x00000400
CREATE_NO_WINDOW = 0x08000000
STARTF_USESTDHANDLES = 0x00000100
HANDLE_FLAG_INHERIT = 0x1
INFINITE = 0xFFFFFFFF
STD_HANDLES = (-10, -11, -12)


class IO_COUNTERS(ctypes.Structure):
    _fields_ = [(name, ctypes.c_ulonglong) for name in (
        "ReadOperationCount", "WriteOperationCount", "OtherOperationCount",
        "ReadTransferCount", "WriteTransferCount", "OtherTransferCount",
    )]  # fmt: skip


class JOBOBJECT_BASIC_LIMIT_INFORMATION(ctypes.Structure):
    _fields_ = [
        ("PerProcessUserTimeLimit", ctypes.c_longlong),
        ("PerJobUserTimeLimit", ctypes.c_longlong),
        ("LimitFlags", wintypes.DWORD),
        ("MinimumWorkingSetSize", ctypes.c_size_t),
        ("MaximumWorkingSetSize", ctypes.c_size_t),
        ("ActiveProcessLimit", wintypes.DWORD),
        ("Affinity", ctypes.c_size_t),
        ("PriorityClass", wintypes.DWORD),
        ("SchedulingClass", wintypes.DWORD),
    ]


class JOBOBJECT_EXTENDED_LIMIT(ctypes.Structure):
    _fields_ = [
        ("BasicLimitInformation", JOBOBJECT_BASIC_LIMIT_INFORMATION),
        ("IoInfo", IO_COUNTERS),
        ("ProcessMemoryLimit", ctypes.c_size_t),
        ("JobMemoryLimit", ctypes.c_size_t),
        ("PeakProcessMemoryUsed", ctypes.c_size_t),
        ("PeakJobMemoryUsed", ctypes.c_size_t),
    ]


class SID_AND_ATTRIBUTES(ctypes.Structure):
    _fields_ = [("Sid", ctypes.c_void_p), ("Attributes", wintypes.DWORD)]


class TOKEN_MANDATORY_LABEL(ctypes.Structure):
    _fields_ = [("Label", SID_AND_ATTRIBUTES)]


class STARTUPINFOW(ctypes.Structure):
    _fields_ = [
        ("cb", wintypes.DWORD),
        ("lpReserved", wintypes.LPWSTR),
        ("lpDesktop", wintypes.LPWSTR),
        ("lpTitle", wintypes.LPWSTR),
        ("dwX", wintypes.DWORD),
        ("dwY", wintypes.DWORD),
        ("dwXSize", wintypes.DWORD),
        ("dwYSize", wintypes.DWORD),
        ("dwXCountChars", wintypes.DWORD),
        ("dwYCountChars", wintypes.DWORD),
        ("dwFillAttribute", wintypes.DWORD),
        ("dwFlags", wintypes.DWORD),
        ("wShowWindow", wintypes.WORD),
        ("cbReserved2", wintypes.WORD),
        ("lpReserved2", ctypes.c_void_p),
        ("hStdInput", wintypes.HANDLE),
        ("hStdOutput", wintypes.HANDLE),
        ("hStdError", wintypes.HANDLE),
    ]


class PROCESS_INFORMATION(ctypes.Structure):
    _fields_ = [
        ("hProcess", wintypes.HANDLE),
        ("hThread", wintypes.HANDLE),
        ("dwProcessId", wintypes.DWORD),
        ("dwThreadId", wintypes.DWORD),
    ]


class SetupError(Exception):
    pass


def main(argv: list[str]) -> int:
    if sys.platform == "win32":
        return _launch(argv)
    sys.stderr.write("hearth-sandbox: this launcher is for Windows\n")
    return SETUP_FAILED


if sys.platform == "win32":  # the Windows API exists only there (and mypy knows it)

    def _ok(result: int, what: str) -> int:
        if not result:
            raise SetupError(f"{what}: {ctypes.WinError(ctypes.get_last_error())}")
        return result

    def _launch(argv: list[str]) -> int:
        config = json.loads(argv[1])
        kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
        advapi32 = ctypes.WinDLL("advapi32", use_last_error=True)
        kernel32.CreateJobObjectW.restype = wintypes.HANDLE
        kernel32.GetCurrentProcess.restype = wintypes.HANDLE
        kernel32.GetStdHandle.restype = wintypes.HANDLE
        limits = config["limits"]
        try:
            job = _ok(kernel32.CreateJobObjectW(None, None), "create a job object")
            extended = JOBOBJECT_EXTENDED_LIMIT()
            basic = extended.BasicLimitInformation
            basic.LimitFlags = (
                JOB_OBJECT_LIMIT_PROCESS_MEMORY
                | JOB_OBJECT_LIMIT_ACTIVE_PROCESS
                | JOB_OBJECT_LIMIT_PROCESS_TIME
                | JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE
                | JOB_OBJECT_LIMIT_DIE_ON_UNHANDLED_EXCEPTION
            )
            basic.ActiveProcessLimit = limits["processes"]
            basic.PerProcessUserTimeLimit = limits["cpu_seconds"] * 10_000_000  # 100 ns units
            extended.ProcessMemoryLimit = limits["memory_bytes"]
            _ok(
                kernel32.SetInformationJobObject(
                    wintypes.HANDLE(job),
                    JOB_OBJECT_EXTENDED_LIMIT_INFORMATION,
                    ctypes.byref(extended),
                    ctypes.sizeof(extended),
                ),
                "set the job's limits",
            )
            ui = wintypes.DWORD(JOB_OBJECT_UILIMIT_ALL)
            _ok(
                kernel32.SetInformationJobObject(
                    wintypes.HANDLE(job),
                    JOB_OBJECT_BASIC_UI_RESTRICTIONS,
                    ctypes.byref(ui),
                    ctypes.sizeof(ui),
                ),
                "set the job's UI restrictions",
            )

            token = wintypes.HANDLE()
            _ok(
                advapi32.OpenProcessToken(
                    kernel32.GetCurrentProcess(),
                    TOKEN_DUPLICATE | TOKEN_ASSIGN_PRIMARY | TOKEN_QUERY | TOKEN_ADJUST_DEFAULT,
                    ctypes.byref(token),
                ),
                "open the process token",
            )
            restricted = wintypes.HANDLE()
            _ok(
                advapi32.CreateRestrictedToken(
                    token,
                    DISABLE_MAX_PRIVILEGE | LUA_TOKEN,
                    0,
                    None,
                    0,
                    None,
                    0,
                    None,
                    ctypes.byref(restricted),
                ),
                "create a restricted token",
            )
            sid = ctypes.c_void_p()
            _ok(
                advapi32.ConvertStringSidToSidW(LOW_INTEGRITY_SID, ctypes.byref(sid)),
                "make the low-integrity SID",
            )
            label = TOKEN_MANDATORY_LABEL(SID_AND_ATTRIBUTES(sid, SE_GROUP_INTEGRITY))
            _ok(
                advapi32.SetTokenInformation(
                    restricted,
                    TOKEN_INTEGRITY_LEVEL,
                    ctypes.byref(label),
                    ctypes.sizeof(label) + advapi32.GetLengthSid(sid),
                ),
                "lower the token to low integrity",
            )
            labelled = subprocess.run(
                ["icacls", config["scratch"], "/setintegritylevel", "(OI)(CI)low"],
                capture_output=True,
                check=False,
            )
            if labelled.returncode != 0:
                raise SetupError("label the scratch folder low integrity: icacls failed")

            startup = STARTUPINFOW()
            startup.cb = ctypes.sizeof(startup)
            startup.dwFlags = STARTF_USESTDHANDLES
            handles = [kernel32.GetStdHandle(which) for which in STD_HANDLES]
            for handle in handles:
                kernel32.SetHandleInformation(
                    wintypes.HANDLE(handle), HANDLE_FLAG_INHERIT, HANDLE_FLAG_INHERIT
                )
            startup.hStdInput, startup.hStdOutput, startup.hStdError = handles
            environment = "".join(f"{key}={value}\0" for key, value in config["env"].items()) + "\0"
            info = PROCESS_INFORMATION()
            _ok(
                advapi32.CreateProcessAsUserW(
                    restricted,
                    None,
                    ctypes.create_unicode_buffer(subprocess.list2cmdline(config["argv"])),
                    None,
                    None,
                    True,
                    CREATE_SUSPENDED | CREATE_UNICODE_ENVIRONMENT | CREATE_NO_WINDOW,
                    ctypes.create_unicode_buffer(environment, len(environment)),
                    config["scratch"],
                    ctypes.byref(startup),
                    ctypes.byref(info),
                ),
                "start the program with the restricted token",
            )
            if not kernel32.AssignProcessToJobObject(wintypes.HANDLE(job), info.hProcess):
                kernel32.TerminateProcess(info.hProcess, SETUP_FAILED)
                raise SetupError("put the program in its job object")
            kernel32.ResumeThread(info.hThread)
        except SetupError as error:
            sys.stderr.write(f"hearth-sandbox: {error}\n")
            return SETUP_FAILED
        kernel32.WaitForSingleObject(info.hProcess, INFINITE)
        code = wintypes.DWORD()
        kernel32.GetExitCodeProcess(info.hProcess, ctypes.byref(code))
        return int(code.value)  # the job handle closes as this process ends: all else ends


if __name__ == "__main__":
    sys.exit(main(sys.argv))
