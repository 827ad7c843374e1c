"""The Linux confinement of the Python tool: run as a script of its own, never imported.

``python -I linux_confine.py CONFIG_JSON`` (built by ``app.tools.sandbox.linux``) runs
one program confined. It uses only the standard library and the optional ``pyseccomp``
binding, because it runs before, and apart from, the rest of Hearth:

1. ``unshare(2)`` into new user, mount, network, PID, IPC and UTS namespaces, mapping
   only the caller's own user and group (to a non-zero id inside, so that the program,
   once exec'd, holds no capability at all).
2. Forks: the child is PID 1 of the new PID namespace and dies with this process
   (``PR_SET_PDEATHSIG``); when it ends, the kernel kills whatever the program left.
3. PID 1 builds a new root on a small tmpfs: the system folders (``/usr``, ``/etc``,
   ...) and Python's own folders bound read-only, a handful of device nodes, a fresh
   ``/proc`` for the new PID namespace, and the scratch folder bound writable at its own
   path; it ``pivot_root``s into it, detaches the old root and makes the tmpfs read-only.
   Nothing else of the file system (the home folder, ``/tmp``, ``/run`` with its
   sockets) is there at all.
4. It forks the program's process, which sets resource limits (address space, CPU
   time, processes, file size, open files, no core dumps), ``PR_SET_NO_NEW_PRIVS``, a
   seccomp filter where ``pyseccomp`` and libseccomp are present (no new namespaces,
   mounts, ptrace, kernel keyrings, BPF, io_uring; sockets only of the local Unix kind),
   and execs the program in the scratch folder with a clean environment.

The network namespace has only a loopback device, down: no address, inside or out,
can be reached. Before the exec, a JSON line goes to the report pipe saying what was
set up, or what failed (exit status 125), so the caller can tell the user.
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import signal
import sys
from typing import Any

try:  # the seccomp layer is optional: present where pyseccomp and libseccomp are
    import pyseccomp as _seccomp

    _SECCOMP_PROBLEM = ""
except Exception as _error:  # ImportError, or RuntimeError when libseccomp is missing
    _seccomp = None
    _SECCOMP_PROBLEM = str(_error) or type(_error).__name__

SETUP_FAILED = 125

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
CLONE_NEWCGROUP = 0x02000000
NAMESPACE_FLAGS = (
    CLONE_NEWUSER
    | CLONE_NEWNS
    | CLONE_NEWNET
    | CLONE_NEWPID
    | CLONE_NEWIPC
    | CLONE_NEWUTS
    | CLONE_NEWCGROUP
)

MS_RDONLY = 0x1
MS_NOSUID = 0x2
MS_NODEV = 0x4
MS_NOEXEC = 0x8
MS_REMOUNT = 0x20
MS_NOATIME = 0x400
MS_NODIRATIME = 0x800
MS_BIND = 0x1000
MS_REC = 0x4000
MS_PRIVATE = 0x40000
MS_RELATIME = 0x200000
MNT_DETACH = 0x2

PR_SET_PDEATHSIG = 1
PR_SET_NO_NEW_PRIVS = 38

AT_FDCWD = -100
AT_RECURSIVE = 0x8000
MOUNT_ATTR_RDONLY = 0x1
SYS_MOUNT_SETATTR = 442  # one number on every architecture (added in Linux 5.12)

# pivot_root(2) has no libc wrapper; its number differs by architecture.
PIVOT_ROOT = {
    "x86_64": 155,
    "aarch64": 41,
    "arm64": 41,
    "riscv64": 41,
    "loongarch64": 41,
    "i386": 217,
    "i686": 217,
    "armv7l": 218,
    "armv6l": 218,
    "ppc64le": 203,
    "ppc64": 203,
    "s390x": 217,
}

DEVICES = ("null", "zero", "full", "random", "urandom")

# statvfs flags to keep when remounting a bind read-only: the kernel refuses, in a user
# namespace, a remount that would drop a flag the mount already has.
_ST_FLAGS = (
    (os.ST_NOSUID, MS_NOSUID),
    (os.ST_NODEV, MS_NODEV),
    (os.ST_NOEXEC, MS_NOEXEC),
    (os.ST_NOATIME, MS_NOATIME),
    (os.ST_NODIRATIME, MS_NODIRATIME),
    (os.ST_RELATIME, MS_RELATIME),
)

_libc = ctypes.CDLL(None, use_errno=True)


class SetupError(Exception):
    """A confinement step failed; the program is not run."""


def _check(result: int, what: str) -> int:
    if result == -1:
        number = ctypes.get_errno()
        raise SetupError(f"{what}: {os.strerror(number)} (errno {number})")
    return result


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str = "") -> None:
    _check(
        _libc.mount(
            None if source is None else source.encode(),
            target.encode(),
            None if fstype is None else fstype.encode(),
            ctypes.c_ulong(flags),
            data.encode() if data else None,
        ),
        f"mount {source or ''} on {target}",
    )


class _MountAttr(ctypes.Structure):
    _fields_ = (
        ("attr_set", ctypes.c_uint64),
        ("attr_clr", ctypes.c_uint64),
        ("propagation", ctypes.c_uint64),
        ("userns_fd", ctypes.c_uint64),
    )


def _make_read_only(target: str) -> None:
    """Makes the mount at target and every mount under it read-only."""
    attr = _MountAttr(MOUNT_ATTR_RDONLY, 0, 0, 0)
    result = _libc.syscall(
        ctypes.c_long(SYS_MOUNT_SETATTR),
        ctypes.c_int(AT_FDCWD),
        target.encode(),
        ctypes.c_uint(AT_RECURSIVE),
        ctypes.byref(attr),
        ctypes.c_size_t(ctypes.sizeof(attr)),
    )
    if result == 0:
        return
    if ctypes.get_errno() not in (38, 22):  # ENOSYS, EINVAL: a kernel before 5.12
        _check(result, f"make {target} read-only")
    # Older kernels: remount each mount at or under target, keeping its locked flags.
    for mount_point in _mounts_under(target):
        flags = MS_REMOUNT | MS_BIND | MS_RDONLY
        current = os.statvfs(mount_point).f_flag
        for st_flag, ms_flag in _ST_FLAGS:
            if current & st_flag:
                flags |= ms_flag
        _mount(None, mount_point, None, flags)


def _mounts_under(target: str) -> list[str]:
    found = []
    with open("/proc/self/mountinfo", encoding="utf-8") as mountinfo:
        for line in mountinfo:
            point = line.split()[4].encode().decode("unicode_escape")
            if point == target or point.startswith(target.rstrip("/") + "/"):
                found.append(point)
    return found


def _write(path: str, text: str) -> None:
    with open(path, "w", encoding="ascii") as handle:
        handle.write(text)


def _enter_namespaces(inside_uid: int, inside_gid: int) -> None:
    uid, gid = os.geteuid(), os.getegid()
    _check(_libc.unshare(ctypes.c_int(NAMESPACE_FLAGS)), "create namespaces (unshare)")
    try:
        _write("/proc/self/setgroups", "deny")
        _write("/proc/self/uid_map", f"{inside_uid} {uid} 1\n")
        _write("/proc/self/gid_map", f"{inside_gid} {gid} 1\n")
    except OSError as error:
        raise SetupError(f"map the user into its namespace: {error}") from error


def _place(root: str, path: str) -> str:
    return os.path.join(root, path.lstrip("/"))


def _bind_read_only(root: str, path: str, bound: list[str]) -> None:
    """Binds path (a folder of the host) read-only at the same path under root."""
    if not os.path.exists(path):
        return
    target = _place(root, path)
    if os.path.islink(path):  # /bin -> usr/bin and the like: the same link, then its target
        if not os.path.lexists(target):
            os.makedirs(os.path.dirname(target), exist_ok=True)
            os.symlink(os.readlink(path), target)
        _bind_read_only(root, os.path.realpath(path), bound)
        return
    path = os.path.realpath(path)
    if any(path == done or path.startswith(done.rstrip("/") + "/") for done in bound):
        return
    if os.path.isdir(path):
        os.makedirs(target, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if not os.path.exists(target):
            open(target, "a").close()
    _mount(path, target, None, MS_BIND | MS_REC)
    _make_read_only(target)
    bound.append(path)


def _build_root(config: dict[str, Any], report: dict[str, Any]) -> None:
    """Builds the new root and moves into it (PID 1, with all capabilities in the
    namespace)."""
    root = config["root"]
    scratch = config["scratch"]
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    _mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=0755")
    bound: list[str] = []
    for path in sorted(config["read_only"], key=len):
        _bind_read_only(root, path, bound)
    os.makedirs(_place(root, "/dev"), exist_ok=True)
    for name in DEVICES:
        target = _place(root, f"/dev/{name}")
        open(target, "a").close()
        _mount(f"/dev/{name}", target, None, MS_BIND)
    for name, link in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0")):
        os.symlink(link, _place(root, f"/dev/{name}"))
    os.symlink("/proc/self/fd/1", _place(root, "/dev/stdout"))
    os.symlink("/proc/self/fd/2", _place(root, "/dev/stderr"))
    os.makedirs(_place(root, "/proc"), exist_ok=True)
    try:
        _mount("proc", _place(root, "/proc"), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
        report["proc"] = True
    except SetupError as error:  # e.g. inside a container that masks parts of /proc
        report["proc"] = f"no /proc: {error}"
    target = _place(root, scratch)
    os.makedirs(target, exist_ok=True)
    _mount(scratch, target, None, MS_BIND)
    _mount(None, target, None, MS_REMOUNT | MS_BIND | MS_NOSUID | MS_NODEV)

    number = PIVOT_ROOT.get(os.uname().machine)
    if number is None:
        raise SetupError(f"pivot_root is not known on {os.uname().machine}")
    os.chdir(root)
    os.mkdir(".old-root")
    _check(_libc.syscall(ctypes.c_long(number), b".", b".old-root"), "pivot_root")
    os.chdir("/")
    _check(_libc.umount2(b"/.old-root", ctypes.c_int(MNT_DETACH)), "detach the old root")
    os.rmdir("/.old-root")
    _mount(None, "/", None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
    report["root"] = "new root: system and Python folders read-only, scratch writable"
    if report["proc"] is True:
        try:  # no user namespaces inside this one (the seccomp filter also refuses them)
            _write("/proc/sys/user/max_user_namespaces", "0")
            report["nested_user_namespaces"] = False
        except OSError as error:
            report["nested_user_namespaces"] = f"still possible: {error}"


def _set_limits(limits: dict[str, int]) -> None:
    for name, value in (
        ("RLIMIT_AS", limits["memory_bytes"]),
        ("RLIMIT_NPROC", limits["processes"]),
        ("RLIMIT_FSIZE", limits["file_bytes"]),
        ("RLIMIT_NOFILE", limits["open_files"]),
        ("RLIMIT_CORE", 0),
    ):
        resource.setrlimit(getattr(resource, name), (value, value))
    cpu = limits["cpu_seconds"]
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))


# System calls the program never needs and that an escape would: refused with EPERM.
_REFUSED = (
    "mount",
    "umount2",
    "pivot_root",
    "chroot",
    "unshare",
    "setns",
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "kexec_load",
    "kexec_file_load",
    "init_module",
    "finit_module",
    "delete_module",
    "bpf",
    "perf_event_open",
    "keyctl",
    "add_key",
    "request_key",
    "userfaultfd",
    "open_by_handle_at",
    "name_to_handle_at",
    "fsopen",
    "fsconfig",
    "fsmount",
    "fspick",
    "open_tree",
    "move_mount",
    "mount_setattr",
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
    "reboot",
    "swapon",
    "swapoff",
    "acct",
    "quotactl",
    "syslog",
    "vhangup",
)
_TIOCSTI = 0x5412
_TIOCLINUX = 0x541C
_AF_UNIX = 1


def _load_seccomp() -> str | bool:
    """Loads the filter; True, or why not."""
    if _seccomp is None:
        return f"not loaded: pyseccomp/libseccomp unavailable ({_SECCOMP_PROBLEM})"
    import errno

    sc = _seccomp
    rules = sc.SyscallFilter(defaction=sc.ALLOW)
    refuse = sc.ERRNO(errno.EPERM)
    for name in _REFUSED:
        try:
            rules.add_rule(refuse, name)
        except (OSError, ValueError, RuntimeError):
            continue  # a call this architecture does not have
    for flag in (
        CLONE_NEWUSER,
        CLONE_NEWNS,
        CLONE_NEWNET,
        CLONE_NEWPID,
        CLONE_NEWIPC,
        CLONE_NEWUTS,
        CLONE_NEWCGROUP,
    ):
        rules.add_rule(refuse, "clone", sc.Arg(0, sc.MASKED_EQ, flag, flag))
    # clone3 passes its flags in memory, where a filter cannot look: make libc fall back
    # to clone, which the rules above see.
    rules.add_rule(sc.ERRNO(errno.ENOSYS), "clone3")
    rules.add_rule(refuse, "ioctl", sc.Arg(1, sc.MASKED_EQ, 0xFFFFFFFF, _TIOCSTI))
    rules.add_rule(refuse, "ioctl", sc.Arg(1, sc.MASKED_EQ, 0xFFFFFFFF, _TIOCLINUX))
    rules.add_rule(sc.ERRNO(errno.EAFNOSUPPORT), "socket", sc.Arg(0, sc.NE, _AF_UNIX))
    rules.load()
    return True


def _run_program(config: dict[str, Any], report: dict[str, Any], report_fd: int) -> None:
    """The program's process: limits, filter, then exec (never returns)."""
    try:
        os.setsid()
        _set_limits(config["limits"])
        os.chdir(config["scratch"])
        _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "set no_new_privs")
        if not config.get("seccomp", True):
            report["seccomp"] = "not loaded: switched off"
        else:
            try:
                report["seccomp"] = _load_seccomp()
            except Exception as error:  # a filter that will not load is a reported gap
                report["seccomp"] = f"not loaded: {error}"
        report["limits"] = config["limits"]
        _report(report_fd, report)
    except (SetupError, OSError) as error:
        _report(report_fd, {"error": str(error)})
        os._exit(SETUP_FAILED)
    argv = config["argv"]
    try:
        os.execve(argv[0], argv, config["env"])
    except OSError as error:
        os.write(2, f"cannot start {argv[0]}: {error}\n".encode())
        os._exit(SETUP_FAILED)


