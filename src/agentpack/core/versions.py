"""SemVer 2.0.0 versions and npm-style version ranges.

A :class:`Version` is strict SemVer 2.0.0. A :class:`VersionRange` accepts npm's range grammar and
answers :meth:`VersionRange.allows` exactly as npm's ``semver.satisfies`` does; the grammar itself
lives in :mod:`agentpack.core.ranges`. Both are values (hashable, and a Version is immutable) built
for speed, because a resolver asks ``allows`` millions of times: every version carries a
precomputed tuple key, and a range is compiled once into ``(low, high)`` key bounds per ``||``
alternative, so one call is a chained tuple comparison.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from agentpack.errors import InvalidRange, InvalidVersion

MAX_SAFE_INTEGER = 2**53 - 1  # npm rejects larger major/minor/patch numbers
MAX_LENGTH = 256  # npm rejects longer version strings
_EXAMPLE = "for example 1.2.3, 1.0.0-rc.1 or 2.0.0+build.5"
_RANGE_EXAMPLE = "for example ^1.2.3, ~1.2, >=1.0.0 <2.0.0, 1.x || 2.x or 1.2.3 - 2.0.0"
_SHORT_RANGE_EXAMPLE = "write it as npm does, e.g. ^1.2.3, >=1.0.0 <2.0.0 or 1.x || 2.x"
_PARTS = ("major", "minor", "patch")


class Version:
    """A SemVer 2.0.0 version; equality, hashing and ordering follow precedence (build ignored)."""

    __slots__ = ("major", "minor", "patch", "prerelease", "build", "_key", "_text")

    major: int
    minor: int
    patch: int
    prerelease: tuple[int | str, ...]
    build: tuple[str, ...]

    def __init__(
        self, major: int, minor: int, patch: int, prerelease: Iterable = (), build: Iterable = ()
    ) -> None:
        """Build a version from its parts; raises InvalidVersion when the parts could not have
        come from a valid version string (negative numbers, empty or malformed identifiers).
        """
        text = _format(major, minor, patch, tuple(prerelease), tuple(build))
        parsed = Version.parse(text)
        _init(self, parsed.major, parsed.minor, parsed.patch, parsed.prerelease, parsed.build, text)

    @classmethod
    def parse(cls, text: str) -> Version:
        """Parse strict SemVer 2.0.0 text (``MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]``): no ``v``,
        no surrounding whitespace, no leading zeros in numbers, numbers at most 2**53-1 and text at
        most 256 characters, as npm requires. Raises InvalidVersion saying what is wrong and what a
        valid version looks like.
        """
        fields = _scan(text) if isinstance(text, str) else "it is not a string"
        if isinstance(fields, str):
            raise _version_error(text, fields)
        version = object.__new__(cls)
        _init(version, *fields, text)
        return version

    @property
    def is_prerelease(self) -> bool:
        """True when the version has prerelease identifiers (``1.0.0-rc.1``)."""
        return bool(self.prerelease)

    def bump(self, part: str) -> Version:
        """The next release for ``part`` ('major', 'minor' or 'patch'), as npm's ``semver.inc``:
        a prerelease is completed rather than skipped (``1.2.0-rc.1`` bumps 'minor' to ``1.2.0``,
        ``1.2.3-rc.1`` bumps 'patch' to ``1.2.3``); build metadata is dropped. Raises ValueError
        for any other part, and InvalidVersion when the number would pass 2**53-1 (where npm
        returns a version its own parser rejects).
        """
        major, minor, patch, pre = self.major, self.minor, self.patch, self.prerelease
        if part == "major":
            if minor or patch or not pre:
                major += 1
            minor = patch = 0
        elif part == "minor":
            if patch or not pre:
                minor += 1
            patch = 0
        elif part == "patch":
            if not pre:
                patch += 1
        else:
            raise ValueError(f"cannot bump {part!r}: expected 'major', 'minor' or 'patch'")
        if max(major, minor, patch) > MAX_SAFE_INTEGER:
            raise InvalidVersion(f"cannot bump the {part} of {self._text}: it would pass {MAX_SAFE_INTEGER}")
        return Version.parse(f"{major}.{minor}.{patch}")

    def __str__(self) -> str:
        return self._text

    def __repr__(self) -> str:
        return f"Version({self._text!r})"

    def __hash__(self) -> int:
        return hash(self._key)

    def __eq__(self, other: object) -> bool:
        return self._key == other._key if isinstance(other, Version) else NotImplemented

    def __lt__(self, other: Version) -> bool:
        return self._key < other._key if isinstance(other, Version) else NotImplemented

    def __le__(self, other: Version) -> bool:
        return self._key <= other._key if isinstance(other, Version) else NotImplemented

    def __gt__(self, other: Version) -> bool:
        return self._key > other._key if isinstance(other, Version) else NotImplemented

    def __ge__(self, other: Version) -> bool:
        return self._key >= other._key if isinstance(other, Version) else NotImplemented

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Version is immutable (cannot set {name!r})")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"Version is immutable (cannot delete {name!r})")

    def __reduce__(self) -> tuple:
        return (Version.parse, (self._text,))

    def __copy__(self) -> Version:
        return self

    def __deepcopy__(self, memo: dict) -> Version:
        return self


def _init(version: Version, major, minor, patch, prerelease, build, text) -> None:
    # The key orders like SemVer precedence when compared as a plain tuple: a release ends in 1,
    # a prerelease in 0 followed by (0, number) or (1, text) pairs, so numbers sort before words
    # and a shorter identifier list before a longer one that extends it.
    if prerelease:
        key: tuple = (major, minor, patch, 0)
        for ident in prerelease:
            key += (0, ident) if ident.__class__ is int else (1, ident)
    else:
        key = (major, minor, patch, 1)
    setter = object.__setattr__
    setter(version, "major", major)
    setter(version, "minor", minor)
    setter(version, "patch", patch)
    setter(version, "prerelease", prerelease)
    setter(version, "build", build)
    setter(version, "_key", key)
    setter(version, "_text", text)


def _format(major, minor, patch, prerelease, build) -> str:
    text = f"{major}.{minor}.{patch}"
    if prerelease:
        text += "-" + ".".join(str(ident) for ident in prerelease)
    if build:
        text += "+" + ".".join(build)
    return text


def _is_ident(text: str) -> bool:
    return text.isascii() and text.replace("-", "a").isalnum()


def _number_problem(text: str, what: str) -> str | None:
    """Why ``text`` is not a valid SemVer number (None when it is one)."""
    if not (text.isascii() and text.isdigit()):
        return f"{what} {_quote(text)} is not a number" if text else f"{what} is empty"
    if text[0] == "0" and len(text) > 1:
        return f"{what} {_quote(text)} has a leading zero"
    if len(text) > 16 or int(text) > MAX_SAFE_INTEGER:
        return f"{what} {_quote(text)} is larger than {MAX_SAFE_INTEGER}"
    return None


def _scan(text: str) -> tuple | str:
    """``(major, minor, patch, prerelease, build)`` of strict SemVer text, or why it is not."""
    if len(text) > MAX_LENGTH:
        return f"it is longer than {MAX_LENGTH} characters"
    core, plus, build_text = text.partition("+")
    main, dash, pre_text = core.partition("-")
    numbers = main.split(".")
    if len(numbers) != 3:
        return f"expected MAJOR.MINOR.PATCH but found {len(numbers)} dot-separated part(s)"
    for name, part in zip(_PARTS, numbers, strict=True):
        # Cheap checks first: almost every number is short, ASCII and without a leading zero.
        if not (part.isdigit() and part.isascii() and len(part) < 16) or (part[0] == "0" and len(part) > 1):
            if problem := _number_problem(part, name + " version"):
                return problem
    major, minor, patch = map(int, numbers)
    prerelease: tuple = ()
    if dash:
        idents: list[int | str] = []
        for ident in pre_text.split("."):
            if not _is_ident(ident):
                return _bad_ident("prerelease", ident)
            if ident.isdigit():
                if ident[0] == "0" and len(ident) > 1:
                    return f"numeric prerelease identifier {ident!r} has a leading zero"
                ident = int(ident)  # at most 250 digits: the length check above bounds it
            idents.append(ident)
        prerelease = tuple(idents)
    build: tuple = ()
    if plus:
        build = tuple(build_text.split("."))
        for ident in build:
            if not _is_ident(ident):
                return _bad_ident("build", ident)
    return major, minor, patch, prerelease, build


def _quote(text: str) -> str:
    # Error messages name the offending text, but not all of a pasted megabyte.
    return repr(text) if len(text) <= 80 else repr(text[:60]) + f"... ({len(text)} characters)"


def _bad_ident(kind: str, ident: str) -> str:
    if not ident:
        return f"it has an empty {kind} identifier"
    return f"{kind} identifier {_quote(ident)} may only hold ASCII letters, digits and '-'"


def _repair(text: str) -> str | None:
    """A valid version the user probably meant, for error messages."""
    candidate = text.strip().lstrip("v=").strip()
    core, plus, build = candidate.partition("+")
    main, dash, pre = core.partition("-")
    numbers = main.split(".")
    if len(numbers) == 3 and all(part.isascii() and part.isdigit() for part in numbers):
        main = ".".join(part.lstrip("0") or "0" for part in numbers)
    candidate = main + dash + pre + plus + build
    return candidate if candidate != text and isinstance(_scan(candidate), tuple) else None


def _version_error(text: object, reason: str) -> InvalidVersion:
    if isinstance(text, str):
        if text != text.strip():
            reason = "it has surrounding whitespace"
        elif text[:1] in ("v", "V", "=") and isinstance(_scan(text[1:]), tuple):
            reason = f"a leading {text[0]!r} is not part of a version"
        fix = _repair(text)
        advice = f"did you mean {fix!r}?" if fix else f"use MAJOR.MINOR.PATCH, {_EXAMPLE}"
        message = f"invalid version {_quote(text)}: {reason}; {advice}"
    else:
        message = f"invalid version {text!r}: expected a string such as '1.2.3', got {type(text).__name__}"
    return InvalidVersion(message, hint=f"versions follow SemVer 2.0.0, {_EXAMPLE}")


class VersionRange:
    """A set of versions written in npm's range grammar; see :meth:`parse`."""

    __slots__ = ("text", "_canonical", "_comparators", "_bounds", "_bounds_pre", "_low", "_high")

    text: str

    @classmethod
    def parse(cls, text: str) -> VersionRange:
        """Parse npm range syntax: ``''``, ``*``, ``x``, x-ranges (``1``, ``1.x``, ``1.2.*``),
        ``^``, ``~``/``~>``, hyphen ranges (``1.2 - 2``), ``||``, and comparators
        (``< <= > >= =``), with the whitespace and ``v``/``=`` prefixes npm's strict parser
        accepts and build metadata ignored. Raises InvalidRange naming the text and the part
        that is wrong, exactly where ``semver.validRange`` returns null.
        """
        if not isinstance(text, str):
            raise InvalidRange(
                f"invalid version range {text!r}: expected a string such as '^1.2.3', got "
                f"{type(text).__name__} (quote it in YAML, so that 1.2 stays the text '1.2')",
                hint=f"npm range syntax, {_RANGE_EXAMPLE}",
            )
        from agentpack.core.ranges import desugar, key_bounds

        sets, canonical = desugar(text, include_prerelease=False)
        rng = object.__new__(cls)
        rng.text = text
        rng._canonical = canonical
        rng._comparators = _resolve(text, sets)
        rng._bounds = key_bounds(rng._comparators)
        rng._bounds_pre = None
        # Most ranges have one alternative; its bounds get their own slots for a shorter path.
        rng._low, rng._high = rng._bounds[0][:2] if len(rng._bounds) == 1 else (None, None)
        return rng

    def allows(self, version: Version, include_prerelease: bool = False) -> bool:
        """True when ``version`` is in the range, exactly as npm's
        ``semver.satisfies(version, range, {includePrerelease})``: without ``include_prerelease``
        a prerelease only matches an alternative that names a prerelease of the same
        MAJOR.MINOR.PATCH (``>=1.2.3-rc.1`` allows ``1.2.3-rc.2`` but not ``1.2.4-rc.1``).
        """
        key = version._key
        if key[3] and not include_prerelease:
            low = self._low
            if low is not None:
                return low <= key < self._high
            for low, high, _ in self._bounds:
                if low <= key < high:
                    return True
            return False
        if include_prerelease:
            bounds = self._bounds_pre
            if bounds is None:
                bounds = self._compile_with_prereleases()
            for low, high, _ in bounds:
                if low <= key < high:
                    return True
            return False
        release = key[:3]
        for low, high, prereleases in self._bounds:
            if release in prereleases and low <= key < high:
                return True
        return False

    def exact(self) -> Version | None:
        """The one version this range names when it is written as an exact version
        (``1.2.3``, ``=1.2.3``, ``v1.2.3``, also repeated or ``||``-joined), else None.
        """
        versions = set()
        for comparators in self._comparators:
            if len(comparators) != 1 or comparators[0][0] != "" or comparators[0][1] is None:
                return None
            versions.add(comparators[0][1])
        return versions.pop() if len(versions) == 1 else None

    def can_match(self) -> bool:
        """False when no version can be in the range (``>=3 <1``, ``>2 <=2``): some alternative's
        lower bound lies below its upper one. True does not promise that such a version exists
        (``>1.0.0 <1.0.1-0`` is empty too), only that the comparators do not contradict each other.
        """
        return any(low < high for low, high, _ in self._bounds)

    def bound_versions(self) -> list[Version]:
        """Every version the range's comparators name once its sugar is expanded (``^1.2`` names
        ``1.2.0`` and ``2.0.0-0``), each once, lowest first; ``[]`` for ``*``. Whether a version
        is allowed can only change at these versions, which is what comparing ranges relies on.
        """
        found = {version for comparators in self._comparators for _, version in comparators if version}
        return sorted(found)

    def _compile_with_prereleases(self) -> tuple:
        from agentpack.core.ranges import desugar, key_bounds

        try:
            bounds = key_bounds(_resolve(self.text, desugar(self.text, include_prerelease=True)[0]))
        except InvalidRange:
            bounds = ()  # npm's satisfies() is false for every version then
        self._bounds_pre = bounds
        return bounds

    def _npm_form(self) -> str:
        """npm's normalised comparator text (what ``semver.validRange`` returns)."""
        sets = "||".join(" ".join(op + str(v or "") for op, v in c) for c in self._comparators)
        return sets or "*"

    def __str__(self) -> str:
        return self._canonical

    def __repr__(self) -> str:
        return f"VersionRange({self._canonical!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, VersionRange):
            return NotImplemented
        return self._canonical == other._canonical

    def __hash__(self) -> int:
        return hash(self._canonical)


