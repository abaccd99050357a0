"""The shapes of registry documents: a wrong type at any level is named, a valid document passes."""

from __future__ import annotations

import pytest

from agentpack.core.registry_documents import catalog_problem, index_problem, record_problem, settings_problem
from conftest import changed

RECORD = {"name": "a", "version": "1.0.0", "sha256": "ab" * 32, "size": 10, "published_at": "2024-01-01T00:00:00Z",
          "manifest": {"name": "a", "version": "1.0.0", "description": "d", "dependencies": ["b@^1.0.0"],
                       "keywords": ["x"], "config": {}, "tiers": {}},
          "components": {"agents": 1, "workflows": 0}, "signature": {"format": 1}}
CATALOG = {"packages": {"a": {"latest": "1.0.0", "description": "d", "keywords": ["x"], "components": {},
                              "versions": ["1.0.0"]}}}


def _with(document: dict, path: tuple, value=None, delete: bool = False) -> dict:
    return changed(document, path, value, delete=delete)


def test_valid_documents_pass():
    assert record_problem(RECORD) is None
    assert record_problem(_with(RECORD, ("manifest", "description"), None)) is None
    assert catalog_problem(_with(CATALOG, ("packages", "a", "latest"), None)) is None
    assert index_problem({"versions": {"1.0.0": RECORD}}) is None
    assert catalog_problem(CATALOG) is None
    assert settings_problem({"format": 1}) is None
    marked = dict(RECORD, yanked={"reason": "broken", "at": "2024-05-02T08:00:00Z"}, deprecated={"message": ""})
    assert record_problem(marked) is None
    assert catalog_problem(_with(_with(CATALOG, ("packages", "a", "yanked"), ["1.0.0"]),
                                 ("packages", "a", "deprecated"), "use b")) is None
    assert catalog_problem(_with(CATALOG, ("packages", "a", "category"), "domain")) is None
    # A manifest's category is the catalog's business only: a record is never refused for it.
    assert record_problem(_with(RECORD, ("manifest", "category"), 7)) is None


@pytest.mark.parametrize(("path", "value", "delete", "words"), [
    (("sha256",), None, True, "no 'sha256'"),
    (("version",), None, True, "no 'version'"),
    (("name",), None, True, "no 'name'"),
    (("sha256",), 1, False, "'sha256' must be a string"),
    (("size",), "10", False, "'size' must be an integer"),
    (("size",), True, False, "'size' must be an integer"),
    (("manifest",), ["a"], False, "'manifest' must be an object"),
    (("manifest", "dependencies"), "b@^1.0.0", False, "'manifest.dependencies' must be a list"),
    (("manifest", "keywords"), {"x": 1}, False, "'manifest.keywords' must be a list"),
    (("manifest", "config"), "c.yaml", False, "'manifest.config' must be an object"),
    (("components", "agents"), "1", False, "'components' must map each kind to a count"),
    (("signature",), "sig", False, "'signature' must be an object"),
    (("components",), None, False, "'components' must be an object, not null"),
    (("sha256",), None, False, "'sha256' must be a string, not null"),
    (("yanked",), True, False, "'yanked' must be an object with a string 'reason'"),
    (("yanked",), {"reason": 1}, False, "'yanked' must be an object with a string 'reason'"),
    (("yanked",), {"reason": "x", "at": 1}, False, "'yanked.at' must be a string"),
    (("deprecated",), "use b", False, "'deprecated' must be an object with a string 'message'"),
])
def test_a_record_with_a_wrong_type_is_named(path, value, delete, words):
    reason = record_problem(_with(RECORD, path, value, delete))
    assert reason and words in reason
    assert words in index_problem({"versions": {"1.0.0": _with(RECORD, path, value, delete)}})


@pytest.mark.parametrize("document", [None, [], "x", {"versions": []}, {"versions": {"1.0.0": "a"}}])
def test_indexes_of_the_wrong_shape(document):
    assert index_problem(document)


@pytest.mark.parametrize(("path", "value"), [
    (("packages",), []), (("packages", "a"), "1.0.0"), (("packages", "a", "latest"), 1),
    (("packages", "a", "keywords"), [1]), (("packages", "a", "versions"), "1.0.0"),
    (("packages", "a", "components"), ["agents"]), (("packages", "a", "components"), None),
    (("packages", "a", "keywords"), None),
    (("packages", "a", "yanked"), "1.0.0"), (("packages", "a", "yanked"), [1]),
    (("packages", "a", "deprecated"), {"message": "x"}), (("packages", "a", "category"), ["domain"]),
])
def test_a_catalog_with_a_wrong_type_is_named(path, value):
    assert catalog_problem(_with(CATALOG, path, value))


@pytest.mark.parametrize("settings", [None, [], {}, {"format": "1"}, {"format": True}, {"format": 1.0}])
def test_registry_settings_need_an_integer_format(settings):
    assert settings_problem(settings)
