"""The Models page: the curated catalog, Hugging Face search, files with their fit on this
computer, the download queue, and the models on disk (import, remove, models folder).

:class:`~ui.models.window.ModelsWindow` holds the page as a window of its own;
:class:`~ui.models.drop_import.GgufDropFilter` turns GGUF files dropped on any widget
into imports. All network and disk work runs on the page's
:class:`~ui.background.BackgroundRunner`; the download queue's events reach widgets
only through the same runner's relay, on the GUI thread.
"""
