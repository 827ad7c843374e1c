"""Fixtures shared by the test folders whose conftest imports them.

``hearth``: Hearth opened on the test's private home (``hearth_home``), as the window and
the command line open it, and closed afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.hearth import Hearth
from app.paths import hearth_paths


@pytest.fixture
def hearth(hearth_home: Path) -> Iterator[Hearth]:
    opened = Hearth.open(hearth_paths())
    yield opened
    opened.close()
