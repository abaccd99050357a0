"""The metadata store's search, in SQL: keeping the search table on publish, and the query.

The full-text index differs by backend (SQLite: the FTS5 table ``search_fts``; PostgreSQL: the
tsvector column ``search_entries.document``, both made by migration 0002 over core.search_text's
words), so only ``_matched`` names it; everything else is portable SQLAlchemy Core, and the
ranking is computed with LIKE over the same words, so both backends order rows alike.
"""

from __future__ import annotations

import json


def search(connection, sqlite: bool, query: str, keyword: str | None, category: str | None, limit: int,
           offset: int, may_read) -> dict:
    """``{"results": [row], "total": N}`` on ``connection`` (see MetadataStore.search).

    Only versions for which ``may_read(team, level)`` is true exist for this search (``level``:
    the record's classification, None for the lowest): the caller answers it with core.access,
    exactly as for reading the index. Of each package the version described is the one a bare
    install would choose among those (as directory.catalog_entry chooses), its text is what must
    match, and ``total`` counts only such packages, so nothing the caller may not read shows, not
    even as a number. A row: ``name``, ``latest`` (None: every version it may read is yanked),
    ``description``, ``keywords``, ``category``, ``components`` (counts), ``deprecated`` (the
    message, or None), ``downloads`` (of the versions it may read).
    """
    from sqlalchemy import and_, case, func, select

    from agentpack.adapters.metadata.tables import search_entries, search_keywords, versions
    from agentpack.core import search_text

    entries = search_entries.c
    terms = search_text.query_words(query)
    pairs = connection.execute(select(entries.team, entries.level).distinct()).all()
    readable = _readable(search_entries, [(team, level) for team, level in pairs if may_read(team, level)])
    if readable is None:
        return {"results": [], "total": 0}
    matched = _matched(sqlite, terms)
    where = [readable]
    if matched is not None:  # only packages some version of which matches need ranking
        other = search_entries.alias("candidate")
        where.append(entries.package.in_(select(other.c.package).where(other.c.version_id.in_(matched))
                                         .correlate(None)))
    # The version a bare install would choose: the highest not yanked, preferring a release;
    # when all are yanked, the highest.
    pick = func.row_number().over(partition_by=entries.package, order_by=(
        entries.yanked.asc(), case((and_(entries.release, ~entries.yanked), 0), else_=1), entries.ord.desc()))
    visible = (select(search_entries, pick.label("pick"),
                      func.sum(versions.c.downloads).over(partition_by=entries.package).label("downloads"))
               .join(versions, versions.c.id == entries.version_id).where(*where).subquery("visible"))
    shown = visible.c
    conditions = [shown.pick == 1]
    if matched is not None:
        conditions.append(shown.version_id.in_(matched))
    if keyword is not None:
        conditions.append(shown.version_id.in_(
            select(search_keywords.c.version_id).where(
                search_keywords.c.keyword == search_text.normal_keyword(keyword)).correlate(None)))
    if category is not None:
        conditions.append(shown.category == category)
    total = connection.execute(select(func.count()).select_from(visible).where(*conditions)).scalar()
    rows = connection.execute(select(visible).where(*conditions)
                              .order_by(*_ranking(shown, query, terms), shown.package)
                              .limit(limit).offset(offset)).mappings().all()
    return {"results": [_search_row(row) for row in rows], "total": int(total)}


def _matched(sqlite: bool, terms: list[str]):
    """A SELECT of the version ids whose words hold every term as a word's beginning, through the
    full-text index (None: no terms, everything matches). Terms are letters and digits only
    (core.search_text.words), so they need no quoting inside either query language."""
    from sqlalchemy import column, select, table, text

    from agentpack.adapters.metadata.tables import search_entries

    if not terms:
        return None
    if sqlite:  # an FTS5 query of prefix tokens: "escalat"* AND "refund"*
        fts = table("search_fts", column("rowid"))
        expression = " AND ".join(f'"{term}"*' for term in terms)
        return select(fts.c.rowid).where(text("search_fts MATCH :fts").bindparams(fts=expression)).correlate(None)
    indexed = search_entries.alias("indexed")  # a tsquery of prefix lexemes: 'escalat':* & 'refund':*
    expression = " & ".join(f"'{term}':*" for term in terms)
    return (select(indexed.c.version_id).where(text("indexed.document @@ CAST(:tsquery AS tsquery)")
                                               .bindparams(tsquery=expression)).correlate(None))


