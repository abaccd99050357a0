"""The metadata store's search (MetadataStore.search) on SQLite (FTS5) and on a real PostgreSQL
(tsvector + GIN, tests/postgres_cluster.py): the same data and queries give the same rows, in the
same order, with the same totals, and the same rows as the directory's catalog filter
(services.search.catalog_matches); visibility, the version described, marks, the migration's
backfill of an existing database, and tables.py against what the migrations make."""

from __future__ import annotations

import json

import pytest

from agentpack.core.access import Caller, Team, decide, team_of
from agentpack.core.classification import Levels, record_level

pytest.importorskip("sqlalchemy", reason="the server extra is not installed (pip install -e '.[server]')")

from agentpack.adapters.metadata.store import MIGRATIONS, MetadataStore, engine_url  # noqa: E402
from agentpack.adapters.metadata.tables import metadata  # noqa: E402
from agentpack.adapters.registry.stored import StoredRegistry  # noqa: E402
from agentpack.services.search import catalog_matches  # noqa: E402
from postgres_cluster import cluster_fixture  # noqa: E402, F401 (a fixture)

TEAMS = {"public": Team("public"), "team-alpha": Team("team-alpha", private=True, level="cui"),
         "team-beta": Team("team-beta")}
LEVELS = Levels()
ANONYMOUS = Caller()
EVERYONE = Caller("read", frozenset({"*"}), clearance="top-secret")
ALPHA = Caller("read", frozenset({"team-alpha"}), clearance="cui")

# name, version, description, keywords, category, classification, marks
PACKAGES = [
    ("customer-service", "1.0.0", "Handles refunds", ["refunds", "support"], "domain", None, {}),
    ("customer-service", "1.2.0", "Customer escalation workflows for support desks", ["refunds", "Escalation"],
     "domain", None, {}),
    ("customer-service", "2.0.0-rc.1", "The next one", ["refunds"], "domain", None, {}),
    ("triage", "1.0.0", "Sorts tickets and escalates urgent ones", ["support"], "process", None, {}),
    ("escalation-matrix", "0.1.0", "Who to call, and when", [], "meta", None, {}),
    ("team-beta/triage", "3.0.0", "Triage for the beta team", ["support"], "process", None, {}),
    ("team-alpha/secret-desk", "1.0.0", "Escalation desk nobody outside may see", ["support"], "domain", None, {}),
    ("briefing", "1.0.0", "Open notes", ["notes"], "industry", None, {}),
    ("briefing", "1.1.0", "Escalation secrets", ["notes"], "industry", "cui", {}),
    ("überwachung", "1.0.0", "Überwachung der Straße", ["Qualität"], "meta", None, {}),
    ("gone", "1.0.0", "Every version yanked", ["support"], None, None, {"yanked": {"reason": "broken", "at": "t"}}),
    ("gone", "1.1.0-beta.1", "Every version yanked, the highest a pre-release", [], None, None,
     {"yanked": {"reason": "broken", "at": "t"}}),
    ("old-desk", "1.0.0", "A support desk", ["support"], "domain", None,
     {"deprecated": {"message": "use customer-service", "at": "t"}}),
]  # fmt: skip

QUERIES = [
    ("", {}), ("escalat", {}), ("ESCALATION", {}), ("triage", {}), ("cust serv", {}), ("support", {}),
    ("refund", {}), ("tickets", {}), ("calation", {}), ("über", {}), ("strasse", {}), ("qualit", {}),
    ("team-alpha/secret-desk", {}), ("secret", {}), ("desk", {}), ("-- ! --", {}), ("next", {}),
    ("", {"keyword": "support"}), ("", {"keyword": "SUPPORT"}), ("desk", {"keyword": "support"}),
    ("", {"keyword": "escalation"}), ("", {"category": "process"}), ("support", {"category": "domain"}),
    ("", {"category": "industry"}), ("yanked", {}), ("", {"keyword": "notes", "category": "industry"}),
]  # fmt: skip


def record(name, version, description, keywords, category, level, marks) -> dict:
    manifest = {"name": name, "version": version, "description": description, "keywords": keywords}
    if category:
        manifest["category"] = category
    if level:
        manifest["classification"] = level
    digest = f"{name}@{version}".encode().hex().ljust(64, "0")[:64]
    return {"name": name, "version": version, "sha256": digest, "size": 10, "manifest": manifest,
            "components": {"agents": len(name) % 5, "workflows": 1}, "published_at": "2024-01-01T00:00:00Z", **marks}


def load(store: MetadataStore, packages=PACKAGES) -> None:
    for row in packages:
        store.add_version(row[0], team_of(row[0]), row[1].partition("+")[0], record(*row), 1000)


