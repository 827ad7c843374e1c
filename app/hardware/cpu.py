"""The processor's marketing name ("AMD Ryzen 9 7950X", "Apple M2 Max") on each OS."""

from __future__ import annotations

import platform
import sys
from pathlib import Path

from app.hardware.apple import read_sysctl

_CPUINFO_KEYS = ("model name", "Hardware", "Model", "cpu model", "Processor")


def cpu_name() -> str:
    """The processor's name, or the best generic description available. Never raises."""
    try:
        name = _os_cpu_name()
    except Exception:  # an unreadable /proc or registry is not worth failing over
        name = None
    return name or platform.processor() or platform.machine() or "unknown processor"


def parse_cpuinfo(text: str) -> str | None:
    """The first ``model name`` (or ARM ``Hardware`` / ``Model``) in /proc/cpuinfo."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and value.strip():
            values.setdefault(key.strip(), value.strip())
    for key in _CPUINFO_KEYS:
        if key in values:
            return values[key]
    return None


def _os_cpu_name() -> str | None:
    if sys.platform.startswith("linux"):
        return parse_cpuinfo(Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace"))
    if sys.platform == "darwin":
        return read_sysctl("machdep.cpu.brand_string")
    if sys.platform == "win32":
        import winreg

        key_path = r"HARDWARE\DESCRIPTION\System\CentralProcessor\0"
        with winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, key_path) as key:
            return str(winreg.QueryValueEx(key, "ProcessorNameString")[0]).strip()
    return None
