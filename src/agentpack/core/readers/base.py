"""The reader interface: a file listing in, proposed packages and findings out.

A reader is a pure function ``read(listing, context) -> ReadResult`` for one foreign format (a
Claude Code marketplace, an Agent Skills folder, a Copilot collection...). It never touches the
disk: the service builds a ``Listing`` from the source folder (with its size, count and symlink
limits) and later writes the proposed packages. Findings are ``Problem`` values, never exceptions:
a broken manifest, an unsafe path or an unknown file is reported and the rest is still read.

Component paths always point into the listing; bytes are never copied into the result, so the
package writer reads them from the same listing and carries them byte for byte.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping

from agentpack.core.records import dataclass, field
from agentpack.core.type_names import Any
from agentpack.errors import Problem

KINDS = ("agents", "commands", "skills", "rules", "workflows", "patterns")
DEFAULT_VERSION = "0.1.0"

Load = Callable[[str], Any]


@dataclass(frozen=True)
class Listing:
    """The files of a source folder: POSIX relative path -> bytes, plus the folder's own name.

    Paths use ``/``, never start with ``/`` and hold no ``.`` or ``..`` segment; the service that
    builds a listing from disk guarantees that (and skips symlinks, special files and oversized
    files, reporting them itself). ``name`` is the source folder's base name: the package name of
    last resort when no manifest names one (Claude Code does the same for a plugin without
    ``plugin.json``). ``files`` is any ``Mapping``: a plain ``dict`` (the corpus, 3,600 files and
    25 MB, fits in memory many times over), or a lazy mapping that reads a file when it is looked
    up. Readers look at paths first and read only manifests and frontmatter; the inventory then
    reads every file once, to scan it for hidden Unicode.
    """

    files: Mapping[str, bytes]
    name: str = "source"

    def paths(self) -> list[str]:
        """Every path of the listing, sorted."""
        return sorted(self.files)

    def read(self, path: str) -> bytes:
        """The bytes of ``path``; ``KeyError`` when the listing has no such file."""
        return self.files[path]

    def __contains__(self, path: object) -> bool:
        return path in self.files

    def without(self, paths: Iterable[str]) -> Listing:
        """This listing minus ``paths``, as a view: nothing is read or copied."""
        return Listing(_Without(self.files, frozenset(paths)), self.name)


class _Without(Mapping[str, bytes]):
    """A read-only view of a mapping that hides some of its keys."""

    def __init__(self, files: Mapping[str, bytes], hidden: frozenset[str]) -> None:
        self._files, self._hidden = files, hidden

    def __getitem__(self, path: str) -> bytes:
        if path in self._hidden:
            raise KeyError(path)
        return self._files[path]

    def __iter__(self) -> Iterator[str]:
        return (path for path in self._files if path not in self._hidden)

    def __len__(self) -> int:
        return sum(1 for _ in self)


def unsafe_paths(paths: Iterable[str]) -> list[str]:
    """The listing paths that break the ``Listing`` contract (absolute, ``..``, ``\\``, empty parts).

    The service builds listings that never have them; ``read`` still refuses them, so a listing
    built elsewhere (an archive, a test) cannot make a package write outside its folder.
    """
    return sorted(p for p in paths if not p or p.startswith("/") or "\\" in p or (len(p) > 1 and p[1] == ":")
                  or any(part in ("", ".", "..") for part in p.split("/")))


@dataclass(frozen=True)
class Component:
    """One component found in the listing.

    ``kind`` is one of ``KINDS``. ``name`` is the file stem for file kinds (``reviewer`` for
    ``agents/reviewer.md``, ``x`` for ``x.agent.md``) and the folder name for skills. ``source`` is
    the listing path of the file, or of the skill's folder; ``files`` lists every listing path the
    component carries: the one file, or every file under the skill folder (``SKILL.md``, references,
    scripts, assets, nested skills), sorted.
    """

    kind: str
    name: str
    source: str
    files: tuple[str, ...]


@dataclass(frozen=True)
class ProposedPackage:
    """One package the source suggests: the future package.yaml's fields and its components.

    ``name`` is already a valid agentpack name (``original_name`` keeps what the source said when
    it had to be normalised). ``version`` comes from the source's manifest, else ``0.1.0``.
    ``license`` is an SPDX identifier from the manifest, or recognised from ``license_file``.
    ``dependencies`` are the references the source declares, as written (an APM ``owner/repo``
    path, say); the service decides what they become. ``readme`` is the listing path of the README
    to build the package's README and getting-started doc from. ``source`` is the listing path the
    package was read from (a plugin folder, a collection file; ``""`` for the root).
    ``mcp_servers`` maps a server name to its ``{command, args, env}`` or ``{url, headers}`` entry;
    ``manifests`` are the listing paths of the manifests read for this package.
    """

    name: str
    version: str = DEFAULT_VERSION
    description: str = ""
    author: str = ""
    license: str = ""
    keywords: tuple[str, ...] = ()
    category: str = ""
    homepage: str = ""
    repository: str = ""
    dependencies: tuple[str, ...] = ()
    readme: str | None = None
    license_file: str | None = None
    source: str = ""
    original_name: str = ""
    components: tuple[Component, ...] = ()
    mcp_servers: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    manifests: tuple[str, ...] = ()

    def by_kind(self, kind: str) -> list[Component]:
        """The components of ``kind``, in the order they were found."""
        return [c for c in self.components if c.kind == kind]

    def files(self) -> set[str]:
        """Every listing path this package uses: components, manifests, README, license file."""
        used = {path for component in self.components for path in component.files}
        used.update(self.manifests)
        used.update(p for p in (self.readme, self.license_file) if p)
        return used


@dataclass
class ReadResult:
    """What one reader returns: the packages, its own findings, and the paths it understood.

    ``claimed`` holds the listing paths the reader understood without putting them in a package
    (a marketplace file, the repository's README); every path that is neither in a package nor
    claimed is reported as not understood by ``read``.
    """

    packages: list[ProposedPackage] = field(default_factory=list)
    findings: list[Problem] = field(default_factory=list)
    claimed: set[str] = field(default_factory=set)

    def warn(self, code: str, message: str, path: str | None = None, field_name: str | None = None) -> None:
        """Add a warning finding."""
        self.findings.append(Problem("warning", code, message, path=path, field=field_name))


@dataclass(frozen=True)
class Reader:
    """One foreign format: its name, a title, how to spot it, and how to read it.

    ``detect(listing)`` returns the reason the format applies (the marker path found) or ``None``;
    it looks at paths only. ``read(listing, load)`` returns a ``ReadResult``; ``load`` parses YAML
    text (passed in, as the core does no I/O) and raises ``YamlError`` on bad YAML.
    """

    name: str
    title: str
    detect: Callable[[Listing], str | None]
    read: Callable[[Listing, Load], ReadResult]
