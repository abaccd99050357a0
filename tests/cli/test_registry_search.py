"""Search through the registry server end to end: `GET /api/v1/search` answered by the database
of a real server on SQLite and of one on a real PostgreSQL (the same archives published to both
give the same answers), who sees what (anonymous callers and other teams' tokens never learn of a
private team's package, not even from ``total``), 422 for bad parameters, `agentops package
search` through the API agreeing with the same search over a directory registry, and the web
catalog's search box and category pages at the server's root."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from conftest import Agentops, write_package
from postgres_cluster import cluster_fixture  # noqa: F401 (a fixture)
from registry_service import RegistryService, no_proxies  # noqa: F401 (an autouse fixture)

pytest.importorskip("sqlalchemy", reason="the server extra is not installed (pip install -e '.[server]')")

# name, version, description, keywords, category
PACKAGES = [
    ("customer-service", "1.0.0", "Handles refunds", ["refunds", "support"], "domain"),
    ("customer-service", "1.2.0", "Customer escalation workflows for support desks", ["refunds", "escalation"],
     "domain"),
    ("triage", "1.0.0", "Sorts tickets and escalates urgent ones", ["support"], "process"),
    ("escalation-matrix", "0.1.0", "Who to call, and when", [], "meta"),
    ("team-beta/triage", "3.0.0", "Triage for the beta team", ["support"], "process"),
    ("team-alpha/secret-desk", "1.0.0", "Escalation desk nobody outside may see", ["support"], "domain"),
    ("ueberwachung", "1.0.0", "Überwachung der Straße", ["qualität"], "industry"),
]  # fmt: skip
SECRET = "team-alpha/secret-desk"
QUERIES = [{"q": ""}, {"q": "escalat"}, {"q": "triage"}, {"q": "cust serv"}, {"q": "STRASSE"},
           {"q": "calation"}, {"q": "", "keyword": "Support"}, {"q": "", "category": "process"},
           {"q": "support", "category": "domain"}, {"q": "desk"}, {"q": "secret"}, {"q": "", "limit": "2"},
           {"q": "", "limit": "2", "offset": "4"}]


def archive(tmp_path: Path, name: str, version: str, description: str, keywords: list[str],
            category: str) -> Path:
    """A package built in-process (a subprocess per archive would take long), its manifest saying
    ``description``, ``keywords`` and ``category``."""
    from agentpack.services.build import build_package

    folder = write_package(tmp_path / "src", name, version, agents=len(name) % 4 + 1)
    manifest = folder / "package.yaml"
    text = manifest.read_text().replace(f"description: Test package {name}", f"description: {json.dumps(description)}")
    if keywords:
        text += "keywords:\n" + "".join(f"  - {json.dumps(k)}\n" for k in keywords)
    text += f"category: {category}\n"
    manifest.write_text(text)
    return Path(build_package(str(folder), str(tmp_path / "dist")).path)


def admin(agentops: Agentops, where: list[str], *args: str) -> str:
    return agentops("registry", *args, *where).out.strip()


class Published:
    """A server (SQLite or PostgreSQL) holding PACKAGES, with its tokens."""

    def __init__(self, agentops: Agentops, server: RegistryService, where: list[str], archives: list[Path]) -> None:
        self.server = server
        self.url = server.url
        admin(agentops, where, "team", "create", "team-alpha", "--private")
        admin(agentops, where, "team", "create", "team-beta")
        self.tokens = {team: admin(agentops, where, "token", "create", "--team", team, "--role", "publish")
                       for team in ("public", "team-alpha", "team-beta")}
        self.public_admin = admin(agentops, where, "token", "create", "--team", "public", "--role", "admin")
        for path, row in zip(archives, PACKAGES, strict=True):
            team = row[0].partition("/")[0] if "/" in row[0] else "public"
            response = httpx.post(self.url + "api/v1/packages", content=path.read_bytes(), timeout=60,
                                  headers={"Authorization": f"Bearer {self.tokens[team]}"})
            assert response.status_code == 201, response.text

    def search(self, params: dict, token: str | None = None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.get(self.url + "api/v1/search", params=params, headers=headers, timeout=30)


@pytest.fixture
def archives(tmp_path) -> list[Path]:
    return [archive(tmp_path, *row) for row in PACKAGES]


@pytest.fixture
def servers(agentops, cluster, tmp_path, archives):
    database = cluster.database()
    with RegistryService(tmp_path / "sqlite-data", agentops.env) as on_sqlite, \
            RegistryService(tmp_path / "pg-data", agentops.env, "--database", database) as on_postgres:
        yield {"sqlite": Published(agentops, on_sqlite, ["--data", str(on_sqlite.data)], archives),
               "postgresql": Published(agentops, on_postgres, ["--database", database], archives)}


def test_both_databases_answer_every_query_alike_and_hide_private_teams(servers):
    sqlite, postgresql = servers["sqlite"], servers["postgresql"]
    for params in QUERIES:
        answer = {}
        for token_of in (None, "team-beta", "team-alpha"):
            answers = [published.search(params, published.tokens.get(token_of)) for published in servers.values()]
            assert [a.status_code for a in answers] == [200, 200], answers[0].text
            assert answers[0].json() == answers[1].json(), (token_of, params)
            answer[token_of] = answers[0].json()
        whole = sqlite.search({**params, "limit": "100", "offset": "0"}, sqlite.tokens["team-alpha"]).json()
        secret_matches = SECRET in [row["name"] for row in whole["results"]]
        for outsider in (None, "team-beta"):  # neither the rows nor the total give the package away
            assert SECRET not in json.dumps(answer[outsider])
            assert answer[outsider]["total"] == answer["team-alpha"]["total"] - secret_matches, params
    everything = sqlite.search({"q": "", "limit": 100}).json()
    assert everything["total"] == 5 and SECRET not in json.dumps(everything)
    for published in (sqlite, postgresql):
        for token in (None, published.tokens["team-beta"]):  # the total gives nothing away either
            assert published.search({"q": "secret"}, token).json() == {"results": [], "total": 0}
            assert published.search({"q": "escalat"}, token).json()["total"] == 3
        alpha = published.search({"q": "escalat"}, published.tokens["team-alpha"]).json()
        assert [row["name"] for row in alpha["results"]] == ["escalation-matrix", "customer-service", SECRET, "triage"]
        assert alpha["total"] == 4
    row = sqlite.search({"q": "customer-service"}).json()["results"][0]
    assert row == {"name": "customer-service", "latest": "1.2.0",
                   "description": "Customer escalation workflows for support desks",
                   "keywords": ["refunds", "escalation"], "category": "domain", "deprecated": None,
                   "components": row["components"], "downloads": 0}
    assert row["components"]["agents"] == len("customer-service") % 4 + 1


def test_yank_and_deprecate_through_the_api_reach_the_search(agentops, servers):
    for published in servers.values():
        env = {"AGENTOPS_TOKEN": published.public_admin}  # yanking takes an admin or an owner
        agentops("package", "yank", "customer-service@1.2.0", "--reason", "broken", "--registry", published.url,
                 env=env)
        agentops("package", "deprecate", "triage", "--message", "use team-beta/triage", "--registry", published.url,
                 env=env)
        rows = {row["name"]: row for row in published.search({"q": "", "limit": 100}).json()["results"]}
        assert rows["customer-service"]["latest"] == "1.0.0"
        assert rows["customer-service"]["description"] == "Handles refunds"
        assert rows["triage"]["deprecated"] == "use team-beta/triage"
        assert published.search({"q": "", "keyword": "escalation"}).json()["total"] == 0


BAD = [
    ({"limit": "0"}, "'limit' must be between 1 and 100, not 0"),
    ({"limit": "101"}, "'limit' must be between 1 and 100, not 101"),
    ({"limit": "ten"}, "'limit' must be a whole number, not 'ten'"),
    ({"offset": "-1"}, "'offset' must be between 0 and"),
    ({"category": "finance"}, "unknown category 'finance': the categories are domain, industry, process, meta"),
    ({"q": "x" * 201}, "at most 200"),
]  # fmt: skip


def test_bad_parameters_are_422_naming_them_and_the_openapi_document_says_so(agentops, tmp_path):
    with RegistryService(tmp_path / "data", agentops.env) as server:
        for params, message in BAD:
            response = httpx.get(server.url + "api/v1/search", params=params)
            assert response.status_code == 422, params
            assert response.json()["error"] == "usage" and message in response.json()["message"]
        assert httpx.get(server.url + "api/v1/search").json() == {"results": [], "total": 0}
        operation = httpx.get(server.url + "api/v1/openapi.json").json()["paths"]["/search"]["get"]
    schemas = {param["name"]: param["schema"] for param in operation["parameters"]}
    assert schemas["category"] == {"enum": ["domain", "industry", "process", "meta"]}
    assert (schemas["limit"]["minimum"], schemas["limit"]["maximum"]) == (1, 100)


def test_the_command_agrees_with_a_directory_and_uses_the_api(agentops, servers, archives, tmp_path):
    from agentpack.services.publish import publish_archive
    from agentpack.services.workspace import Settings

    directory = tmp_path / "directory-registry"
    for path in archives:
        publish_archive(str(path), Settings.from_environment({}, registry=str(directory)))
    published = servers["postgresql"]
    reader = {"AGENTOPS_TOKEN": published.tokens["team-alpha"]}  # sees every team, as a directory shows them
    for args in (["escalat"], [""], ["triage"], ["", "--keyword", "SUPPORT"], ["", "--category", "process"],
                 ["support", "--category", "domain", "--keyword", "support"], ["calation"], ["über"]):
        from_directory = agentops("package", "search", *args, "--json", "--registry", directory)
        from_server = agentops("package", "search", *args, "--json", "--registry", published.url, env=reader)
        expected = [dict(row, downloads=None) for row in json.loads(from_server.out)]  # a directory counts none
        assert json.loads(from_directory.out) == expected, args
        text = agentops("package", "search", *args, "--registry", published.url, env=reader)
        assert text.lines == agentops("package", "search", *args, "--registry", directory).lines
    searches = [entry for entry in published.server.log()
                if entry.get("event") == "request" and entry.get("path") == "/api/v1/search"]
    assert len(searches) >= 16  # the server's database answered, not a filter over catalog.json
    anonymous = agentops("package", "search", "desk", "--registry", published.url)
    assert anonymous.lines == ["customer-service (1.2.0) - 1 agents, 0 workflows"]
    run = agentops("package", "search", "x", "--category", "finance", "--registry", published.url, expect=2)
    assert "unknown category 'finance'" in run.err and "domain, industry, process, meta" in run.err
    run = agentops("package", "search", "x", "--keyword", " ", "--registry", directory, expect=2)
    assert "'keyword' must be 1 to 100 characters" in run.err
    run = agentops("package", "search", "nothing", "--category", "meta", "--registry", directory)
    assert run.out == "" and "no packages match 'nothing' in category 'meta'" in run.err


def test_the_web_catalog_searches_the_database_as_an_anonymous_reader(servers):
    for published in servers.values():
        page = httpx.get(published.url, params={"q": "escalat"}).text
        found = [line for line in ("escalation-matrix (0.1.0)", "customer-service (1.2.0)", "triage (1.0.0)")
                 if line in page]
        assert len(found) == 3 and "secret-desk" not in page
        assert page.index("escalation-matrix (0.1.0)") < page.index("customer-service (1.2.0)") < \
            page.index("triage (1.0.0)")  # ranked: the name, then keywords, then the description
        domain = httpx.get(published.url + "categories/domain").text
        assert "customer-service (1.2.0)" in domain and "secret-desk" not in domain and "triage (" not in domain
        assert "Domain (1)" in domain and "Process (2)" in domain and "Industry (1)" in domain
        assert "No packages match" in httpx.get(published.url, params={"q": "secret"}).text
