"""The quick verdict of JSON-schema validation agrees with jsonschema's, keyword by keyword."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from agentpack.core.schema_check import compile_schema
from agentpack.services.validate import load_schema

PACKAGE_SCHEMA = load_schema()
_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.floats(allow_nan=False, width=16),
                     st.sampled_from(["", "x", "MIT", "1.0.0", "1.2", "kit", "Kit", "a/b", "team/kit",
                                      "agents/a.md", "core@^1.0.0", " core ", "https://x.dev", "http:// x",
                                      "x" * 65, "é"]))
_VALUES = st.recursive(_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4),
    st.dictionaries(st.sampled_from(["config", "disabled", "a", "model", "x"]), inner, max_size=3)), max_leaves=10)
_FIELDS = st.sampled_from([*PACKAGE_SCHEMA["properties"], "extra", "Name"])


def agree(schema, instance) -> None:
    check = compile_schema(schema)
    assert check is not None
    assert check(instance) == Draft202012Validator(schema).is_valid(instance), instance


def test_the_package_schema_compiles():
    assert compile_schema(PACKAGE_SCHEMA) is not None


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.dictionaries(_FIELDS, _VALUES, max_size=6), _VALUES))
def test_manifests_get_jsonschemas_verdict(instance):
    agree(PACKAGE_SCHEMA, instance)


@settings(max_examples=300, deadline=None)
@given(st.fixed_dictionaries({"name": st.sampled_from(["kit", "Kit", "a/b", 3]),
                              "version": st.sampled_from(["1.0.0", "1.0", "01.0.0", "1.0.0-rc.1+b"])},
                             optional={"agents": st.lists(st.sampled_from(["agents/a.md", "", 1]), max_size=3),
                                       "dependencies": st.lists(st.sampled_from(["core@^1", "Core", "a b"]), max_size=3),
                                       "tiers": st.dictionaries(st.sampled_from(["edge", "dc"]), _VALUES, max_size=2),
                                       "config": st.dictionaries(st.sampled_from(["defaults", "x"]), _VALUES, max_size=2),
                                       "overrides": st.dictionaries(st.sampled_from(["core"]), _VALUES, max_size=1),
                                       "homepage": _SCALARS, "license": _SCALARS, "keywords": _VALUES}))
def test_nearly_valid_manifests_get_jsonschemas_verdict(instance):
    agree(PACKAGE_SCHEMA, instance)


@pytest.mark.parametrize("schema, instance", [
    (True, 1), (False, 1), ({}, None),
    ({"oneOf": [{"type": "string"}, {"minLength": 2}]}, "abc"),
    ({"oneOf": [{"type": "string"}, {"minLength": 2}]}, "a"),
    ({"oneOf": [{"type": "string"}, {"minLength": 2}]}, 5),
    ({"properties": {"a": False}, "additionalProperties": False}, {"a": 1}),
    ({"properties": {"a": True}, "additionalProperties": False}, {"a": 1, "b": 2}),
    ({"additionalProperties": {"type": "object"}}, {1: {}, "b": []}),
    ({"items": False}, []), ({"items": False}, [1]),
    ({"type": ["string", "array"], "maxLength": 1}, "ab"),
    ({"$defs": {"tree": {"type": "array", "items": {"$ref": "#/$defs/tree"}}}, "$ref": "#/$defs/tree"}, [[[]], []]),
    ({"$defs": {"tree": {"type": "array", "items": {"$ref": "#/$defs/tree"}}}, "$ref": "#/$defs/tree"}, [[[1]]]),
    ({"required": ["a"], "pattern": "^x"}, {"b": 1}),
    ({"required": ["a"], "pattern": "^x"}, "yx"),
])  # fmt: skip
def test_keywords_get_jsonschemas_verdict(schema, instance):
    agree(schema, instance)


@pytest.mark.parametrize("schema", [
    {"enum": [1]}, {"type": "integer"}, {"items": {}, "prefixItems": [{}]}, {"patternProperties": {}, "additionalProperties": False},
    {"$ref": "other.json#/x"}, {"$ref": "#/$defs/missing"}, {"properties": {"a": {"$id": "inner"}}},
    {"minLength": 1.5}, {"pattern": "("}, [],
])  # fmt: skip
def test_anything_else_is_left_to_jsonschema(schema):
    assert compile_schema(schema) is None
