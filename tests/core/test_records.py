"""agentpack.core.records behaves as the standard library's dataclasses for the subset it keeps.

Each check declares the same class twice, once with ``dataclasses`` and once with ours, and
compares what users of the class see: construction, repr, equality, hashing, frozenness, slots,
pickling, ``replace`` and ``fields``.
"""

from __future__ import annotations

import copy
import dataclasses
import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agentpack.core import records


def declare(module, *, frozen=False, slots=False, fields=(), body=None, name="Thing"):
    """A class named ``name`` with ``fields`` (name, default spec) made by ``module``'s dataclass.

    A default spec is None (required), ("value", v), ("factory", f) or ("field", kwargs)."""
    namespace = {"__annotations__": {}, "__qualname__": name, "__module__": __name__, **(body or {})}
    for field_name, spec in fields:
        namespace["__annotations__"][field_name] = "object"
        if spec is None:
            continue
        kind, value = spec
        if kind == "value":
            namespace[field_name] = value
        elif kind == "factory":
            namespace[field_name] = module.field(default_factory=value)
        else:
            namespace[field_name] = module.field(**value)
    return module.dataclass(frozen=frozen, slots=slots)(type(name, (), namespace))


def both(**kwargs):
    return declare(dataclasses, **kwargs), declare(records, **kwargs)


SHAPE = {"fields": [("name", None), ("version", ("value", "1.0.0")), ("tags", ("factory", list)),
                    ("note", ("field", {"default": "", "repr": False, "compare": False}))]}


@pytest.mark.parametrize("frozen", [False, True])
@pytest.mark.parametrize("slots", [False, True])
def test_construction_repr_and_equality_match_dataclasses(frozen, slots):
    theirs, ours = both(frozen=frozen, slots=slots, **SHAPE)
    for args, kwargs in [(("a",), {}), (("a", "2.0"), {"tags": ["x"]}), ((), {"name": "b", "note": "n"})]:
        expected, actual = theirs(*args, **kwargs), ours(*args, **kwargs)
        assert repr(actual) == repr(expected)
        assert actual == ours(*args, **kwargs)
        assert [getattr(actual, f.name) for f in records.fields(ours)] == \
            [getattr(expected, f.name) for f in dataclasses.fields(theirs)]
    assert ours("a", note="one") == ours("a", note="two")  # compare=False
    assert ours("a") != ours("b")
    assert ours("a").__eq__(theirs("a")) is NotImplemented
    assert ours("a").tags is not ours("a").tags  # a fresh default from the factory each time
    assert ours.__match_args__ == theirs.__match_args__
    with pytest.raises(TypeError, match=r"Thing\.__init__\(\) missing 1 required positional argument: 'name'"):
        ours()
    with pytest.raises(TypeError, match="unexpected keyword argument 'nope'"):
        ours("a", nope=1)


# pickle finds a class by its module and name
Frozen = declare(records, frozen=True, fields=[("a", None), ("b", ("value", ()))], name="Frozen")
FrozenSlots = declare(records, frozen=True, slots=True, fields=[("a", None), ("b", ("value", ()))],
                      name="FrozenSlots")


def test_frozen_records_are_hashable_immutable_and_picklable():
    for slots, ours in ((False, Frozen), (True, FrozenSlots)):
        theirs = declare(dataclasses, frozen=True, slots=slots, fields=[("a", None), ("b", ("value", ()))])
        thing = ours(1, (2, 3))
        assert hash(thing) == hash(ours(1, (2, 3)))
        assert {thing, ours(1, (2, 3)), ours(2)} == {ours(1, (2, 3)), ours(2)}
        for action, args in ((setattr, ("a", 5)), (delattr, ("a",)), (setattr, ("other", 5))):
            with pytest.raises(records.FrozenInstanceError):
                action(thing, *args)
        assert isinstance(records.FrozenInstanceError("x"), AttributeError)
        assert thing.a == 1
        assert pickle.loads(pickle.dumps(thing)) == thing
        assert copy.deepcopy(thing) == thing and copy.copy(thing) == thing
        assert hasattr(thing, "__dict__") == hasattr(theirs(1), "__dict__") == (not slots)


def test_mutable_records_are_unhashable_and_assignable():
    theirs, ours = both(fields=[("a", None)])
    thing = ours(1)
    thing.a = 2
    assert thing == ours(2)
    with pytest.raises(TypeError, match="unhashable"):
        hash(thing)
    assert ours.__hash__ is theirs.__hash__ is None


def test_methods_a_class_defines_are_kept():
    body = {"__hash__": lambda self: 42, "__repr__": lambda self: "mine", "__str__": lambda self: "s"}
    ours = declare(records, frozen=True, fields=[("a", None), ("d", ("factory", dict))], body=body)
    thing = ours(1, {"x": 1})  # the generated hash would fail on the dict
    assert (hash(thing), repr(thing), str(thing)) == (42, "mine", "s")


