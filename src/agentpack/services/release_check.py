"""Enforced semantic versioning at publish time.

Before ``name@V`` is published, it is compared with the highest version of ``name`` below V that
the registry holds: the release V claims to be (its bump from that version) must be at least the
release its changes require. Comparing with the version just below V, rather than with the latest,
lets maintainers publish fixes to older lines (1.4.3 after 2.0.0 is compared with 1.4.2).

The check reads the registry's index and then publishes, without holding the registry lock in
between; another publisher landing a version in that gap can only make the comparison base one
version older, never let through a version the registry already holds.
"""

from __future__ import annotations

from collections.abc import Callable

from agentpack.core.package_diff import (
    PackageContent,
    PackageDiff,
    at_least,
    bump_between,
    diff_packages,
    next_version,
)
from agentpack.core.records import dataclass
from agentpack.core.versions import parse_version
from agentpack.errors import BreakingRelease, RegistryError
from agentpack.services.package_content import content_from_archive, highest_below


@dataclass(frozen=True)
class ReleaseCheck:
    """The outcome of checking one version against the version before it.

    ``previous`` is None for the first version of a package (nothing to compare with).
    ``allowed_breaking`` is True when the bump was too small and ``--allow-breaking`` let it pass.
    """

    previous: str | None
    required: str
    actual: str
    diff: PackageDiff | None
    allowed_breaking: bool = False

    def to_dict(self) -> dict:
        return {"previous": self.previous, "required": self.required, "actual": self.actual,
                "allowed_breaking": self.allowed_breaking,
                "changes": [c.to_dict() for c in self.diff.changes] if self.diff else []}


def check_release(registry, name: str, version: str, content: Callable[[], PackageContent], *,
                  allow_breaking: bool = False) -> ReleaseCheck:
    """Check ``name@version`` (about to be published; ``content()`` reads it) against the
    ``registry``'s previous version.

    Raises ``BreakingRelease`` when the bump from the previous version is smaller than the changes
    require, with every change that needs more in ``causes`` and the version to use in ``hint``;
    with ``allow_breaking`` the result says so instead. A version the registry already holds is not
    checked (publishing it fails with ``VersionExists`` anyway). Without a previous version,
    ``content`` is never called: a first publish does not read its archive a second time.
    """
    try:
        index = registry.package_index(name)["versions"]
    except RegistryError:
        # Not published yet, or no registry yet (publish creates it). A registry that cannot be
        # read fails the publish itself, with its own message, so nothing is let through here.
        index = {}
    wanted = parse_version(version)
    previous = highest_below(index, version)
    if previous is None or any(parse_version(text) == wanted for text in index):
        return ReleaseCheck(previous=previous, required="none", actual="none", diff=None)
    old = content_from_archive(registry.fetch_archive(name, previous), f"{name}@{previous}")
    diff = diff_packages(old, content())
    actual = bump_between(previous, version)
    if at_least(actual, diff.required):
        return ReleaseCheck(previous, diff.required, actual, diff)
    if allow_breaking:
        return ReleaseCheck(previous, diff.required, actual, diff, allowed_breaking=True)
    suggested = next_version(previous, diff.required)
    causes = [f"{c.bump}: {c.what}: {c.detail}" for c in diff.requiring(_one_above(actual))]
    raise BreakingRelease(
        f"cannot publish {name}@{version}: its changes since {previous} require a {diff.required} "
        f"release, but {previous} -> {version} is {_describe(actual)}",
        field="version", causes=causes,
        hint=f"publish it as {name}@{suggested} (`agentops package bump auto` sets it), "
             "or pass --allow-breaking to publish it anyway (recorded in the registry)",
    )


def _one_above(level: str) -> str:
    return {"none": "patch", "patch": "minor", "minor": "major"}[level]


def _describe(level: str) -> str:
    return "no release at all" if level == "none" else f"a {level} release"
