"""Short, human "when" labels for the conversation list: "just now", "5 min ago", "Yesterday".

Pure functions of two timestamps, so the wording is easy to test and the list can
refresh its labels by simply repainting.
"""

from __future__ import annotations

from datetime import datetime, timedelta

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def relative_time(timestamp: float, now: float) -> str:
    """How long ago ``timestamp`` was, seen at ``now`` (both Unix seconds, local calendar)."""
    seconds = now - timestamp
    # A timestamp a little in the future (clock moved back) still reads as "just now".
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    then = datetime.fromtimestamp(timestamp)
    today = datetime.fromtimestamp(now).date()
    if then.date() == today:
        return f"{int(seconds // 3600)} h ago"
    if then.date() == today - timedelta(days=1):
        return "Yesterday"
    if today - then.date() < timedelta(days=7):
        return _WEEKDAYS[then.weekday()]
    if then.year == today.year:
        return f"{then.day} {_MONTHS[then.month - 1]}"
    return f"{then.day} {_MONTHS[then.month - 1]} {then.year}"
