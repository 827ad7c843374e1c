"""What every OS's confinement offers the Python tool."""

from __future__ import annotations

import sys
import threading
from abc import ABC, abstractmethod
from pathlib import Path

from app.tools.sandbox.limits import SandboxLimits, SandboxRun


class Confinement(ABC):
    """Runs Python code locked down: no network, only ``scratch`` writable, limits."""

    name: str

    @abstractmethod
    def available(self) -> tuple[bool, str]:
        """(True, what the confinement is) or (False, why it cannot be had here)."""

    @abstractmethod
    def run(self, code: str, scratch: Path, limits: SandboxLimits) -> SandboxRun:
        """Runs code with ``scratch`` (an existing folder) as its working and only
        writable folder."""


class ProbedConfinement(Confinement):
    """A confinement found available by trying it once (then remembered), whose code
    runs in ``python`` (Hearth's own interpreter by default, so the packages installed
    beside Hearth, such as matplotlib, are importable)."""

    def __init__(self, python: str | None = None) -> None:
        self._python = python or sys.executable
        self._probe: tuple[bool, str] | None = None
        self._lock = threading.Lock()

    def available(self) -> tuple[bool, str]:
        with self._lock:
            if self._probe is None:
                self._probe = self._check()
            return self._probe

    @abstractmethod
    def _check(self) -> tuple[bool, str]:
        """Tries the confinement: (True, what it is) or (False, why not)."""


class Unconfined(Confinement):
    """Where no confinement is known: the tool stays off."""

    name = "none"

    def __init__(self, reason: str) -> None:
        self._reason = reason

    def available(self) -> tuple[bool, str]:
        return False, self._reason

    def run(self, code: str, scratch: Path, limits: SandboxLimits) -> SandboxRun:
        return SandboxRun(setup_error=self._reason)


def frozen_problem(python: str) -> str:
    """Why ``python`` cannot run the sandbox's scripts in a frozen (bundled) Hearth, or
    "": there ``sys.executable`` is the app itself, not a Python interpreter."""
    if getattr(sys, "frozen", False) and python == sys.executable:
        return (
            "this bundled Hearth has no separate Python interpreter to run code in; the"
            " Python tool works where Hearth runs from a Python installation"
        )
    return ""
