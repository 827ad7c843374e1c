"""The "when" labels under each conversation."""

from __future__ import annotations

from datetime import datetime

import pytest

from ui.sidebar.relative_time import relative_time

NOW = datetime(2024, 5, 15, 12, 0)  # a Wednesday, local time


@pytest.mark.parametrize(
    ("then", "label"),
    [
        (datetime(2024, 5, 15, 11, 59, 30), "just now"),
        (datetime(2024, 5, 15, 12, 0, 20), "just now"),  # a clock that went back a little
        (datetime(2024, 5, 15, 11, 55), "5 min ago"),
        (datetime(2024, 5, 15, 9, 10), "2 h ago"),
        (datetime(2024, 5, 14, 23, 0), "Yesterday"),
        (datetime(2024, 5, 11, 8, 0), "Saturday"),
        (datetime(2024, 3, 2, 8, 0), "2 Mar"),
        (datetime(2023, 12, 31, 8, 0), "31 Dec 2023"),
    ],
)
def test_labels(then: datetime, label: str) -> None:
    assert relative_time(then.timestamp(), NOW.timestamp()) == label
