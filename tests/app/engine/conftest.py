from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.engine.engine import Engine
from app.engine.protocol import LoadRequest


@pytest.fixture
def engine() -> Iterator[Engine]:
    engine = Engine()
    yield engine
    engine.unload()


@pytest.fixture
def starter_request(starter_model: Path) -> LoadRequest:
    return LoadRequest(model_path=str(starter_model), n_ctx=2048)


@pytest.fixture
def loaded(engine: Engine, starter_request: LoadRequest) -> Engine:
    """An engine with the starter model loaded."""
    engine.load(starter_request)
    return engine
