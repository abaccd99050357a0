"""What the web catalog shows, read from any ``Registry``: listings, one package, its README.

The catalog is a face like the command line: these functions read the registry and return plain
dicts; ``agentpack.server.catalog`` renders them. Nothing here trusts what a registry holds: texts
are returned as they are (the templates escape them), the README is returned as Markdown text (the
server renders it to sanitised HTML), and a signature is verified, never assumed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from agentpack.core.manifest import CATEGORIES
from agentpack.core.names import check_name
from agentpack.core.release_marks import DEPRECATED, YANKED, mark_text
from agentpack.errors import AgentpackError, PackageNotFound
from agentpack.services.search import catalog_matches, search_line
from agentpack.services.sources import dependency_map, highest_published

README_FILE = "README.md"
README_LIMIT = 512 * 1024  # bytes of a README shown; the rest is cut (with a note) so one page stays small
# downloads(name) -> {version: count}; None: the registry does not count downloads.
Downloads = Callable[[str], Mapping[str, int]] | None


def listing(registry, query: str = "", category: str | None = None) -> list[dict]:
    """The packages of ``registry`` matching ``query`` (as `agentops package search` matches) and, when
    given, of ``category``, ranked as search ranks them: search rows (services.search) plus
    ``line``, the row as search prints it. A registry with a search of its own (``Registry.search``:
    a registry server's database) is asked; any other's catalog is filtered by the same rules. A
    ``category`` outside the four gives ``[]``."""
    rows = _search(registry, query, category)
    for row in rows:
        row["line"] = search_line(row)
    return rows


def category_counts(registry) -> dict[str, int]:
    """How many packages of ``registry`` declare each of the four categories, in the seed's order."""
    counts = dict.fromkeys(CATEGORIES, 0)
    for row in _search(registry, "", None):
        if row["category"] in counts:
            counts[row["category"]] += 1
    return counts


def _search(registry, query: str, category: str | None) -> list[dict]:
    rows = registry.search(query, category=category)
    return rows if rows is not None else catalog_matches(registry.catalog(), query, category=category)


def package_page(registry, name: str, version: str | None = None, *, downloads: Downloads = None,
                 levels=None) -> dict:
    """Everything the page of ``name`` shows, for ``version`` or else the version a bare install
    would choose (the highest not yanked, preferring a release; the highest of all when every
    version is yanked).

    Keys: name, version, description, author, license, homepage, keywords, category, classification
    (the manifest's, else the lowest of ``levels``), dependencies ({name: range}), components
    (counts), sha256, size, published_at, yanked and deprecated (the shown version's texts or None),
    signature (``{"status": "unsigned" | "verified" | "invalid", "signed_by", "reason"?}``: whether
    the record's signature verifies, not whether anyone trusts its key), versions (newest first,
    each ``{version, published_at, yanked, deprecated, downloads}``) and downloads (the total, or
    None when ``downloads`` is None). Raises ``PackageNotFound`` for an unknown package or version
    (and for a name that could never exist).
    """
    from agentpack.core.classification import Levels
    from agentpack.services.info import signature_status

    if check_name(name) is not None:
        raise PackageNotFound(f"{name!r} is not a package name")
    versions = registry.package_index(name)["versions"]
    shown = version or highest_published(versions, installable=True) or highest_published(versions)
    if shown not in versions:
        raise PackageNotFound(f"{name} has no version {shown}")
    record = versions[shown]
    manifest = record.get("manifest") or {}
    counted = dict(downloads(name)) if downloads is not None else None
    signature = signature_status(record, frozenset)
    if signature["status"] == "untrusted":  # no one's trust here: the signature verifies, that is all
        signature["status"] = "verified"
    try:
        dependencies = dependency_map(manifest)
    except AgentpackError:
        dependencies = {}  # a damaged record; install would refuse it, the page still shows the rest
    return {
        "name": name, "version": shown,
        **{key: manifest.get(key) for key in ("description", "author", "license", "homepage")},
        "keywords": [str(k) for k in manifest.get("keywords") or ()],
        "category": manifest.get("category") if manifest.get("category") in CATEGORIES else None,
        "classification": manifest.get("classification") or (levels or Levels()).lowest,
        "dependencies": dependencies,
        "components": record.get("components", {}),
        "sha256": record["sha256"], "size": record.get("size"), "published_at": record.get("published_at"),
        "yanked": mark_text(record, YANKED), "deprecated": mark_text(record, DEPRECATED),
        "signature": signature,
        "versions": [{"version": text, "published_at": entry.get("published_at"),
                      "yanked": mark_text(entry, YANKED), "deprecated": mark_text(entry, DEPRECATED),
                      "downloads": None if counted is None else counted.get(text, 0)}
                     for text, entry in reversed(versions.items())],
        "downloads": None if counted is None else sum(counted.values()),
    }  # fmt: skip


def package_readme(registry, name: str, version: str) -> str | None:
    """The ``README.md`` at the root of the archive of ``name@version`` as text (invalid UTF-8
    replaced, cut after README_LIMIT bytes with a note), or None when the package has none. The
    archive is verified against its record by ``fetch_archive`` and read with the archive reader's
    checks."""
    from agentpack.adapters.archive_reader import read_member

    data = read_member(registry.fetch_archive(name, version), README_FILE)
    if data is None:
        return None
    if len(data) > README_LIMIT:
        return data[:README_LIMIT].decode("utf-8", "ignore") + "\n\n*(The README is longer; the rest is not shown.)*\n"
    return data.decode("utf-8", "replace")


def registry_levels(registry):
    """The classification levels ``registry`` measures packages on (its settings, else the default)."""
    from agentpack.core.classification import Levels, parse_levels

    levels, _problem = parse_levels(registry.settings().get("classification_levels"))
    return levels or Levels()
