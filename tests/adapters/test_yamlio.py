import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentpack.adapters.yamlio import dump_yaml, load_yaml
from agentpack.errors import YamlError


@pytest.fixture(params=["c-loader", "python-loader"])
def loader(request, monkeypatch):
    """Run each test with libyaml's loader and with the pure-Python fallback."""
    if request.param == "c-loader":
        if not getattr(yaml, "CSafeLoader", None):
            pytest.skip("libyaml is not available")
    else:
        monkeypatch.setattr(yaml, "CSafeLoader", None, raising=False)
    return request.param


def billion_laughs(levels: int = 9) -> str:
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, levels + 1):
        refs = ", ".join([f"*l{level - 1}"] * 10)
        lines.append(f"l{level}: &l{level} [{refs}]")
    return "\n".join(lines) + "\n"


def test_loads_data_and_maps_every_key_to_its_line(loader):
    text = "name: x\nversion: 1.0.0\n\nagents:\n  - agents/a.md\n  - agents/b.md\nconfig:\n  defaults: config/d.yaml\n"
    data, lines = load_yaml(text, source="package.yaml")
    assert data["agents"] == ["agents/a.md", "agents/b.md"]
    assert lines == {
        (): 1,
        ("name",): 1,
        ("version",): 2,
        ("agents",): 4,
        ("agents", 0): 5,
        ("agents", 1): 6,
        ("config",): 7,
        ("config", "defaults"): 8,
    }


def test_line_map_uses_constructed_keys(loader):
    data, lines = load_yaml("on:\n  push: {}\n12: twelve\n'12': quoted\n", source="x.yaml")
    assert data == {True: {"push": {}}, 12: "twelve", "12": "quoted"}
    assert lines[(True,)] == 1 and lines[(True, "push")] == 2
    assert lines[(12,)] == 3 and lines[("12",)] == 4


def test_merge_keys_and_aliases_still_load(loader):
    text = "base: &b {a: 1}\nchild:\n  <<: *b\n  c: 2\nlist: [*b, *b]\n"
    data, lines = load_yaml(text, source="x.yaml")
    assert data["child"] == {"a": 1, "c": 2}
    assert data["list"] == [{"a": 1}, {"a": 1}]
    assert lines[("child", "c")] == 4


@pytest.mark.parametrize("text", ["", "# only a comment\n", "---\n"])
def test_empty_documents(loader, text):
    assert load_yaml(text, source="x.yaml")[0] is None


def test_billion_laughs_fails_fast(loader):
    with pytest.raises(YamlError) as caught:
        load_yaml(billion_laughs(), source="bomb.yaml")
    assert "100,000 nodes" in caught.value.message
    assert caught.value.path == "bomb.yaml"


def test_alias_expansion_is_counted_against_max_nodes(loader):
    text = billion_laughs(levels=2)  # about 1,100 nodes once the aliases are expanded
    load_yaml(text, source="x.yaml")
    with pytest.raises(YamlError):
        load_yaml(text, source="x.yaml", max_nodes=500)


def test_recursive_alias_is_refused(loader):
    with pytest.raises(YamlError) as caught:
        load_yaml("a: &a [1, *a]\n", source="x.yaml")
    assert "recursive" in caught.value.message


def test_deep_nesting_is_an_error_not_a_crash(loader):
    with pytest.raises(YamlError):
        load_yaml("[" * 50_000 + "]" * 50_000, source="deep.yaml")


@pytest.mark.parametrize("as_bytes", [True, False])
def test_oversize_documents_are_refused_before_parsing(as_bytes):
    text = "a: " + "x" * 2_000_000 + "\n"
    with pytest.raises(YamlError) as caught:
        load_yaml(text.encode() if as_bytes else text, source="big.yaml")
    assert "at most 1,048,576" in caught.value.message
    with pytest.raises(YamlError):
        load_yaml("a: " + "é" * 40, source="x.yaml", max_bytes=60)  # 83 bytes, 43 characters
    assert load_yaml("a: b\n", source="x.yaml", max_bytes=5)[0] == {"a": "b"}


def test_non_utf8_bytes_are_refused_with_the_line():
    with pytest.raises(YamlError) as caught:
        load_yaml(b"name: x\ndescription: caf\xe9\n", source="package.yaml")
    error = caught.value
    assert "not UTF-8" in error.message and "0xe9" in error.message
    assert (error.path, error.line) == ("package.yaml", 2)


def test_bom_is_tolerated(loader):
    assert load_yaml("\ufeffname: x\n".encode(), source="x.yaml")[0] == {"name": "x"}


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("name: x\nversion: [1\nother: 2\n", 3, "flow sequence"),
        ("name: x\ndescription: Triggers on: 'x'\n", 2, "mapping values"),
        ("a: 1\nglobs: **/*\n", 2, "alias"),
        ("a: 1\n---\nb: 2\n", 2, "single document"),
        ("a: 1\n\tb: 2\n", 2, ""),
        ("x: !!python/object/apply:os.system ['true']\n", 1, "constructor"),
        ("x: !custom 1\n", 1, "constructor"),
    ],
)
def test_syntax_errors_carry_source_and_line(loader, text, line, words):
    with pytest.raises(YamlError) as caught:
        load_yaml(text, source="package.yaml")
    error = caught.value
    assert error.path == "package.yaml"
    assert error.line == line
    assert words in error.message


