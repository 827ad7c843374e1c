from __future__ import annotations

import pytest

from app.hearth import Hearth
from tests.support.hearth_fixtures import hearth

__all__ = ["hearth", "loaded"]


@pytest.fixture
def loaded(hearth: Hearth) -> Hearth:
    hearth.engine.load(hearth.load_request(hearth.resolve_model("SmolLM2-135M-Instruct")))
    return hearth
