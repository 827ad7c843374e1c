"""The clock tool: today's date and the time now, in the user's time zone and in UTC, or
in a time zone the model names (an IANA name, checked with ``zoneinfo``).

The clock and the user's zone are passed in, so tests can hand in a fixed moment; by
default they are the system's. Names of days and months are English whatever the
system's locale, so that the model always reads the same format.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from app.tools.base import Tool, ToolResult

_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_MAX_ZONE_NAME = 64


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


class ClockTool(Tool):
    name = "clock"
    description = (
        "Gives today's date and the current time, in the user's time zone and in UTC,"
        " or in the time zone given."
    )
    parameters: Mapping[str, Any] = {
        "type": "object",
        "properties": {
            "timezone": {
                "type": "string",
                "description": "An IANA time zone, such as Europe/Paris or America/New_York;"
                " leave it out for the user's own.",
            }
        },
        "additionalProperties": False,
    }
    needs_approval = False  # reads the clock: nothing private, nothing changed

    def __init__(
        self, *, now: Callable[[], datetime] = _utc_now, local_zone: tzinfo | None = None
    ) -> None:
        """now: the current moment (time-zone aware). local_zone: the user's zone; None
        for the system's own at that moment."""
        self._now = now
        self._local_zone = local_zone

    def run(self, arguments: Mapping[str, Any]) -> ToolResult:
        moment = self._now().astimezone(timezone.utc)
        requested = arguments.get("timezone")
        if requested:
            zone = _zone(requested)
            if zone is None:
                return ToolResult(
                    f"Unknown time zone {requested!r}. Use an IANA name such as Europe/Paris,"
                    " America/New_York or Asia/Tokyo, or leave it out for the user's own.",
                    is_error=True,
                )
            lines = [f"Time in {requested}: {_describe(moment.astimezone(zone))}"]
        else:
            local = moment.astimezone(self._local_zone) if self._local_zone else moment.astimezone()
            lines = [f"Local time (the user's): {_describe(local)}"]
        lines.append(f"UTC: {_describe(moment)}")
        return ToolResult("\n".join(lines))


def _zone(name: Any) -> tzinfo | None:
    """The IANA zone of that name, or None; never a path or anything but a zone."""
    if not isinstance(name, str) or len(name) > _MAX_ZONE_NAME:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def _describe(moment: datetime) -> str:
    """``Tuesday, 4 March 2025, 15:07:09 CET (UTC+01:00); ISO 2025-03-04T15:07:09+01:00``."""
    offset = moment.strftime("%z")
    offset = f"UTC{offset[:3]}:{offset[3:]}" if offset else "UTC"
    zone_name = moment.tzname() or ""
    zone = f" {zone_name}" if zone_name and zone_name != "UTC" else ""
    day = f"{_DAYS[moment.weekday()]}, {moment.day} {_MONTHS[moment.month - 1]} {moment.year}"
    iso = moment.replace(microsecond=0).isoformat()
    return f"{day}, {moment:%H:%M:%S}{zone} ({offset}); ISO {iso}"
