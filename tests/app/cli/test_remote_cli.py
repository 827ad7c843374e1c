"""``hearth remote add|list|rm`` and ``hearth chat --model remote:NAME/MODEL``, run as a
user would, against llama-cpp-python's own server started with an API key."""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.cli.main import main
from app.hearth import Hearth
from tests.support.remote_servers import (
    LlamaServer,
    closed_port,
    llama_cpp_server,
    memory_keyring,
)

KEY = "sk-cli-test"


@pytest.fixture(scope="module")
def keyed_server(
    tmp_path_factory: pytest.TempPathFactory, starter_model: Path
) -> Iterator[LlamaServer]:
    with llama_cpp_server(starter_model, tmp_path_factory.mktemp("keyed"), api_key=KEY) as server:
        yield server


def run(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    *args: str,
    stdin: str = "",
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_add_list_chat_and_remove_a_server(
    hearth_home: Path,
    keyed_server: LlamaServer,
    starter_model: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
):
    url = keyed_server.base_url
    ref = f"remote:box/{starter_model}"
    with memory_keyring() as keychain:
        code, _, err = run(
            capsys, monkeypatch, "remote", "add", "box", url, "--key-stdin", stdin="nope\n"
        )
        assert code == 1 and "box refused the API key (HTTP 401" in err

        code, out, err = run(
            capsys, monkeypatch, "remote", "add", "box", url, "--key-stdin", stdin=f"{KEY}\n"
        )
        assert code == 0, err
        assert f"Added box at {url}" in err and "system keychain" in err
        assert ref in out  # the reference to chat with
        assert list(keychain.passwords.values()) == [KEY]

        code, out, err = run(capsys, monkeypatch, "remote", "list")
        assert code == 0 and "box" in out and url in out and "yes" in out
        assert KEY not in out + err

        code, out, err = run(capsys, monkeypatch, "chat", "--model", ref, "Say hello.")
        assert code == 0, err
        assert out.strip() and "box (remote)" in err and "tok/s" in err

        hearth = Hearth.open()
        try:
            (conversation,) = hearth.conversations.list_conversations()
            path = hearth.conversations.active_path(conversation.id)
        finally:
            hearth.close()
        assert [m.role for m in path] == ["user", "assistant"]
        assert path[1].model == ref and path[1].content.strip() == out.strip()

        code, _, err = run(capsys, monkeypatch, "remote", "rm", "box")
        assert code == 0 and keychain.passwords == {}
        code, _, err = run(capsys, monkeypatch, "chat", "--model", ref, "Hi")
        assert code == 1 and "no remote server named 'box'" in err


def test_adding_a_server_that_is_down_says_so(
    hearth_home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
):
    url = f"http://127.0.0.1:{closed_port()}/v1"
    code, _, err = run(capsys, monkeypatch, "remote", "add", "off", url)
    assert code == 1 and "Could not reach off" in err and "Is the server running?" in err
    code, _, err = run(capsys, monkeypatch, "remote", "list")
    assert code == 0 and "No remote servers" in err
