"""Bounds the work one chat-template render may do: its time, and the size of what it builds.

Jinja's sandbox bounds each ``range()`` but not the total work, so a template from a model
file could loop for hours or build gigabytes of text. While a render runs, its thread
carries a :class:`RenderBudget`:

- time: a trace function (this thread only) checks the clock on every Python call, and on
  every line of the compiled template itself (code named ``<template>``), and stops the
  render past the deadline; the thread's previous trace function is restored afterwards;
- size: the template environment asks :func:`check_size` before it builds a large value
  and :func:`count_output` for every piece of text the template writes.

Going over the budget raises :class:`BudgetExceeded`, a ``BaseException`` so that no
``except Exception`` inside Jinja or a filter can swallow it; the chat-template module turns
it into the user-facing ``TemplateTooCostly``.
"""

from __future__ import annotations

import math
import sys
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import Any, TypeVar

#: What Jinja names the code it compiles from a template string.
TEMPLATE_FILENAME = "<template>"

#: A render is stopped after this long; with unwinding it ends well within 2 s.
TIME_LIMIT_S = 1.5
#: The largest single value (text characters, list items) a template may build, at least.
MIN_VALUE_LIMIT = 16 * 1024 * 1024
#: The most text a template may write in one render (all pieces together), at least.
MIN_OUTPUT_LIMIT = 64 * 1024 * 1024
#: Both limits grow with the conversation: a long chat is not "too much".
VALUE_PER_INPUT_CHAR = 4
OUTPUT_PER_INPUT_CHAR = 16
#: Field widths (``'%9999999d'``, ``'{:>9999999}'``, ``center(…)``) above this are refused.
MAX_WIDTH = 100_000
#: Integers a template computes are kept below this many bits (about 30 000 digits).
MAX_INT_BITS = 100_000

_T = TypeVar("_T")
_TraceFunction = Callable[[FrameType, str, Any], Any]


class BudgetExceeded(BaseException):
    """A render went over its budget; ``reason`` completes "the chat template …".

    Like KeyboardInterrupt, a signal to stop rather than an error of the code it interrupts.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RenderBudget:
    """The limits of one render, and how much of them it has used."""

    def __init__(
        self,
        *,
        input_chars: int = 0,
        seconds: float = TIME_LIMIT_S,
        value_limit: int | None = None,
        output_limit: int | None = None,
    ) -> None:
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds
        self.value_limit = value_limit or MIN_VALUE_LIMIT + VALUE_PER_INPUT_CHAR * input_chars
        self.output_limit = output_limit or MIN_OUTPUT_LIMIT + OUTPUT_PER_INPUT_CHAR * input_chars
        self.written = 0

    def check_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise BudgetExceeded(f"ran for more than {self.seconds:g} s and was stopped")

    def check_size(self, size: int, what: str = "a text") -> None:
        if size > self.value_limit:
            raise BudgetExceeded(
                f"tried to build {what} of about {_amount(size)}, over the limit of"
                f" {_amount(self.value_limit)}, and was stopped"
            )

    def count_output(self, size: int) -> None:
        self.written += size
        if self.written > self.output_limit:
            raise BudgetExceeded(
                f"wrote more than {_amount(self.output_limit)} of text and was stopped"
            )

    def trace_call(self, frame: FrameType, event: str, arg: Any) -> _TraceFunction | None:
        """Global trace function: every Python call checks the clock; template code is traced
        line by line, so a loop with no calls in it is stopped too."""
        if time.monotonic() > self.deadline:
            raise BudgetExceeded(f"ran for more than {self.seconds:g} s and was stopped")
        if frame.f_code.co_filename == TEMPLATE_FILENAME:
            return self.trace_line
        return None

    def trace_line(self, frame: FrameType, event: str, arg: Any) -> _TraceFunction:
        if time.monotonic() > self.deadline:
            raise BudgetExceeded(f"ran for more than {self.seconds:g} s and was stopped")
        return self.trace_line


# Outside an enforced render (Jinja folds constants while compiling, for one) sizes are
# still bounded, by the minimum limits; nothing is counted and there is no deadline.
_UNENFORCED = RenderBudget(seconds=math.inf)
_local = threading.local()


def active() -> RenderBudget:
    """The budget of the render running in this thread (or the minimum limits)."""
    budget: RenderBudget | None = getattr(_local, "budget", None)
    return budget if budget is not None else _UNENFORCED


def check_size(size: int, what: str = "a text") -> None:
    active().check_size(size, what)


def check_time() -> None:
    active().check_time()


def count_output(size: int) -> None:
    budget = active()
    if budget is not _UNENFORCED:
        budget.count_output(size)


def run_within(budget: RenderBudget, work: Callable[[], _T]) -> _T:
    """Runs ``work`` under ``budget`` in this thread; restores what was there before.

    The previous trace function is put back by the first statement of ``finally``: a C call,
    which the budget's own tracer cannot interrupt.
    """
    previous_budget = getattr(_local, "budget", None)
    previous_trace = sys.gettrace()
    _local.budget = budget
    sys.settrace(budget.trace_call)
    try:
        return work()
    finally:
        sys.settrace(previous_trace)
        _local.budget = previous_budget


def _amount(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.0f} M characters"
    return f"{size} characters"
