"""What this machine remembers about registries: the highest index serial accepted per package.

One file per registry below ``ROOT/registry-serials/``, named by the SHA-256 of the registry's
identity (its resolved location), holding ``core.index_serial.format_seen``'s document. Updates
take ``ROOT/registry-serials/.lock`` and merge by maximum, so two commands reading the same
registry at once can never lower a remembered serial; each file is replaced atomically.

A file is rewritten only when a serial rises, without an fsync: an install reading many packages
for the first time pays one small rename per package, not one disk flush. A power loss right
after a rename may leave the file empty, which reads as "nothing remembered" (as a deleted file
would: whoever can write the user's state directory can switch the protection off anyway); any
other damage is refused with the file named.
"""

from __future__ import annotations

import hashlib
import os

from agentpack.adapters.paths import write_atomic
from agentpack.core.index_serial import MAX_SEEN_BYTES, format_seen, parse_seen
from agentpack.errors import RegistryError

_LOCK_TIMEOUT = 30.0


class SeenSerials:
    """The client's record of index serials below ``root`` (the user's state directory)."""

    def __init__(self, root: str) -> None:
        self.directory = os.path.join(os.fspath(root), "registry-serials")

    def path(self, identity: str) -> str:
        """The file that holds what is remembered about the registry ``identity``."""
        return os.path.join(self.directory, hashlib.sha256(identity.encode("utf-8")).hexdigest()[:32] + ".json")

    def load(self, identity: str) -> dict[str, int]:
        """``{name: highest serial accepted}`` for the registry (``{}`` when nothing is remembered).

        Raises ``RegistryError`` naming the file when it is damaged, too large or unreadable.
        """
        path = self.path(identity)
        try:
            with open(path, "rb") as stream:
                data = stream.read(MAX_SEEN_BYTES + 1)
        except FileNotFoundError:
            return {}
        except OSError as error:
            raise RegistryError(f"cannot read {path}: {error.strerror}", path=path) from error
        return parse_seen(data, path, identity) if data else {}

    def remember(self, identity: str, serials: dict[str, int]) -> None:
        """Raise the remembered serials of the registry to at least ``serials`` (never lowers one)."""
        from agentpack.adapters.locking import FileLock

        path = self.path(identity)
        try:
            os.makedirs(self.directory, exist_ok=True)
            with FileLock(os.path.join(self.directory, ".lock"), _LOCK_TIMEOUT, "registry serials"):
                merged = self.load(identity)
                raised = {n: s for n, s in serials.items() if s > merged.get(n, -1)}
                if raised:  # not fsynced: see the module docstring
                    write_atomic(path, format_seen(identity, {**merged, **raised}), durable=False)
        except OSError as error:
            raise RegistryError(f"cannot record registry index serials in {path}: {error.strerror or error}",
                                path=path, hint="check that the state directory is writable") from error

    def forget(self, identity: str) -> bool:
        """Drop everything remembered about the registry; whether there was anything."""
        from agentpack.adapters.locking import FileLock

        path = self.path(identity)
        if not os.path.exists(path):
            return False
        with FileLock(os.path.join(self.directory, ".lock"), _LOCK_TIMEOUT, "registry serials"):
            try:
                os.unlink(path)
            except FileNotFoundError:
                return False
        return True
