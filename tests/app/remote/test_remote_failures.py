"""When a remote server fails, the user is told what happened and keeps what came.

Each way it fails, against a real server: down (nothing listens), slow (a server that
stalls), dropping mid-reply (llama-cpp-python's server killed while it streams), a wrong
or missing key (its server started with ``--api_key``), and a model that vanished
(``hearth serve`` whose model file is removed).
"""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest

from app.engine.errors import ModelLoadError
from app.hearth import Hearth
from app.library.starter import STARTER_NAME
from app.remote.connect import add_server, remote_load_request
from app.remote.keys import SERVICE
from app.remote.servers import RemoteServerError, RemoteServers
from app.server.config import ServerConfig
from tests.support.api_server import serving
from tests.support.remote_client import connect, send
from tests.support.remote_servers import (
    closed_port,
    llama_cpp_server,
    memory_keyring,
    stalling_server,
)


def _stored(hearth: Hearth, message_id: int):  # type: ignore[no-untyped-def]
    return hearth.conversations.get_message(message_id)


def test_a_server_that_is_down_is_said_so_and_not_kept(client: Hearth):
    config = client.paths.config
    url = f"http://127.0.0.1:{closed_port()}/v1"
    with pytest.raises(RemoteServerError, match=r"Could not reach down at .*Is the server running"):
        add_server(config, "down", url)
    assert RemoteServers.in_folder(config).all() == []
    add_server(config, "down", url, check=False)  # kept without asking it
    with pytest.raises(ModelLoadError, match=r"Could not reach down at .*Is the server running"):
        client.engine.load(remote_load_request("remote:down/some-model", config))


def test_a_server_that_goes_down_between_replies(client: Hearth, tmp_path: Path, starter_model):
    with serving(tmp_path / "served") as served:
        connect(client, "gone", served.base_url, STARTER_NAME)
        first, _ = send(client, "Say hello.")
        assert first.error is None
    second, _ = send(client, "Say hello again.")
    assert second.error and "Could not reach gone" in second.error
    stored = _stored(client, second.message.id)
    assert stored.status == "error" and stored.error == second.error


def test_a_server_that_goes_silent_mid_reply_keeps_what_came(client: Hearth):
    with stalling_server("Hello there") as slow:
        add_server(client.paths.config, "slow", slow.base_url, timeout_s=1)
        client.engine.load(remote_load_request("remote:slow/stall-model", client.paths.config))
        result, heard = send(client, "Say hello.")
    assert heard.text == "Hello there"
    assert result.error and "slow went silent for 1 s in the middle of the reply" in result.error
    stored = _stored(client, result.message.id)
    assert stored.status == "error" and stored.content == "Hello there"


def test_a_server_that_never_begins_is_given_up_on(client: Hearth):
    with stalling_server(None) as slow:
        add_server(client.paths.config, "slow", slow.base_url, timeout_s=1)
        client.engine.load(remote_load_request("remote:slow/stall-model", client.paths.config))
        result, heard = send(client, "Say hello.")
    assert heard.text == ""
    assert result.error and "slow did not begin the reply within 1 s" in result.error
    assert _stored(client, result.message.id).status == "error"


def test_a_connection_dropped_mid_reply_keeps_what_came(
    client: Hearth, tmp_path: Path, starter_model: Path
):
    with llama_cpp_server(starter_model, tmp_path) as server:
        connect(client, "fragile", server.base_url, str(starter_model))

        def pull_the_plug(_piece: str) -> None:
            if server.process.poll() is None:
                server.kill()

        result, heard = send(client, "Tell me a long story.", on_text=pull_the_plug)
    assert heard.text  # the first piece came before the server died
    assert result.error and "connection to fragile dropped in the middle" in result.error
    stored = _stored(client, result.message.id)
    assert stored.status == "error" and stored.content == heard.text


def test_a_wrong_or_missing_key_is_said_so_and_the_right_one_is_kept_in_the_keychain(
    client: Hearth, tmp_path: Path, starter_model: Path
):
    config = client.paths.config
    model = str(starter_model)
    with (
        memory_keyring() as keychain,
        llama_cpp_server(starter_model, tmp_path, api_key="right-key") as server,
    ):
        with pytest.raises(RemoteServerError, match=r"locked refused the API key \(HTTP 401"):
            add_server(config, "locked", server.base_url, "wrong-key")
        with pytest.raises(RemoteServerError, match=r"locked wants an API key \(HTTP 401"):
            add_server(config, "locked", server.base_url)
        add_server(config, "locked", server.base_url, "wrong-key", check=False)
        with pytest.raises(ModelLoadError, match="refused the API key"):
            client.engine.load(remote_load_request(f"remote:locked/{model}", config))

        added = add_server(config, "locked", server.base_url, "right-key", replace_existing=True)
        assert added.key_kept_in == "the system keychain"
        assert keychain.passwords == {(SERVICE, "locked"): "right-key"}
        assert "right-key" not in (config / "remote-servers.json").read_text()
        client.engine.load(remote_load_request(f"remote:locked/{model}", config))
        result, heard = send(client, "Say hello.")
    assert result.error is None and heard.text


def test_a_model_that_vanished_is_said_so(client: Hearth, tmp_path: Path, starter_model: Path):
    home = tmp_path / "served"
    copy = home / "models" / "vanishing.gguf"

    def offer_a_second_model(hearth: Hearth) -> None:
        copy.parent.mkdir(parents=True, exist_ok=True)
        copy.symlink_to(starter_model)

    config = ServerConfig(allow_jit_loading=True)  # it offers every model on its disk
    with serving(home, config, prepare=offer_a_second_model) as served:
        with urllib.request.urlopen(f"{served.base_url}/models", timeout=30) as response:
            offered = [entry["id"] for entry in json.loads(response.read())["data"]]
        (vanishing,) = [model for model in offered if model != STARTER_NAME]
        connect(client, "shelf", served.base_url, vanishing)
        copy.unlink()  # gone from the server after it was picked
        result, _ = send(client, "Say hello.")
        assert result.error and f"shelf no longer offers the model {vanishing}" in result.error
        assert _stored(client, result.message.id).status == "error"
        with pytest.raises(ModelLoadError, match=f"shelf does not offer the model {vanishing}"):
            client.engine.load(
                remote_load_request(f"remote:shelf/{vanishing}", client.paths.config)
            )
