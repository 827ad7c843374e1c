"""Typeset formulas as images, in memory, with matplotlib's mathtext.

mathtext is matplotlib's own TeX-subset layout engine with Computer Modern fonts
shipped inside matplotlib: no LaTeX installation, nothing fetched, no file written
but matplotlib's font list in Hearth's cache folder. A formula is laid out once into
an alpha mask (cached by formula and size) and coloured with the text colour when it
is shown, so a palette change or a re-render of a streaming tail costs no layout.

The image is padded so that its baseline lands on the text's. Qt can put an inline
image's bottom at the font's descent below the baseline (``AlignBaseline``): a formula
that reaches no lower than that gets padding below to make up the difference, and the
line keeps its usual depth. A deeper one (a fraction, a sum with limits) is centred on
the text's middle instead (``AlignMiddle``: half the x-height above the baseline),
padded at the top or the bottom so that its baseline still meets the text's.

A formula mathtext cannot read gives None: the caller shows its source instead.

Laying a formula out takes mathtext about 5 ms. A streaming reply's open tail asks
with ``wait=False``: a formula not laid out yet is queued for a background thread and
:data:`PENDING` comes back (the caller shows the source for now); the typesetter's
``ready`` signal says when to render that tail again. Finished blocks, whole messages
and zoom or palette changes wait for their formulas.
"""

from __future__ import annotations

import logging
import math
import os
import queue
import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QColor, QImage

from ui.render.math_tex import boxed_parts, display_style, to_mathtext

log = logging.getLogger(__name__)

# Display formulas are set larger than the text around them.
DISPLAY_SCALE = 1.45
# mathtext's Computer Modern looks small beside sans-serif text of the same size.
INLINE_SCALE = 1.25
# Longer formulas are shown as source: they are not typeset in a frame's time.
MAX_TEX_CHARS = 1500
# Space inside a \boxed frame, and its line, in ems and pixels.
BOX_PADDING_EM = 0.25
BOX_LINE_PX = 1.0
# The font mathtext uses: "cm" is Computer Modern, the look of LaTeX.
MATH_FONT = "cm"

# Typeset formulas kept (each a small alpha mask), least recently used dropped first.
MASKS_KEPT = 2048

_lock = threading.Lock()  # mathtext's parser is shared: one formula at a time
# The window's thread waiting for _lock: the background typesetter lets it go first, so
# it waits for at most the one formula under way, never for a queue of them.
_turns = threading.Condition()
_window_waiting = 0
_parser: Any = None
_warm_started = False
_typeset_runs = 0


class Pending:
    """The formula is being typeset in the background: show its source for now."""


PENDING = Pending()


@dataclass(frozen=True)
class MathLook:
    """What the text around a formula looks like: the formula matches it."""

    pixel_size: float  # the text font's size in logical pixels
    x_height: float  # the text font's x-height in logical pixels
    descent: float  # how far the text font reaches below the baseline, logical pixels
    rgba: int  # the text colour, QColor.rgba()
    scale: float = 1.0  # device pixels per logical pixel


@dataclass(frozen=True)
class FormulaImage:
    """A typeset formula: the image, and its size in logical pixels."""

    image: QImage
    width: float
    height: float
    # True: align with AlignBaseline; False: with AlignMiddle (see the module docstring).
    on_baseline: bool = True


@dataclass(frozen=True)
class _Mask:
    alpha: Any  # numpy uint8 array, rows x columns, device pixels
    depth: float  # rows below the baseline

    @property
    def height(self) -> int:
        return int(self.alpha.shape[0])

    @property
    def width(self) -> int:
        return int(self.alpha.shape[1])

    @property
    def ascent(self) -> float:
        return self.height - self.depth


def _use_hearth_cache() -> None:
    """matplotlib keeps its font list under Hearth's cache folder, not the user's home."""
    if "MPLCONFIGDIR" in os.environ:
        return
    from app.paths import hearth_paths

    folder = hearth_paths().cache / "matplotlib"
    folder.mkdir(parents=True, exist_ok=True)
    os.environ["MPLCONFIGDIR"] = str(folder)


def _load_parser() -> Any:
    global _parser
    if _parser is None:
        _use_hearth_cache()
        from matplotlib.mathtext import MathTextParser

        _parser = MathTextParser("agg")
    return _parser


def _warm() -> None:
    try:
        with _lock:
            _load_parser()
            _layout("x", 12.0, 1.0)
    except Exception:  # pragma: no cover - logged; the first formula will say more
        log.exception("matplotlib's mathtext could not be loaded")


def warm_up() -> None:
    """Load mathtext (about half a second) on a background thread, once per process."""
    global _warm_started
    if _warm_started:
        return
    _warm_started = True
    threading.Thread(target=_warm, name="mathtext-warm-up", daemon=True).start()