def _resolve(text: str, sets: list) -> tuple:
    """Turn desugared sets into ``((operator, Version | None), ...)`` per alternative, applying
    npm's clean-ups: duplicates dropped, ANY dropped beside real comparators, a set holding the
    impossible ``<0.0.0-0`` reduced to it, impossible sets dropped beside others, and the whole
    range reduced to ANY when any alternative is ANY (so ``1.2.3-rc.1 || *`` is just ``*``).
    """
    resolved = []
    for comparators in sets:
        seen: dict = {}
        for operator, version_text, token in comparators:
            version = _comparator_version(text, token, version_text) if token else None
            seen.setdefault((operator, version), None)
        if len(seen) > 1:
            seen.pop(_ANY, None)
        resolved.append((_IMPOSSIBLE,) if _IMPOSSIBLE in seen else tuple(seen))
    if len(resolved) > 1:
        resolved = [c for c in resolved if c != (_IMPOSSIBLE,)] or resolved[:1]
        if (_ANY,) in resolved:
            return ((_ANY,),)
    return tuple(resolved)


def _comparator_version(text: str, token: str, version_text: str) -> Version:
    core = version_text[1:] if version_text[:1] == "v" else version_text
    fields = _scan(core) if len(version_text) <= MAX_LENGTH else f"it is longer than {MAX_LENGTH} characters"
    if isinstance(fields, str):
        raise _range_error(text, token, core, fields)
    version = object.__new__(Version)
    _init(version, *fields[:4], (), _format(*fields[:4], ()))
    return version


