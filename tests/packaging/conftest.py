"""Loads the scripts in ``packaging/`` by path.

``packaging/`` is not a Python package (its name would shadow the ``packaging``
library that pytest itself imports), so its modules are loaded from their files.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PACKAGING_DIR = PROJECT_ROOT / "packaging"


def load_packaging_module(file_stem: str, module_name: str) -> ModuleType:
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, PACKAGING_DIR / f"{file_stem}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def bundle_contents() -> ModuleType:
    # build.py imports it under this name, so both share one module.
    return load_packaging_module("bundle_contents", "bundle_contents")


@pytest.fixture(scope="session")
def build_script(bundle_contents: ModuleType) -> ModuleType:
    return load_packaging_module("build", "hearth_packaging_build")


@pytest.fixture(scope="session")
def make_icons() -> ModuleType:
    return load_packaging_module("make_icons", "hearth_packaging_make_icons")
