import pytest

from agentpack.core.spec import PackageSpec, looks_like_archive_path, parse_dependency, parse_spec
from agentpack.core.versions import Version
from agentpack.errors import InvalidName, InvalidRange, InvalidSpec


@pytest.mark.parametrize(
    ("text", "name", "range_text"),
    [
        ("core-workflow@^2.0.0", "core-workflow", "^2.0.0"),
        ("communication-patterns@^1.5.0", "communication-patterns", "^1.5.0"),
        ("customer-service", "customer-service", "*"),
        ("customer-service@1.2.0", "customer-service", "1.2.0"),
        ("team/x@^1", "team/x", "^1"),
        ("team/x", "team/x", "*"),
        ("  padded@~1.2  ", "padded", "~1.2"),
        ("spaced @ >=1.0", "spaced", ">=1.0"),
        ("any@*", "any", "*"),
    ],
)
def test_parse_dependency(text, name, range_text):
    assert parse_dependency(text) == (name, range_text)


@pytest.mark.parametrize(
    ("text", "error", "words"),
    [
        ("", InvalidSpec, "empty"),
        ("   ", InvalidSpec, "empty"),
        ("name@", InvalidSpec, "nothing after '@'"),
        ("@team/x@^1", InvalidSpec, "leading '@'"),
        ("name==1.2.0", InvalidSpec, "with '@'"),
        ("name>=1.2", InvalidSpec, "with '@'"),
        ("Name@^1.0.0", InvalidName, "uppercase"),
        ("bad_name", InvalidName, "'bad-name'"),
        ("a/b/c@1.0.0", InvalidName, "namespace"),
        ("name@not-a-range!", InvalidRange, ""),
        (42, InvalidSpec, "not int"),
        (None, InvalidSpec, "not NoneType"),
    ],
)
def test_parse_dependency_errors(text, error, words):
    with pytest.raises(error) as caught:
        parse_dependency(text)
    assert words in caught.value.message


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("name==1.2.0", "'name@1.2.0'"),
        ("name>=1.2", "'name@>=1.2'"),
        ("name~=1.2", "'name@~=1.2'"),
        ("@team/x", "'team/x'"),
        ("name@", "'name@^1.0.0'"),
    ],
)
def test_spec_errors_hint_at_the_right_spelling(text, hint):
    with pytest.raises(InvalidSpec) as caught:
        parse_spec(text)
    assert hint in caught.value.hint


def test_parse_spec_returns_a_parsed_range():
    spec = parse_spec("customer-service@^1.2")
    assert spec == PackageSpec("customer-service", "^1.2", spec.range)
    assert spec.range.allows(Version.parse("1.9.0"))
    assert not spec.range.allows(Version.parse("2.0.0"))
    assert str(spec) == "customer-service@^1.2"


def test_parse_spec_exact_version_and_bare_name():
    exact = parse_spec("customer-service@1.2.0")
    assert exact.range.allows(Version.parse("1.2.0"))
    assert not exact.range.allows(Version.parse("1.2.1"))
    bare = parse_spec("customer-service")
    assert bare.range_text == "*"
    assert str(bare) == "customer-service"


def test_spec_is_frozen():
    spec = parse_spec("x@^1.0.0")
    with pytest.raises(AttributeError):
        spec.name = "y"  # type: ignore[misc]


@pytest.mark.parametrize("text", ["./dist/x-1.0.0.tar.gz", "x-1.0.0.tgz", "../x.tar.gz", "/abs/x.tar.gz"])
def test_parse_spec_refuses_paths(text):
    with pytest.raises(InvalidSpec) as caught:
        parse_spec(text)
    assert "is a path" in caught.value.message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("customer-service-1.2.0.tar.gz", True),
        ("x.tgz", True),
        ("./pkg", True),
        ("../pkg", True),
        ("/tmp/pkg", True),
        ("~/pkgs/x.tar.gz", True),
        ("~", True),
        ("customer-service", False),
        ("customer-service@1.2.0", False),
        ("team/x@^1", False),
        ("x.tar", False),
        ("x.gz", False),
    ],
)
def test_looks_like_archive_path(text, expected):
    assert looks_like_archive_path(text) is expected


def test_latest_means_the_highest_release():
    from agentpack.core.spec import parse_spec

    spec = parse_spec("customer-service@latest")
    assert (spec.name, spec.range_text, spec.latest, str(spec)) == ("customer-service", "*", True,
                                                                    "customer-service@latest")
    assert parse_spec("team/x@latest").name == "team/x"
    assert not parse_spec("customer-service@^1").latest


def test_a_range_no_version_can_satisfy_is_refused():
    from agentpack.core.spec import parse_spec
    from agentpack.errors import InvalidRange

    with pytest.raises(InvalidRange) as caught:
        parse_spec("nope@>=3 <1")
    assert "no version can satisfy >=3 <1" in caught.value.message
