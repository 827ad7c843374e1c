"""The clock: the date and time in the user's zone and UTC, or in a zone the model names,
at a moment the test fixes."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from app.engine.tool_calls import ToolCall
from app.tools.clock import ClockTool
from app.tools.registry import ToolRegistry

WINTER = datetime(2025, 3, 4, 14, 7, 9, 123456, tzinfo=timezone.utc)
SUMMER = datetime(2025, 7, 14, 22, 30, 0, tzinfo=timezone.utc)


def clock_at(moment: datetime, zone: str = "Europe/Paris") -> ClockTool:
    return ClockTool(now=lambda: moment, local_zone=ZoneInfo(zone))


def test_local_time_and_utc() -> None:
    result = clock_at(WINTER).run({})
    assert not result.is_error
    assert result.text == (
        "Local time (the user's): Tuesday, 4 March 2025, 15:07:09 CET (UTC+01:00);"
        " ISO 2025-03-04T15:07:09+01:00\n"
        "UTC: Tuesday, 4 March 2025, 14:07:09 (UTC+00:00); ISO 2025-03-04T14:07:09+00:00"
    )


def test_summer_time_and_the_date_line() -> None:
    paris = clock_at(SUMMER).run({}).text
    assert "Tuesday, 15 July 2025, 00:30:00 CEST (UTC+02:00)" in paris
    assert "UTC: Monday, 14 July 2025, 22:30:00" in paris
    new_york = clock_at(SUMMER, "America/New_York").run({}).text
    assert "Monday, 14 July 2025, 18:30:00 EDT (UTC-04:00)" in new_york


def test_a_named_time_zone() -> None:
    result = clock_at(WINTER).run({"timezone": "Asia/Tokyo"})
    assert not result.is_error
    lines = result.text.splitlines()
    assert lines[0] == (
        "Time in Asia/Tokyo: Tuesday, 4 March 2025, 23:07:09 JST (UTC+09:00);"
        " ISO 2025-03-04T23:07:09+09:00"
    )
    assert lines[1].startswith("UTC: Tuesday, 4 March 2025, 14:07:09")
    assert "UTC+05:30" in clock_at(WINTER).run({"timezone": "Asia/Kolkata"}).text


@pytest.mark.parametrize(
    "zone",
    ["Mars/Olympus_Mons", "../../etc/passwd", "/etc/localtime", "Europe/", "x" * 500, "CET\x00"],
)
def test_an_unknown_time_zone_is_an_error_that_says_what_to_write(zone: str) -> None:
    result = clock_at(WINTER).run({"timezone": zone})
    assert result.is_error
    assert "IANA" in result.text and "Europe/Paris" in result.text


def test_the_systems_own_clock_and_zone() -> None:
    before = datetime.now(timezone.utc)
    text = ClockTool().run({}).text
    assert text.startswith("Local time (the user's): ")
    assert "UTC: " in text and str(before.year) in text


def test_through_the_registry_a_wrong_type_is_refused_before_the_clock_runs() -> None:
    registry = ToolRegistry([clock_at(WINTER)])
    result = registry.run(ToolCall("clock", {"timezone": 9}, '{"timezone": 9}'))
    assert result.is_error and "timezone must be of type string" in result.text
    result = registry.run(ToolCall("clock", {"zone": "UTC"}, '{"zone": "UTC"}'))
    assert result.is_error and "Unknown argument(s): zone" in result.text
    assert not registry.run(ToolCall("clock", {"timezone": "UTC"}, "")).is_error


def test_the_clock_needs_no_approval() -> None:
    assert not ClockTool().needs_approval
