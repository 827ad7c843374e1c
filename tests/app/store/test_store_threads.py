"""One database shared by a streaming worker thread and the GUI thread."""

from __future__ import annotations

import threading

from app.store import ConversationStore, Database


def test_a_worker_streams_while_another_thread_reads_and_writes(db: Database) -> None:
    store = ConversationStore(db)
    streaming = store.create_conversation("streaming", "m")
    question = store.add_message(streaming.id, None, "user", "Write a lot")
    reply = store.add_message(streaming.id, question.id, "assistant", "", status="streaming")
    other = store.create_conversation("other", "m")
    errors: list[BaseException] = []
    updates = 300

    def worker() -> None:
        try:
            text = ""
            for number in range(updates):
                text += f"token{number} "
                store.update_message(reply.id, content=text, completion_tokens=number + 1)
            store.update_message(reply.id, status="complete")
        except BaseException as error:  # reported to the test thread below
            errors.append(error)

    thread = threading.Thread(target=worker)
    thread.start()
    parent = None
    while thread.is_alive():
        parent = store.add_message(
            other.id, parent.id if parent else None, "user", "typing meanwhile"
        )
        store.list_conversations()
        store.search("token1")
        store.active_path(streaming.id)
    thread.join()

    assert errors == []
    final = store.get_message(reply.id)
    assert final.status == "complete"
    assert final.completion_tokens == updates
    assert final.content.split() == [f"token{number}" for number in range(updates)]
    with db.read() as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_one_threads_rollback_never_takes_another_threads_write(db: Database) -> None:
    # Without the lock, a write from one thread can land inside the other thread's
    # open transaction and vanish with its rollback (or commit the other's half).
    store = ConversationStore(db)
    errors: list[BaseException] = []
    stop = threading.Event()

    def abandoning_writer() -> None:
        try:
            while not stop.is_set():
                try:
                    with db.transaction() as conn:
                        conn.execute(
                            "INSERT INTO conversations (title, created_at, updated_at) "
                            "VALUES ('abandoned', 0, 0)"
                        )
                        raise LookupError("roll back")
                except LookupError:
                    pass
        except BaseException as error:
            errors.append(error)

    thread = threading.Thread(target=abandoning_writer)
    thread.start()
    try:
        created = [store.create_conversation(f"kept {n}", None).id for n in range(300)]
    finally:
        stop.set()
        thread.join()

    assert errors == []
    assert sorted(c.id for c in store.list_conversations()) == sorted(created)
    assert all(c.title.startswith("kept") for c in store.list_conversations())
