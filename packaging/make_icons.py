"""Makes Hearth's app icons from ``resources/icons/hearth.svg``.

Writes ``hearth-<size>.png`` for each size in :data:`PNG_SIZES`, ``hearth.ico``
(Windows) and ``hearth.icns`` (macOS) beside the SVG. Qt's SVG renderer draws each
size from the vector art (small sizes are drawn, not shrunk from a big bitmap);
Pillow writes the two container formats. Run it after editing the SVG:

    .venv/bin/python packaging/make_icons.py

Needs PySide6 (installed with Hearth) and Pillow (``pip install pillow``; only for
this script).
"""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path
from typing import Any

ICON_DIR = Path(__file__).resolve().parent.parent / "resources" / "icons"
SVG_PATH = ICON_DIR / "hearth.svg"
PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
# macOS wants up to 1024 px (512 at 2x); that one only lives inside the .icns.
ICNS_SIZES = (16, 32, 64, 128, 256, 512, 1024)


def png_path(size: int, folder: Path = ICON_DIR) -> Path:
    return folder / f"hearth-{size}.png"


def render_png(size: int, svg_path: Path = SVG_PATH) -> bytes:
    """The SVG drawn at ``size`` x ``size`` pixels, as PNG bytes."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # no screen needed
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(svg_path))
    if not renderer.isValid():
        raise ValueError(f"{svg_path} is not an SVG Qt can draw")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    return bytes(data.data())


def make_icons(folder: Path = ICON_DIR, svg_path: Path = SVG_PATH) -> list[Path]:
    """Writes every icon file; returns their paths."""
    from PIL import Image

    sizes = sorted(set(PNG_SIZES) | set(ICO_SIZES) | set(ICNS_SIZES))
    images: dict[int, Any] = {
        size: Image.open(io.BytesIO(render_png(size, svg_path))).convert("RGBA") for size in sizes
    }
    written = []
    for size in PNG_SIZES:
        path = png_path(size, folder)
        images[size].save(path, optimize=True)
        written.append(path)
    # Each size is handed over as drawn, so Pillow does not scale one bitmap down.
    ico = folder / "hearth.ico"
    largest_ico = images[max(ICO_SIZES)]
    largest_ico.save(
        ico,
        sizes=[(s, s) for s in ICO_SIZES],
        append_images=[images[s] for s in ICO_SIZES if s != max(ICO_SIZES)],
    )
    written.append(ico)
    icns = folder / "hearth.icns"
    images[max(ICNS_SIZES)].save(
        icns, append_images=[images[s] for s in ICNS_SIZES if s != max(ICNS_SIZES)]
    )
    written.append(icns)
    return written


if __name__ == "__main__":
    for written_path in make_icons():
        print(written_path.relative_to(ICON_DIR.parent.parent), written_path.stat().st_size)