@lru_cache(maxsize=1024)
def _layout(mathtext: str, size: float, scale: float) -> _Mask | None:
    """Lay ``mathtext`` out at ``size`` logical pixels; None if mathtext refuses it."""
    parser = _load_parser()  # first: it points matplotlib at Hearth's cache folder
    from matplotlib.font_manager import FontProperties

    try:
        parsed = parser.parse(
            f"${mathtext}$",
            dpi=72 * scale,
            prop=FontProperties(size=size, math_fontfamily=MATH_FONT),
            antialiased=True,
        )
    except Exception as error:  # mathtext raises ValueError, and others on odd input
        log.debug("mathtext could not typeset %r: %s", mathtext, error)
        return None
    import numpy as np

    alpha = np.asarray(parsed.image, dtype=np.uint8)
    if alpha.ndim != 2 or alpha.size == 0:
        return None
    inked = np.flatnonzero(alpha.max(axis=1))
    if inked.size == 0:
        return _Mask(alpha=alpha, depth=float(parsed.depth))
    # mathtext reports a depth measured from its padded extent, not the baseline:
    # its extent ends one pixel below the lowest ink, it starts one pixel above the
    # box, and depth = extent - box height. So the baseline is this far down:
    baseline = float(inked[-1]) + 3.0 - float(parsed.depth)
    # Only the inked rows: the blank ones mathtext adds would make the line taller.
    first, last = int(inked[0]), int(inked[-1])
    return _Mask(alpha=alpha[first : last + 1], depth=last + 1 - baseline)


def _framed(mask: _Mask, pad: int, line: int) -> _Mask:
    import numpy as np

    height, width = mask.height + 2 * pad, mask.width + 2 * pad
    alpha = np.zeros((height, width), dtype=np.uint8)
    alpha[pad : pad + mask.height, pad : pad + mask.width] = mask.alpha
    alpha[:line, :] = 255
    alpha[-line:, :] = 255
    alpha[:, :line] = 255
    alpha[:, -line:] = 255
    return _Mask(alpha=alpha, depth=mask.depth + pad)


def _side_by_side(masks: list[_Mask], gap: int) -> _Mask:
    """Masks in a row, their baselines on one line."""
    import numpy as np

    ascent = math.ceil(max(m.ascent for m in masks))
    depth = math.ceil(max(m.depth for m in masks))
    width = sum(m.width for m in masks) + gap * (len(masks) - 1)
    alpha = np.zeros((ascent + depth, width), dtype=np.uint8)
    left = 0
    for mask in masks:
        top = ascent - round(mask.ascent)
        rows = min(mask.height, ascent + depth - top)
        np.maximum(
            alpha[top : top + rows, left : left + mask.width],
            mask.alpha[:rows],
            out=alpha[top : top + rows, left : left + mask.width],
        )
        left += mask.width + gap
    return _Mask(alpha=alpha, depth=float(depth))


def _typeset(tex: str, size: float, scale: float, display: bool) -> _Mask | None:
    if display:
        tex = display_style(tex)
    parts = boxed_parts(tex)
    if len(parts) == 1 and not parts[0][1]:
        return _layout(to_mathtext(parts[0][0]), size, scale)
    masks = []
    em = size * scale
    for text, boxed in parts:
        mask = _layout(to_mathtext(text or r"\ "), size, scale)
        if mask is None:
            return None
        if boxed:
            mask = _framed(mask, round(BOX_PADDING_EM * em), max(1, round(BOX_LINE_PX * scale)))
        masks.append(mask)
    return _side_by_side(masks, round(0.2 * em))


def _on_baseline(mask: _Mask, x_height: float, descent: float) -> tuple[Any, bool]:
    """The mask padded so its baseline meets the text's: (rows, use AlignBaseline)."""
    import numpy as np

    if mask.depth <= descent + 0.5:
        top, bottom, on_baseline = 0, max(0, round(descent - mask.depth)), True
    else:
        # Qt gives an AlignMiddle image of height H an ascent of (H + x_height / 2) / 2.
        excess = mask.ascent - mask.depth - x_height / 2
        top, bottom, on_baseline = max(0, round(-excess)), max(0, round(excess)), False
    if not top and not bottom:
        return mask.alpha, on_baseline
    padded = np.zeros((mask.height + top + bottom, mask.width), dtype=np.uint8)
    padded[top : top + mask.height] = mask.alpha
    return padded, on_baseline


