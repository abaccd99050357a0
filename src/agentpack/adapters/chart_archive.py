"""Helm chart archives: packaging a chart folder reproducibly, and reading one safely.

``package_chart`` writes what ``helm package`` writes (a gzip tar whose files all live under
``NAME/``, Chart.yaml first) with the fixed metadata of package archives (mtime 0, uid/gid 0,
mode 0644, fixed gzip header, members in code-point order), so one chart folder always gives the
same bytes, whatever the clock or file system: a bundle collected twice carries the same digest.
``.helmignore`` is honoured for the patterns most charts use (``#`` comments, ``*.tgz``,
``.git/``, ``dir/``, names and globs matched against a path or its last segment); negations
(``!``) are not supported and are refused.

``read_chart`` reads an archive in memory within bounds (16 MiB compressed, 64 MiB of content,
10,000 members): regular files and folders only, one top folder holding Chart.yaml, no absolute
paths or ``..``.
"""

from __future__ import annotations

import fnmatch
import hashlib
import io
import os
import stat
import zlib

from agentpack.core.records import dataclass
from agentpack.errors import AgentpackError, IntegrityError, LinkRefused, UsageError

MAX_ARCHIVE = 16 * 1024 * 1024
MAX_CONTENT = 64 * 1024 * 1024
MAX_MEMBERS = 10_000
CHART_FILE = "Chart.yaml"


@dataclass(frozen=True)
class ChartArchive:
    """A packaged chart: Chart.yaml's metadata, the archive's bytes and their sha256."""

    metadata: dict
    data: bytes
    sha256: str

    @property
    def name(self) -> str:
        return self.metadata["name"]

    @property
    def version(self) -> str:
        return self.metadata["version"]


def chart_metadata(raw: bytes, where: str) -> dict:
    """Chart.yaml's data, checked to identify a chart (``UsageError`` naming ``where`` otherwise)."""
    from agentpack.adapters.yamlio import load_yaml
    from agentpack.core.helm_chart import chart_problem

    data = load_yaml(raw, source=where)[0]
    problem = chart_problem(data)
    if problem:
        raise UsageError(f"{where}: {problem}", path=where, hint="fix Chart.yaml (see `helm lint`)")
    return data


def package_chart(folder: str) -> ChartArchive:
    """The reproducible archive of the chart in ``folder`` (see the module docstring). Files
    reached through a symbolic link are refused (``LinkRefused``), as everywhere in agentops."""
    from agentpack.adapters.archive import _end_blocks, _gzip, _member_parts

    chart_file = os.path.join(folder, CHART_FILE)
    if not os.path.isfile(chart_file):
        raise UsageError(f"{folder} is not a Helm chart: it has no {CHART_FILE}", path=folder,
                         hint="give the chart's folder, e.g. --chart deploy/helm/agentpack")
    files = _chart_files(folder)
    metadata = chart_metadata(files[CHART_FILE], chart_file)
    paths = sorted(files, key=lambda path: (path != CHART_FILE, path))
    prefix = f"{metadata['name']}/"

    def blocks():
        written = 0
        for path in paths:
            block = b"".join(_member_parts(path, files[path], 0o644, prefix=prefix))
            written += len(block)
            yield block
        yield _end_blocks(written)

    data = b"".join(_gzip(blocks()))
    if len(data) > MAX_ARCHIVE:
        raise AgentpackError(f"the chart {folder} packs to {len(data):,} bytes, over the limit of {MAX_ARCHIVE:,}",
                             path=folder, hint="list large files in the chart's .helmignore")
    return ChartArchive(metadata, data, hashlib.sha256(data).hexdigest())


