"""Config layering: the merge rule as a table, provenance, property tests, rendering."""

from __future__ import annotations

import copy

import pytest
import yaml
from hypothesis import event, given, settings
from hypothesis import strategies as st

from agentpack.core.config_merge import (
    Deletion,
    Layer,
    Leaf,
    Origin,
    combine_layers,
    deleted_paths,
    explain_layers,
    merge_layers,
    render_yaml,
)


def layers_of(*trees) -> list[Layer]:
    return [Layer(f"l{index}", f"l{index}.yaml", tree) for index, tree in enumerate(trees)]


def merge(*trees) -> dict:
    return merge_layers(layers_of(*trees))


# --- the merge rule, one row per clause --------------------------------------------------------

MERGES = [
    ("maps merge key by key", [{"c": {"a": 1, "b": 2}}, {"c": {"b": 3, "d": 4}}], {"c": {"a": 1, "b": 3, "d": 4}}),
    ("deep maps merge", [{"c": {"x": {"y": {"z": 1}}}}, {"c": {"x": {"y": {"w": 2}}}}],
     {"c": {"x": {"y": {"z": 1, "w": 2}}}}),
    ("a scalar replaces a scalar", [{"c": {"a": 1}}, {"c": {"a": "one"}}], {"c": {"a": "one"}}),
    ("lists replace, never concatenate", [{"c": {"a": [1, 2]}}, {"c": {"a": [3]}}], {"c": {"a": [3]}}),
    ("a list replaces a map", [{"c": {"a": {"x": 1}}}, {"c": {"a": [1]}}], {"c": {"a": [1]}}),
    ("a map replaces a scalar", [{"c": {"a": 1}}, {"c": {"a": {"x": 1}}}], {"c": {"a": {"x": 1}}}),
    ("a scalar replaces a map", [{"c": {"a": {"x": 1}}}, {"c": {"a": 0}}], {"c": {"a": 0}}),
    ("false and 0 and '' are values, not deletions", [{"c": {"a": 1, "b": 1, "d": 1}},
                                                      {"c": {"a": False, "b": 0, "d": ""}}],
     {"c": {"a": False, "b": 0, "d": ""}}),
    ("null deletes a key", [{"c": {"a": 1, "b": 2}}, {"c": {"a": None}}], {"c": {"b": 2}}),
    ("null deletes a whole mapping", [{"c": {"a": {"x": 1}, "b": 2}}, {"c": {"a": None}}], {"c": {"b": 2}}),
    ("null deletes a whole config file", [{"c": {"a": 1}, "d": {"b": 2}}, {"c": None}], {"d": {"b": 2}}),
    ("null on a missing key changes nothing", [{"c": {"a": 1}}, {"c": {"zz": None}}], {"c": {"a": 1}}),
    ("null in the first layer is not a value", [{"c": {"a": None, "b": 1}}], {"c": {"b": 1}}),
    ("a later layer sets a deleted key again, in its old place",
     [{"c": {"a": 1, "b": 2, "d": 3}}, {"c": {"b": None}}, {"c": {"b": 5}}], {"c": {"a": 1, "b": 5, "d": 3}}),
    ("a deleted mapping set again starts afresh",
     [{"c": {"a": {"x": 1, "y": 2}}}, {"c": {"a": None}}, {"c": {"a": {"y": 3}}}], {"c": {"a": {"y": 3}}}),
    ("nulls inside lists are values", [{"c": {"a": [None, {"k": None}]}}], {"c": {"a": [None, {"k": None}]}}),
    ("an empty map laid on a map changes nothing", [{"c": {"a": {"x": 1}}}, {"c": {"a": {}}}],
     {"c": {"a": {"x": 1}}}),
    ("an empty map replaces a scalar", [{"c": {"a": 1}}, {"c": {"a": {}}}], {"c": {"a": {}}}),
    ("an empty map is kept", [{"c": {"a": {}}}, {"c": {"b": 1}}], {"c": {"a": {}, "b": 1}}),
    ("deleting every key leaves an empty map", [{"c": {"a": {"x": 1}}}, {"c": {"a": {"x": None}}}],
     {"c": {"a": {}}}),
    ("a config file may be a scalar or a list", [{"c": "text", "d": [1]}, {"d": [2]}], {"c": "text", "d": [2]}),
    ("non-string keys merge like any other", [{"c": {1: "a", 2.5: "b"}}, {"c": {1: "z"}}],
     {"c": {1: "z", 2.5: "b"}}),
    ("no layers, no config", [], {}),
]


