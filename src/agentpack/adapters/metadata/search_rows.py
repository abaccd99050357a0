"""The search table's rows, made from version records: used by the store on every write and by the
migration that builds the table for versions published before it existed.

One row per version (not per package): who may read which version differs from caller to caller,
so the version a search shows (the one a bare install would choose among those the caller may
read) is picked at query time (see store.MetadataStore.search). The row holds the words of the
version's name, keywords and description as core.search_text makes them; the database indexes
those words, never its own tokenizer's, so SQLite and PostgreSQL match alike.
"""

from __future__ import annotations

import json

from agentpack.core import search_text
from agentpack.core.classification import record_level
from agentpack.core.release_marks import DEPRECATED, is_yanked, mark_text


def entry(version_id: int, package: str, team: str, record: dict) -> dict:
    """The ``search_entries`` row of one version (``ord`` 0: set by ``orders`` once the package's
    versions are known)."""
    manifest = record.get("manifest") or {}
    keywords = [str(k) for k in manifest.get("keywords") or ()]
    description = manifest.get("description", "")
    description = description if isinstance(description, str) else str(description)
    category = manifest.get("category")
    version = str(record.get("version", ""))
    return {
        "version_id": version_id, "package": package, "team": team, "level": record_level(record),
        "version": version, "ord": 0, "release": "-" not in version.partition("+")[0],
        "yanked": is_yanked(record), "deprecated": mark_text(record, DEPRECATED),
        "category": category if isinstance(category, str) else None,
        "description": description, "keywords": json.dumps(keywords, ensure_ascii=False),
        "components": json.dumps(record.get("components") or {}, sort_keys=True),
        "name_words": search_text.indexed_words(package),
        "keyword_words": search_text.indexed_words(search_text.keywords_text(keywords)),
        "description_words": search_text.indexed_words(description),
    }  # fmt: skip


def keyword_rows(version_id: int, record: dict) -> list[dict]:
    """The ``search_keywords`` rows of one version: each distinct keyword, normalised."""
    manifest = record.get("manifest") or {}
    found = dict.fromkeys(search_text.normal_keyword(str(k)) for k in manifest.get("keywords") or ())
    # A keyword longer than a filter may be is never asked for: it is not kept.
    return [{"version_id": version_id, "keyword": keyword} for keyword in found
            if 0 < len(keyword) <= search_text.MAX_KEYWORD]


def marks(record: dict) -> dict:
    """The columns a yank or a deprecation changes."""
    return {"yanked": is_yanked(record), "deprecated": mark_text(record, DEPRECATED)}


def orders(versions: dict[int, str]) -> dict[int, int]:
    """``{version_id: position}`` of one package's versions by SemVer precedence (0: lowest), so
    that SQL can find the highest with a plain ORDER BY."""
    from agentpack.core.versions import parse_version

    ranked = sorted(versions, key=lambda version_id: parse_version(versions[version_id]))
    return {version_id: position for position, version_id in enumerate(ranked)}
