"""A small, real Hugging Face Hub for tests: HTTP on 127.0.0.1, real files, faults on demand.

It speaks the parts of the Hub API that Hearth and huggingface_hub use:

- ``GET /api/models?search=&filter=&sort=&limit=&expand=``: search, sorted most first;
- ``GET /api/models/{repo}`` and ``/api/models/{repo}/revision/{rev}``: repository info,
  with ``siblings`` (and sizes, blob ids and LFS sha256 when ``blobs=true``);
- ``HEAD``/``GET /{repo}/resolve/{rev}/{path}``: a plain-Git file is served directly; an
  LFS file is answered with a 302 to a second server standing in for the CDN (another
  origin, so clients must drop the ``Authorization`` header), carrying the headers
  huggingface_hub reads (``X-Repo-Commit``, ``ETag``, ``X-Linked-Etag``,
  ``X-Linked-Size``). Bytes honour ``Range: bytes=N-`` with 206 and ``Content-Range``.

A gated repository answers 401 (no token) or 403 (another token) on its files, with
``X-Error-Code: GatedRepo``, unless ``Authorization: Bearer <its token>`` is sent.

Faults are set per file through :meth:`HubServer.faults`: damaged bytes, a dropped
connection after N bytes (N times), ignoring ``Range``, a slow link, or error statuses.
Every request is recorded (:attr:`HubServer.requests`) so tests can check, say, that a
resumed download asked for ``Range: bytes=N-``.

:func:`write_gguf` writes small real GGUF files (with the ``gguf`` package) to serve.
"""

from __future__ import annotations

import hashlib
import json
import re
import socket
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

import gguf
import numpy as np

_RANGE = re.compile(r"^bytes=(\d+)-(\d*)$")
_SORT_KEYS = {"downloads", "likes", "lastModified", "createdAt", "trendingScore"}


