"""Errors the engine raises to its callers, each worded for the user."""

from __future__ import annotations

import signal
import sys


class EngineError(RuntimeError):
    """Something went wrong in the engine; the message says what, for the user."""


class EngineCrashed(EngineError):
    """The engine process ended unexpectedly; the app lives on and can reload."""

    def __init__(self, message: str, exit_code: int | None) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class ModelLoadError(EngineError):
    """The model could not be loaded (broken file, refused template, no memory...)."""


class LoadCancelled(EngineError):
    """The user cancelled a load; the model loaded before is still in place."""


class GenerationError(EngineError):
    """A request failed (for example, the message is too long for the context)."""


_SIGNAL_MEANINGS = {
    "SIGSEGV": "crashed inside llama.cpp (segmentation fault)",
    "SIGBUS": "crashed inside llama.cpp (bus error)",
    "SIGILL": "crashed: llama.cpp used a processor instruction this CPU lacks (illegal"
    " instruction); a portable build is needed",
    "SIGABRT": "aborted inside llama.cpp (an internal check failed or memory ran out)",
    "SIGFPE": "crashed inside llama.cpp (arithmetic error)",
    "SIGKILL": "was killed (SIGKILL): the system may have run out of memory, or another"
    " program ended it",
    "SIGTERM": "was stopped by another program (SIGTERM)",
}

_WINDOWS_CODES = {
    0xC0000005: "crashed inside llama.cpp (access violation)",
    0xC00000FD: "crashed inside llama.cpp (stack overflow)",
    0xC000001D: "crashed: llama.cpp used a processor instruction this CPU lacks",
    0xC0000409: "aborted inside llama.cpp (an internal check failed)",
}


def describe_exit(exit_code: int | None) -> str:
    """A sentence saying how the engine process ended, from its exit code."""
    if exit_code is None:
        return "The engine process stopped answering"
    if exit_code < 0:
        try:
            name = signal.Signals(-exit_code).name
        except ValueError:
            name = f"signal {-exit_code}"
        meaning = _SIGNAL_MEANINGS.get(name, f"was ended by {name}")
        return f"The engine process {meaning}"
    if sys.platform == "win32" and (exit_code & 0xFFFFFFFF) in _WINDOWS_CODES:
        return f"The engine process {_WINDOWS_CODES[exit_code & 0xFFFFFFFF]}"
    return f"The engine process exited unexpectedly (exit code {exit_code})"