def may_read(caller: Caller):
    return lambda team, level: decide(LEVELS, caller, "read", TEAMS[team], level).allowed


def everything(store: MetadataStore, caller: Caller, query: str, **filters) -> dict:
    """Every page of one search, 3 rows a page, checked against the one-page answer."""
    whole = store.search(query, limit=100, may_read=may_read(caller), **filters)
    pages = []
    for offset in range(0, whole["total"] + 3, 3):
        page = store.search(query, limit=3, offset=offset, may_read=may_read(caller), **filters)
        assert page["total"] == whole["total"]
        pages += page["results"]
    assert pages == whole["results"]
    return whole


def visible_catalog(store: MetadataStore, caller: Caller) -> dict:
    """The catalog ``caller`` may read, made as the server makes it (state.visible_catalog)."""
    from agentpack.adapters.registry.directory import catalog_entry

    packages = {}
    for index in StoredRegistry(store, None).indexes():
        versions = {v: r for v, r in index["versions"].items()
                    if decide(LEVELS, caller, "read", TEAMS[team_of(index["name"])], record_level(r)).allowed}
        if versions:
            packages[index["name"]] = catalog_entry(dict(index, versions=versions))
    return {"packages": packages}


@pytest.fixture
def stores(cluster, tmp_path):
    opened = {"sqlite": MetadataStore.open(f"sqlite:///{tmp_path}/metadata.db"),
              "postgresql": MetadataStore.open(cluster.database())}
    yield opened
    for store in opened.values():
        store.close()


