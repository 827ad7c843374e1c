"""Safe by default, checked with raw HTTP: the host, the key, the origin, the size.

A web page that rebinds its DNS name to 127.0.0.1 sends its own name as Host; a page
calling the API from a browser sends its Origin; a client without the key, or with a
body far too large, is refused before any route runs. Nothing of the prompt reaches
the log.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import anthropic
import openai
import pytest

from app.library.starter import STARTER_NAME
from app.server.config import ServerConfig, ServerConfigError
from tests.support.api_server import Served, http_post, raw_request, serving

KEY = "test-key-0123456789"
CHAT = json.dumps(
    {"model": STARTER_NAME, "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 2}
).encode()


def _get(path: str, host: str = "127.0.0.1", headers: dict[str, str] | None = None) -> bytes:
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _error(response: bytes) -> dict[str, object]:
    body = json.loads(response.split(b"\r\n\r\n", 1)[1])
    assert isinstance(body, dict)
    error = body["error"]
    assert isinstance(error, dict)
    return error


@pytest.fixture(scope="module")
def locked(tmp_path_factory: pytest.TempPathFactory, starter_model: Path) -> Iterator[Served]:
    """A server that needs a key, lists one browser origin and takes small bodies only."""
    config = ServerConfig(
        api_key=KEY, cors_origins=("http://localhost:3000",), max_body_bytes=64 * 1024
    )
    with serving(tmp_path_factory.mktemp("locked-home"), config) as server:
        yield server


def test_a_foreign_host_header_is_refused(locked: Served):
    status, response = raw_request(locked.port, _get("/v1/models", host="attacker.example:80"))
    assert status == 403 and _error(response)["code"] == "host_not_allowed"
    auth = {"Authorization": f"Bearer {KEY}"}
    for host in (f"127.0.0.1:{locked.port}", f"localhost:{locked.port}"):
        status, _ = raw_request(locked.port, _get("/v1/models", host=host, headers=auth))
        assert status == 200


def test_a_missing_or_wrong_key_is_refused(locked: Served):
    status, response = raw_request(locked.port, http_post("/v1/chat/completions", CHAT))
    assert status == 401 and _error(response)["code"] == "missing_api_key"
    wrong = {"Authorization": "Bearer not-the-key"}
    status, response = raw_request(
        locked.port, http_post("/v1/chat/completions", CHAT, headers=wrong)
    )
    assert status == 401 and _error(response)["code"] == "invalid_api_key"
    with (
        openai.OpenAI(base_url=locked.base_url, api_key="nope", max_retries=0) as client,
        pytest.raises(openai.AuthenticationError),
    ):
        client.models.list()
    with openai.OpenAI(base_url=locked.base_url, api_key=KEY, max_retries=0) as client:
        assert [m.id for m in client.models.list()] == [STARTER_NAME]
    with anthropic.Anthropic(base_url=locked.origin, api_key=KEY, max_retries=0) as claude:
        message = claude.messages.create(
            model=STARTER_NAME, max_tokens=2, messages=[{"role": "user", "content": "Hi"}]
        )
        assert message.usage.output_tokens > 0


def test_an_oversize_body_is_refused(locked: Served):
    auth = {"Authorization": f"Bearer {KEY}"}
    big = json.dumps(
        {"model": STARTER_NAME, "messages": [{"role": "user", "content": "x" * 100_000}]}
    ).encode()
    status, response = raw_request(
        locked.port, http_post("/v1/chat/completions", big, headers=auth)
    )
    assert status == 413 and _error(response)["code"] == "request_too_large"
    # Sent in chunks with no length given: counted as it arrives.
    head = (
        "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer {KEY}\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    ).encode()
    chunks = b"".join(
        b"%x\r\n%s\r\n" % (len(big[i : i + 8192]), big[i : i + 8192])
        for i in range(0, len(big), 8192)
    )
    status, response = raw_request(locked.port, head + chunks + b"0\r\n\r\n")
    assert status == 413


def test_a_client_still_sending_a_refused_body_reads_the_refusal(locked: Served):
    # Megabytes more than the socket buffers hold: the server reads them and drops them
    # before it answers, or the client would meet a reset connection mid-send.
    auth = {"Authorization": f"Bearer {KEY}"}
    wrong = {"Authorization": "Bearer wrong"}
    huge = json.dumps(
        {"model": STARTER_NAME, "messages": [{"role": "user", "content": "x" * 4_000_000}]}
    ).encode()
    refusals = [(auth, 413, "request_too_large"), (wrong, 401, "invalid_api_key")]
    for headers, expected, code in refusals:
        status, response = raw_request(
            locked.port, http_post("/v1/chat/completions", huge, headers=headers)
        )
        assert status == expected and _error(response)["code"] == code


def test_browser_origins_are_refused_unless_listed(locked: Served):
    auth = {"Authorization": f"Bearer {KEY}"}
    foreign = {**auth, "Origin": "https://attacker.example"}
    status, response = raw_request(
        locked.port, http_post("/v1/chat/completions", CHAT, headers=foreign)
    )
    assert status == 403 and _error(response)["code"] == "origin_not_allowed"
    preflight = _get(
        "/v1/chat/completions",
        headers={
            "Origin": "http://localhost:3000",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    ).replace(b"GET ", b"OPTIONS ", 1)
    status, response = raw_request(locked.port, preflight)
    assert status == 200
    assert b"access-control-allow-origin: http://localhost:3000" in response.lower()
    listed = {**auth, "Origin": "http://localhost:3000"}
    status, _ = raw_request(locked.port, http_post("/v1/chat/completions", CHAT, headers=listed))
    assert status == 200


def test_bad_json_is_a_clean_400(locked: Served):
    auth = {"Authorization": f"Bearer {KEY}"}
    status, response = raw_request(
        locked.port, http_post("/v1/chat/completions", b"{not json", headers=auth)
    )
    assert status == 400 and "JSON" in str(_error(response)["message"])


def test_no_prompt_text_reaches_the_log(locked: Served, caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.INFO)  # Hearth's level; debug logging may say more
    secret = "zebra-umbrella-4417"
    auth = {"Authorization": f"Bearer {KEY}"}
    for stream in (False, True):
        body = json.dumps(
            {
                "model": STARTER_NAME,
                "max_tokens": 2,
                "stream": stream,
                "messages": [{"role": "user", "content": secret}],
            }
        ).encode()
        status, _ = raw_request(locked.port, http_post("/v1/chat/completions", body, headers=auth))
        assert status == 200
    bad = json.dumps({"model": STARTER_NAME, "messages": [{"role": secret, "content": secret}]})
    status, _ = raw_request(
        locked.port, http_post("/v1/chat/completions", bad.encode(), headers=auth)
    )
    assert status == 400
    assert caplog.records  # the server did log (the requests, at least)
    assert secret not in caplog.text
    logs = locked.hearth.paths.logs
    assert not any(secret in p.read_text(errors="replace") for p in logs.rglob("*") if p.is_file())


def test_serving_beyond_loopback_needs_a_key():
    with pytest.raises(ServerConfigError, match="API key"):
        ServerConfig(host="0.0.0.0").check()
    ServerConfig(host="0.0.0.0", api_key=KEY).check()
    ServerConfig(host="127.0.0.1").check()
    for host in ("0.0.0.0", "192.168.1.20"):
        names = ServerConfig(host=host, api_key=KEY).host_names()
        assert names is not None and "attacker.example" not in names and "localhost" in names
