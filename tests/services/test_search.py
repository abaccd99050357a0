"""The search rows and their one-line form, shared by `agentops package search` and the web catalog."""

from __future__ import annotations

import pytest

from agentpack.services.search import catalog_matches, search_line

CATALOG = {"packages": {
    "customer-service": {"latest": "1.2.0", "description": "Customer service workflows", "keywords": ["refunds"],
                         "components": {"agents": 4, "workflows": 3, "patterns": 3}, "versions": ["1.2.0"],
                         "category": "domain"},
    "team/triage": {"latest": None, "description": "Sorts tickets", "components": {"agents": 1},
                    "versions": ["1.0.0"], "yanked": ["1.0.0"], "deprecated": "use\x1b[31m desk"},
    "ghost": {"latest": None, "versions": []},
}}  # fmt: skip


@pytest.mark.parametrize(("query", "names"), [
    ("", ["customer-service", "team/triage"]),  # a name with no version at all is never offered
    ("REFUND", ["customer-service"]),  # keywords, case-insensitive
    ("tickets", ["team/triage"]),  # description
    ("team/", ["team/triage"]),
    ("nothing", []),
])  # fmt: skip
def test_catalog_matches(query, names):
    assert [row["name"] for row in catalog_matches(CATALOG, query)] == names


def test_rows_carry_what_the_line_and_the_catalog_show():
    service, triage = catalog_matches(CATALOG, "")
    assert service["category"] == "domain" and triage["category"] is None
    assert "\x1b" not in triage["deprecated"]  # marks are cleaned for showing


@pytest.mark.parametrize(("row", "line"), [
    ({"name": "customer-service", "latest": "1.2.0", "components": {"agents": 52, "workflows": 15},
      "deprecated": None}, "customer-service (1.2.0) - 52 agents, 15 workflows"),
    ({"name": "x", "latest": None, "components": {}, "deprecated": ""}, "x (every version yanked) - 0 agents, "
                                                                        "0 workflows [deprecated]"),
    ({"name": "x", "latest": "2.0.0", "components": {"agents": 1, "skills": 2, "rules": 1}, "deprecated": "old"},
     "x (2.0.0) - 1 agents, 0 workflows, 2 skills, 1 rules [deprecated: old]"),
])  # fmt: skip
def test_search_line(row, line):
    assert search_line(row) == line
