"""Decompressing gzip streams: ISA-L's inflater when it is installed, else zlib's.

Reading a package means inflating all of it (a bundle load or a large install is mostly that),
and ISA-L (the ``isal`` package) inflates the same streams about 2.5 times as fast as zlib, with
the same object interface (``decompress(data, max_length)``, ``unconsumed_tail``,
``unused_data``, ``eof``). It is only used to read: archives are still written with zlib, whose
output for given input and level is what makes builds reproducible.
"""

from __future__ import annotations

try:
    from isal.isal_zlib import decompressobj as _decompressobj
    from isal.isal_zlib import error as InflateError
except ImportError:  # no wheel for this platform: zlib reads the same streams, more slowly
    from zlib import decompressobj as _decompressobj
    from zlib import error as InflateError

__all__ = ["InflateError", "gzip_inflater"]

_GZIP_WBITS = 16 + 15  # a gzip header and trailer around a deflate stream with a 32 KiB window


def gzip_inflater():
    """A fresh decompressor for one gzip member (checks its header, CRC-32 and length)."""
    return _decompressobj(_GZIP_WBITS)
