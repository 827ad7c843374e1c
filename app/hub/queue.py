"""The download queue: models fetched one at a time on a background thread.

Each item is one :class:`~app.hub.files.ModelFileGroup` (a file, or all parts of a
split model) and can be paused, resumed and cancelled on its own. Unfinished items are
kept in a small JSON file (see :mod:`app.hub.queue_state`), so after a restart, or a
crash, they are listed again (paused) and resume from their ``.part`` files.

Listeners receive :class:`ItemChanged` and :class:`ItemProgress` events **on the
queue's thread or the caller's**; the window wraps them in queued Qt signals. Listeners
are called without the queue's lock held, so they may call back into the queue.

Nothing happens at construction: :meth:`DownloadQueue.start` reads the state file and
starts the thread; :meth:`DownloadQueue.close` pauses the running download and stops.
"""

from __future__ import annotations

import enum
import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from app.hub.control import DownloadControl, DownloadOutcome, StopRequest
from app.hub.download import DownloadSettings, bytes_on_disk, download_group
from app.hub.endpoint import hub_endpoint
from app.hub.errors import HubError
from app.hub.files import ModelFileGroup, RemoteFile
from app.hub.layout import local_path, part_path
from app.hub.part_lock import discard_part
from app.hub.progress import DownloadProgress
from app.hub.queue_state import QueueRecord, load_records, save_records
from app.hub.token import find_token

log = logging.getLogger(__name__)


class ItemStatus(str, enum.Enum):
    QUEUED = "queued"
    DOWNLOADING = "downloading"
    PAUSED = "paused"
    FAILED = "failed"  # stopped on an error (see ``error``); resume tries again
    COMPLETED = "completed"  # verified and in the models folder
    CANCELLED = "cancelled"  # stopped and its files deleted; no longer listed


_UNFINISHED = (ItemStatus.QUEUED, ItemStatus.DOWNLOADING, ItemStatus.PAUSED, ItemStatus.FAILED)


@dataclass(frozen=True)
class QueueItem:
    """A snapshot of one download, as listeners and :meth:`DownloadQueue.items` see it."""

    item_id: str
    endpoint: str
    revision: str
    group: ModelFileGroup
    status: ItemStatus
    done: int
    error: str | None = None
    finished_parts: tuple[str, ...] = ()

    @property
    def repo_id(self) -> str:
        return self.group.repo_id

    @property
    def total(self) -> int:
        return self.group.total_size


@dataclass(frozen=True)
class ItemChanged:
    """An item was added, or its status changed (CANCELLED: it is gone from the list)."""

    item: QueueItem


@dataclass(frozen=True)
class ItemProgress:
    item_id: str
    progress: DownloadProgress


QueueEvent = ItemChanged | ItemProgress
Listener = Callable[[QueueEvent], None]