def test_errors_give_hints_for_common_mistakes():
    with pytest.raises(YamlError) as caught:
        load_yaml("globs: **/*\n", source="x")
    assert '"**/*"' in caught.value.hint
    with pytest.raises(YamlError) as caught:
        load_yaml("a: 1\n---\nb: 2\n", source="x")
    assert "one YAML document" in caught.value.hint


def test_dump_yaml_keeps_order_and_unicode():
    data = {
        "name": "x",
        "version": "1.0.0",
        "description": "Café — naïve",
        "agents": ["a.md"],
        "z": {"b": 1, "a": 2},
    }
    text = dump_yaml(data)
    assert text.splitlines()[0] == "name: x"
    assert "Café — naïve" in text
    assert text.index("z:") > text.index("agents:")
    assert load_yaml(text, source="x")[0] == data


def test_dump_yaml_quotes_what_must_be_quoted():
    data = {"version": "1.0", "flag": "yes", "glob": "**/*", "colon": "a: b"}
    assert load_yaml(dump_yaml(data), source="x")[0] == data


@pytest.mark.parametrize(
    ("text", "line"),
    [("a: 1\nb: \x07\n", 2), ("a: \x00\n", 1), ("a: \ud800\n", None)],
)
def test_characters_yaml_forbids_are_yaml_errors(loader, text, line):
    with pytest.raises(YamlError) as caught:
        load_yaml(text, source="x.yaml")
    if line is not None:
        assert caught.value.line == line


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(alphabet=st.sampled_from(list("ab:-[]{}&*!|>'\"#\n ?,%@`\t\x07é")), max_size=60))
def test_arbitrary_text_only_ever_raises_yaml_error(loader, text):
    try:
        data, lines = load_yaml(text, source="junk.yaml")
    except YamlError as error:
        assert error.path == "junk.yaml"
    else:
        assert all(isinstance(line, int) and line >= 1 for line in lines.values())


# -- plain data only: tags, mistyped scalars, numbers, duplicate keys, depth ----------------------


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("!!float x", "not a valid float"),
        ("!!int x", "not a valid int"),
        ("!!int 1.5", "not a valid int"),
        ("!!int ''", "not a valid int"),
        ("!!bool maybe", "not a valid bool"),
        ("!!binary aGVsbG8=", "!!binary is not supported"),
        ("!!set {a}", "!!set is not supported"),
        ("!!omap [a: 1]", "!!omap is not supported"),
        ("!!pairs [a: 1]", "!!pairs is not supported"),
        ("!!map x", "expected a mapping node"),
        ("!!str {a: 1}", "expected a scalar node"),
        ("!custom x", "could not determine a constructor"),
        ("!!python/name:os.system ''", "could not determine a constructor"),
        ("123456789012345678901", "more than 20 digits"),
        ("-0x" + "f" * 30, "more than 20 digits"),
        ("9" * 5000, "more than 20 digits"),
        ("1:2:3:4:5:6:7:8:9:10:11:12:13:14", "more than 20 digits"),
        (".nan", "not a finite number"),
        ("-.inf", "not a finite number"),
        ("1.0e+999", "not a finite number"),
    ],
)
def test_tags_and_mistyped_scalars_are_errors_with_line_and_column(loader, value, words):
    with pytest.raises(YamlError) as caught:
        load_yaml(f"name: x\nvalue: {value}\n", source="agentops.yaml")
    error = caught.value
    assert (error.path, error.line) == ("agentops.yaml", 2)
    assert words in error.message and "(column 8)" in error.message


@pytest.mark.parametrize("value", ["!!timestamp 2020-13-45", "!!timestamp x", "2024-05-01", "2024-05-01 10:00:00",
                                   "2001-12-14t21:59:43.10-05:00"])
def test_timestamps_are_read_as_the_text_written(loader, value):
    data, _ = load_yaml(f"when: {value}\n", source="x.yaml")
    assert data == {"when": value.removeprefix("!!timestamp ")}


def test_standard_tags_on_fitting_values_still_work(loader):
    data, _ = load_yaml("a: !!int '12'\nb: !!float 1\nc: !!str 3\nd: !!bool yes\ne: !!null ~\nf: 0x1f\n",
                        source="x.yaml")
    assert data == {"a": 12, "b": 1.0, "c": "3", "d": True, "e": None, "f": 31}


@pytest.mark.parametrize(("text", "line", "column"), [
    ("a: 1\nb: 2\na: 3\n", 3, 1),
    ("top:\n  x: 1\n  x: 1\n", 3, 3),
    ("{a: 1, a: 2}\n", 1, 8),
    ("1: a\n1.0: b\n", 2, 1),
])
def test_duplicate_keys_are_refused(loader, text, line, column):
    with pytest.raises(YamlError) as caught:
        load_yaml(text, source="x.yaml")
    assert "appears twice" in caught.value.message and caught.value.line == line
    assert f"(column {column})" in caught.value.message


