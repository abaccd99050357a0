"""``Any``, ``Protocol`` and ``TYPE_CHECKING`` without importing ``typing``.

Importing ``typing`` costs about 2 ms, a fiftieth of a first install, and the package uses it only
for ``Any`` in annotations (never evaluated: every module uses ``from __future__ import
annotations``) and for ``Protocol`` classes that document an interface, which nothing checks at
run time (none is ``runtime_checkable``). Type checkers see typing's own names (the
``TYPE_CHECKING`` branch), so the declarations are checked as before.
"""

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without the import
if TYPE_CHECKING:
    from typing import Any, Protocol
else:
    __all__ = ["Any", "Protocol", "TYPE_CHECKING"]

    Any = object

    class Protocol:
        """At run time a plain base class: an interface's methods, documented, never instantiated."""

        __slots__ = ()
