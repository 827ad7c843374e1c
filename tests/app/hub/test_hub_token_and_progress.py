"""Where the access token comes from, and how progress turns into a speed and time left."""

from __future__ import annotations

import sys
from pathlib import Path

import keyring
import keyring.core
import pytest
from huggingface_hub import constants as hf_constants
from keyring.backend import KeyringBackend
from keyring.backends.fail import Keyring as FailKeyring

from app.hub.endpoint import hub_endpoint
from app.hub.progress import SpeedMeter
from app.hub.token import KEYRING_SERVICE, KEYRING_USERNAME, find_token
from tests.support.memory_keyring import MemoryKeyring


@pytest.fixture
def no_stored_token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No token in the environment, and the CLI's token file pointed into tmp_path."""
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.delenv("HUGGING_FACE_HUB_TOKEN", raising=False)
    token_file = tmp_path / "hf-home" / "token"
    monkeypatch.setattr(hf_constants, "HF_TOKEN_PATH", str(token_file))
    monkeypatch.setitem(sys.modules, "keyring", None)  # as if not installed
    return token_file


def test_no_token_anywhere_means_none(no_stored_token: Path) -> None:
    assert find_token() is None


def test_the_token_from_the_environment_is_used(
    no_stored_token: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_TOKEN", "hf_from_env")
    assert find_token() == "hf_from_env"


def test_the_token_saved_by_hf_auth_login_is_used(no_stored_token: Path) -> None:
    no_stored_token.parent.mkdir(parents=True)
    no_stored_token.write_text("hf_from_cli\n")
    assert find_token() == "hf_from_cli"


@pytest.fixture
def use_keyring(monkeypatch: pytest.MonkeyPatch):
    def install(backend: KeyringBackend) -> KeyringBackend:
        monkeypatch.setitem(sys.modules, "keyring", keyring)
        previous = keyring.get_keyring()
        keyring.set_keyring(backend)
        monkeypatch.setattr(keyring.core, "_keyring_backend", backend)
        installed.append(previous)
        return backend

    installed: list[KeyringBackend] = []
    yield install
    for previous in installed:
        keyring.set_keyring(previous)


def test_a_token_in_the_keychain_comes_first(
    no_stored_token: Path, monkeypatch: pytest.MonkeyPatch, use_keyring
) -> None:
    backend = use_keyring(MemoryKeyring())
    backend.set_password(KEYRING_SERVICE, KEYRING_USERNAME, " hf_from_keychain ")
    monkeypatch.setenv("HF_TOKEN", "hf_from_env")

    assert find_token() == "hf_from_keychain"
    assert backend.asked == [(KEYRING_SERVICE, KEYRING_USERNAME)]


def test_a_broken_keychain_falls_back_to_the_other_sources(
    no_stored_token: Path, monkeypatch: pytest.MonkeyPatch, use_keyring
) -> None:
    use_keyring(MemoryKeyring(broken=True))
    monkeypatch.setenv("HF_TOKEN", "hf_from_env")
    assert find_token() == "hf_from_env"


def test_a_system_without_a_keychain_falls_back_quietly(
    no_stored_token: Path, monkeypatch: pytest.MonkeyPatch, use_keyring, caplog
) -> None:
    use_keyring(FailKeyring())
    monkeypatch.setenv("HF_TOKEN", "hf_from_env")
    assert find_token() == "hf_from_env"
    assert not [r for r in caplog.records if "keychain" in r.getMessage()]


def test_hf_endpoint_is_read_when_asked_not_at_import() -> None:
    assert hub_endpoint({"HF_ENDPOINT": "http://mirror.example/"}) == "http://mirror.example"
    assert hub_endpoint({}) == "https://huggingface.co"


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_speed_is_smoothed_and_gives_a_time_left() -> None:
    clock = FakeClock()
    meter = SpeedMeter(10_000, smoothing=0.5, min_interval_s=1.0, clock=clock)
    meter.start(0)

    clock.now += 1.0
    first = meter.update(1_000)  # 1000 B/s
    assert first.bytes_per_second == 1_000
    assert first.eta_seconds == 9.0

    clock.now += 0.2
    assert meter.update(1_500).bytes_per_second == 1_000  # too soon to measure again

    clock.now += 0.8
    second = meter.update(4_000)  # 3000 B/s over the last second, blended half and half
    assert second.bytes_per_second == 2_000
    assert second.eta_seconds == 3.0
    assert second.fraction == 0.4


def test_no_speed_yet_means_no_time_left() -> None:
    meter = SpeedMeter(10_000, clock=FakeClock())
    progress = meter.update(0)
    assert progress.bytes_per_second == 0 and progress.eta_seconds is None
