"""Checking that downloaded bytes are the file the Hub listed.

Large files are stored with Git LFS and listed with their sha256. Small files kept in
plain Git are listed with their Git blob id instead: the sha1 of ``blob <size>\\0``
followed by the content. Either way the hash is computed as the bytes arrive.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from app.hub.files import RemoteFile


class FileHasher:
    """Incremental checksum of one remote file, compared with what the listing says."""

    def __init__(self, remote: RemoteFile) -> None:
        if remote.sha256:
            self._factory: Callable[[], hashlib._Hash] = hashlib.sha256
            self.expected = remote.sha256.lower()
            self._prefix = b""
        elif remote.blob_id:
            self._factory = hashlib.sha1  # Git's object id, not used for security here
            self.expected = remote.blob_id.lower()
            self._prefix = b"blob %d\0" % remote.size
        else:
            raise ValueError(f"{remote.path}: the listing gives no checksum to verify it with")
        self.reset()

    def reset(self) -> None:
        """Forget everything hashed so far (the download starts again from byte 0)."""
        self._hash = self._factory()
        self._hash.update(self._prefix)

    def update(self, data: bytes | memoryview) -> None:
        self._hash.update(data)

    def hexdigest(self) -> str:
        return self._hash.hexdigest()

    def matches(self) -> bool:
        return self.hexdigest() == self.expected
