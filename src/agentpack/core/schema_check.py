"""A quick verdict for JSON-schema validation: whether a document is valid, without jsonschema.

jsonschema walks every value through its general machinery (a ``$ref`` lookup and a new
validator per item of a list), which costs about a millisecond for a manifest listing 50 agents:
more than the rest of the manifest's checks, on every publish, install from a file and bundle
load. ``compile_schema`` turns a schema into plain Python checks once, for the few keywords the
package schema uses. Its verdict is the one jsonschema's ``Draft202012Validator`` (without a
format checker, as validation runs it) gives, so a caller runs jsonschema only for a document the
checks refuse, to have its errors named; a schema using any keyword not compiled here compiles to
None, and jsonschema is then always run.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from agentpack.core.type_names import Any

Check = Callable[[Any], bool]

# Keywords with no say on validity (``format`` asserts nothing without a format checker).
_ANNOTATIONS = frozenset({"$schema", "$comment", "title", "description", "examples", "default", "deprecated",
                          "readOnly", "writeOnly", "format", "$defs"})
_TYPES = {"string": str, "array": list, "object": dict}
_LOCAL_DEF = "#/$defs/"


class _Unsupported(Exception):
    """The schema uses something these checks do not compile."""


def compile_schema(schema: Any) -> Check | None:
    """A function telling whether an instance is valid under ``schema`` (draft 2020-12), or None
    when the schema uses a keyword, a type or a reference this module does not compile.

    Compiled: ``type`` (string, array, object), ``minLength``, ``maxLength``, ``pattern``, ``enum``
    (of strings),
    ``required``, ``properties``, ``additionalProperties`` (without ``patternProperties``),
    ``items`` (without ``prefixItems``), ``oneOf``, ``$ref`` to ``#/$defs/NAME`` of the root
    (an ``$id`` only at the root), boolean schemas, and the annotations in ``_ANNOTATIONS``.
    """
    if not isinstance(schema, (dict, bool)):
        return None
    defs = schema.get("$defs", {}) if isinstance(schema, dict) else {}
    try:
        return _Compiler(defs).compile(schema, root=True)
    except _Unsupported:
        return None


class _Compiler:
    def __init__(self, defs: Any) -> None:
        if not isinstance(defs, dict):
            raise _Unsupported("$defs")
        self.defs = defs
        self.compiled: dict[str, Check] = {}

    def compile(self, schema: Any, root: bool = False) -> Check:
        if schema is True:
            return _always
        if schema is False:
            return _never
        if not isinstance(schema, dict):
            raise _Unsupported("a schema that is not an object")
        checks = []
        for keyword, value in schema.items():
            if keyword in _ANNOTATIONS or (keyword == "$id" and root):
                continue
            build = _KEYWORDS.get(keyword)
            if build is None:
                raise _Unsupported(keyword)
            checks.append(build(self, value, schema))
        if not checks:
            return _always
        if len(checks) == 1:
            return checks[0]
        return lambda instance: all(check(instance) for check in checks)

    def reference(self, ref: Any, _schema: dict) -> Check:
        if not isinstance(ref, str) or not ref.startswith(_LOCAL_DEF):
            raise _Unsupported("$ref")
        name = ref[len(_LOCAL_DEF) :]
        if name not in self.defs or "/" in name or "~" in name or "%" in name:
            raise _Unsupported("$ref")
        if name not in self.compiled:
            cell: list[Check] = []
            self.compiled[name] = lambda instance: cell[0](instance)  # a definition may refer to itself
            cell.append(self.compile(self.defs[name]))
        return self.compiled[name]

    def type(self, names: Any, _schema: dict) -> Check:
        names = [names] if isinstance(names, str) else names
        if not isinstance(names, list) or not names or any(name not in _TYPES for name in names):
            raise _Unsupported("type")
        kinds = tuple(_TYPES[name] for name in names)
        return lambda instance: isinstance(instance, kinds)

    def min_length(self, limit: Any, _schema: dict) -> Check:
        _count(limit)
        return lambda instance: not isinstance(instance, str) or len(instance) >= limit

    def max_length(self, limit: Any, _schema: dict) -> Check:
        _count(limit)
        return lambda instance: not isinstance(instance, str) or len(instance) <= limit

    def pattern(self, text: Any, _schema: dict) -> Check:
        if not isinstance(text, str):
            raise _Unsupported("pattern")
        try:
            search = re.compile(text).search  # what jsonschema's re.search(pattern, instance) compiles
        except re.error:
            raise _Unsupported("pattern") from None
        return lambda instance: not isinstance(instance, str) or search(instance) is not None

    def enum(self, values: Any, _schema: dict) -> Check:
        # Only string members: JSON equality of numbers and booleans (1 == true in Python) is
        # not worth compiling for a schema whose enums are all names.
        if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
            raise _Unsupported("enum")
        allowed = frozenset(values)
        return lambda instance: isinstance(instance, str) and instance in allowed

    def required(self, keys: Any, _schema: dict) -> Check:
        if not isinstance(keys, list) or not all(isinstance(key, str) for key in keys):
            raise _Unsupported("required")
        return lambda instance: not isinstance(instance, dict) or all(key in instance for key in keys)

    def properties(self, properties: Any, _schema: dict) -> Check:
        if not isinstance(properties, dict):
            raise _Unsupported("properties")
        pairs = [(key, self.compile(sub)) for key, sub in properties.items()]
        return lambda instance: not isinstance(instance, dict) or all(
            check(instance[key]) for key, check in pairs if key in instance)

    def additional_properties(self, extra: Any, schema: dict) -> Check:
        if "patternProperties" in schema:
            raise _Unsupported("patternProperties")
        known = schema.get("properties", {})
        if not isinstance(known, dict):
            raise _Unsupported("properties")
        check = self.compile(extra)
        if check is _always:
            return _always
        return lambda instance: not isinstance(instance, dict) or all(
            check(value) for key, value in instance.items() if key not in known)

    def items(self, items: Any, schema: dict) -> Check:
        if "prefixItems" in schema:
            raise _Unsupported("prefixItems")
        check = self.compile(items)
        if check is _always:
            return _always
        return lambda instance: not isinstance(instance, list) or all(check(item) for item in instance)

    def one_of(self, schemas: Any, _schema: dict) -> Check:
        if not isinstance(schemas, list) or not schemas:
            raise _Unsupported("oneOf")
        checks = [self.compile(sub) for sub in schemas]
        return lambda instance: sum(1 for check in checks if check(instance)) == 1


def _always(_instance: Any) -> bool:
    return True


def _never(_instance: Any) -> bool:
    return False


def _count(limit: Any) -> None:
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 0:
        raise _Unsupported("a length limit that is not a whole number")


_KEYWORDS: dict[str, Callable[[_Compiler, Any, dict], Check]] = {
    "$ref": _Compiler.reference,
    "type": _Compiler.type,
    "minLength": _Compiler.min_length,
    "maxLength": _Compiler.max_length,
    "pattern": _Compiler.pattern,
    "enum": _Compiler.enum,
    "required": _Compiler.required,
    "properties": _Compiler.properties,
    "additionalProperties": _Compiler.additional_properties,
    "items": _Compiler.items,
    "oneOf": _Compiler.one_of,
}
