"""Hearth's window: PySide6 widgets over the core in ``app``."""
