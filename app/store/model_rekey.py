"""Moving rows keyed by a bare model file name to the model's repo-and-path key.

Migration step 6 lists the bare names in use (table ``legacy_model_keys``). Which model
a bare name meant depends on the files on disk, so the caller (``Hearth.open``) looks
at the local models and hands :func:`rekey_bare_names` the keys of the models that
carry each name. In one transaction, for each name still listed:

- one model carries it: its settings row, and the ``model`` of its conversations and
  replies, move to that model's key (a row already saved under the new key wins);
- several models carry it (two repositories' ``ggml-model-Q4_K_M.gguf``): they all
  used that one row until now, so each gets a copy of it; conversations and replies
  keep the bare name, as nothing says which file wrote them;
- no model carries it now (a folder on a drive that is not mounted, a model since
  deleted): nothing changes, and the name stays listed, to be settled at a later start.

A settled name is crossed off, so this runs once per name.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from app.store.database import Database


@dataclass(frozen=True)
class RekeyResult:
    moved: dict[str, str]  # bare name -> the one model's new key
    copied: dict[str, list[str]]  # bare name -> the keys that got a copy of its settings
    waiting: list[str]  # names no model carries now


def pending_bare_names(db: Database) -> list[str]:
    """Bare names written before keys held the repo and path, not yet settled."""
    with db.read() as conn:
        return [row[0] for row in conn.execute("SELECT key FROM legacy_model_keys ORDER BY key")]


def rekey_bare_names(db: Database, keys_by_name: Mapping[str, Sequence[str]]) -> RekeyResult:
    """Settle every listed bare name that ``keys_by_name`` (name -> model keys) knows."""
    moved: dict[str, str] = {}
    copied: dict[str, list[str]] = {}
    waiting: list[str] = []
    with db.transaction() as conn:
        names = [row[0] for row in conn.execute("SELECT key FROM legacy_model_keys")]
        columns = _settings_columns(conn)
        for name in sorted(names):
            targets = list(dict.fromkeys(keys_by_name.get(name, ())))
            if not targets:
                waiting.append(name)
                continue
            if len(targets) == 1:
                _move(conn, name, targets[0])
                moved[name] = targets[0]
            else:
                for target in targets:
                    _copy_settings(conn, columns, name, target)
                copied[name] = targets
            conn.execute("DELETE FROM legacy_model_keys WHERE key = ?", (name,))
    return RekeyResult(moved, copied, waiting)


def _move(conn: sqlite3.Connection, name: str, target: str) -> None:
    if target == name:
        return
    taken = conn.execute("SELECT 1 FROM model_settings WHERE model_key = ?", (target,)).fetchone()
    if not taken:
        conn.execute("UPDATE model_settings SET model_key = ? WHERE model_key = ?", (target, name))
    conn.execute("UPDATE conversations SET model = ? WHERE model = ?", (target, name))
    conn.execute("UPDATE messages SET model = ? WHERE model = ?", (target, name))


def _copy_settings(conn: sqlite3.Connection, columns: list[str], name: str, target: str) -> None:
    if target == name:
        return
    others = [column for column in columns if column != "model_key"]
    listed = ", ".join(others)
    conn.execute(
        f"INSERT OR IGNORE INTO model_settings (model_key, {listed}) "
        f"SELECT ?, {listed} FROM model_settings WHERE model_key = ?",
        (target, name),
    )


def _settings_columns(conn: sqlite3.Connection) -> list[str]:
    return [row[1] for row in conn.execute("PRAGMA table_info(model_settings)")]


__all__ = ["RekeyResult", "pending_bare_names", "rekey_bare_names"]
