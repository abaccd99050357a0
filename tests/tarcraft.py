"""Hand-made archives and bundles for hostile-input tests: tarfile and gzip, nothing of agentpack's."""

from __future__ import annotations

import gzip
import hashlib
import io
import tarfile
from pathlib import Path

MANIFEST = ("name: {name}\nversion: {version}\ndescription: Test package {name}\nauthor: Tests\nlicense: MIT\n"
            "agents:\n  - agents/helper.md\ndocumentation:\n  getting_started: docs/getting-started.md\n")


def package_files(name: str = "demo", version: str = "1.0.0") -> dict[str, bytes]:
    """A small valid package's files, relative to ``package/``."""
    return {
        "package.yaml": MANIFEST.format(name=name, version=version).encode(),
        "README.md": f"# {name}\n".encode(),
        "docs/getting-started.md": b"# Getting started\n",
        "agents/helper.md": b"---\nname: helper\ndescription: Helps\n---\n\nHandle the request.\n",
    }


def member(name: str, data: bytes = b"", **fields) -> tuple[tarfile.TarInfo, bytes]:
    """A tar member: ``fields`` set TarInfo attributes (type, linkname, size, pax_headers...)."""
    info = tarfile.TarInfo(name)
    info.size = len(data)
    for key, value in fields.items():
        setattr(info, key, value)
    return info, data


def tar_bytes(members, *, fmt=tarfile.PAX_FORMAT, global_headers: dict | None = None) -> bytes:
    """An uncompressed tar of ``members`` ((TarInfo, data) pairs or (name, data) pairs), after a
    global pax header of ``global_headers`` if given."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=fmt, pax_headers=global_headers) as tar:
        for info, data in members:
            if isinstance(info, str):
                info, data = member(info, data)
            tar.addfile(info, io.BytesIO(data) if info.isreg() else None)
    return buffer.getvalue()


def headers_only(members, *, fmt=tarfile.PAX_FORMAT) -> bytes:
    """The blocks of ``members`` with no end-of-archive blocks, to append hand-made headers to."""
    out = b""
    for info, data in members:
        if isinstance(info, str):
            info, data = member(info, data)
        out += info.tobuf(fmt) + data + bytes(-len(data) % tarfile.BLOCKSIZE)
    return out


def tgz_bytes(members, **kwargs) -> bytes:
    """``tar_bytes`` gzip-compressed (fixed mtime)."""
    return gzip.compress(tar_bytes(members, **kwargs), mtime=0)


def package_tgz(files: dict[str, bytes] | None = None, extra=()) -> bytes:
    """A package archive of ``files`` (default: ``package_files()``) under ``package/``, then ``extra`` members."""
    files = package_files() if files is None else files
    return tgz_bytes([*((f"package/{path}", data) for path, data in files.items()), *extra])


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_with_sidecar(path: Path, data: bytes) -> Path:
    """Write ``data`` at ``path`` with ``path.sha256`` beside it, as an attacker who recomputes it would."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    Path(f"{path}.sha256").write_text(f"{sha(data)}  {path.name}\n")
    return path
