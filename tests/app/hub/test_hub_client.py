"""Search and file listing against the real test Hub, and the errors users see."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest
from huggingface_hub import constants as hf_constants

from app.hub.client import HubClient, SearchSort
from app.hub.errors import HubNotFoundError, HubOfflineError
from tests.app.hub.conftest import GATED, GATED_TOKEN, SPLIT_PARTS, TINY
from tests.support.hub_server import HubServer


def test_search_asks_for_gguf_repos_sorted_by_downloads(client: HubClient, hub: HubServer) -> None:
    results = client.search("gguf", sort=SearchSort.DOWNLOADS)

    assert [r.repo_id for r in results] == [
        "hearth-test/Popular-GGUF",
        TINY,
        "hearth-test/Liked-GGUF",
        GATED,
        "hearth-test/Fresh-GGUF",
    ]
    (request,) = [r for r in hub.requests if r.path == "/api/models"]
    assert request.query["filter"] == ["gguf"]
    assert request.query["sort"] == ["downloads"]
    assert request.query["search"] == ["gguf"]


def test_search_by_likes_and_by_recency(client: HubClient) -> None:
    by_likes = [r.repo_id for r in client.search("", sort=SearchSort.LIKES)]
    recent = client.search("", sort=SearchSort.RECENT)

    assert by_likes[:2] == ["hearth-test/Liked-GGUF", GATED]
    assert [r.repo_id for r in recent][:2] == ["hearth-test/Fresh-GGUF", TINY]
    assert recent[0].last_modified is not None and recent[0].last_modified.year == 2025


def test_search_leaves_out_repos_without_gguf_and_reports_counts(client: HubClient) -> None:
    (tiny,) = client.search("tiny")  # Tiny-safetensors matches the text but has no GGUF

    assert tiny.repo_id == TINY
    assert (tiny.downloads, tiny.likes, tiny.gated) == (500, 10, False)


def test_search_marks_gated_repos_and_respects_the_limit(client: HubClient) -> None:
    (gated,) = client.search("gated")
    assert gated.gated

    assert len(client.search("", limit=2)) == 2


def test_listing_groups_split_files_marks_projectors_with_sizes_and_checksums(
    client: HubClient, hub: HubServer
) -> None:
    listing = client.list_files(TINY)
    served = hub.repo(TINY).files
    by_name = {g.name: g for g in listing.groups}

    assert listing.revision == hub.repo(TINY).sha
    assert set(by_name) == {
        "tiny-Q4_K_M.gguf",
        "tiny-Q8_0.gguf",
        "tiny-F16.gguf",
        "small-IQ2_XS.gguf",
        "big/tiny-big-Q2_K.gguf",
        "mmproj-tiny-f16.gguf",
    }
    split = by_name["big/tiny-big-Q2_K.gguf"]
    assert [p.path for p in split.parts] == SPLIT_PARTS
    assert split.total_size == sum(len(served[p].data) for p in SPLIT_PARTS)
    assert split.quant == "Q2_K" and split.is_complete
    assert [g.name for g in listing.projectors] == ["mmproj-tiny-f16.gguf"]
    assert "mmproj-tiny-f16.gguf" not in [g.name for g in listing.models]

    q4 = by_name["tiny-Q4_K_M.gguf"]
    (part,) = q4.parts
    assert q4.quant == "Q4_K_M"
    assert part.size == len(served["tiny-Q4_K_M.gguf"].data)
    assert part.sha256 == served["tiny-Q4_K_M.gguf"].sha256
    plain = by_name["small-IQ2_XS.gguf"].parts[0]  # kept in plain Git: no LFS sha256
    assert plain.sha256 is None and plain.blob_id == served["small-IQ2_XS.gguf"].blob_id


def test_listing_a_gated_repo_works_and_says_it_is_gated(client: HubClient) -> None:
    listing = client.list_files(GATED)
    assert listing.gated
    assert [g.name for g in listing.groups] == ["gated-Q4_0.gguf"]


def test_token_is_sent_when_known(hub: HubServer) -> None:
    HubClient(endpoint=hub.endpoint, token_provider=lambda: GATED_TOKEN).list_files(GATED)
    HubClient(endpoint=hub.endpoint, token_provider=lambda: None).search("x")

    auth = [r.authorization for r in hub.requests]
    assert auth == [f"Bearer {GATED_TOKEN}", None]


def test_missing_repo_is_a_clear_error(client: HubClient) -> None:
    with pytest.raises(HubNotFoundError, match="hearth-test/Nope was not found"):
        client.list_files("hearth-test/Nope")


def test_a_malformed_repo_id_is_refused_before_any_request(
    client: HubClient, hub: HubServer
) -> None:
    with pytest.raises(ValueError, match="not a Hugging Face repository id"):
        client.list_files("../etc/passwd")
    assert hub.requests == []


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_offline_search_and_listing_raise_the_offline_error() -> None:
    endpoint = f"http://127.0.0.1:{_closed_port()}"
    client = HubClient(endpoint=endpoint, token_provider=lambda: None)

    with pytest.raises(HubOfflineError, match="offline: can't reach Hugging Face"):
        client.search("llama")
    with pytest.raises(HubOfflineError, match=endpoint):
        client.list_files(TINY)


@pytest.fixture
def silent_server() -> Iterator[tuple[str, list[socket.socket]]]:
    """A server that accepts connections and never answers (a stalled network)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.05)  # so the thread notices when the test is over
    accepted: list[socket.socket] = []
    done = threading.Event()

    def accept() -> None:
        while not done.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            accepted.append(conn)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}", accepted
    done.set()
    thread.join()
    listener.close()
    for conn in accepted:
        conn.close()


def test_a_stalled_hub_fails_after_one_try_instead_of_retrying(
    silent_server: tuple[str, list[socket.socket]],
) -> None:
    endpoint, accepted = silent_server
    client = HubClient(endpoint=endpoint, token_provider=lambda: None, timeout_s=0.3)

    with pytest.raises(HubOfflineError):
        client.search("llama")
    # One connection: the search gave up rather than retrying with growing waits.
    assert len(accepted) == 1


def test_constructing_a_client_contacts_nothing(hub: HubServer) -> None:
    asked: list[str] = []

    def provider() -> str | None:
        asked.append("token")
        return None

    HubClient(endpoint=hub.endpoint, token_provider=provider)
    assert hub.requests == [] and asked == []


def test_huggingface_offline_mode_gives_the_offline_error_without_a_request(
    client: HubClient, hub: HubServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # HF_HUB_OFFLINE is read when huggingface_hub is imported; set its result directly.
    monkeypatch.setattr(hf_constants, "HF_HUB_OFFLINE", True)

    with pytest.raises(HubOfflineError):
        client.search("tiny")
    assert hub.requests == []


def test_hf_endpoint_set_after_import_is_honoured(
    hub: HubServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # huggingface_hub was imported long ago with another endpoint; Hearth reads it now.
    monkeypatch.setenv("HF_ENDPOINT", hub.endpoint + "/")

    client = HubClient(token_provider=lambda: None)

    assert client.endpoint == hub.endpoint
    assert [r.repo_id for r in client.search("tiny")] == [TINY]
    assert client.list_files(TINY).repo_id == TINY