def _chart_files(folder: str) -> dict[str, bytes]:
    patterns = _helmignore(folder)
    files: dict[str, bytes] = {}
    total = 0
    for current, dirs, names in os.walk(folder):
        relative = os.path.relpath(current, folder).replace(os.sep, "/")
        relative = "" if relative == "." else relative + "/"
        for entry in sorted(dirs):
            full = os.path.join(current, entry)
            if os.path.islink(full):
                raise LinkRefused(f"{full} is a symbolic link; a chart is packaged without following links",
                                  path=full, hint="replace the link with the folder it points to")
        dirs[:] = sorted(d for d in dirs if not _ignored(relative + d, True, patterns))
        for entry in sorted(names):
            path = relative + entry
            full = os.path.join(current, entry)
            mode = os.lstat(full).st_mode
            if stat.S_ISLNK(mode):
                raise LinkRefused(f"{full} is a symbolic link; a chart is packaged without following links",
                                  path=full, hint="replace the link with the file it points to")
            if not stat.S_ISREG(mode) or _ignored(path, False, patterns):
                continue
            with open(full, "rb") as handle:
                files[path] = handle.read(MAX_CONTENT + 1)
            total += len(files[path])
            if total > MAX_CONTENT or len(files) > MAX_MEMBERS:
                raise AgentpackError(f"the chart {folder} holds more than {MAX_CONTENT:,} bytes or "
                                     f"{MAX_MEMBERS:,} files", path=folder,
                                     hint="list what does not belong in the chart in its .helmignore")
    return files


def _helmignore(folder: str) -> list[tuple[str, bool]]:
    """(pattern, folders only) of the chart's .helmignore."""
    path = os.path.join(folder, ".helmignore")
    if not os.path.isfile(path):
        return []
    patterns = []
    with open(path, encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("!"):
                raise UsageError(f"{path}:{number}: negated patterns ({line}) are not supported", path=path,
                                 hint="list only what to leave out")
            patterns.append((line.strip("/").removeprefix("./"), line.endswith("/")))
    return patterns


def _ignored(path: str, is_dir: bool, patterns: list[tuple[str, bool]]) -> bool:
    leaf = path.rsplit("/", 1)[-1]
    for pattern, folders_only in patterns:
        if folders_only and not is_dir:
            continue
        if fnmatch.fnmatchcase(path, pattern) or ("/" not in pattern and fnmatch.fnmatchcase(leaf, pattern)):
            return True
    return False


def read_chart(data: bytes, where: str) -> tuple[dict, dict[str, bytes]]:
    """(Chart.yaml's metadata, {path below the top folder: content}) of a chart archive;
    ``IntegrityError`` naming ``where`` when it is not a safe, well-formed chart archive."""
    import tarfile

    def bad(reason: str) -> IntegrityError:
        return IntegrityError(f"{where}: {reason}", path=where, hint="the chart archive is damaged or was altered")

    if len(data) > MAX_ARCHIVE:
        raise bad(f"more than {MAX_ARCHIVE:,} bytes")
    inflater = zlib.decompressobj(wbits=zlib.MAX_WBITS | 16)
    try:
        raw = inflater.decompress(data, MAX_CONTENT + 1024 * 1024)
    except zlib.error as exc:
        raise bad(f"not a gzip archive ({exc})") from None
    if inflater.unconsumed_tail or not inflater.eof:
        raise bad("truncated, or it holds more than the content limit")
    files: dict[str, bytes] = {}
    top = None
    try:
        with tarfile.open(fileobj=io.BytesIO(raw), mode="r:") as tar:
            for count, member in enumerate(tar, 1):
                if count > MAX_MEMBERS:
                    raise bad(f"more than {MAX_MEMBERS} members")
                name = member.name
                parts = name.rstrip("/").split("/")
                if name.startswith("/") or "\\" in name or any(p in ("", ".", "..") for p in parts):
                    raise bad(f"unsafe member name {name!r}")
                if top is None:
                    top = parts[0]
                if parts[0] != top:
                    raise bad(f"members outside the chart's folder {top}/: {name}")
                if member.isdir():
                    continue
                if not member.isfile():
                    raise bad(f"{name} is not a regular file")
                rest = "/".join(parts[1:])
                if not rest or rest in files:
                    raise bad(f"{name} is listed twice or is the chart's folder itself")
                handle = tar.extractfile(member)
                files[rest] = handle.read() if handle is not None else b""
    except tarfile.TarError as exc:
        raise bad(f"not a tar archive ({exc})") from None
    if CHART_FILE not in files:
        raise bad(f"no {top}/{CHART_FILE}")
    try:
        metadata = chart_metadata(files[CHART_FILE], f"{where}:{top}/{CHART_FILE}")
    except AgentpackError as exc:
        raise bad(exc.message) from None
    if metadata["name"] != top:
        raise bad(f"Chart.yaml names {metadata['name']!r}, but the archive's folder is {top!r}")
    return metadata, files