def _range_error(text: str, token: str, core: str, reason: str) -> InvalidRange:
    if core[:1] in "0123456789xX*" and any(char in core for char in "xX*"):
        what = f"in {_quote(token)}, a wildcard (x, X or *) may only be followed by more wildcards"
    elif core[:1].isdigit():
        what = f"in {_quote(token)}, {reason}"
    else:
        what = f"{_quote(token)} is not a version, comparator or range"
    fix = _repair(core)
    advice = (
        f"did you mean {token.replace(core, fix, 1)!r}?" if fix and core in token else _SHORT_RANGE_EXAMPLE
    )
    return InvalidRange(
        f"invalid version range {_quote(text)}: {what}; {advice}", hint=f"npm range syntax, {_RANGE_EXAMPLE}"
    )


_ANY = ("", None)  # the comparator every version passes
_IMPOSSIBLE = ("<", Version.parse("0.0.0-0"))  # npm's spelling of "no version at all"


@lru_cache(maxsize=1 << 17)
def parse_version(text: str) -> Version:
    """``Version.parse(text)``, memoised for hot paths (registry indexes, lockfiles)."""
    return Version.parse(text)


@lru_cache(maxsize=1 << 14)
def parse_range(text: str) -> VersionRange:
    """``VersionRange.parse(text)``, memoised for hot paths (manifests, the resolver)."""
    return VersionRange.parse(text)


def max_satisfying(
    versions: Iterable[Version], rng: VersionRange, include_prerelease: bool = False
) -> Version | None:
    """The highest of ``versions`` that ``rng`` allows (the first one listed when several have
    the same precedence), or None; as npm's ``semver.maxSatisfying``.
    """
    best = None
    for version in versions:
        if (best is None or best._key < version._key) and rng.allows(version, include_prerelease):
            best = version
    return best
