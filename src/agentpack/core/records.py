"""``@dataclass`` made cheap to apply: the subset of ``dataclasses`` this project uses.

A class it decorates (a record, below) is declared by its annotated fields. Why not
``dataclasses`` itself: on Python 3.11, ``@dataclass`` compiles every method it generates
with an ``exec`` of its own (0.3 to 0.5 ms a class, frozen ones the most), and importing it imports
``inspect`` with ``ast``, ``dis`` and ``tokenize`` (about 5 ms). A first install defines some thirty
such classes before it does any work, which made class creation a sixth of its run. Here only
``__init__`` is compiled, once per class; equality, hashing, ``repr`` and frozenness are closures
over the class's field names, built without compiling anything.

Type checkers and linters see ``dataclasses`` itself (the ``TYPE_CHECKING`` branch below), so a
record is checked exactly like a dataclass. What is kept, with the meaning ``dataclasses`` gives
it: ``frozen``, ``slots``, defaults, ``field(default=, default_factory=, init=, repr=, compare=)``,
``__post_init__``, ``replace`` and ``fields``, and the fields of record bases; a method the class
defines itself (``__init__``, ``__repr__``, ``__eq__``, ``__hash__``) is kept, as ``dataclasses``
keeps it.
"""

from __future__ import annotations

from operator import attrgetter

from agentpack.core.type_names import TYPE_CHECKING

if TYPE_CHECKING:
    from dataclasses import FrozenInstanceError, dataclass, field, fields, replace
