"""Fixtures for the Models page: a test Hub on 127.0.0.1 (``HF_ENDPOINT``), a private
Hearth home, and the page itself with the dialogs answered by the test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from app.hardware.machine import GpuDevice, MachineInfo
from app.library.local_models import LocalModel
from app.library.service import ModelLibrary
from app.paths import hearth_paths
from tests.support.hub_server import HubServer
from tests.support.library_hub import fill_hub, write_files
from tests.ui.window.conftest import open_window, window  # noqa: F401  (the main window)
from ui.models.page import ModelsPage

# A desktop with an 8 GB graphics card: the test models fit on its GPU.
DESKTOP = MachineInfo(
    os="linux",
    os_version="test",
    arch="x86_64",
    cpu_name="Test CPU",
    cpu_cores=8,
    cpu_threads=16,
    total_ram=32_000_000_000,
    available_ram=24_000_000_000,
    gpus=(GpuDevice("Test GPU", "cuda", 8_000_000_000, 7_500_000_000),),
)


@pytest.fixture(scope="session")
def hub_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_files(tmp_path_factory.mktemp("models-hub-files"))


@pytest.fixture(scope="session")
def hub_server(hub_files: dict[str, Path]) -> Iterator[HubServer]:
    with HubServer() as server:
        fill_hub(server, hub_files)
        yield server


@pytest.fixture
def hub(
    hub_server: HubServer, hearth_home: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[HubServer]:
    hub_server.reset()
    monkeypatch.setenv("HF_ENDPOINT", hub_server.endpoint)
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setattr("huggingface_hub.constants.HF_TOKEN_PATH", str(hearth_home / "hf-token"))
    yield hub_server
    hub_server.reset()


class Answers:
    """What the test answers to the page's dialogs, and what they were asked."""

    def __init__(self) -> None:
        self.remove: tuple[bool, bool] = (True, False)
        self.file: str | None = None
        self.folder: str | None = None
        self.asked: list[LocalModel] = []

    def confirm_remove(self, parent: object, model: LocalModel) -> tuple[bool, bool]:
        self.asked.append(model)
        return self.remove


@pytest.fixture
def answers() -> Answers:
    return Answers()


@pytest.fixture
def open_page(qtbot, hub: HubServer, answers: Answers) -> Iterator[Callable[[], ModelsPage]]:
    pages: list[ModelsPage] = []

    def open_() -> ModelsPage:
        page = ModelsPage(
            ModelLibrary(hearth_paths().ensure()),
            lambda: DESKTOP,
            confirm_remove=answers.confirm_remove,
            choose_file=lambda parent: answers.file,
            choose_dir=lambda parent: answers.folder,
        )
        qtbot.addWidget(page)
        page.resize(1000, 760)
        page.show()
        page.start()
        pages.append(page)
        return page

    yield open_
    for page in pages:
        page.shutdown()


@pytest.fixture
def page(open_page: Callable[[], ModelsPage]) -> ModelsPage:
    return open_page()
