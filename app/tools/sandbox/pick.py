"""Picks this operating system's confinement for the Python tool."""

from __future__ import annotations

import sys

from app.tools.sandbox.base import Confinement, Unconfined


def confinement_for_this_os() -> Confinement:
    """Linux namespaces, the macOS sandbox profile, or a Windows job object; elsewhere
    none, and the Python tool is off."""
    if sys.platform.startswith("linux"):
        from app.tools.sandbox.linux import LinuxConfinement

        return LinuxConfinement()
    if sys.platform == "darwin":
        from app.tools.sandbox.macos import MacConfinement

        return MacConfinement()
    if sys.platform == "win32":
        from app.tools.sandbox.windows import WindowsConfinement

        return WindowsConfinement()
    return Unconfined(f"no confinement is known for {sys.platform}, so code cannot run safely")
