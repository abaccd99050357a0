"""The public tree: the read protocol as an anonymous reader sees it, written out as static files
(`agentops registry serve --public-tree DIR`), so that a front web server answers the read path
itself and hands the server only what needs a decision.

A Python server spends about 70 µs of CPU on a read; nginx sends a static file for about 15.
Nearly all of a registry's reads are anonymous installs of public packages, and those are the
same bytes for every such reader, so they can be files. The front server serves a request without
an ``Authorization`` header from this tree when the file is there, and passes everything else
(tokens, the API, the web catalog, files not in the tree) to the app, which decides as usual.
deploy/nginx/agentpack-front.conf is that configuration, and docs/registry-protocol.md tells the
rest.

What the tree holds is exactly what the read path would answer an anonymous caller, rendered by
the same code (``ServerState.visible_catalog`` / ``readable_index`` over a read-cache snapshot),
so a private team's package or a classified version is never in it: a request for one falls
through to the app, which answers 404 as it always does. The tree is brought up to date after
every write of this server and whenever the snapshot's stamp changes (another replica, or an
administration command on the data), so it is as current as the server's own read cache.

Order of writes, so that a reader of the tree never finds a name whose bytes are missing: new
blobs, then indexes, then ``catalog.json``; then what is no longer visible goes, catalog first,
blobs last. Every file is written atomically; a file whose bytes are already right is left alone.
"""

from __future__ import annotations

import json
import os

from agentpack.adapters.paths import write_atomic
from agentpack.core.access import Caller
from agentpack.server.read_cache import Rendered

ANONYMOUS = Caller()
INDEX, BLOBS = "index", os.path.join("blobs", "sha256")


def tree_files(state, snapshot) -> tuple[dict[str, bytes], dict[str, object]]:
    """``(documents, blobs)`` of the tree for ``snapshot``: relative path -> bytes of every JSON
    document, and sha256 -> None for every blob an anonymous reader may fetch."""
    from agentpack.server.read_routes import catalog_rendered, config_rendered, index_rendered

    files = {"config.json": config_rendered().body,
             "registry.json": Rendered.of(state.registry.settings()).body,
             "catalog.json": catalog_rendered(state, snapshot, ANONYMOUS).body}
    blobs: dict[str, object] = {}
    for name in sorted(snapshot.indexes):
        rendered = index_rendered(state, snapshot, name, ANONYMOUS)
        if rendered is None:
            continue
        files[f"{INDEX}/{name}.json"] = rendered.body
        for record in json.loads(rendered.body)["versions"].values():
            blobs[record["sha256"]] = None
    return files, blobs


class PublicTree:
    """The tree under ``root``, kept equal to ``tree_files`` of the latest snapshot synced."""

    def __init__(self, root: str) -> None:
        self.root = os.path.abspath(root)
        self.synced_stamp = None

    def sync(self, state, snapshot) -> None:
        """Make the tree what ``snapshot`` says an anonymous reader sees (blocking: run it in a
        worker thread)."""
        files, blobs = tree_files(state, snapshot)
        for digest in blobs:
            self._put_blob(state, digest)
        catalog = files.pop("catalog.json")
        for path, body in files.items():
            self._put(path, body)
        self._put("catalog.json", catalog)
        for path in self._present(INDEX, ".json"):
            if path not in files:
                _remove(os.path.join(self.root, path))
        for path in self._present(BLOBS, ""):
            if os.path.basename(path) not in blobs:
                _remove(os.path.join(self.root, path))
        self.synced_stamp = snapshot.stamp

    def _put(self, path: str, body: bytes) -> None:
        target = os.path.join(self.root, path)
        try:
            with open(target, "rb") as held:
                if held.read(len(body) + 1) == body:
                    return
        except (FileNotFoundError, NotADirectoryError):
            pass
        write_atomic(target, body, durable=False, root=self.root)

    def _put_blob(self, state, digest: str) -> None:
        target = os.path.join(self.root, BLOBS, digest)
        if os.path.isfile(target):  # content-addressed: a blob there is the right one
            return
        local = state.data.blobs.local_path(digest)
        if local is not None and _link(local, target, self.root):
            return  # no copy: the blob folder and the tree are on one filesystem
        source = state.data.blobs.open(digest)
        if source is None:  # the read path answers 404 for it too
            return
        with source:
            write_atomic(target, source.read(), durable=False, root=self.root)

    def _present(self, folder: str, suffix: str) -> list[str]:
        """Relative paths of the files under ``folder`` ending in ``suffix`` (index names may hold
        one ``/``: ``team/name.json``)."""
        found = []
        top = os.path.join(self.root, folder)
        for parent, _dirs, names in os.walk(top):
            for name in names:
                if name.endswith(suffix) and not name.startswith("."):
                    found.append(os.path.relpath(os.path.join(parent, name), self.root).replace(os.sep, "/"))
        return found


def _link(source: str, target: str, root: str) -> bool:
    """Hard-link ``source`` as ``target`` (atomically, never through a link); False when the two
    are on different filesystems or links are not allowed there."""
    from agentpack.adapters.paths import make_dirs, refuse_links

    directory = os.path.dirname(target)
    make_dirs(root, directory)
    refuse_links(directory, target)
    temp = os.path.join(directory, f".{os.path.basename(target)}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    try:
        os.link(source, temp)
    except OSError:
        return False
    try:
        os.replace(temp, target)
    except OSError:
        _remove(temp)
        raise
    return True


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
