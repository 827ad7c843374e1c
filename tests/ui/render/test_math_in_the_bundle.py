"""The bundle leaves most of matplotlib out; typesetting a formula must not need any of it.

Run in a fresh interpreter, so the modules counted are the ones formulas pull in.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[3]

SCRIPT = """
import json, sys
sys.path.insert(0, "packaging")
import bundle_contents
from PySide6.QtWidgets import QApplication
app = QApplication([])
from ui.render.math_image import MathLook, render_formula
look = MathLook(pixel_size=13.0, x_height=7.0, descent=3.0, rgba=0xFF000000)
image = render_formula(r"\\boxed{\\frac{a}{b} + \\sqrt{x^2}}", True, look)
excluded = [
    name for name in sys.modules
    if any(name == ex or name.startswith(ex + ".") for ex in bundle_contents.EXCLUDED_MODULES)
]
print(json.dumps({"typeset": image is not None, "excluded": excluded}))
"""


def test_typesetting_uses_nothing_the_bundle_leaves_out(tmp_path: Path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HEARTH_HOME": str(tmp_path)}
    env.pop("MPLCONFIGDIR", None)
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result == {"typeset": True, "excluded": []}
    # matplotlib's font list went to Hearth's cache folder, not the user's home.
    assert list((tmp_path / "cache" / "matplotlib").glob("fontlist*.json"))