def index_version(connection, version_id: int, name: str, team: str, record: dict) -> None:
    """Add one version to the search table, and renumber its package's versions by precedence."""
    from sqlalchemy import select

    from agentpack.adapters.metadata import search_rows
    from agentpack.adapters.metadata.tables import search_entries, search_keywords

    entries = search_entries.c
    held = {row.version_id: (row.version, row.ord) for row in connection.execute(
        select(entries.version_id, entries.version, entries.ord).where(entries.package == name))}
    order = search_rows.orders({**{i: version for i, (version, _ord) in held.items()},
                                version_id: str(record["version"])})
    connection.execute(search_entries.insert().values(
        **dict(search_rows.entry(version_id, name, team, record), ord=order[version_id])))
    for keyword in search_rows.keyword_rows(version_id, record):
        connection.execute(search_keywords.insert().values(**keyword))
    for other, (_version, ord_) in held.items():
        if order[other] != ord_:
            connection.execute(search_entries.update().where(entries.version_id == other).values(ord=order[other]))


def _readable(search_entries, pairs: list[tuple[str, str | None]]):
    """The WHERE clause admitting exactly the (team, level) ``pairs`` (None: no pair at all);
    teams allowed the same levels share one term, so the clause stays short."""
    from sqlalchemy import and_, or_

    if not pairs:
        return None
    by_team: dict[str, set] = {}
    for team, level in pairs:
        by_team.setdefault(team, set()).add(level)
    by_levels: dict[frozenset, list[str]] = {}
    for team, levels in sorted(by_team.items()):
        by_levels.setdefault(frozenset(levels), []).append(team)
    entries = search_entries.c
    terms = []
    for levels, teams in by_levels.items():
        named = sorted(level for level in levels if level is not None)
        level_terms = ([entries.level.in_(named)] if named else []) + ([entries.level.is_(None)] if None in levels
                                                                        else [])
        terms.append(and_(entries.team.in_(teams), or_(*level_terms)))
    return or_(*terms)


def _ranking(shown, query: str, terms: list[str]) -> list:
    """ORDER BY terms of core.search_text's ranking, before the name: exact name, then the tier.
    A term begins a word when `` `` + words holds `` `` + term (words are single-space separated
    letters and digits, so the LIKE pattern has no wildcard but its own)."""
    from sqlalchemy import and_, case, literal, or_

    from agentpack.core import search_text

    order = []
    exact = search_text.exact_name(query)
    if exact is not None:
        order.append(case((or_(shown.package == exact, shown.package.like("%/" + exact)), 0), else_=1))
    if terms:
        def begins(words, term):
            return (literal(" ") + words).like(f"% {term}%")

        in_name = and_(*(begins(shown.name_words, term) for term in terms))
        in_keywords = and_(*(or_(begins(shown.name_words, term), begins(shown.keyword_words, term))
                             for term in terms))
        order.append(case((in_name, search_text.IN_NAME), (in_keywords, search_text.IN_NAME_OR_KEYWORDS),
                          else_=search_text.ANYWHERE))
    return order


def _search_row(row) -> dict:
    return {"name": row["package"], "latest": None if row["yanked"] else row["version"],
            "description": row["description"], "keywords": json.loads(row["keywords"]),
            "components": json.loads(row["components"]), "deprecated": row["deprecated"],
            "category": row["category"], "downloads": int(row["downloads"] or 0)}
