"""A side of an arena comparison: the model to load and, optionally, a temperature."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Contestant:
    """A side: the model to load and, optionally, a temperature of its own."""

    model_path: str
    name: str
    temperature: float | None = None

    @property
    def side_name(self) -> str:
        """What ratings are kept under: the name, with the setting when there is one."""
        if self.temperature is None:
            return self.name
        return f"{self.name} · temperature {self.temperature:g}"

    def settings(self) -> dict[str, Any]:
        return {} if self.temperature is None else {"temperature": self.temperature}