def write_gguf(
    path: Path,
    *,
    payload_bytes: int = 256 * 1024,
    name: str = "tiny",
    seed: int = 0,
    extra_uint16: dict[str, int] | None = None,
) -> Path:
    """Write a small valid GGUF (a toy llama) whose tensor data is about ``payload_bytes``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = gguf.GGUFWriter(path, arch="llama")
    writer.add_name(name)
    writer.add_block_count(1)
    writer.add_context_length(256)
    writer.add_embedding_length(64)
    writer.add_feed_forward_length(128)
    writer.add_head_count(2)
    for key, value in (extra_uint16 or {}).items():
        writer.add_uint16(key, value)
    rng = np.random.default_rng(seed)
    floats = max(payload_bytes // 4, 64)
    writer.add_tensor("token_embd.weight", rng.standard_normal(floats, dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


@dataclass
class FileFaults:
    """What goes wrong when a file is fetched; tests set these attributes."""

    corrupt: bool = False  # serve damaged bytes (same length)
    drop_after: int | None = None  # close the connection after this many body bytes...
    drops: int = 1  # ...this many times (then serve normally); -1: every time
    ignore_range: bool = False  # answer 200 with the whole file even when a Range is asked
    throttle_bps: int | None = None  # bytes per second, for downloads slow enough to stop
    fail_status: int | None = None  # answer this HTTP status...
    fail_times: int = 1  # ...this many times; -1: every time


@dataclass
class ServedFile:
    path: str
    data: bytes
    lfs: bool

    @cached_property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @cached_property
    def blob_id(self) -> str:
        # For an LFS file Git stores a pointer; its id is not the content's. Close enough
        # for tests: the Hub never asks clients to check it.
        blob = self.data if not self.lfs else self._pointer()
        return hashlib.sha1(b"blob %d\0" % len(blob) + blob).hexdigest()

    def _pointer(self) -> bytes:
        return (
            f"version https://git-lfs.github.com/spec/v1\noid sha256:{self.sha256}\n"
            f"size {len(self.data)}\n"
        ).encode()


@dataclass
class ServedRepo:
    repo_id: str
    files: dict[str, ServedFile]
    sha: str
    gated: bool = False
    token: str | None = None
    downloads: int = 0
    likes: int = 0
    last_modified: str = "2024-01-01T00:00:00.000Z"
    tags: tuple[str, ...] = ("gguf",)
    listed_sizes: dict[str, int] = field(default_factory=dict)  # a listing that lies


@dataclass(frozen=True)
class RecordedRequest:
    server: str  # "hub" or "cdn"
    method: str
    path: str  # unquoted, without the query
    query: dict[str, list[str]]
    range: str | None
    authorization: str | None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet test output
        pass

    def do_GET(self) -> None:
        self.server.hub.dispatch(self, "GET")

    def do_HEAD(self) -> None:
        self.server.hub.dispatch(self, "HEAD")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, hub: HubServer, role: str) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.hub = hub
        self.role = role

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that hang up mid-body (pause, kill) are expected


class HubServer:
    """The fake Hub and its fake CDN; start with :meth:`start` or ``with HubServer():``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._repos: dict[str, ServedRepo] = {}
        self._faults: dict[tuple[str, str], FileFaults] = {}
        self._requests: list[RecordedRequest] = []
        self._hub = _Server(self, "hub")
        self._cdn = _Server(self, "cdn")
        self._threads: list[threading.Thread] = []

    # -- life cycle ------------------------------------------------------------------
    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self._hub.server_address[1]}"

    @property
    def cdn_endpoint(self) -> str:
        return f"http://127.0.0.1:{self._cdn.server_address[1]}"

    def start(self) -> HubServer:
        for server in (self._hub, self._cdn):
            thread = threading.Thread(target=server.serve_forever, daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        for server in (self._hub, self._cdn):
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join()

    def __enter__(self) -> HubServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- content ---------------------------------------------------------------------
    def add_repo(
        self,
        repo_id: str,
        files: dict[str, Path | bytes],
        *,
        gated: bool = False,
        token: str | None = None,
        downloads: int = 0,
        likes: int = 0,
        last_modified: str = "2024-01-01T00:00:00.000Z",
        tags: Iterable[str] = ("gguf",),
        plain_git: Iterable[str] = (),
    ) -> ServedRepo:
        """Serve ``files`` (repo path -> local file or bytes); ``plain_git`` ones without LFS."""
        plain = set(plain_git)
        served = {
            path: ServedFile(
                path,
                source if isinstance(source, bytes) else Path(source).read_bytes(),
                lfs=path not in plain,
            )
            for path, source in files.items()
        }
        digest = hashlib.sha1(repo_id.encode())
        for path in sorted(served):
            digest.update(path.encode() + served[path].sha256.encode())
        sha = digest.hexdigest()  # a stand-in commit id that changes with the content
        repo = ServedRepo(
            repo_id,
            served,
            sha,
            gated=gated,
            token=token,
            downloads=downloads,
            likes=likes,
            last_modified=last_modified,
            tags=tuple(tags),
        )
        with self._lock:
            self._repos[repo_id] = repo
        return repo

    def repo(self, repo_id: str) -> ServedRepo:
        return self._repos[repo_id]

    def faults(self, repo_id: str, path: str) -> FileFaults:
        """The (mutable) faults of one file; a fresh, harmless set the first time."""
        with self._lock:
            return self._faults.setdefault((repo_id, path), FileFaults())

    def reset(self) -> None:
        """Forget faults, size lies and recorded requests (between tests)."""
        with self._lock:
            self._faults.clear()
            self._requests.clear()
            for repo in self._repos.values():
                repo.listed_sizes.clear()

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def file_gets(self, repo_id: str, path: str) -> list[RecordedRequest]:
        """The GET requests that delivered bytes of one file (from the CDN, or directly)."""
        served = self._repos[repo_id].files[path]
        via_cdn = [
            r
            for r in self.requests
            if r.method == "GET" and r.server == "cdn" and r.query.get("path") == [path]
        ]
        direct = [
            r
            for r in self.requests
            if r.method == "GET"
            and r.server == "hub"
            and r.path.startswith(f"/{repo_id}/resolve/")
            and r.path.endswith("/" + path)
        ]
        return via_cdn if served.lfs else direct

    # -- request handling ------------------------------------------------------------
    def dispatch(self, handler: _Handler, method: str) -> None:
        split = urlsplit(handler.path)
        path = unquote(split.path)
        query = parse_qs(split.query)
        role = handler.server.role
        with self._lock:
            self._requests.append(
                RecordedRequest(
                    role,
                    method,
                    path,
                    query,
                    handler.headers.get("Range"),
                    handler.headers.get("Authorization"),
                )
            )
        try:
            if role == "cdn":
                self._serve_cdn(handler, method, path, query)
            elif path == "/api/models":
                self._search(handler, query)
            elif path.startswith("/api/models/"):
                self._model_info(handler, path[len("/api/models/") :], query)
            elif "/resolve/" in path:
                self._resolve(handler, method, path)
            else:
                self._send_json(handler, 404, {"error": "Not found"})
        except (BrokenPipeError, ConnectionResetError):
            handler.close_connection = True

    def _search(self, handler: _Handler, query: dict[str, list[str]]) -> None:
        text = query.get("search", [""])[0].lower()
        filters = query.get("filter", [])
        sort = query.get("sort", [None])[0]
        limit = int(query.get("limit", ["1000"])[0])
        expand = query.get("expand", []) + query.get("expand[]", [])
        with self._lock:
            repos = [
                r
                for r in self._repos.values()
                if text in r.repo_id.lower() and all(f in r.tags for f in filters)
            ]
        if sort is not None:
            if sort not in _SORT_KEYS:
                self._send_json(handler, 400, {"error": f"bad sort {sort}"})
                return
            repos.sort(key=lambda r: self._summary(r).get(sort, 0), reverse=True)
        results = []
        for repo in repos[:limit]:
            summary = self._summary(repo)
            if expand:
                summary = {k: v for k, v in summary.items() if k in ("id", "_id", *expand)}
            results.append(summary)
        self._send_json(handler, 200, results)

    @staticmethod
    def _summary(repo: ServedRepo) -> dict[str, Any]:
        return {
            "_id": repo.sha[:24],
            "id": repo.repo_id,
            "modelId": repo.repo_id,
            "downloads": repo.downloads,
            "likes": repo.likes,
            "trendingScore": repo.likes,
            "lastModified": repo.last_modified,
            "createdAt": repo.last_modified,
            "private": False,
            "gated": "manual" if repo.gated else False,
            "tags": list(repo.tags),
            "library_name": "gguf" if "gguf" in repo.tags else None,
        }

    def _model_info(self, handler: _Handler, rest: str, query: dict[str, list[str]]) -> None:
        parts = rest.split("/")
        repo_id = "/".join(parts[:2])
        repo = self._repos.get(repo_id)
        if repo is None or (len(parts) > 2 and parts[2:3] != ["revision"]):
            self._send_error(handler, 404, "RepoNotFound", "Repository not found")
            return
        if len(parts) > 3 and parts[3] not in ("main", repo.sha):
            self._send_error(handler, 404, "RevisionNotFound", "Invalid rev id")
            return
        with_blobs = query.get("blobs", ["false"])[0].lower() == "true"
        siblings = []
        for served in repo.files.values():
            sibling: dict[str, Any] = {"rfilename": served.path}
            if with_blobs:
                size = repo.listed_sizes.get(served.path, len(served.data))
                sibling["size"] = size
                sibling["blobId"] = served.blob_id
                if served.lfs:
                    sibling["lfs"] = {"size": size, "sha256": served.sha256, "pointerSize": 134}
            siblings.append(sibling)
        info = {**self._summary(repo), "sha": repo.sha, "siblings": siblings}
        self._send_json(handler, 200, info)

    def _resolve(self, handler: _Handler, method: str, path: str) -> None:
        match = re.match(r"^/([^/]+/[^/]+)/resolve/([^/]+)/(.+)$", path)
        repo = self._repos.get(match[1]) if match else None
        if match is None or repo is None:
            self._send_error(handler, 404, "RepoNotFound", "Repository not found")
            return
        revision, file_path = match[2], match[3]
        if revision not in ("main", repo.sha):
            self._send_error(handler, 404, "RevisionNotFound", "Invalid rev id")
            return
        served = repo.files.get(file_path)
        if served is None:
            self._send_error(handler, 404, "EntryNotFound", "Entry not found")
            return
        if repo.gated:
            auth = handler.headers.get("Authorization")
            if auth != f"Bearer {repo.token}":
                self._send_error(
                    handler,
                    401 if auth is None else 403,
                    "GatedRepo",
                    f"Access to model {repo.repo_id} is restricted. You must have access to it "
                    "and be authenticated to access it. Please log in.",
                )
                return
        common = {"X-Repo-Commit": repo.sha, "Accept-Ranges": "bytes"}
        if served.lfs:
            location = (
                f"{self.cdn_endpoint}/repos/{quote(repo.repo_id)}/{served.sha256}"
                f"?path={quote(served.path)}&expires=never"
            )
            headers = {
                **common,
                "Location": location,
                "ETag": f'"{served.blob_id}"',
                "X-Linked-Etag": f'"{served.sha256}"',
                "X-Linked-Size": str(len(served.data)),
                "Content-Length": "0",
            }
            self._send_head(handler, 302, headers)
            return
        self._send_bytes(handler, method, repo, served, {**common, "ETag": f'"{served.blob_id}"'})

    def _serve_cdn(
        self, handler: _Handler, method: str, path: str, query: dict[str, list[str]]
    ) -> None:
        match = re.match(r"^/repos/([^/]+/[^/]+)/([0-9a-f]{64})$", path)
        repo = self._repos.get(match[1]) if match else None
        served = repo.files.get(query.get("path", [""])[0]) if repo else None
        if match is None or repo is None or served is None or served.sha256 != match[2]:
            self._send_json(handler, 403, {"error": "bad signature"})
            return
        self._send_bytes(handler, method, repo, served, {"ETag": f'"{served.sha256}"'})

    def _send_bytes(
        self,
        handler: _Handler,
        method: str,
        repo: ServedRepo,
        served: ServedFile,
        headers: dict[str, str],
    ) -> None:
        faults = self.faults(repo.repo_id, served.path)
        with self._lock:
            if faults.fail_status is not None and faults.fail_times != 0:
                faults.fail_times -= 1 if faults.fail_times > 0 else 0
                status = faults.fail_status
            else:
                status = None
        if status is not None:
            self._send_json(handler, status, {"error": f"injected {status}"})
            return
        data = served.data
        if faults.corrupt:  # one damaged byte in the middle: only a full hash notices
            middle = len(data) // 2
            data = data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1 :]
        total = len(data)
        start, end, code = 0, total - 1, 200
        wanted = handler.headers.get("Range")
        if wanted and not faults.ignore_range:
            match = _RANGE.match(wanted)
            if match is None or int(match[1]) >= total:
                self._send_head(handler, 416, {"Content-Range": f"bytes */{total}"})
                return
            start = int(match[1])
            end = min(int(match[2]), total - 1) if match[2] else total - 1
            code = 206
            headers = {**headers, "Content-Range": f"bytes {start}-{end}/{total}"}
        body = data[start : end + 1]
        self._send_head(handler, code, {**headers, "Content-Length": str(len(body))})
        if method == "HEAD":
            return
        with self._lock:
            drop_at = faults.drop_after if faults.drops != 0 else None
            if drop_at is not None and faults.drops > 0:
                faults.drops -= 1
        sent = 0
        step = 16 * 1024
        while sent < len(body):
            if drop_at is not None and sent >= drop_at:
                handler.close_connection = True
                handler.connection.shutdown(socket.SHUT_RDWR)
                return
            size = step if drop_at is None else min(step, drop_at - sent)
            handler.wfile.write(body[sent : sent + size])
            sent += size
            bps = faults.throttle_bps  # read each time: a test may lift it mid-transfer
            if bps:
                time.sleep(size / bps)

    @staticmethod
    def _send_head(handler: _Handler, status: int, headers: dict[str, str]) -> None:
        handler.send_response(status)
        headers = {"Content-Length": "0", **headers}
        for key, value in headers.items():
            handler.send_header(key, value)
        handler.end_headers()

    def _send_json(self, handler: _Handler, status: int, payload: Any) -> None:
        body = json.dumps(payload).encode()
        self._send_head(
            handler,
            status,
            {"Content-Type": "application/json", "Content-Length": str(len(body))},
        )
        if handler.command != "HEAD":
            handler.wfile.write(body)

    def _send_error(self, handler: _Handler, status: int, code: str, message: str) -> None:
        body = json.dumps({"error": message}).encode()
        self._send_head(
            handler,
            status,
            {
                "Content-Type": "application/json",
                "Content-Length": str(len(body)),
                "X-Error-Code": code,
                "X-Error-Message": message,
            },
        )
        if handler.command != "HEAD":
            handler.wfile.write(body)
