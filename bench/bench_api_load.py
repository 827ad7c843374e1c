"""Load test of Hearth's API: concurrent streaming clients for a bounded time.

Serves the starter model on a private ``HEARTH_HOME`` and a free loopback port (or
uses ``--url`` for a server already running), then runs ``--clients`` clients at
once, each sending streaming chat requests one after another until ``--seconds`` have
passed (a request begun before then runs to its end). Each client is a raw HTTP/1.1
connection (``http.client``), so nothing between the server and the check hides a
broken stream.

Every stream is checked: status 200, server-sent events that each parse, one reply id
throughout, the role first, exactly one finish reason, the usage chunk, then
``[DONE]`` and nothing after it. Replies are greedy (temperature 0), so each one must
also equal the reply its prompt got when sent alone before the load began: a piece
lost, doubled or taken from another client's stream shows as a different text.

Prints requests, completion tokens per second (all clients together), and the queue
wait the server reports for each request (``X-Hearth-Queue-Wait-Ms``: how long it
waited for the model) at p50 and p99, plus time to first token. Exits 1 if any stream
was broken.

    .venv/bin/python bench/bench_api_load.py --clients 16 --seconds 60
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import math
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PROMPTS = (
    "Name a colour.",
    "Count to five.",
    "Say hello to Ann.",
    "What is two plus two?",
)
MODEL = "SmolLM2-135M-Instruct"
REQUEST_TIMEOUT_S = 300.0


@dataclass
class StreamResult:
    prompt: str
    ok: bool
    problem: str = ""
    text: str = ""
    completion_tokens: int = 0
    queue_wait_ms: float = 0.0
    first_token_s: float = 0.0
    total_s: float = 0.0


@dataclass
class LoadReport:
    clients: int
    elapsed_s: float
    results: list[StreamResult] = field(default_factory=list)

    @property
    def broken(self) -> list[StreamResult]:
        return [r for r in self.results if not r.ok]

    @property
    def tokens_per_s(self) -> float:
        return sum(r.completion_tokens for r in self.results) / self.elapsed_s

    @property
    def requests_per_s(self) -> float:
        return len(self.results) / self.elapsed_s

    def queue_wait_ms(self, percent: float) -> float:
        return _percentile([r.queue_wait_ms for r in self.results], percent)

    def first_token_ms(self, percent: float) -> float:
        return _percentile([r.first_token_s * 1000 for r in self.results], percent)

    def summary(self) -> str:
        return "\n".join(
            [
                f"clients            {self.clients}",
                f"requests           {len(self.results)} in {self.elapsed_s:.1f} s"
                f" ({self.requests_per_s:.2f}/s), broken streams: {len(self.broken)}",
                f"throughput         {self.tokens_per_s:.1f} completion tokens/s (all clients)",
                f"queue wait         p50 {self.queue_wait_ms(50):.0f} ms,"
                f" p99 {self.queue_wait_ms(99):.0f} ms",
                f"time to 1st token  p50 {self.first_token_ms(50):.0f} ms,"
                f" p99 {self.first_token_ms(99):.0f} ms",
            ]
        )


def stream_once(
    base_url: str, prompt: str, max_tokens: int, expected: str | None = None
) -> StreamResult:
    """One streaming chat request, checked from the first byte to the last."""
    parts = urlsplit(base_url)
    connection = http.client.HTTPConnection(
        parts.hostname or "127.0.0.1", parts.port or 80, timeout=REQUEST_TIMEOUT_S
    )
    body = json.dumps(
        {
            "model": MODEL,
            "messages": [{"role": "user", "content": prompt}],
            "max_tokens": max_tokens,
            "temperature": 0,
            "stream": True,
            "stream_options": {"include_usage": True},
        }
    )
    started = time.perf_counter()
    result = StreamResult(prompt, ok=False)
    try:
        connection.request(
            "POST", f"{parts.path}/chat/completions", body, {"Content-Type": "application/json"}
        )
        response = connection.getresponse()
        result.queue_wait_ms = float(response.getheader("X-Hearth-Queue-Wait-Ms") or 0)
        if response.status != 200:
            result.problem = f"status {response.status}: {response.read()[:200]!r}"
            return result
        events = list(_events(response))
        result.total_s = time.perf_counter() - started
        result.problem = _check([data for _, data in events], result, expected)
        result.first_token_s = next(
            (at - started for at, data in events if data != "[DONE]" and _has_text(data)),
            result.total_s,
        )
        result.ok = not result.problem
        return result
    except (OSError, http.client.HTTPException, ValueError) as error:
        result.problem = f"{type(error).__name__}: {error}"
        return result
    finally:
        connection.close()


def _events(response: http.client.HTTPResponse) -> Iterator[tuple[float, str]]:
    """When each server-sent event came, and its data (comments and blank lines skipped)."""
    for raw in response:
        line = raw.decode("utf-8").rstrip("\r\n")
        if line.startswith("data: "):
            yield time.perf_counter(), line[len("data: ") :]


def _has_text(data: str) -> bool:
    """Does this event carry answer text (the time to the first token ends there)?"""
    chunk = json.loads(data)
    choices = chunk.get("choices") or [{}]
    return bool(choices[0].get("delta", {}).get("content"))


def _check(events: list[str], result: StreamResult, expected: str | None) -> str:
    """What is wrong with a stream, or "" if nothing is."""
    if not events or events[-1] != "[DONE]":
        return "the stream did not end with [DONE]"
    if "[DONE]" in events[:-1]:
        return "[DONE] came before the end"
    chunks = [json.loads(data) for data in events[:-1]]
    if len({chunk.get("id") for chunk in chunks}) != 1:
        return "chunks of more than one reply in one stream"
    if any(chunk.get("object") != "chat.completion.chunk" for chunk in chunks):
        return "a chunk that is not a chat.completion.chunk"
    if any("error" in chunk for chunk in chunks):
        return f"an error event: {chunks}"
    with_choices = [chunk for chunk in chunks if chunk["choices"]]
    if with_choices[0]["choices"][0]["delta"].get("role") != "assistant":
        return "the first chunk does not name the assistant"
    finishes = [c["choices"][0]["finish_reason"] for c in with_choices]
    if [f for f in finishes if f] != [finishes[-1]] or finishes[-1] not in ("stop", "length"):
        return f"finish reasons {finishes}"
    usage = chunks[-1].get("usage")
    if chunks[-1]["choices"] or not usage or usage["completion_tokens"] < 1:
        return "no usage chunk at the end"
    result.text = "".join(c["choices"][0]["delta"].get("content") or "" for c in with_choices)
    result.completion_tokens = usage["completion_tokens"]
    if expected is not None and result.text != expected:
        return f"text differs from the reply sent alone: {result.text!r} != {expected!r}"
    return ""


def references(base_url: str, max_tokens: int) -> dict[str, str]:
    """Each prompt's reply sent alone (greedy, so the load must reproduce it)."""
    answers = {}
    for prompt in PROMPTS:
        result = stream_once(base_url, prompt, max_tokens)
        if not result.ok:
            raise RuntimeError(f"the reference request failed: {result.problem}")
        answers[prompt] = result.text
    return answers


