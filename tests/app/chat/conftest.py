from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.hearth import Hearth
from app.paths import hearth_paths


@pytest.fixture
def hearth(hearth_home: Path) -> Iterator[Hearth]:
    hearth = Hearth.open(hearth_paths())
    yield hearth
    hearth.close()


@pytest.fixture
def loaded(hearth: Hearth) -> Hearth:
    hearth.engine.load(hearth.load_request(hearth.resolve_model("SmolLM2-135M-Instruct")))
    return hearth
