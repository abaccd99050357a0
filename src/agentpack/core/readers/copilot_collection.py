"""Legacy awesome-copilot collections: ``collections/*.collection.yml``, one package each.

Fields (awesome-copilot ``collections/TEMPLATE.md``): ``id`` (kebab-case, the package name),
``name`` (a title), ``description``, ``tags``, ``items`` [{``path`` from the repository root,
``kind``: ``agent`` / ``chat-mode`` / ``prompt`` / ``instruction`` / ``skill``, ``usage``}],
``display``. A skill item names its ``SKILL.md`` (``skills/<name>/SKILL.md``, as the collections
do) or its folder; either way the whole folder is the component. ``collections/<id>.md`` is the
collection's generated page, used as its README.
Items are looked up from the listing root; an item the listing lacks is reported, never invented.
"""

from __future__ import annotations

from agentpack.core.readers import common
from agentpack.core.readers.base import Component, Listing, Load, ProposedPackage, Reader, ReadResult

SUFFIX = ".collection.yml"
_KINDS = {"agent": "agents", "chat-mode": "agents", "chatmode": "agents", "prompt": "commands",
          "instruction": "rules", "skill": "skills"}


def _collections(listing: Listing) -> list[str]:
    return [p for p in listing.paths() if p.endswith(SUFFIX) and (p.count("/") == 0 or
                                                                   (p.startswith("collections/") and p.count("/") == 1))]


def detect(listing: Listing) -> str | None:
    """A ``*.collection.yml`` at the root or in ``collections/``."""
    found = _collections(listing)
    return found[0] if found else None


def read(listing: Listing, load: Load) -> ReadResult:
    """One package per collection file; its items are the components."""
    result = ReadResult()
    result.claimed.update(p for p in (common.find_first(listing, "", common.README_NAMES),
                                      common.find_first(listing, "", common.LICENSE_NAMES)) if p)
    license_file = common.find_first(listing, "", common.LICENSE_NAMES)
    for path in _collections(listing):
        data = common.parse_yaml_mapping(listing, path, load, result)
        if data is None:
            continue
        file_id = path.rsplit("/", 1)[-1][: -len(SUFFIX)]
        name, original = common.package_name(result, path, data.get("id"), file_id)
        components = [c for index, item in enumerate(data.get("items") or [])
                      for c in _item(listing, path, index, item, result)]
        readme = common.join(path[: path.rfind("/") + 1], f"{common.text(data.get('id')) or file_id}.md")
        fields = common.base_fields(data, listing, license_file)
        fields["description"] = fields["description"] or common.text(data.get("name"))
        result.packages.append(ProposedPackage(
            name=name, original_name=original, readme=readme if readme in listing else None,
            license_file=license_file, source=path, components=tuple(common.dedupe(components)),
            manifests=(path,), **fields,
        ))
    return result


def _item(listing: Listing, manifest: str, index: int, item: object, result: ReadResult) -> list[Component]:
    where = f"{manifest} items[{index}]"
    if not isinstance(item, dict):
        result.warn("bad-manifest", f"{where} is not a mapping with path and kind", manifest, "items")
        return []
    kind = _KINDS.get(common.text(item.get("kind")))
    if kind is None:
        result.warn("unsupported-kind", f"{where} has kind {item.get('kind')!r}, which is not a package "
                    "component kind; not extracted", manifest, "items")
        return []
    path = common.resolve_ref("", item.get("path"), result, manifest)
    if path is None:
        return []
    if kind == "skills":
        skill = common.skill_at(listing.files, path.removesuffix("/SKILL.md"))
        if skill is not None:
            return [skill]
    elif path in listing:
        return [common.file_component(kind, path)]
    result.warn("missing-path", f"{where} lists {path!r}, which the source does not have", manifest, "items")
    return []


READER = Reader("copilot-collection", "Copilot collection (legacy)", detect, read)
