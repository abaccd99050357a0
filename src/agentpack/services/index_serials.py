"""Rollback protection for every command that reads a registry's indexes (install, mirror, ...).

A client remembers, per registry identity and package, the highest index serial it has accepted
(``adapters.seen_serials``, in the user's state directory; the rules are core.index_serial's). An
index older than that, or a registry that no longer has an index this machine has read, raises
``RollbackError`` before anything uses what it said; a newer serial is remembered.
"""

from __future__ import annotations

from collections.abc import Callable

from agentpack.errors import RegistryError


class IndexSerials:
    """The serials this machine has accepted, checked and raised as indexes are read.

    ``state_dir`` gives the user's state directory (called on first use; default: the platform's);
    what is remembered about each registry is loaded once per object.
    """

    def __init__(self, state_dir: Callable[[], str] | None = None, *, deferred: bool = False) -> None:
        self._state_dir_fn = state_dir
        self._store = None
        self._seen: dict[str, dict[str, int]] = {}  # registry identity -> {name: serial}
        # ``deferred``: raised serials are written by ``remember_pending``, once for all the
        # indexes a command reads (an install of 20 packages: one write, not 20), not one by one.
        self._deferred = deferred
        self._pending: dict[str, dict[str, int]] = {}

    def check(self, registry, name: str, index: dict) -> None:
        """Refuse ``index`` (of ``name``, read from ``registry``) when it is older than the newest
        this machine accepted (``RollbackError``) or its serial is malformed (``RegistryError``);
        remember its serial when it is newer."""
        from agentpack.core.index_serial import check_not_older, index_serial

        serial = index_serial(index)
        if serial is None:
            raise RegistryError(f"registry {registry.url} served an index of {name} with a malformed serial",
                                hint="check the registry with `agentops registry verify`")
        store, identity, seen = self._seen_by(registry)
        check_not_older(name, serial, seen.get(name), registry.url)
        if serial > seen.get(name, 0):
            if self._deferred:
                self._pending.setdefault(identity, {})[name] = serial
            else:
                store.remember(identity, {name: serial})
            seen[name] = serial

    def remember_pending(self) -> None:
        """Write the serials raised since the last call (``deferred``); nothing when none rose."""
        pending, self._pending = self._pending, {}
        for identity, serials in pending.items():
            self._store.remember(identity, serials)

    def check_still_served(self, registry, name: str) -> None:
        """Refuse ``registry``'s "no such package" for a package whose index this machine has seen."""
        from agentpack.core.index_serial import check_still_served

        check_still_served(name, self._seen_by(registry)[2].get(name), registry.url)

    def _seen_by(self, registry):
        """(the store, the registry's identity, {name: serial} remembered for it), loaded once."""
        if self._store is None:
            from agentpack.adapters.seen_serials import SeenSerials

            if self._state_dir_fn is None:
                from agentpack.adapters.paths import user_state_dir

                self._state_dir_fn = user_state_dir
            self._store = SeenSerials(self._state_dir_fn())
        identity = getattr(registry, "identity", registry.url)
        if identity not in self._seen:
            self._seen[identity] = self._store.load(identity)
        return self._store, identity, self._seen[identity]