@pytest.mark.parametrize(("layers", "expected"), [row[1:] for row in MERGES], ids=[row[0] for row in MERGES])
def test_merge_rule(layers, expected):
    assert merge(*layers) == expected
    assert explain_layers(layers_of(*layers))[0] == expected


def test_keys_are_in_first_seen_order_across_layers():
    result = merge({"c": {"b": 1, "a": 1}}, {"c": {"d": 1, "a": 2}, "a": {}}, {"c": {"c": 1, "b": 2}})
    assert list(result) == ["c", "a"]
    assert list(result["c"]) == ["b", "a", "d", "c"]


def test_layers_are_not_modified_and_the_result_shares_nothing_with_them():
    trees = [{"c": {"a": [1, {"x": [2]}], "m": {"k": 1}}}, {"c": {"m": {"j": None, "k": 2}, "b": None}}]
    before = copy.deepcopy(trees)
    result = merge(*trees)
    assert trees == before
    result["c"]["a"][1]["x"].append(3)
    result["c"]["m"]["z"] = 1
    assert trees == before
    assert merge(*trees) == {"c": {"a": [1, {"x": [2]}], "m": {"k": 2}}}


def test_a_layer_must_be_a_mapping():
    with pytest.raises(TypeError, match="local.*must be a mapping"):
        Layer("local", "packages/x.local.yaml", ["not", "a", "map"])


# --- provenance ---------------------------------------------------------------------------------

PACKAGE = Layer("package", "package.yaml", {"settings": {"model": {"name": "small", "context": 4096},
                                                          "tools": ["search"], "retries": 3}},
                {("settings",): 1, ("settings", "model"): 2, ("settings", "model", "name"): 3,
                 ("settings", "model", "context"): 4, ("settings", "tools"): 5, ("settings", "retries"): 6})
TIER = Layer("tier", "config/tiers/edge.yaml", {"settings": {"model": {"name": "tiny"}, "retries": None}},
             {("settings", "model", "name"): 7, ("settings", "retries"): 8})
LOCAL = Layer("local", "packages/x.local.yaml", {"settings": {"model": {"name": "local-model"}, "retries": 5}},
              {("settings", "model", "name"): 2, ("settings", "retries"): 3})
SET = Layer("set", "--set", {"settings": {"tools": []}})


def by_path(leaves: list[Leaf]) -> dict:
    return {leaf.path: leaf for leaf in leaves}


def test_each_leaf_names_the_layer_file_and_line_that_set_it_and_what_it_replaced():
    tree, leaves = explain_layers([PACKAGE, TIER, LOCAL, SET])
    assert tree == {"settings": {"model": {"name": "local-model", "context": 4096}, "tools": [], "retries": 5}}
    found = by_path(leaves)
    assert [leaf.path for leaf in leaves] == sorted(found)
    name = found[("settings", "model", "name")]
    assert name.value == "local-model"
    assert name.origin == Origin("local", "packages/x.local.yaml", 2)
    assert name.replaced == (("small", Origin("package", "package.yaml", 3)),
                             ("tiny", Origin("tier", "config/tiers/edge.yaml", 7)))
    assert found[("settings", "model", "context")] == Leaf(
        ("settings", "model", "context"), 4096, Origin("package", "package.yaml", 4), ())
    assert found[("settings", "tools")].origin == Origin("set", "--set", None)
    assert found[("settings", "tools")].replaced == ((["search"], Origin("package", "package.yaml", 5)),)