def test_post_init_runs_after_fields_are_set_and_on_replace():
    seen = []

    def check(self):
        seen.append(self.a)
        if self.a < 0:
            raise ValueError("negative")

    ours = declare(records, frozen=True, fields=[("a", None), ("b", ("value", 0))], body={"__post_init__": check})
    thing = ours(1)
    assert records.replace(thing, b=2) == ours(1, 2)
    with pytest.raises(ValueError, match="negative"):
        records.replace(thing, a=-1)
    assert seen == [1, 1, 1, -1]


def test_init_false_fields_take_their_default_and_cannot_be_replaced():
    theirs, ours = both(fields=[("a", None), ("cached", ("field", {"default": False, "init": False}))])
    thing = ours(1)
    assert thing.cached is theirs(1).cached is False
    with pytest.raises(TypeError):
        ours(1, True)
    with pytest.raises(ValueError, match="init=False"):
        records.replace(thing, cached=True)
    assert records.replace(thing, a=2) == ours(2)


def test_declaration_mistakes_are_refused_as_dataclasses_refuses_them():
    for module in (dataclasses, records):
        with pytest.raises(ValueError, match="mutable default"):
            declare(module, fields=[("a", ("value", []))])
        with pytest.raises(TypeError, match="non-default argument 'b' follows default argument"):
            declare(module, fields=[("a", ("value", 1)), ("b", None)])
        with pytest.raises(ValueError, match="cannot specify both default and default_factory"):
            module.field(default=1, default_factory=list)
        with pytest.raises(TypeError):
            module.fields(object())


def test_class_attributes_are_left_as_dataclasses_leaves_them():
    theirs, ours = both(**SHAPE)
    for name in ("name", "version", "tags", "note"):
        assert hasattr(ours, name) == hasattr(theirs, name)
        if hasattr(theirs, name):
            assert getattr(ours, name) == getattr(theirs, name)


def test_a_subclass_has_its_bases_fields_first_as_with_dataclasses():
    for frozen, slots in ((False, False), (True, False), (True, True)):
        shapes = []
        for module in (dataclasses, records):
            base = declare(module, frozen=frozen, slots=slots, fields=[("a", None), ("b", ("value", 1))], name="Base")
            namespace = {"__annotations__": {"c": "object", "b": "object"}, "c": 3, "b": 2,
                         "__qualname__": "Child", "__module__": __name__}
            child = module.dataclass(frozen=frozen, slots=slots)(type("Child", (base,), namespace))
            thing = child(0)
            shapes.append((repr(thing), [f.name for f in module.fields(child)], thing == child(0), thing == child(1),
                           child.__match_args__))
        assert shapes[0] == shapes[1]
        assert shapes[1][0] == "Child(a=0, b=2, c=3)"


def hash_of(thing):
    try:
        return hash(thing)
    except TypeError:  # a field holds a list or a dict
        return None


values = st.one_of(st.integers(-3, 3), st.text(max_size=3), st.tuples(st.integers(0, 2)), st.none())
specs = st.one_of(st.none(), st.tuples(st.just("value"), values),
                  st.tuples(st.just("factory"), st.sampled_from([list, dict, tuple])),
                  st.tuples(st.just("field"), st.fixed_dictionaries(
                      {"default": values, "repr": st.booleans(), "compare": st.booleans()})))


@given(st.lists(specs, max_size=5), st.booleans(), st.booleans(), st.data())
def test_any_shape_behaves_as_its_dataclass(field_specs, frozen, slots, data):
    # required fields first, as a declaration must have them
    field_specs = sorted(field_specs, key=lambda spec: spec is not None)
    shape = {"fields": [(f"f{i}", spec) for i, spec in enumerate(field_specs)], "frozen": frozen, "slots": slots}
    theirs, ours = both(**shape)
    required = sum(spec is None for spec in field_specs)
    rows = data.draw(st.lists(st.lists(values, min_size=len(field_specs), max_size=len(field_specs)),
                              min_size=2, max_size=2))
    made = [(theirs(*row[:required]), ours(*row[:required])) for row in rows]
    made += [(theirs(*row), ours(*row)) for row in rows]
    for expected, actual in made:
        assert repr(actual) == repr(expected)
        for other_expected, other_actual in made:
            assert (actual == other_actual) == (expected == other_expected)
            if frozen and actual == other_actual:
                assert hash_of(actual) == hash_of(other_actual)
                assert (hash_of(actual) is None) == (hash_of(expected) is None)
        assert records.replace(actual) == actual
