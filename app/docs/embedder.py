"""The client of the embedding process (``app.docs.embedder_host``): start, ask, end."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any


class EmbedderError(Exception):
    """The embedding model could not load or answer; ``str()`` says so in words."""


class LlamaEmbedder:
    """Vectors from a GGUF model run by llama.cpp in its own process, started on first use.

    ``name`` is the model file's name, which keys its vectors in the index. Thread-safe:
    one request at a time.
    """

    def __init__(self, model_path: Path, name: str | None = None) -> None:
        self.model_path = Path(model_path)
        self.name = name or self.model_path.name
        self._lock = threading.Lock()
        self._process: subprocess.Popen[str] | None = None

    def _started(self) -> subprocess.Popen[str]:
        if self._process is not None and self._process.poll() is None:
            return self._process
        process = subprocess.Popen(
            [sys.executable, "-m", "app.docs.embedder_host", str(self.model_path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        ready = _read(process.stdout)
        if "ready" not in ready:
            process.kill()
            process.wait()
            for stream in (process.stdin, process.stdout):
                if stream is not None:
                    stream.close()
            raise EmbedderError(f"The embedding model {self.name} did not load.")
        self._process = process
        return process

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        with self._lock:
            process = self._started()
            assert process.stdin is not None
            try:
                process.stdin.write(json.dumps({"texts": list(texts)}) + "\n")
                process.stdin.flush()
            except OSError as error:
                raise EmbedderError(f"The embedding model {self.name} stopped.") from error
            reply = _read(process.stdout)
        if "vectors" not in reply:
            raise EmbedderError(
                f"The embedding model {self.name} failed: {reply.get('error', 'it stopped')}"
            )
        return [list(map(float, vector)) for vector in reply["vectors"]]

    def close(self) -> None:
        with self._lock:
            process, self._process = self._process, None
        if process is None:
            return
        if process.stdin is not None:
            process.stdin.close()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


def _read(stream: IO[str] | None) -> dict[str, Any]:
    line = stream.readline() if stream is not None else ""
    if not line:
        return {}
    try:
        value = json.loads(line)
    except json.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}