def test_a_deletion_by_null_is_recorded_in_what_a_leaf_replaced():
    found = by_path(explain_layers([PACKAGE, TIER, LOCAL])[1])
    assert found[("settings", "retries")].replaced == (
        (3, Origin("package", "package.yaml", 6)), (None, Origin("tier", "config/tiers/edge.yaml", 8)))


def test_deleting_a_mapping_is_recorded_in_the_leaves_that_come_back_under_it():
    layers = layers_of({"c": {"m": {"a": 1, "b": 2}}}, {"c": {"m": None}}, {"c": {"m": {"a": 3}}})
    tree, leaves = explain_layers(layers)
    assert tree == {"c": {"m": {"a": 3}}}
    (leaf,) = leaves
    assert leaf.origin.layer == "l2"
    assert leaf.replaced == ((1, Origin("l0", "l0.yaml", None)), (None, Origin("l1", "l1.yaml", None)))


def test_a_mapping_that_replaces_a_scalar_shows_the_scalar_in_its_leaves():
    tree, leaves = explain_layers(layers_of({"c": {"m": "off"}}, {"c": {"m": {"a": 1, "b": {"x": 2}}}}))
    assert tree == {"c": {"m": {"a": 1, "b": {"x": 2}}}}
    assert [(leaf.path, leaf.replaced) for leaf in leaves] == [
        (("c", "m", "a"), (("off", Origin("l0", "l0.yaml", None)),)),
        (("c", "m", "b", "x"), (("off", Origin("l0", "l0.yaml", None)),)),
    ]


def test_a_scalar_that_replaces_a_mapping_shows_the_mapping():
    (leaf,) = explain_layers(layers_of({"c": {"m": {"a": 1, "b": None}}}, {"c": {"m": 7}}))[1]
    assert leaf.value == 7
    assert leaf.replaced == (({"a": 1}, Origin("l0", "l0.yaml", None)),)


def test_an_empty_mapping_left_by_deletions_belongs_to_the_layer_that_created_it():
    layer = Layer("package", "package.yaml", {"c": {"m": {"a": 1}}}, {("c", "m"): 4})
    (leaf,) = explain_layers([layer, *layers_of({}, {"c": {"m": {"a": None}}})])[1]
    assert leaf == Leaf(("c", "m"), {}, Origin("package", "package.yaml", 4), ())


def test_leaves_are_sorted_by_path_even_with_keys_of_mixed_types():
    tree, leaves = explain_layers(layers_of({"c": {"b": 1, 2: "two", "a": {True: 1, "x": 2}}}))
    assert [leaf.path for leaf in leaves] == [("c", 2), ("c", "a", True), ("c", "a", "x"), ("c", "b")]
    assert tree == {"c": {"b": 1, 2: "two", "a": {True: 1, "x": 2}}}


def test_deleted_paths_name_the_null_and_what_it_removed():
    local = Layer("local", "x.local.yaml", {"c": {"m": None, "typo": None, "k": None}},
                  {("c", "m"): 3, ("c", "typo"): 4, ("c", "k"): 5})
    layers = [*layers_of({"c": {"m": {"a": 1, "b": [2]}, "k": 1}}), local, *layers_of({}, {}, {"c": {"k": 2}})]
    assert deleted_paths(layers) == [
        Deletion(("c", "m"), Origin("local", "x.local.yaml", 3),
                 ((("c", "m", "a"), 1, Origin("l0", "l0.yaml", None)),
                  (("c", "m", "b"), [2], Origin("l0", "l0.yaml", None)))),
        Deletion(("c", "typo"), Origin("local", "x.local.yaml", 4), ()),
    ]


