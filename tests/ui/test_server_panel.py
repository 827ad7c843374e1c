"""The API server's switch in the window: it serves, says where and what, and the window
stays responsive while sixteen clients stream from it."""

from __future__ import annotations

import json
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import openai
import pytest
from PySide6.QtCore import QElapsedTimer, Qt, QTimer

from app.hearth import Hearth
from app.library.starter import STARTER_NAME
from app.paths import hearth_paths
from app.server.config import ServerConfig
from ui.server_panel import ServerPanel

BENCH = Path(__file__).parents[2] / "bench" / "bench_api_load.py"
TIMEOUT_MS = 30_000


@pytest.fixture
def hearth(hearth_home: Path) -> Iterator[Hearth]:
    hearth = Hearth.open(hearth_paths())
    request = hearth.load_request(hearth.resolve_model(STARTER_NAME))
    hearth.engine.load(replace(request, n_ctx=2048))
    yield hearth
    hearth.close()


@pytest.fixture
def panel(qtbot, hearth: Hearth) -> Iterator[ServerPanel]:
    panel = ServerPanel(hearth, config=ServerConfig(port=0))
    qtbot.addWidget(panel)
    panel.show()
    yield panel
    panel.shutdown()


def _switch_on(qtbot, panel: ServerPanel) -> None:
    qtbot.waitUntil(panel.switch.isEnabled, timeout=TIMEOUT_MS)  # settings read
    qtbot.mouseClick(panel.switch, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.state == "on", timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: panel.offers.text() != "", timeout=TIMEOUT_MS)


def test_the_switch_serves_the_loaded_model_and_stops(qtbot, panel: ServerPanel):
    assert panel.address.text() == "Off"
    _switch_on(qtbot, panel)
    assert panel.address.text().startswith("http://127.0.0.1:")
    assert panel.offers.text() == f"Offers {STARTER_NAME}"
    with openai.OpenAI(base_url=panel.url, api_key="-", max_retries=0) as client:
        reply = client.chat.completions.create(
            model=STARTER_NAME, messages=[{"role": "user", "content": "Hi"}], max_tokens=4
        )
    assert reply.choices[0].message.content
    port = int(panel.url.rsplit(":", 1)[1].split("/")[0])
    qtbot.mouseClick(panel.switch, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.state == "off", timeout=TIMEOUT_MS)
    assert panel.address.text() == "Off" and panel.offers.text() == ""
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()


def test_a_port_in_use_is_said_and_the_switch_goes_back_off(qtbot, hearth: Hearth):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        panel = ServerPanel(hearth, config=ServerConfig(port=port))
        qtbot.addWidget(panel)
        qtbot.waitUntil(panel.switch.isEnabled, timeout=TIMEOUT_MS)
        qtbot.mouseClick(panel.switch, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: panel.state == "failed", timeout=TIMEOUT_MS)
    assert "in use" in panel.address.text()
    assert not panel.switch.isChecked()


def test_the_options_are_kept_and_other_models_offered(
    qtbot, panel: ServerPanel, hearth: Hearth, starter_model: Path
):
    other = hearth.paths.models / "someone" / "other" / "Other-135M.Q4_1.gguf"
    other.parent.mkdir(parents=True)
    other.symlink_to(starter_model)
    _switch_on(qtbot, panel)
    with qtbot.waitSignal(panel.offers_changed, timeout=TIMEOUT_MS):
        panel.jit_action.trigger()
    assert panel.offers.text() == f"Offers {STARTER_NAME} (+1 on request)"
    panel.keep_action.trigger()
    qtbot.waitUntil(lambda: hearth.settings.read().server_keep_conversations, timeout=TIMEOUT_MS)
    assert hearth.settings.read().server_jit_loading
    # A request for the other model loads it, and the window hears of it.
    with (
        qtbot.waitSignal(panel.model_loaded, timeout=TIMEOUT_MS) as loaded,
        openai.OpenAI(base_url=panel.url, api_key="-", max_retries=0) as client,
    ):
        client.chat.completions.create(
            model="Other-135M.Q4_1", messages=[{"role": "user", "content": "Hi"}], max_tokens=4
        )
    assert Path(loaded.args[0].model_path) == other
    qtbot.waitUntil(
        lambda: panel.offers.text().startswith("Offers Other-135M.Q4_1"), timeout=TIMEOUT_MS
    )
    assert hearth.conversations.list_conversations()[0].title == "API: Hi"


def test_the_window_stays_responsive_while_sixteen_clients_stream(qtbot, panel: ServerPanel):
    """Sixteen streaming clients in another process; a timer here asks to run every 10 ms,
    and how late it runs is the lag a person would feel in the window."""
    _switch_on(qtbot, panel)
    lateness: list[float] = []
    clock = QElapsedTimer()
    clock.start()
    last = [clock.elapsed()]

    def tick() -> None:
        now = clock.elapsed()
        lateness.append(max(0, now - last[0] - 10))
        last[0] = now

    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(tick)
    timer.start()
    clients = subprocess.Popen(
        [
            sys.executable,
            str(BENCH),
            "--url",
            panel.url,
            "--clients",
            "16",
            "--seconds",
            "6",
            "--max-tokens",
            "16",
            "--json",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    started = time.monotonic()
    qtbot.waitUntil(lambda: clients.poll() is not None, timeout=300_000)
    timer.stop()
    out, err = clients.communicate()
    assert clients.returncode == 0, err
    figures = json.loads(out)
    assert figures["broken"] == 0 and figures["requests"] >= 16
    assert time.monotonic() - started > 6
    p99 = statistics.quantiles(lateness, n=100)[98]
    print(f"\nwindow lag under load: p99 {p99:.0f} ms, worst {max(lateness):.0f} ms; {figures}")
    assert p99 < 100, f"the window lagged {p99:.0f} ms (p99)"


def test_the_saved_server_settings_come_back(qtbot, hearth: Hearth):
    hearth.settings.update(server_jit_loading=True, server_keep_conversations=True)
    panel = ServerPanel(hearth, config=ServerConfig(port=0))
    qtbot.addWidget(panel)
    qtbot.waitUntil(panel.switch.isEnabled, timeout=TIMEOUT_MS)
    assert panel.jit_action.isChecked() and panel.keep_action.isChecked()
    assert panel.config.allow_jit_loading and panel.config.keep_conversations