def _report(fd: int, report: dict[str, Any]) -> None:
    if fd >= 0:
        os.write(fd, (json.dumps(report) + "\n").encode())
        os.close(fd)


def _exit_status(status: int) -> int:
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return os.WEXITSTATUS(status)


def _init(config: dict[str, Any], report_fd: int) -> None:
    """PID 1 of the new namespace (never returns)."""
    report: dict[str, Any] = {
        "namespaces": ["user", "mount", "network", "pid", "ipc", "uts", "cgroup"]
    }
    try:
        # Dies with the launcher; and it stays in the launcher's process group, so the
        # caller's killpg reaches it even in the moment before this line.
        _check(_libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "set the death signal")
        _build_root(config, report)
    except (SetupError, OSError) as error:
        _report(report_fd, {"error": str(error)})
        os._exit(SETUP_FAILED)
    program = os.fork()
    if program == 0:
        _run_program(config, report, report_fd)
    os.close(report_fd)
    for fd in (0, 1, 2):  # only the program holds the pipes, so their end is its end
        os.close(fd)
    while True:  # reap whatever ends, until the program does
        pid, status = os.wait()
        if pid == program:
            os._exit(_exit_status(status))


def main(argv: list[str]) -> int:
    config = json.loads(argv[1])
    report_fd = int(config.get("report_fd", -1))
    try:
        _enter_namespaces(int(config["inside_uid"]), int(config["inside_gid"]))
    except SetupError as error:
        _report(report_fd, {"error": str(error)})
        return SETUP_FAILED
    child = os.fork()
    if child == 0:
        _init(config, report_fd)
    os.close(report_fd)
    for fd in (0, 1, 2):
        os.close(fd)
    _, status = os.waitpid(child, 0)
    return _exit_status(status)


if __name__ == "__main__":
    os._exit(main(sys.argv))
