"""Quantities a user types: sizes (``10GiB``, ``500MB``, ``1024``) and durations (``90d``, ``12h``).

Pure parsing, for the registry server's quotas, upload limit and token expiry. Each parser
returns ``(value, None)`` or ``(None, message)``, never raises.
"""

from __future__ import annotations

from agentpack.core.limits import MAX_SIZE_BYTES

_SIZE_UNITS = {"": 1, "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
               "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}
_DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400, "y": 365 * 86400}


def parse_size(text: str) -> tuple[int | None, str | None]:
    """Bytes in ``text``: a whole number with an optional unit (B, kB, MB, GB, TB, KiB, MiB, GiB, TiB)."""
    raw = text.strip().replace(" ", "")
    digits = raw.rstrip("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
    unit = raw[len(digits):].lower()
    if not digits.isascii() or not digits.isdigit() or unit not in _SIZE_UNITS or len(digits) > 18:
        return None, f"not a size: {text!r} (e.g. 10GiB, 500MB, 1048576)"
    size = int(digits) * _SIZE_UNITS[unit]
    if size > MAX_SIZE_BYTES:  # 18 digits of TiB overflow every integer column that would store it
        return None, f"too large: {text!r} is more than {MAX_SIZE_BYTES:,} bytes"
    return size, None


def parse_duration(text: str) -> tuple[int | None, str | None]:
    """Seconds in ``text``: a whole number followed by s, m, h, d, w or y (``90d``), above zero."""
    raw = text.strip().lower()
    digits, unit = raw[:-1], raw[-1:]
    if not digits.isascii() or not digits.isdigit() or unit not in _DURATION_UNITS or int(digits) == 0 \
            or len(digits) > 9:
        return None, f"not a duration: {text!r} (e.g. 90d, 12h, 30m, 1y)"
    return int(digits) * _DURATION_UNITS[unit], None


def describe_size(size: int) -> str:
    """``size`` bytes in the largest binary unit that keeps it whole enough to read (``10 GiB``)."""
    for unit, factor in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if size >= factor:
            value = size / factor
            return f"{value:.0f} {unit}" if value == int(value) else f"{value:.1f} {unit}"
    return f"{size} B"
