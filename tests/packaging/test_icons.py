"""The app icons: every size present, the Windows and macOS containers well formed, and
the bitmaps made from the SVG (not edited apart from it)."""

from __future__ import annotations

import struct
from pathlib import Path
from types import ModuleType

import pytest
from PySide6.QtGui import QImage

ICONS = Path(__file__).resolve().parents[2] / "resources" / "icons"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_every_png_size_is_there_and_square(make_icons: ModuleType):
    for size in make_icons.PNG_SIZES:
        assert png_size((ICONS / f"hearth-{size}.png").read_bytes()) == (size, size)
    assert min(make_icons.PNG_SIZES) == 16 and max(make_icons.PNG_SIZES) == 512


def test_windows_icon_holds_each_size(make_icons: ModuleType):
    data = (ICONS / "hearth.ico").read_bytes()
    reserved, kind, count = struct.unpack("<HHH", data[:6])
    assert (reserved, kind) == (0, 1)  # an icon, not a cursor

    sizes = set()
    for index in range(count):
        width, height, _, _, _, _, length, offset = struct.unpack(
            "<BBBBHHII", data[6 + 16 * index : 22 + 16 * index]
        )
        assert offset + length <= len(data)
        sizes.add((width or 256, height or 256))  # 0 means 256 in an ICO directory
    assert sizes == {(s, s) for s in make_icons.ICO_SIZES}


def test_macos_icon_holds_the_retina_sizes():
    data = (ICONS / "hearth.icns").read_bytes()
    magic, total = struct.unpack(">4sI", data[:8])
    assert magic == b"icns" and total == len(data)

    entries = {}
    offset = 8
    while offset < total:
        kind, length = struct.unpack(">4sI", data[offset : offset + 8])
        entries[kind] = data[offset + 8 : offset + length]
        offset += length
    assert offset == total
    # 128, 256, 512 and 1024 (512@2x) px, as PNGs.
    expected = {b"ic07": 128, b"ic08": 256, b"ic09": 512, b"ic10": 1024}
    for kind, size in expected.items():
        assert png_size(entries[kind]) == (size, size)


@pytest.mark.parametrize("size", [16, 64, 256])
def test_pngs_are_the_svg_as_drawn_now(make_icons: ModuleType, qapp, size: int):
    # qapp: a QApplication exists before Qt renders, as in the rest of the suite.
    drawn = QImage.fromData(make_icons.render_png(size)).convertToFormat(
        QImage.Format.Format_RGBA8888
    )
    stored = QImage(str(ICONS / f"hearth-{size}.png")).convertToFormat(
        QImage.Format.Format_RGBA8888
    )
    assert (drawn.width(), drawn.height()) == (stored.width(), stored.height()) == (size, size)

    a = bytes(drawn.constBits())
    b = bytes(stored.constBits())
    differences = [abs(x - y) for x, y in zip(a, b, strict=True)]
    # Small leeway for anti-aliasing differences between Qt versions; an edited SVG
    # whose PNGs were not remade differs by far more.
    assert sum(differences) / len(differences) < 2.0
    assert max(differences) < 96


def test_svg_has_no_external_references():
    text = (ICONS / "hearth.svg").read_text(encoding="utf-8")

    assert "<svg" in text and 'viewBox="0 0 512 512"' in text
    for forbidden in ("<image", "href=", "<script", "@import"):
        assert forbidden not in text
