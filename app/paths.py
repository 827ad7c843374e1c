"""Where Hearth keeps its files.

One place decides every location. ``HEARTH_HOME`` puts everything (data, settings,
logs, caches, models) under one folder; without it the platform's usual folders are
used, through platformdirs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "Hearth"


@dataclass(frozen=True)
class HearthPaths:
    """The folders Hearth uses; each is created on first use by :meth:`ensure`."""

    data: Path
    config: Path
    cache: Path
    logs: Path
    models: Path

    @property
    def database(self) -> Path:
        return self.data / "hearth.sqlite3"

    @property
    def settings_file(self) -> Path:
        return self.config / "settings.json"

    @property
    def log_file(self) -> Path:
        return self.logs / "hearth.log"

    def ensure(self) -> HearthPaths:
        for folder in (self.data, self.config, self.cache, self.logs, self.models):
            folder.mkdir(parents=True, exist_ok=True)
        return self


def hearth_paths(environ: dict[str, str] | None = None) -> HearthPaths:
    """The paths for this process: under ``HEARTH_HOME`` if set, else platformdirs."""
    env = os.environ if environ is None else environ
    home = env.get("HEARTH_HOME")
    if home:
        root = Path(home).expanduser().resolve()
        return HearthPaths(
            data=root / "data",
            config=root / "config",
            cache=root / "cache",
            logs=root / "logs",
            models=root / "models",
        )
    dirs = platformdirs.PlatformDirs(APP_NAME, appauthor=False)
    data = Path(dirs.user_data_dir)
    return HearthPaths(
        data=data,
        config=Path(dirs.user_config_dir),
        cache=Path(dirs.user_cache_dir),
        logs=Path(dirs.user_log_dir),
        models=data / "models",
    )