def test_merge_keys_may_be_overridden(loader):
    data, _ = load_yaml("base: &b {a: 1, c: 2}\nuse:\n  <<: *b\n  a: 3\n", source="x.yaml")
    assert data["use"] == {"a": 3, "c": 2}


def test_nesting_is_limited_with_the_line(loader):
    from agentpack.core.limits import MAX_YAML_DEPTH

    fits = "[" * MAX_YAML_DEPTH + "]" * MAX_YAML_DEPTH
    assert load_yaml(fits, source="x.yaml")[0] is not None
    deep = "a:\n" + "".join("  " * i + "- \n" for i in range(1, 3)) + "b: " + "[" * (MAX_YAML_DEPTH + 1) + "]" * (
        MAX_YAML_DEPTH + 1) + "\n"
    with pytest.raises(YamlError) as caught:
        load_yaml(deep, source="x.yaml")
    assert "levels deep" in caught.value.message and caught.value.line == 4


@pytest.mark.parametrize("text", ['a: "\\ud800"\n', '"\\udfff": 1\n', 'a: ["x", "\\ud83d"]\n'])
def test_unpaired_surrogate_escapes_are_refused(loader, text):
    with pytest.raises(YamlError) as caught:
        load_yaml(text, source="x.yaml")
    assert caught.value.line == 1 and "(column" in caught.value.message
    assert load_yaml('a: "\\U0001F600"\n', source="x.yaml")[0] == {"a": "\U0001F600"}


def test_numbers_out_of_bounds_hint_at_quoting():
    with pytest.raises(YamlError) as caught:
        load_yaml("id: 123456789012345678901234\n", source="x.yaml")
    assert "quote" in caught.value.hint
    assert load_yaml('id: "123456789012345678901234"\n', source="x.yaml")[0] == {"id": "123456789012345678901234"}


# -- build=False: the same judgement, only the root's type built ----------------------------------


def _judged(text: str, build: bool):
    try:
        data, lines = load_yaml(text, source="x.yaml", build=build)
    except YamlError as error:
        return "error", error.message, error.line
    if build:
        data = {} if isinstance(data, dict) else [] if isinstance(data, list) else data
        lines = {}
    return "ok", data, lines


@settings(max_examples=400, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pieces=st.lists(st.sampled_from(
    [*"ab:-[]{}&*!|>'\"#\n ?,%@`\t1.", "!!int ", "!!str ", "!!map ", "!!set ", "<<: ", "*a", "&a ", "~",
     "yes", ".nan", "1e999", "\n  - ", "\nb: "]), max_size=30))
def test_checking_without_building_judges_exactly_as_building(loader, pieces):
    text = "".join(pieces)
    assert _judged(text, build=False) == _judged(text, build=True)


@pytest.mark.parametrize("text", [
    "name: x\nvalue: !!int 1.5\n", "a: 1\na: 2\n", "? [a]\n: 1\n", "<<: {a: 1}\nb: 2\n", "<<: 3\n",
    "a: &x {b: 1}\nc: *x\n", "!!set {a}\n", "- !custom x\n", "1: a\n'1': b\n", "yes: 1\ntrue: 2\n",
    "description: Use when: asked\n", "- a\n- b\n", "just text\n", "", "a: .inf\n",
])
def test_checking_without_building_on_known_cases(loader, text):
    assert _judged(text, build=False) == _judged(text, build=True)


def _constructed_by_pyyaml(text: str):
    """What PyYAML's own construction gives after the same walk (the reference for the direct build)."""
    from agentpack.adapters import yamlio

    loader = yamlio._plain_data_loader(getattr(yaml, "CSafeLoader", None) or yaml.SafeLoader)(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        yamlio._walk(node, loader, source="x.yaml", max_nodes=100_000, max_depth=64)
        return loader.construct_document(node)
    finally:
        loader.dispose()


@settings(max_examples=400, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pieces=st.lists(st.sampled_from(
    [*"ab:-[]{}&*!|>'\\"#\\n ?,%@`\\t1.", "!!int ", "!!str ", "<<: ", "*a", "&a ", "~", "yes", "12", "0x1f",
     "2001-01-01", "\\n  - ", "\\nb: ", "\\n  c: ", "\\n- "]), max_size=30))
def test_the_data_built_directly_is_what_pyyaml_constructs(loader, pieces):
    text = "".join(pieces)
    try:
        data, _lines = load_yaml(text, source="x.yaml")
    except YamlError:
        return  # judged alike: see test_checking_without_building_judges_exactly_as_building
    assert repr(data) == repr(_constructed_by_pyyaml(text))


def test_an_alias_gives_the_same_object_as_pyyaml_does(loader):
    data, _lines = load_yaml("a: &x {b: [1, c]}\nd: *x\ne: [*x, 2]\n", source="x.yaml")
    assert data == {"a": {"b": [1, "c"]}, "d": {"b": [1, "c"]}, "e": [{"b": [1, "c"]}, 2]}
    assert data["a"] is data["d"] is data["e"][0]
