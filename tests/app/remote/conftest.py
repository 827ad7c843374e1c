"""Real servers Hearth did not write, and a Hearth of the test's own that chats with them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.hearth import Hearth
from app.paths import hearth_paths
from tests.support.api_server import Served, serving
from tests.support.remote_servers import LlamaServer, llama_cpp_server


@pytest.fixture(scope="session")
def llama_server(
    tmp_path_factory: pytest.TempPathFactory, starter_model: Path
) -> Iterator[LlamaServer]:
    """llama-cpp-python's own server over the starter model, for the whole session."""
    with llama_cpp_server(starter_model, tmp_path_factory.mktemp("llama-server")) as server:
        yield server


@pytest.fixture(scope="module")
def hearth_serve(tmp_path_factory: pytest.TempPathFactory, starter_model: Path) -> Iterator[Served]:
    """``hearth serve`` (another Hearth, in its own home) with the starter model."""
    with serving(tmp_path_factory.mktemp("served-home")) as served:
        yield served


@pytest.fixture
def client(tmp_path: Path) -> Iterator[Hearth]:
    """The Hearth under test: a home of its own, no model loaded."""
    hearth = Hearth.open(hearth_paths({"HEARTH_HOME": str(tmp_path / "client-home")}))
    try:
        yield hearth
    finally:
        hearth.close()