def test_a_second_null_does_not_take_the_credit_for_a_deletion():
    layers = layers_of({"c": {"a": 1}}, {"c": {"a": None}}, {"c": {"a": None}})
    (deletion,) = deleted_paths(layers)
    assert deletion.origin.layer == "l1"
    assert deletion.removed == ((("c", "a"), 1, Origin("l0", "l0.yaml", None)),)


# --- properties ---------------------------------------------------------------------------------

KEYS = st.sampled_from(["a", "b", "c", "d"])
SCALARS = st.one_of(st.integers(-3, 3), st.booleans(), st.text("xy", max_size=2))
VALUES = st.recursive(
    st.one_of(st.none(), SCALARS, st.lists(st.one_of(st.none(), SCALARS), max_size=2)),
    lambda children: st.dictionaries(KEYS, children, max_size=3),
    max_leaves=8,
)
TREES = st.dictionaries(KEYS, VALUES, max_size=3)


def without_nulls(value):
    if isinstance(value, dict):
        return {key: without_nulls(item) for key, item in value.items() if item is not None}
    return value


def at(tree, path):
    for key in path:
        tree = tree[key]
    return tree


@given(TREES, TREES, TREES)
def test_layering_is_a_left_fold_whose_result_is_a_layer(a, b, c):
    assert merge(a, b, c) == merge(merge(a, b), c)
    assert merge(a, b, c) == merge(merge(a), b, c)


@settings(max_examples=300)
@given(TREES, TREES, TREES)
def test_a_combined_layer_keeps_its_deletions_and_acts_like_its_parts(below, b, c):
    try:
        combined = combine_layers(layers_of(b, c))
    except ValueError:
        event("not expressible as one tree")
        return
    assert merge(below, b, c) == merge(below, combined)
    assert merge(below, combine_layers(layers_of(combined))) == merge(below, combined)


def test_deletions_must_stay_in_a_combined_layer():
    below, b, c = {"c": {"a": 1}}, {"c": {"a": None}}, {"c": {"d": 2}}
    assert merge(below, combine_layers(layers_of(b, c))) == merge(below, b, c) == {"c": {"d": 2}}
    assert merge(below, merge(b, c)) != merge(below, b, c)  # the effective tree has dropped the null


@pytest.mark.parametrize(("b", "c"), [({"c": {"a": 1}}, {"c": {"a": {"x": 1}}}),
                                      ({"c": {"a": None}}, {"c": {"a": {"x": 1}}}),
                                      ({"c": {"a": 1}}, {"c": {"a": {}}})])
def test_a_mapping_over_an_earlier_value_of_the_group_cannot_be_combined(b, c):
    # Applied in turn, c's mapping replaces what b left; laid as one tree it would merge into the
    # layers below instead.
    below = {"c": {"a": {"y": 1}}}
    assert merge(below, b, c) != merge(below, merge(b, c))
    with pytest.raises(ValueError, match="c.a"):
        combine_layers(layers_of(b, c))


@given(TREES, st.lists(KEYS, min_size=1, max_size=3))
def test_a_null_in_the_last_layer_deletes_the_key(tree, path):
    last: dict = {}
    node = last
    for key in path[:-1]:
        node = node.setdefault(key, {})
    node[path[-1]] = None
    result = merge(tree, last)
    try:
        parent = at(result, path[:-1])
    except (KeyError, TypeError):
        return  # an ancestor is not a mapping in the result: then nothing is there to delete
    assert not isinstance(parent, dict) or path[-1] not in parent


@given(TREES, TREES)
def test_empty_layers_change_nothing(a, b):
    assert merge(a) == without_nulls(a)
    assert merge({}, a, {}, b, {}) == merge(a, b)