def _coloured(alpha: Any, rgba: int) -> QImage:
    import numpy as np

    color = QColor.fromRgba(rgba)
    height, width = alpha.shape
    weight = alpha.astype(np.uint16) * color.alpha() // 255
    pixels = np.empty((height, width, 4), dtype=np.uint8)
    # Premultiplied ARGB32 is stored B, G, R, A on little-endian machines.
    for channel, value in enumerate((color.blue(), color.green(), color.red())):
        pixels[..., channel] = (weight * value // 255).astype(np.uint8)
    pixels[..., 3] = weight.astype(np.uint8)
    image = QImage(
        pixels.tobytes(), width, height, width * 4, QImage.Format.Format_ARGB32_Premultiplied
    )
    return image.copy()  # own the pixels: the buffer goes away


def typeset_count() -> int:
    """How many formulas mathtext has typeset in this process (for tests and benches)."""
    return _typeset_runs


MaskKey = tuple[str, bool, float, float]  # LaTeX, displayed, size, scale
_masks: OrderedDict[MaskKey, _Mask | None] = OrderedDict()
_NOT_KEPT = object()


def _mask_key(tex: str, display: bool, look: MathLook) -> MaskKey:
    size = look.pixel_size * (DISPLAY_SCALE if display else INLINE_SCALE)
    return (tex, display, size, look.scale)


def _typeset_now(key: MaskKey, *, background: bool = False) -> _Mask | None:
    """The mask for ``key``, typesetting it if it is not kept (any thread)."""
    global _window_waiting
    kept = _masks.get(key, _NOT_KEPT)
    if kept is not _NOT_KEPT:  # no need to wait for the formula the typesetter is on
        return kept  # type: ignore[return-value]
    if background:
        with _turns:
            _turns.wait_for(lambda: _window_waiting == 0)
        return _typeset_locked(key)
    with _turns:
        _window_waiting += 1
    try:
        return _typeset_locked(key)
    finally:
        with _turns:
            _window_waiting -= 1
            _turns.notify_all()


def _typeset_locked(key: MaskKey) -> _Mask | None:
    global _typeset_runs
    with _lock:
        if key in _masks:
            _masks.move_to_end(key)
            return _masks[key]
        tex, display, size, scale = key
        mask = _typeset(tex, size, scale, display)
        _typeset_runs += 1
        _masks[key] = mask
        while len(_masks) > MASKS_KEPT:
            _masks.popitem(last=False)
        return mask


class Typesetter(QObject):
    """Typesets queued formulas on a thread of its own.

    Signals:
        ready(): a queued formula is typeset; views waiting for one render again.
    """

    ready = Signal()

    def __init__(self) -> None:
        super().__init__()
        self._queue: queue.SimpleQueue[MaskKey] = queue.SimpleQueue()
        self._queued: set[MaskKey] = set()
        self._thread: threading.Thread | None = None

    @property
    def busy(self) -> bool:
        """Whether formulas are still queued or being typeset."""
        return bool(self._queued)

    def request(self, key: MaskKey) -> None:
        if key in self._queued:
            return
        self._queued.add(key)
        self._queue.put(key)
        if self._thread is None:
            self._thread = threading.Thread(target=self._work, name="mathtext", daemon=True)
            self._thread.start()

    def _work(self) -> None:
        while True:
            key = self._queue.get()
            try:
                _typeset_now(key, background=True)
            except Exception:  # pragma: no cover - mathtext failing outright; logged
                log.exception("typesetting %r failed", key[0])
            self._queued.discard(key)
            self.ready.emit()


_typesetter: Typesetter | None = None


def typesetter() -> Typesetter:
    """The process's background typesetter (made on first use, on the window's thread)."""
    global _typesetter
    if _typesetter is None:
        _typesetter = Typesetter()
    return _typesetter


def render_formula(
    tex: str, display: bool, look: MathLook, *, wait: bool = True
) -> FormulaImage | Pending | None:
    """``tex`` typeset to match ``look``; None when it cannot be (show the source).

    With ``wait=False`` a formula not typeset yet is queued and :data:`PENDING` returned.
    """
    if not tex.strip() or len(tex) > MAX_TEX_CHARS:
        return None
    key = _mask_key(tex, display, look)
    if key not in _masks:
        if not wait:
            typesetter().request(key)
            return PENDING
        _typeset_now(key)
    return _image(tex, display, look)


@lru_cache(maxsize=512)
def _image(tex: str, display: bool, look: MathLook) -> FormulaImage | None:
    mask = _typeset_now(_mask_key(tex, display, look))
    if mask is None:
        return None
    alpha, on_baseline = _on_baseline(mask, look.x_height * look.scale, look.descent * look.scale)
    image = _coloured(alpha, look.rgba)
    image.setDevicePixelRatio(look.scale)
    return FormulaImage(
        image=image,
        width=image.width() / look.scale,
        height=image.height() / look.scale,
        on_baseline=on_baseline,
    )