class DownloadQueue:
    """Runs downloads into ``models_dir`` one at a time; remembers them in ``state_file``."""

    def __init__(
        self,
        models_dir: Path,
        state_file: Path,
        *,
        token_provider: Callable[[], str | None] = find_token,
        settings: DownloadSettings | None = None,
    ) -> None:
        self.models_dir = models_dir
        self.state_file = state_file
        self._token_provider = token_provider
        self._settings = settings or DownloadSettings()
        self._cond = threading.Condition()
        # Held around a state change and its event, so listeners see events in order.
        self._events = threading.RLock()
        self._items: dict[str, QueueItem] = {}  # in the order added
        self._listeners: list[Listener] = []
        self._running: tuple[str, DownloadControl] | None = None
        self._thread: threading.Thread | None = None
        self._closing = False

    # -- life cycle ------------------------------------------------------------------
    def start(self) -> None:
        """Load the unfinished downloads (all paused) and start the download thread."""
        with self._cond:
            if self._thread is not None:
                return
            for record in load_records(self.state_file):
                status = ItemStatus.FAILED if record.status == "failed" else ItemStatus.PAUSED
                self._items[record.item_id] = QueueItem(
                    item_id=record.item_id,
                    endpoint=record.endpoint,
                    revision=record.revision,
                    group=record.group,
                    status=status,
                    done=self._bytes_here(record.group),
                    error=record.error,
                    finished_parts=tuple(record.finished_parts),
                )
            self._thread = threading.Thread(target=self._work, name="hearth-downloads", daemon=True)
            self._thread.start()

    def close(self, timeout: float | None = None) -> None:
        """Pause the running download (its .part is kept) and stop the thread."""
        with self._cond:
            self._closing = True
            if self._running is not None:
                self._running[1].pause()
            self._cond.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def add_listener(self, listener: Listener) -> None:
        with self._cond:
            self._listeners.append(listener)

    # -- commands --------------------------------------------------------------------
    def add(self, group: ModelFileGroup, revision: str, endpoint: str | None = None) -> str:
        """Queue ``group`` (at commit ``revision``); returns the item's id.

        Adding a model that is already listed and unfinished resumes that item instead.
        """
        endpoint = (endpoint or hub_endpoint()).rstrip("/")
        with self._cond:
            for item in self._items.values():
                same = item.group.repo_id == group.repo_id and item.group.name == group.name
                if same and item.status in _UNFINISHED:
                    existing = item.item_id
                    break
            else:
                existing = None
        if existing is not None:
            self.resume(existing)
            return existing
        item = QueueItem(
            item_id=uuid.uuid4().hex[:12],
            endpoint=endpoint,
            revision=revision,
            group=group,
            status=ItemStatus.QUEUED,
            done=self._bytes_here(group),
        )
        with self._events:
            with self._cond:
                self._items[item.item_id] = item
                self._save()
                self._cond.notify_all()
            self._emit(ItemChanged(item))
        return item.item_id

    def pause(self, item_id: str) -> None:
        """Stop after the current chunk (or before starting); the .part is kept."""
        changed = None
        with self._cond:
            item = self._items.get(item_id)
            if item is None:
                return
            if self._running is not None and self._running[0] == item_id:
                self._running[1].pause()  # the thread reports PAUSED once it has stopped
            elif item.status is ItemStatus.QUEUED:
                changed = self._set(item_id, status=ItemStatus.PAUSED)
        if changed:
            self._emit(ItemChanged(changed))

    def resume(self, item_id: str) -> None:
        """Queue a paused or failed item again; it carries on from its .part."""
        changed = None
        with self._cond:
            item = self._items.get(item_id)
            if item is not None and item.status in (ItemStatus.PAUSED, ItemStatus.FAILED):
                changed = self._set(item_id, status=ItemStatus.QUEUED, error=None)
                self._cond.notify_all()
        if changed:
            self._emit(ItemChanged(changed))

    def cancel(self, item_id: str) -> None:
        """Stop and delete what this download wrote (.part files, parts it completed).

        A .part that another download (another Hearth) is writing is left to it.
        """
        removed = None
        with self._cond:
            item = self._items.get(item_id)
            if item is None or item.status not in _UNFINISHED:
                return
            if self._running is not None and self._running[0] == item_id:
                self._running[1].cancel()  # the thread cleans up once it has stopped
            else:
                removed = self._remove_cancelled(item)
        if removed:
            self._emit(ItemChanged(removed))

    def clear_completed(self) -> None:
        """Drop completed items from the list (they are in the library now)."""
        with self._cond:
            for item_id in [
                i.item_id for i in self._items.values() if i.status is ItemStatus.COMPLETED
            ]:
                del self._items[item_id]

    # -- queries ---------------------------------------------------------------------
    def items(self) -> list[QueueItem]:
        """Every item still listed (unfinished, and those completed in this session)."""
        with self._cond:
            return list(self._items.values())

    def item(self, item_id: str) -> QueueItem | None:
        with self._cond:
            return self._items.get(item_id)

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until nothing is queued or downloading; False if ``timeout`` ran out."""
        with self._cond:
            return self._cond.wait_for(
                lambda: (
                    not any(
                        i.status in (ItemStatus.QUEUED, ItemStatus.DOWNLOADING)
                        for i in self._items.values()
                    )
                ),
                timeout,
            )

    # -- the download thread ---------------------------------------------------------
    def _work(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._closing or self._next_queued() is not None)
            # Taking _events first keeps this item's QUEUED event (sent by ``add``)
            # ahead of its DOWNLOADING one.
            with self._events:
                with self._cond:
                    if self._closing:
                        return
                    queued = self._next_queued()
                    if queued is None:
                        continue
                    control = DownloadControl()
                    self._running = (queued.item_id, control)
                    item = self._set(queued.item_id, status=ItemStatus.DOWNLOADING)
                self._emit(ItemChanged(item))
            self._run(item, control)

    def _next_queued(self) -> QueueItem | None:
        return next((i for i in self._items.values() if i.status is ItemStatus.QUEUED), None)

    def _run(self, item: QueueItem, control: DownloadControl) -> None:
        error: str | None = None
        outcome: DownloadOutcome | None = None
        try:
            outcome = download_group(
                item.endpoint,
                item.revision,
                item.group,
                self.models_dir,
                token=self._token_provider(),
                control=control,
                on_progress=lambda progress: self._progress(item.item_id, progress),
                on_file_done=lambda remote, path, how: self._part_done(item.item_id, remote, how),
                settings=self._settings,
            )
        except HubError as err:
            error = str(err)
        except Exception as err:  # a bug or an OS error: keep the queue alive, say what
            log.exception("download of %s failed", item.group.name)
            error = f"{type(err).__name__}: {err}"

        with self._cond:
            self._running = None
            current = self._items[item.item_id]
            cancelled = control.requested is StopRequest.CANCEL
            if outcome is DownloadOutcome.CANCELLED or (cancelled and error is not None):
                changed = self._remove_cancelled(current)
            elif outcome is DownloadOutcome.PAUSED:
                changed = self._set(
                    item.item_id, status=ItemStatus.PAUSED, done=self._bytes_here(item.group)
                )
            elif error is not None:
                changed = self._set(
                    item.item_id,
                    status=ItemStatus.FAILED,
                    error=error,
                    done=self._bytes_here(item.group),
                )
            else:
                changed = self._set(item.item_id, status=ItemStatus.COMPLETED, done=current.total)
            self._cond.notify_all()
        self._emit(ItemChanged(changed))

    def _progress(self, item_id: str, progress: DownloadProgress) -> None:
        with self._cond:
            if item_id in self._items:
                self._items[item_id] = replace(self._items[item_id], done=progress.done)
        self._emit(ItemProgress(item_id, progress))

    def _part_done(self, item_id: str, remote: RemoteFile, how: DownloadOutcome) -> None:
        if how is not DownloadOutcome.COMPLETED:
            return  # the file was there before: not this download's to delete on cancel
        with self._cond:
            item = self._items[item_id]
            self._set(item_id, finished_parts=(*item.finished_parts, remote.path))

    # -- helpers (called with the lock held) -------------------------------------------
    def _set(self, item_id: str, **changes: object) -> QueueItem:
        item = replace(self._items[item_id], **changes)  # type: ignore[arg-type]
        self._items[item_id] = item
        self._save()
        return item

    def _remove_cancelled(self, item: QueueItem) -> QueueItem:
        for part in item.group.parts:
            target = local_path(self.models_dir, item.repo_id, part.path)
            if not discard_part(target):  # another Hearth is downloading it: its file
                log.info("kept %s: another download is writing it", part_path(target))
            if part.path in item.finished_parts:
                target.unlink(missing_ok=True)
        del self._items[item.item_id]
        self._save()
        self._cond.notify_all()
        return replace(item, status=ItemStatus.CANCELLED, done=0)

    def _save(self) -> None:
        records = [
            QueueRecord(
                item_id=i.item_id,
                endpoint=i.endpoint,
                revision=i.revision,
                group=i.group,
                status=i.status.value,
                error=i.error,
                finished_parts=list(i.finished_parts),
            )
            for i in self._items.values()
            if i.status in _UNFINISHED
        ]
        try:
            save_records(self.state_file, records)
        except OSError:  # a full disk must not stop the download that could free it
            log.warning("could not save the download list to %s", self.state_file, exc_info=True)

    def _bytes_here(self, group: ModelFileGroup) -> int:
        return sum(
            bytes_on_disk(local_path(self.models_dir, group.repo_id, part.path))
            for part in group.parts
        )

    def _emit(self, event: QueueEvent) -> None:
        with self._cond:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(event)
            except Exception:  # one broken listener must not stop the downloads
                log.exception("download listener failed on %s", event)
