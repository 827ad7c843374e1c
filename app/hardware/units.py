"""Byte counts as people read them.

Memory is shown the way operating systems show RAM and graphics memory: 1 GB is
2**30 bytes, so a "24 GB" card reads as 24.0 GB and a "64 GB" Mac as 64.0 GB.
"""

from __future__ import annotations

MIB = 1024**2
GIB = 1024**3


def format_gb(n_bytes: int | float) -> str:
    """``25769803776`` -> ``"24.0 GB"``; sizes under 1 GB in MB."""
    if abs(n_bytes) < GIB:
        return f"{n_bytes / MIB:.0f} MB"
    return f"{n_bytes / GIB:.1f} GB"


def gb_number(n_bytes: int | float) -> str:
    """The number part of :func:`format_gb` in GB, for "8.1 of 24.0 GB"."""
    return f"{n_bytes / GIB:.1f}"
