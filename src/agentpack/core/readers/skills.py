"""Agent Skills folders (agentskills.io): one ``SKILL.md`` folder, or a folder of them.

A skill is a folder holding ``SKILL.md`` (frontmatter ``name``, ``description``, optional
``license``, ``compatibility``, ``metadata`` {author, version, ...}, ``allowed-tools``) and any
other files (references, scripts, assets), all carried byte for byte. Each top-most skill folder
becomes its own package (anthropics/skills licenses each skill separately, in its own
``LICENSE.txt``); a ``SKILL.md`` nested in another skill's folder travels with the outer one. A
``SKILL.md`` at the root makes the whole listing one skill. The root README and licence are
understood as the collection's own.
"""

from __future__ import annotations

from agentpack.core.readers import common
from agentpack.core.readers.base import Component, Listing, Load, ProposedPackage, Reader, ReadResult

FILE = "SKILL.md"


def detect(listing: Listing) -> str | None:
    """A ``SKILL.md`` at the root, else the first ``<folder>/SKILL.md`` anywhere."""
    if FILE in listing:
        return FILE
    return next((p for p in listing.paths() if p.endswith("/" + FILE)), None)


def read(listing: Listing, load: Load) -> ReadResult:
    """One package per top-most skill folder (or the root skill)."""
    result = ReadResult()
    if FILE in listing:
        skills = [Component("skills", listing.name, "", tuple(listing.paths()))]
    else:
        skills = common.skill_folders(listing.files, "")
        result.claimed.update(p for p in (common.find_first(listing, "", common.README_NAMES),
                                          common.find_first(listing, "", common.LICENSE_NAMES)) if p)
    for skill in skills:
        result.packages.append(skill_package(listing, skill, load, result))
    return result


def skill_package(listing: Listing, skill: Component, load: Load, result: ReadResult) -> ProposedPackage:
    """A package holding one skill, described by its SKILL.md frontmatter."""
    base = f"{skill.source}/" if skill.source else ""
    data = common.frontmatter(listing, base + FILE, load)
    metadata = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
    license_file = common.find_first(listing, base, common.LICENSE_NAMES)
    name, original = common.package_name(result, base + FILE, data.get("name"), skill.name)
    return ProposedPackage(
        name=name, original_name=original,
        version=common.version_text(metadata.get("version")) or common.version_text(data.get("version"))
        or "0.1.0",
        description=common.text(data.get("description")),
        author=common.author_text(metadata.get("author")),
        license=common.license_of(listing, data.get("license"), license_file),
        keywords=common.str_list(metadata.get("tags")) or common.str_list(data.get("tags")),
        readme=common.find_first(listing, base, common.README_NAMES) or base + FILE,
        license_file=license_file, source=skill.source, components=(skill,),
    )


READER = Reader("skills", "Agent Skills folder", detect, read)
