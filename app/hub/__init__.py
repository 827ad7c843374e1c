"""Hugging Face: search, GGUF file listings, and resumable, verified downloads.

Import what you need from the modules (this package imports nothing itself, so the pure
ones stay cheap to import):

- :mod:`app.hub.client`: ``HubClient.search`` / ``HubClient.list_files``
  (``RepoSummary``, ``RepoListing``, ``SearchSort``);
- :mod:`app.hub.files`: ``RemoteFile``, ``ModelFileGroup``, quantization and split rules;
- :mod:`app.hub.download`: ``download_file`` / ``download_group`` (one model, resumable);
- :mod:`app.hub.queue`: ``DownloadQueue``, the background queue the window drives;
- :mod:`app.hub.control`: ``DownloadControl`` (pause / cancel), ``DownloadOutcome``;
- :mod:`app.hub.layout`: where files land (``<models>/<owner>/<repo>/<file>``);
- :mod:`app.hub.errors`: every error, worded for the user;
- :mod:`app.hub.token`: ``find_token``; :mod:`app.hub.endpoint`: ``HF_ENDPOINT``.

No network is contacted at import or when objects are built; only by the calls above.
"""
