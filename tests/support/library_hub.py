"""A test Hub filled for the model-library tests (CLI and Models page), on 127.0.0.1.

Small real GGUF files (see :func:`tests.support.hub_server.write_gguf`) in a few
repositories: one with several quantizations, a vision projector and a split model; a
gated one; and a catalog model's repository whose files match a small test catalog.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.hub_server import HubServer, write_gguf

TINY = "hearth-test/Tiny-7B-GGUF"
GATED = "hearth-test/Gated-8B-GGUF"
GATED_TOKEN = "hf_gated_token"
CATALOG_REPO = "hearth-test/Catalogued-GGUF"
SPLIT = [f"big/Tiny-7B-Q2_K-0000{i}-of-00002.gguf" for i in (1, 2)]


def write_files(root: Path) -> dict[str, Path]:
    """The GGUF files the Hub serves, by name."""
    sizes = {
        "Tiny-7B-Q4_K_M.gguf": 300_000,
        "Tiny-7B-Q8_0.gguf": 600_000,
        "Tiny-7B-F16.gguf": 1_200_000,
        "mmproj-Tiny-7B-f16.gguf": 80_000,
        "Gated-8B-Q4_0.gguf": 200_000,
        "Catalogued-Q4_K_M.gguf": 250_000,
        "Catalogued-Q8_0.gguf": 450_000,
    }
    files = {
        name: write_gguf(root / name, payload_bytes=size, seed=index, name=name)
        for index, (name, size) in enumerate(sizes.items())
    }
    for index, name in enumerate(SPLIT, start=1):
        files[name] = write_gguf(
            root / Path(name).name,
            payload_bytes=120_000,
            seed=20 + index,
            extra_uint16={"split.no": index - 1, "split.count": 2},
        )
    return files


def fill_hub(server: HubServer, files: dict[str, Path]) -> None:
    tiny = {
        name: files[name]
        for name in ("Tiny-7B-Q4_K_M.gguf", "Tiny-7B-Q8_0.gguf", "Tiny-7B-F16.gguf")
    }
    tiny["mmproj-Tiny-7B-f16.gguf"] = files["mmproj-Tiny-7B-f16.gguf"]
    tiny.update({name: files[name] for name in SPLIT})
    tiny["README.md"] = b"# Tiny\n"
    server.add_repo(
        TINY,
        tiny,  # type: ignore[arg-type]
        downloads=900,
        likes=3,
        last_modified="2024-02-01T00:00:00.000Z",
        plain_git=["README.md"],
    )
    server.add_repo(
        "hearth-test/Liked-7B-GGUF",
        {"Liked-Q4_0.gguf": files["Gated-8B-Q4_0.gguf"]},
        downloads=10,
        likes=800,
        last_modified="2023-01-01T00:00:00.000Z",
    )
    server.add_repo(
        "hearth-test/Fresh-7B-GGUF",
        {"Fresh-Q4_0.gguf": files["Gated-8B-Q4_0.gguf"]},
        downloads=5,
        likes=1,
        last_modified="2025-09-01T00:00:00.000Z",
    )
    server.add_repo(
        GATED,
        {"Gated-8B-Q4_0.gguf": files["Gated-8B-Q4_0.gguf"]},
        gated=True,
        token=GATED_TOKEN,
        downloads=50,
    )
    server.add_repo(
        CATALOG_REPO,
        {name: files[name] for name in ("Catalogued-Q4_K_M.gguf", "Catalogued-Q8_0.gguf")},
        downloads=20,
    )


def write_catalog(path: Path, files: dict[str, Path], *, stale_sha: bool = False) -> Path:
    """A catalog naming the catalogued repository's files, with their real sizes and sums."""
    import hashlib

    entries = []
    for quant in ("Q4_K_M", "Q8_0"):
        file = files[f"Catalogued-{quant}.gguf"]
        sha = hashlib.sha256(file.read_bytes()).hexdigest()
        if stale_sha and quant == "Q8_0":
            sha = "0" * 64
        part = {
            "path": file.name,
            "size": file.stat().st_size,
            "size_exact": True,
            "sha256": sha,
            "seen_at": None,
        }
        entries.append({"quant": quant, "parts": [part]})
    catalog = {
        "version": 1,
        "about": ["test catalog"],
        "models": [
            {
                "id": "catalogued-7b",
                "name": "Catalogued 7B",
                "repo_id": CATALOG_REPO,
                "params_billion": 7.0,
                "context_length": 8192,
                "licence": "apache-2.0",
                "gated": False,
                "architecture": {
                    "layers": 32,
                    "embedding": 4096,
                    "heads": 32,
                    "kv_heads": 8,
                    "vocab": 32000,
                    "feed_forward": 14336,
                },
                "files": entries,
            }
        ],
    }
    path.write_text(json.dumps(catalog), encoding="utf-8")
    return path