@given(st.lists(TREES, max_size=4))
def test_explain_gives_the_same_tree_and_every_leaf_with_the_layer_that_set_it(trees):
    layers = layers_of(*trees)
    tree, leaves = explain_layers(layers)
    assert tree == merge_layers(layers)
    expected = {}

    def walk(node, path):
        for key, value in node.items():
            if isinstance(value, dict) and value:
                walk(value, (*path, key))
            else:
                expected[(*path, key)] = value

    walk(tree, ())
    assert {leaf.path: leaf.value for leaf in leaves} == expected
    assert [leaf.path for leaf in leaves] == sorted(expected)
    for leaf in leaves:
        if not isinstance(leaf.value, dict):
            setters = [layer.name for layer in layers if _writes(layer.data, leaf.path)]
            assert leaf.origin.layer == setters[-1]
            assert len(leaf.replaced) >= len(setters) - 1


def _writes(tree, path) -> bool:
    """Whether a layer's tree has a non-mapping, non-null value at exactly ``path``."""
    for key in path:
        if not isinstance(tree, dict) or key not in tree:
            return False
        tree = tree[key]
    return tree is not None and not isinstance(tree, dict)


@given(st.lists(TREES, max_size=4))
def test_deleted_paths_are_exactly_the_nulls_whose_key_is_absent(trees):
    layers = layers_of(*trees)
    tree = merge_layers(layers)
    for deletion in deleted_paths(layers):
        assert any(_has_null(layer.data, deletion.path) for layer in layers)
        try:
            parent = at(tree, deletion.path[:-1])
        except KeyError:
            continue
        assert deletion.path[-1] not in parent


def _has_null(tree, path) -> bool:
    for key in path:
        if not isinstance(tree, dict) or key not in tree:
            return False
        tree = tree[key]
    return tree is None


# --- rendering ----------------------------------------------------------------------------------

PLAIN = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=20))
DOCUMENTS = st.recursive(PLAIN, lambda children: st.one_of(
    st.lists(children, max_size=3), st.dictionaries(st.text(max_size=8), children, max_size=3)), max_leaves=10)


@given(DOCUMENTS)
def test_rendered_yaml_reads_back_as_the_same_value(value):
    text = render_yaml(value)
    assert yaml.safe_load(text) == value
    assert render_yaml(copy.deepcopy(value)) == text


def test_rendered_yaml_keeps_merge_order_and_unicode_and_does_not_fold():
    long_text = "word " * 60
    value = merge({"c": {"zeta": 1, "alpha": "café"}}, {"c": {"mid": [1, {"k": long_text}], "empty": {}}})["c"]
    assert render_yaml(value) == (
        "zeta: 1\nalpha: café\nmid:\n- 1\n- k: '" + long_text + "'\nempty: {}\n")


def test_lines_from_load_yaml_rerooted_point_at_the_override():
    from agentpack.adapters.yamlio import load_yaml

    package_text = "settings:\n  escalation:\n    threshold: 100\n    channel: email\n"
    local_text = "# local tweaks\nconfig:\n  settings:\n    escalation:\n      threshold: 500\n      channel: null\n"
    package_data, package_lines = load_yaml(package_text, source="package.yaml")
    local_data, local_lines = load_yaml(local_text, source="packages/p.local.yaml")
    rerooted = {path[1:]: line for path, line in local_lines.items() if path[:1] == ("config",)}
    layers = [Layer("package", "package.yaml", package_data, package_lines),
              Layer("local", "packages/p.local.yaml", local_data["config"], rerooted)]
    tree, (leaf,) = explain_layers(layers)
    assert tree == {"settings": {"escalation": {"threshold": 500}}}
    assert leaf.origin == Origin("local", "packages/p.local.yaml", 5)
    assert leaf.replaced == ((100, Origin("package", "package.yaml", 3)),)
    (deletion,) = deleted_paths(layers)
    assert deletion.origin.line == 6
    assert deletion.removed == ((("settings", "escalation", "channel"), "email", Origin("package", "package.yaml", 4)),)


def test_importing_the_module_does_not_import_yaml():
    import subprocess
    import sys

    code = "import sys, agentpack.core.config_merge; print('yaml' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "False\n"