def test_both_databases_and_the_catalog_filter_find_the_same_rows_in_the_same_order(stores):
    for store in stores.values():
        load(store)
    sqlite, postgresql = stores["sqlite"], stores["postgresql"]
    for caller in (ANONYMOUS, ALPHA, EVERYONE):
        catalogs = {name: visible_catalog(store, caller) for name, store in stores.items()}
        for query, filters in QUERIES:
            found = everything(sqlite, caller, query, **filters)
            assert everything(postgresql, caller, query, **filters) == found, (caller, query, filters)
            for catalog in catalogs.values():
                expected = catalog_matches(catalog, query, **filters)
                assert [dict(row, downloads=0) for row in expected] == found["results"], (caller, query, filters)
                assert found["total"] == len(expected)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_what_matches_and_how_it_ranks(stores, backend):
    store = stores[backend]
    load(store)

    def names(query, caller=EVERYONE, **filters):
        return [row["name"] for row in store.search(query, may_read=may_read(caller), **filters)["results"]]

    # a word's beginning, in the description too; the exact name first, then words in the name
    assert names("escalat") == ["escalation-matrix", "customer-service", "briefing", "team-alpha/secret-desk",
                                "triage"]
    assert names("calation") == []  # no substrings
    assert names("triage") == ["team-beta/triage", "triage"]  # both names are "triage"
    assert names("über") == names("ÜBER") == ["überwachung"]
    assert names("next") == []  # the pre-release is not the version described
    # gone's 1.0.0 has the keyword, but the version described (its highest, all being yanked) has not
    assert names("", keyword="support") == ["old-desk", "team-alpha/secret-desk", "team-beta/triage", "triage"]
    assert names("", category="process") == ["team-beta/triage", "triage"]
    rows = {row["name"]: row for row in store.search("", may_read=may_read(EVERYONE))["results"]}
    assert rows["customer-service"]["latest"] == "1.2.0"  # a release before a higher pre-release
    assert rows["gone"]["latest"] is None and rows["gone"]["description"].endswith("a pre-release")
    assert rows["old-desk"]["deprecated"] == "use customer-service"
    assert rows["customer-service"]["components"] == {"agents": 1, "workflows": 1}
    assert rows["überwachung"]["keywords"] == ["Qualität"] and rows["triage"]["category"] == "process"


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_nothing_a_caller_may_not_read_shows_not_even_in_the_total(stores, backend):
    store = stores[backend]
    load(store)
    anonymous = store.search("", limit=100, may_read=may_read(ANONYMOUS))
    names = [row["name"] for row in anonymous["results"]]
    assert "team-alpha/secret-desk" not in names and anonymous["total"] == len(names) == 8
    assert store.search("secret", may_read=may_read(ANONYMOUS)) == {"results": [], "total": 0}
    assert store.search("nobody", may_read=may_read(ANONYMOUS))["total"] == 0
    # the cui version of briefing is above an anonymous caller: 1.0.0 is the one described
    briefing = store.search("briefing", may_read=may_read(ANONYMOUS))["results"]
    assert [(row["latest"], row["description"]) for row in briefing] == [("1.0.0", "Open notes")]
    assert store.search("briefing", may_read=may_read(ALPHA))["results"][0]["latest"] == "1.1.0"
    assert store.search("", may_read=lambda team, level: False) == {"results": [], "total": 0}
    beta_only = store.search("", may_read=lambda team, level: team == "team-beta")
    assert beta_only["total"] == 1 and beta_only["results"][0]["name"] == "team-beta/triage"


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_publish_yank_deprecate_and_downloads_keep_the_index(stores, backend):
    store = stores[backend]
    load(store, PACKAGES[:4])
    read = may_read(EVERYONE)
    # a version published below the highest takes its place in the order
    store.add_version("customer-service", "public", "1.1.0", record("customer-service", "1.1.0", "Middle", [],
                                                                    "domain", None, {}), 2000)
    assert store.search("customer", may_read=read)["results"][0]["latest"] == "1.2.0"

    def mark(version, kind, text_key, text):
        def choose(current):
            return {version: {**current[version], kind: {text_key: text, "at": "t"}}}
        store.remark("customer-service", choose, 3000)

    mark("1.2.0", "yanked", "reason", "broken")
    row = store.search("customer", may_read=read)["results"][0]
    assert (row["latest"], row["description"]) == ("1.1.0", "Middle")
    assert "customer-service" not in [r["name"] for r in store.search("escalat", may_read=read)["results"]]
    mark("1.1.0", "deprecated", "message", "use triage")
    assert store.search("middle", may_read=read)["results"][0]["deprecated"] == "use triage"
    store.add_downloads({record(*PACKAGES[0])["sha256"]: 3, record(*PACKAGES[3])["sha256"]: 2})
    downloads = {row["name"]: row["downloads"] for row in store.search("", may_read=read)["results"]}
    assert downloads == {"customer-service": 3, "triage": 2}


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_upgrading_a_database_with_packages_from_0001_indexes_them(cluster, tmp_path, backend):
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine, text

    url = f"sqlite:///{tmp_path}/old.db" if backend == "sqlite" else cluster.database()
    engine = create_engine(engine_url(url))
    config = Config()
    config.set_main_option("script_location", MIGRATIONS)
    with engine.begin() as connection:  # the database as the previous release left it
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
        for i, row in enumerate(PACKAGES):
            name, version = row[0], row[1]
            connection.execute(text("INSERT INTO packages (name, team, serial) VALUES (:n, :t, 1) "
                                    "ON CONFLICT DO NOTHING"), {"n": name, "t": team_of(name)})
            connection.execute(text(
                "INSERT INTO versions (package, version, precedence, team, sha256, size, record, downloads) "
                "VALUES (:p, :v, :v, :t, :s, 10, :r, :d)"),
                {"p": name, "v": version, "t": team_of(name), "s": record(*row)["sha256"],
                 "r": json.dumps(record(*row)), "d": i})
    engine.dispose()
    store = MetadataStore.open(url)  # the server's start-up: migrations to the head
    try:
        fresh = MetadataStore.open(f"sqlite:///{tmp_path}/fresh.db")
        load(fresh)
        for caller in (ANONYMOUS, ALPHA, EVERYONE):
            for query, filters in QUERIES:
                upgraded = store.search(query, limit=100, may_read=may_read(caller), **filters)
                published = fresh.search(query, limit=100, may_read=may_read(caller), **filters)
                assert [dict(r, downloads=0) for r in upgraded["results"]] == published["results"], (query, filters)
                assert upgraded["total"] == published["total"]
        assert store.search("customer", may_read=may_read(EVERYONE))["results"][0]["downloads"] == 0 + 1 + 2
        fresh.close()
    finally:
        store.close()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_tables_py_describes_what_the_migrations_make(cluster, tmp_path, backend):
    from sqlalchemy import create_engine, inspect

    url = f"sqlite:///{tmp_path}/schema.db" if backend == "sqlite" else cluster.database()
    MetadataStore.open(url).close()
    engine = create_engine(engine_url(url))
    inspector = inspect(engine)
    # Backend-specific search index, documented in tables.py and made only by migration 0002.
    extra = {"sqlite": {"search_fts"}, "postgresql": set()}[backend]
    shadow = {name for name in inspector.get_table_names() if name.startswith("search_fts_")}
    assert set(inspector.get_table_names()) - shadow == set(metadata.tables) | {"alembic_version"} | extra
    for table in metadata.sorted_tables:
        made = {column["name"]: column for column in inspector.get_columns(table.name)}
        extra_columns = {"document"} if backend == "postgresql" and table.name == "search_entries" else set()
        assert set(made) == {column.name for column in table.columns} | extra_columns, table.name
        for column in table.columns:
            assert made[column.name]["nullable"] == column.nullable, (table.name, column.name)
    engine.dispose()
