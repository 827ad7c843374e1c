"""The Models page: the curated catalog, Hugging Face search, files with their fit on this
computer, the download queue, and the models on disk (import, remove, models folder).

:class:`~ui.models.window.ModelsWindow` holds the page as a window of its own;
:class:`~ui.models.drop_import.GgufDropFilter` turns GGUF files dropped on any widget
into imports. All network and disk work runs on worker threads (see
:mod:`ui.models.tasks`); the download queue's events reach widgets only through queued
signals (see :mod:`ui.models.queue_bridge`).
"""
