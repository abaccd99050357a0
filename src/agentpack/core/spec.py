"""Package specs: ``name@range`` as written in package.yaml and as typed on the command line.

Both forms split at the first ``@``: package names never contain one, so everything after it is the
range (which may itself contain spaces, ``||`` and so on, as npm ranges do). A bare name means any
version (``*``). Archive paths (``./x-1.0.0.tar.gz``) are told apart by ``looks_like_archive_path``
before a text is treated as a spec.
"""

from __future__ import annotations

from agentpack.core.names import check_name, suggest_name
from agentpack.core.records import dataclass
from agentpack.core.versions import VersionRange, parse_range
from agentpack.errors import InvalidName, InvalidRange, InvalidSpec

ANY_RANGE = "*"
LATEST = "latest"  # ``name@latest``: the highest release, as a bare name means on the command line
_ARCHIVE_SUFFIXES = (".tar.gz", ".tgz")
_PATH_PREFIXES = ("./", "../", "/", "~")
# Separators people bring from other package managers; each gets a hint towards '@'.
_FOREIGN_SEPARATORS = ("==", ">=", "<=", "~=", "!=", ">", "<", "=", ":")


@dataclass(frozen=True)
class PackageSpec:
    """A requested package: its name, the range as typed, and that range parsed."""

    name: str
    range_text: str
    range: VersionRange
    latest: bool = False  # written as name@latest (range_text is then ``*``)

    def __str__(self) -> str:
        if self.latest:
            return f"{self.name}@{LATEST}"
        return self.name if self.range_text == ANY_RANGE else f"{self.name}@{self.range_text}"


def parse_dependency(text: object) -> tuple[str, str]:
    """Split a ``name@range`` dependency entry into its name and range text, checking both.

    ``name`` alone means ``*``; a namespaced name (``team/x@^1``) works the same way. Surrounding
    whitespace is ignored. Raises ``InvalidSpec`` when the entry is not a string, is empty, or has an
    ``@`` with nothing after it; ``InvalidName`` when the name breaks the naming rule; and
    ``InvalidRange`` (from the range parser) when the range is not a valid npm-style range. The
    returned range text is stripped but otherwise as written.
    """
    if not isinstance(text, str):
        raise InvalidSpec(f"a dependency must be a string like 'name@^1.0.0', not {type(text).__name__}")
    stripped = text.strip()
    if not stripped:
        raise InvalidSpec(
            "a dependency entry is empty", hint="write it as 'name@range', e.g. 'core-workflow@^2.0.0'"
        )
    if stripped.startswith("@"):
        raise InvalidSpec(
            f"invalid package spec {text!r}: names are not written npm-style with a leading '@'",
            hint=f"write a namespaced name as 'team/name', e.g. {_namespaced_hint(stripped)!r}",
        )
    name, at, range_text = stripped.partition("@")
    name = name.strip()
    range_text = range_text.strip()
    if at and not range_text:
        raise InvalidSpec(
            f"invalid package spec {text!r}: nothing after '@'",
            hint=f"give a version or range, e.g. '{name}@^1.0.0', or leave out '@' for any version",
        )
    _check_spec_name(text, name)
    range_text = range_text or ANY_RANGE
    parse_range(range_text)
    return name, range_text


def parse_spec(text: object) -> PackageSpec:
    """Parse a spec typed by a user (``name``, ``name@1.2.0``, ``name@^1.2``) into a ``PackageSpec``.

    Accepts what ``parse_dependency`` accepts and raises the same errors, with three additions:
    ``name@latest`` means the highest release, like a bare name (``latest`` set, range ``*``); a
    range no version can satisfy (``>=3 <1``) raises ``InvalidRange``; and a text that looks like
    an archive path raises ``InvalidSpec`` telling the caller to treat it as a path instead. The range is parsed once here so callers can use ``spec.range`` directly.
    """
    if isinstance(text, str) and looks_like_archive_path(text.strip()):
        raise InvalidSpec(
            f"{text!r} is a path, not a package name",
            hint="pass archive paths where a path is expected, or give a name like 'customer-service@1.2.0'",
        )
    bare, at, tag = text.strip().rpartition("@") if isinstance(text, str) else ("", "", "")
    latest = bool(at) and tag.strip() == LATEST
    name, range_text = parse_dependency(bare if latest else text)
    parsed = parse_range(range_text)
    if not parsed.can_match():
        raise InvalidRange(f"invalid package spec {text!r}: no version can satisfy {range_text}",
                           hint="its bounds contradict each other; write e.g. '>=1.0.0 <3.0.0'")
    return PackageSpec(name=name, range_text=range_text, range=parsed, latest=latest)


def looks_like_archive_path(text: str) -> bool:
    """True if ``text`` is meant as a file path rather than a package spec.

    That is: it ends with ``.tar.gz`` or ``.tgz``, or starts with ``./``, ``../``, ``/`` or ``~``.
    Package names can never match any of these, so the test is unambiguous.
    """
    return text.endswith(_ARCHIVE_SUFFIXES) or text.startswith(_PATH_PREFIXES)


def _check_spec_name(text: str, name: str) -> None:
    """Raise ``InvalidSpec`` for pip/cargo-style separators, else ``InvalidName`` for a bad name."""
    for separator in _FOREIGN_SEPARATORS:
        if separator in name:
            bare, _, rest = name.partition(separator)
            bare = bare.strip()
            constraint = rest.strip() if separator in ("==", "=", ":") else f"{separator}{rest.strip()}"
            raise InvalidSpec(
                f"invalid package spec {text!r}: separate the name from the version with '@'",
                hint=f"write it as '{bare}@{constraint}'",
            )
    message = check_name(name)
    if message is not None:
        raise InvalidName(
            message,
            field="name",
            hint="use lowercase letters, digits and single hyphens, optionally under one namespace "
            "('team/name'), at most 64 characters",
        )


def _namespaced_hint(text: str) -> str:
    name = text.lstrip("@").partition("@")[0]
    return suggest_name(name) if name else "team/name"
