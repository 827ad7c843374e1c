"""The store's exceptions, so callers can tell "not there" from "cannot open"."""

from __future__ import annotations


class StoreError(Exception):
    """Something about the database the user or the app must act on."""


class NotFoundError(StoreError, LookupError):
    """No row with that id (or it belongs to a different conversation)."""


class SchemaTooNewError(StoreError):
    """The file was written by a newer Hearth; opening it here could damage it."""


class NotHearthDatabaseError(StoreError):
    """The file is an SQLite database, but not one of Hearth's."""
