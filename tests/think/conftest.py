from __future__ import annotations

from dataclasses import replace

import pytest

from app.hearth import Hearth
from tests.support.hearth_fixtures import hearth
from tests.ui.window.conftest import open_window

__all__ = ["hearth", "loaded", "open_window"]

# Short replies keep the real model's turns quick on a small CPU.
MAX_TOKENS = 40


@pytest.fixture
def loaded(hearth: Hearth) -> Hearth:
    model = hearth.resolve_model("SmolLM2-135M-Instruct")
    key = hearth.model_key(model.path)
    hearth.model_settings.save(replace(hearth.model_settings.get(key), max_tokens=MAX_TOKENS))
    hearth.engine.load(hearth.load_request(model))
    return hearth