def run_load(
    base_url: str,
    *,
    clients: int = 16,
    seconds: float = 30.0,
    max_tokens: int = 32,
    expected: dict[str, str] | None = None,
) -> LoadReport:
    """``clients`` threads sending streams until ``seconds`` have passed; each is checked."""
    results: list[StreamResult] = []
    lock = threading.Lock()
    started = time.perf_counter()
    deadline = started + seconds

    def client(index: int) -> None:
        turn = index
        while time.perf_counter() < deadline:
            prompt = PROMPTS[turn % len(PROMPTS)]
            result = stream_once(base_url, prompt, max_tokens, (expected or {}).get(prompt))
            with lock:
                results.append(result)
            turn += 1

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + REQUEST_TIMEOUT_S)
    return LoadReport(clients, time.perf_counter() - started, results)


@contextlib.contextmanager
def private_server(home: Path) -> Iterator[str]:
    """Hearth with the starter model, served on a free loopback port; yields its base URL."""
    from dataclasses import replace

    from app.hearth import Hearth
    from app.paths import hearth_paths
    from app.server.backend import LocalBackend
    from app.server.config import ServerConfig
    from app.server.runner import ServerRunner

    hearth = Hearth.open(hearth_paths({"HEARTH_HOME": str(home)}))
    try:
        hearth.engine.load(hearth.load_request(hearth.resolve_model(MODEL)))
        config = replace(ServerConfig(), port=0)
        runner = ServerRunner(LocalBackend(hearth, config), config)
        runner.start()
        try:
            yield runner.url
        finally:
            runner.stop()
    finally:
        hearth.close()


def _percentile(values: list[float], percent: float) -> float:
    """The nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(percent / 100 * len(ordered)) - 1)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--max-tokens", type=int, default=32)
    parser.add_argument("--url", help="a running server's base URL (default: start one)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        url = args.url
        if url is None:
            home = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="hearth-load-")))
            url = stack.enter_context(private_server(home))
        expected = references(url, args.max_tokens)
        report = run_load(
            url,
            clients=args.clients,
            seconds=args.seconds,
            max_tokens=args.max_tokens,
            expected=expected,
        )
    if args.json:
        print(
            json.dumps(
                {
                    "clients": report.clients,
                    "requests": len(report.results),
                    "broken": len(report.broken),
                    "seconds": round(report.elapsed_s, 1),
                    "tokens_per_s": round(report.tokens_per_s, 1),
                    "queue_wait_p50_ms": round(report.queue_wait_ms(50)),
                    "queue_wait_p99_ms": round(report.queue_wait_ms(99)),
                    "first_token_p99_ms": round(report.first_token_ms(99)),
                }
            )
        )
    else:
        print(report.summary())
    for broken in report.broken[:5]:
        print(f"broken: {broken.problem}", file=sys.stderr)
    return 1 if report.broken else 0


if __name__ == "__main__":
    raise SystemExit(main())