else:
    __all__ = ["FrozenInstanceError", "dataclass", "field", "fields", "replace"]

    _MISSING = object()

    class FrozenInstanceError(AttributeError):
        """A field of a frozen record was assigned or deleted."""

    class Field:
        """One declared field: its name, its default (or the factory that makes it) and its roles."""

        __slots__ = ("compare", "default", "default_factory", "init", "name", "repr")

        def __init__(self, default=_MISSING, default_factory=_MISSING, init=True, repr=True, compare=True):
            self.name = ""
            self.default = default
            self.default_factory = default_factory
            self.init = init
            self.repr = repr
            self.compare = compare

        def __repr__(self) -> str:
            return f"Field(name={self.name!r})"

    def field(*, default=_MISSING, default_factory=_MISSING, init=True, repr=True, compare=True):
        """Declare a field with more than a plain default (as ``dataclasses.field``)."""
        if default is not _MISSING and default_factory is not _MISSING:
            raise ValueError("cannot specify both default and default_factory")
        return Field(default, default_factory, init, repr, compare)

    def fields(record_or_class) -> tuple:
        """The fields of a record (or record class), in declaration order."""
        try:
            return record_or_class.__record_fields__
        except AttributeError:
            raise TypeError("must be called with a record type or instance") from None

    def replace(obj, /, **changes):
        """A copy of ``obj`` with ``changes`` applied, made through ``__init__`` (and
        ``__post_init__``), as ``dataclasses.replace``."""
        for spec in fields(obj):
            if not spec.init:
                if spec.name in changes:
                    raise ValueError(f"field {spec.name} is declared with init=False, it cannot be "
                                     "specified with replace()")
            elif spec.name not in changes:
                changes[spec.name] = getattr(obj, spec.name)
        return obj.__class__(**changes)

    def dataclass(cls=None, /, *, frozen=False, slots=False):
        """Make ``cls`` a record: ``__init__``, ``__repr__`` and ``__eq__`` from its annotated
        fields; hashable (by its compared fields) and immutable when ``frozen``; without a
        ``__dict__`` when ``slots``. Usable bare (``@dataclass``) or with arguments."""
        def wrap(cls):
            return _make_record(cls, frozen, slots)
        return wrap if cls is None else wrap(cls)

    def _make_record(cls, frozen: bool, slots: bool):
        specs = _declared_fields(cls)
        own = cls.__dict__
        cls.__record_fields__ = specs
        cls.__match_args__ = tuple(spec.name for spec in specs if spec.init)
        if "__init__" not in own:
            cls.__init__ = _init_for(cls, specs, frozen)
        if "__repr__" not in own:
            cls.__repr__ = _repr_for(tuple(spec.name for spec in specs if spec.repr))
        key = _key_for(tuple(spec.name for spec in specs if spec.compare))
        explicit_hash = own.get("__hash__", _MISSING) is not _MISSING and not (
            own["__hash__"] is None and "__eq__" in own)
        if "__eq__" not in own:
            cls.__eq__ = _eq_for(key)
        if not explicit_hash:
            cls.__hash__ = _hash_for(key) if frozen else None
        if frozen:
            if "__setattr__" in own or "__delattr__" in own:
                raise TypeError(f"cannot overwrite __setattr__ or __delattr__ in frozen record {cls.__name__}")
            cls.__setattr__ = _refuse_assignment
            cls.__delattr__ = _refuse_deletion
        return _with_slots(cls, specs, frozen) if slots else cls

    def _declared_fields(cls) -> tuple:
        """The fields of the record classes ``cls`` derives from, then its own annotations (one it
        declares again keeps its place), each a ``Field`` with its name set; class attributes left
        as ``dataclasses`` leaves them (the default, or nothing for a factory)."""
        inherited = {}
        for base in reversed(cls.__mro__[1:]):
            inherited.update((spec.name, spec) for spec in base.__dict__.get("__record_fields__", ()))
        own = {}
        for name, annotation in cls.__dict__.get("__annotations__", {}).items():
            if isinstance(annotation, str) and annotation.startswith(("ClassVar", "typing.ClassVar")):
                continue
            value = cls.__dict__.get(name, _MISSING)
            if isinstance(value, Field):
                spec = value
                if spec.default is _MISSING:
                    delattr(cls, name)
                else:
                    setattr(cls, name, spec.default)
            else:
                spec = Field(value)
            spec.name = name
            if spec.default is not _MISSING and type(spec.default).__hash__ is None:
                raise ValueError(f"mutable default {type(spec.default)} for field {name} is not allowed: "
                                 "use default_factory")
            own[name] = spec
        specs = tuple({**inherited, **own}.values())
        has_default = False
        for spec in specs:
            if spec.init:
                defaulted = spec.default is not _MISSING or spec.default_factory is not _MISSING
                if has_default and not defaulted:
                    raise TypeError(f"non-default argument {spec.name!r} follows default argument")
                has_default |= defaulted
        return specs

    def _init_for(cls, specs: tuple, frozen: bool):
        """Compile ``__init__`` (the one generated method: a generic one would cost every instance
        several times more)."""
        scope = {"_record_missing_": _MISSING, "_record_set_": object.__setattr__}
        params, body = [], []
        for spec in specs:
            name = spec.name
            if spec.default is not _MISSING:
                scope[f"_record_default_{name}"] = spec.default
                value = f"_record_default_{name}"
                if spec.init:
                    params.append(f"{name}=_record_default_{name}")
                    value = name
            elif spec.default_factory is not _MISSING:
                scope[f"_record_factory_{name}"] = spec.default_factory
                value = f"_record_factory_{name}()"
                if spec.init:
                    params.append(f"{name}=_record_missing_")
                    value = f"{value} if {name} is _record_missing_ else {name}"
            elif spec.init:
                params.append(name)
                value = name
            else:
                continue  # init=False without a default: left unset, as dataclasses leaves it
            body.append(f"_record_set_(self, {name!r}, {value})" if frozen else f"self.{name} = {value}")
        if hasattr(cls, "__post_init__"):
            body.append("self.__post_init__()")
        source = f"def __init__(self, {', '.join(params)}):\n    " + "\n    ".join(body or ["pass"])
        exec(source, scope)  # noqa: S102 - the source is built above from identifiers only
        init = scope["__init__"]
        init.__qualname__ = f"{cls.__qualname__}.__init__"
        init.__module__ = cls.__module__
        return init

    def _key_for(names: tuple):
        if not names:
            return lambda _: ()
        return attrgetter(*names)

    def _eq_for(key):
        def __eq__(self, other):
            if other.__class__ is self.__class__:
                return key(self) == key(other)
            return NotImplemented
        return __eq__

    def _hash_for(key):
        def __hash__(self):
            return hash(key(self))
        return __hash__

    def _repr_for(names: tuple):
        def __repr__(self):
            shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in names)
            return f"{self.__class__.__qualname__}({shown})"
        return __repr__

    def _refuse_assignment(self, name, value):
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def _refuse_deletion(self, name):
        raise FrozenInstanceError(f"cannot delete field {name!r}")

    def _with_slots(cls, specs: tuple, frozen: bool):
        """The same class made again with ``__slots__`` (a class's slots are fixed when it is made)."""
        names = tuple(spec.name for spec in specs)
        slotted = {name for base in cls.__mro__[1:] for name in base.__dict__.get("__slots__", ())}
        namespace = {key: value for key, value in cls.__dict__.items()
                     if key not in names and key not in ("__dict__", "__weakref__")}
        namespace["__slots__"] = tuple(name for name in names if name not in slotted)
        if frozen:  # pickle and copy restore a slotted object through setattr, which frozen refuses
            namespace["__getstate__"] = _slots_state
            namespace["__setstate__"] = _restore_slots
        remade = type(cls)(cls.__name__, cls.__bases__, namespace)
        remade.__qualname__ = cls.__qualname__
        return remade

    def _slots_state(self):
        return [getattr(self, name) for name in self.__slots__]

    def _restore_slots(self, state):
        for name, value in zip(self.__slots__, state, strict=True):
            object.__setattr__(self, name, value)
