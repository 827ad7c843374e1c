"""The servers file, the keys, and the names: what the user types is read as meant, a key
never lands in plain sight, and nothing is contacted to list what was listed before."""

from __future__ import annotations

import stat
import sys
from pathlib import Path

import pytest

from app.library.model_keys import key_label, model_key
from app.remote.connect import add_server, remote_load_request, remove_server
from app.remote.keys import RemoteKeys
from app.remote.refs import RemoteRefError, parse_ref
from app.remote.servers import RemoteServerError, RemoteServers, normalize_base_url
from tests.support.remote_servers import memory_keyring, stalling_server


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("http://gpu-box:8000/v1", "http://gpu-box:8000/v1"),
        ("http://gpu-box:8000/v1/", "http://gpu-box:8000/v1"),
        ("gpu-box:8080", "http://gpu-box:8080/v1"),
        ("https://api.example.com", "https://api.example.com/v1"),
        ("https://example.com/openai/v1", "https://example.com/openai/v1"),
    ],
)
def test_addresses_are_read_as_meant(typed: str, meant: str):
    assert normalize_base_url(typed) == meant


@pytest.mark.parametrize("typed", ["", "ftp://box/v1", "http://", "http://box:port/v1"])
def test_addresses_that_cannot_work_are_refused(typed: str):
    with pytest.raises(RemoteServerError):
        normalize_base_url(typed)


def test_a_reference_keeps_slashes_in_the_model_id():
    ref = parse_ref("remote:lcp//models/Qwen/qwen.gguf")
    assert (ref.server, ref.model) == ("lcp", "/models/Qwen/qwen.gguf")
    assert str(ref) == "remote:lcp//models/Qwen/qwen.gguf"
    assert model_key(str(ref), Path("/models")) == str(ref)  # kept as is in the database
    assert key_label("remote:box/Qwen/Qwen3-8B") == "Qwen3-8B (box)"
    for broken in ("remote:box", "remote:/model", "remote:two words/m"):
        with pytest.raises(RemoteRefError):
            parse_ref(broken)


def test_the_picker_lists_what_was_listed_without_asking_again(tmp_path: Path):
    with stalling_server() as server:
        add_server(tmp_path, "box", server.base_url)
        assert server.requests == ["GET /v1/models"]
        listed = RemoteServers.in_folder(tmp_path).all()
        request = remote_load_request("remote:box/stall-model", tmp_path)
        assert server.requests == ["GET /v1/models"]  # reading both contacted nothing
    assert [str(ref) for ref in listed[0].refs()] == ["remote:box/stall-model"]
    assert request.remote and request.remote.base_url == server.base_url


def test_a_second_server_of_one_name_needs_replace(tmp_path: Path):
    add_server(tmp_path, "box", "http://127.0.0.1:9/v1", check=False)
    with pytest.raises(RemoteServerError, match="exists"):
        add_server(tmp_path, "box", "http://127.0.0.1:10/v1", check=False)
    add_server(tmp_path, "box", "http://127.0.0.1:10/v1", check=False, replace_existing=True)
    assert [s.base_url for s in RemoteServers.in_folder(tmp_path).all()] == [
        "http://127.0.0.1:10/v1"
    ]


def test_without_a_keychain_the_key_goes_to_a_private_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setitem(sys.modules, "keyring", None)  # as if there were no keychain
    added = add_server(tmp_path, "box", "http://127.0.0.1:9/v1", "sk-secret", check=False)
    keys_file = Path(str(added.key_kept_in))
    assert keys_file.parent == tmp_path
    assert stat.S_IMODE(keys_file.stat().st_mode) == 0o600
    assert "sk-secret" not in (tmp_path / "remote-servers.json").read_text()
    request = remote_load_request("remote:box/m", tmp_path)
    assert request.remote and request.remote.api_key == "sk-secret"
    assert "sk-secret" not in repr(request)
    assert remove_server(tmp_path, "box")
    assert RemoteKeys(tmp_path).get("box") is None and not keys_file.exists()


def test_removing_a_server_forgets_its_key_in_the_keychain(tmp_path: Path):
    with memory_keyring() as keychain:
        add_server(tmp_path, "box", "http://127.0.0.1:9/v1", "sk-secret", check=False)
        assert list(keychain.passwords.values()) == ["sk-secret"]
        assert remove_server(tmp_path, "box")
        assert keychain.passwords == {}
        assert not remove_server(tmp_path, "box")
