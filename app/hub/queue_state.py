"""The download queue's memory across restarts: a small JSON file in the cache folder.

It lists every unfinished download (what to fetch, from where, and which parts this
download already put in place); the bytes themselves are in the ``.part`` files, whose
lengths say how far each got. Written whole to a temporary file and renamed, so a crash
mid-write leaves the previous version.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.hub.files import ModelFileGroup, RemoteFile

STATE_VERSION = 1
log = logging.getLogger(__name__)


@dataclass
class QueueRecord:
    """One unfinished download as stored."""

    item_id: str
    endpoint: str
    revision: str
    group: ModelFileGroup
    status: str
    error: str | None = None
    finished_parts: list[str] = field(default_factory=list)  # paths this download completed


def _group_to_json(group: ModelFileGroup) -> dict[str, Any]:
    return {
        "repo_id": group.repo_id,
        "name": group.name,
        "quant": group.quant,
        "is_mmproj": group.is_mmproj,
        "expected_parts": group.expected_parts,
        "parts": [
            {"path": p.path, "size": p.size, "sha256": p.sha256, "blob_id": p.blob_id}
            for p in group.parts
        ],
    }


def _group_from_json(data: dict[str, Any]) -> ModelFileGroup:
    return ModelFileGroup(
        repo_id=str(data["repo_id"]),
        name=str(data["name"]),
        quant=data.get("quant"),
        parts=tuple(
            RemoteFile(str(p["path"]), int(p["size"]), p.get("sha256"), p.get("blob_id"))
            for p in data["parts"]
        ),
        is_mmproj=bool(data.get("is_mmproj", False)),
        expected_parts=int(data.get("expected_parts", 1)),
    )


def save_records(path: Path, records: list[QueueRecord]) -> None:
    """Replace the state file with ``records``."""
    payload = {
        "version": STATE_VERSION,
        "items": [
            {
                "id": r.item_id,
                "endpoint": r.endpoint,
                "revision": r.revision,
                "group": _group_to_json(r.group),
                "status": r.status,
                "error": r.error,
                "finished_parts": list(r.finished_parts),
            }
            for r in records
        ],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(payload, indent=1), encoding="utf-8")
    os.replace(temporary, path)


def load_records(path: Path) -> list[QueueRecord]:
    """The stored downloads; none if the file is missing. A damaged file is set aside."""
    if not path.exists():
        return []
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
        if payload.get("version") != STATE_VERSION:
            raise ValueError(f"unknown version {payload.get('version')!r}")
        return [
            QueueRecord(
                item_id=str(item["id"]),
                endpoint=str(item["endpoint"]),
                revision=str(item["revision"]),
                group=_group_from_json(item["group"]),
                status=str(item["status"]),
                error=item.get("error"),
                finished_parts=[str(p) for p in item.get("finished_parts", [])],
            )
            for item in payload["items"]
        ]
    except (ValueError, KeyError, TypeError, AttributeError) as err:
        aside = path.with_name(path.name + ".damaged")
        log.warning("download list %s is unreadable (%s); moved to %s", path, err, aside)
        os.replace(path, aside)
        return []
