"""Configuration layering: the deep merge of a package's config layers, with provenance.

A package's configuration is one tree, ``{config name: content}``. Its effective value is the merge
of up to five layers (the package's own config, what its dependents set for it, the tier overlay,
the workspace's ``.local.yaml``, then ``--set``); the rule is written once, at the top of ``_apply``.
``merge_layers`` is the fast path (no provenance); ``explain_layers`` and ``deleted_paths`` answer
``config show --explain``: which layer, file and line set each leaf and what it replaced.
``parse_set`` and ``set_layer`` turn ``--set PKG.path=value`` into a layer, and ``render_yaml``
writes an effective config file, byte-stable.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache

from agentpack.core.names import check_name
from agentpack.errors import UsageError

_MISSING = object()


@dataclass(frozen=True)
class Layer:
    """One layer of a package's configuration.

    ``name`` is shown to users ("package", "tier", "local", "set"...), ``source`` is the file the
    layer came from (``--set`` for the command line), ``data`` the layer's config tree and ``lines``
    maps key paths of that tree to 1-based lines in ``source``. Layers are never modified.
    """

    name: str
    source: str
    data: dict
    lines: Mapping[tuple, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.data, dict):
            raise TypeError(f"layer {self.name!r} ({self.source}): data must be a mapping, "
                            f"not {type(self.data).__name__}")


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a value came from: the layer's name, its file, and the line of the key (if known)."""

    layer: str
    source: str
    line: int | None


@dataclass(frozen=True, slots=True)
class Leaf:
    """One leaf of the effective tree and its history.

    ``replaced`` lists the earlier states of the leaf, oldest first, each with where it came from:
    a value an earlier layer set, ``None`` for a removal (by a null at the path or above it, or by
    an ancestor becoming a non-mapping), a mapping the leaf replaced whole, or - for a leaf inside
    a mapping that replaced a scalar or list - that scalar or list.
    """

    path: tuple
    value: object
    origin: Origin
    replaced: tuple[tuple[object, Origin | None], ...] = ()


@dataclass(frozen=True, slots=True)
class Deletion:
    """A key that an explicit null deleted and no later layer set again.

    ``origin`` is the null; ``removed`` lists the leaves it removed as ``(path, value, origin)``
    (empty when no earlier layer had set the key: often a typo in an override file).
    """

    path: tuple
    origin: Origin
    removed: tuple[tuple[tuple, object, Origin | None], ...] = ()


def merge_layers(layers: Sequence[Layer]) -> dict:
    """Return the effective configuration tree of ``layers`` (first = lowest precedence).

    The layers are merged by the rule written at the top of ``_apply``. The result shares no
    mutable containers with the layers, and its keys are in first-seen order across the layers,
    so rendering it is deterministic. No provenance is kept; see ``explain_layers``.
    """
    tree: dict = {}
    for layer in layers:
        _apply(tree, layer.data, (), None, ())
    return _drop_tombstones(tree)


def explain_layers(layers: Sequence[Layer]) -> tuple[dict, list[Leaf]]:
    """Return the effective tree (equal to ``merge_layers(layers)``) and every leaf with provenance.

    Leaves are the non-mapping values of the tree and its empty mappings, sorted by key path. Each
    carries the ``Origin`` of the layer that set it last (an empty mapping left behind by deletions
    is attributed to the layer that created the mapping) and its earlier states (see ``Leaf``).
    """
    tree, trace = _trace(layers)
    tree = _drop_tombstones(tree)
    leaves = []
    for path, value in _leaf_items(tree, ()):
        states = trace.history.get(path)
        if states:
            leaves.append(Leaf(path, value, states[-1][1], tuple(states[:-1])))
        else:
            leaves.append(Leaf(path, value, trace.created[path]))
    order = _sorted_paths([leaf.path for leaf in leaves])
    by_path = {leaf.path: leaf for leaf in leaves}
    return tree, [by_path[path] for path in order]


def deleted_paths(layers: Sequence[Layer]) -> list[Deletion]:
    """Return the keys deleted by an explicit null and absent from the effective tree, by path.

    A key deleted and then set again by a later layer is not listed (its ``Leaf.replaced`` shows
    the deletion); neither is a key under a mapping that a later layer deleted (that mapping is
    listed instead) or replaced by a non-mapping value (that value's ``Leaf`` shows the mapping).
    """
    tree, trace = _trace(layers)
    found = [path for path in trace.deleted if _lookup(tree, path) is None]
    return [Deletion(path, *trace.deleted[path]) for path in _sorted_paths(found)]


def combine_layers(layers: Sequence[Layer]) -> dict:
    """Return one layer's data that acts like ``layers`` applied in order, on top of any layers.

    Deletions are kept as explicit nulls so that they still delete from the layers below. Not every
    group of layers can be written as one tree: when a layer of the group lays a mapping on a value
    or deletion from an earlier layer of the group, the group replaces that key whole while a single
    tree would merge into it; that raises ``ValueError`` naming the key path.
    """
    tree: dict = {}
    for layer in layers:
        _apply(tree, layer.data, (), _Strict(), ())
    return tree


def _apply(node: dict, overlay: dict, path: tuple, watch, inherited: tuple) -> None:
    """Lay one layer's mapping ``overlay`` on the working tree ``node``, in place.

    ``watch`` (or None) is told of every change, for provenance; ``path`` and ``inherited`` are
    only kept up to date for it.
    """
    # The merge rule (issue 3, "Configuration layering"); this is the one place it is written:
    # - layers apply in order (package, dependents, tier, local, --set) and a later layer wins;
    # - a mapping laid on a mapping merges key by key, recursively (an empty one changes nothing);
    # - any other value replaces what was there: scalars and lists are never merged element-wise,
    #   and a mapping laid on a non-mapping replaces it whole;
    # - an explicit null deletes the key, whatever it held; a later layer may set it again;
    # - a leaf is a non-mapping value or an empty mapping;
    # - keys keep the order in which they were first seen. A deleted key stays in the working tree
    #   as a tombstone (None) until the end, so setting it again does not move it and a combined
    #   layer can still delete it below; nulls inside lists are values, not tombstones.
    for key, value in overlay.items():
        current = node.get(key, _MISSING)
        here = (*path, key) if watch is not None else path
        if isinstance(value, dict):
            if isinstance(current, dict):
                _apply(current, value, here, watch, ())
                continue
            fresh = node[key] = {}
            below = watch.new_mapping(here, current, inherited, not value) if watch is not None else ()
            _apply(fresh, value, here, watch, below)
        elif value is None:
            if watch is not None:
                watch.delete(here, current)
            node[key] = None
        else:
            node[key] = _copy(value) if isinstance(value, list) else value
            if watch is not None:
                watch.write(here, current, node[key], inherited)


class _Strict:
    """A watcher that refuses what one combined tree cannot express (see ``combine_layers``)."""

    def new_mapping(self, path: tuple, current, inherited: tuple, empty: bool) -> tuple:
        if current is not _MISSING:
            raise ValueError(f"cannot combine these layers into one: {'.'.join(map(str, path))} is "
                             "replaced by a mapping after an earlier layer of the group set or deleted it")
        return ()

    def delete(self, *event) -> None:
        """Deletions and leaf writes are always expressible in one tree."""

    write = delete


class _Provenance:
    """Records, while layers are applied, who set, replaced and deleted what.

    ``history`` maps the path of each leaf (live or removed) to its states, oldest first, the last
    being the current one: ``(value, Origin)``, with ``None`` for a removal. ``created`` maps each
    mapping's path to the origin of the layer that created it; ``deleted`` maps the path of each
    null to its origin and the leaves it removed.
    """

    def __init__(self) -> None:
        self.history: dict[tuple, list] = {}
        self.created: dict[tuple, Origin] = {}
        self.deleted: dict[tuple, tuple[Origin, tuple]] = {}
        self.layer: Layer | None = None

    def origin(self, path: tuple) -> Origin:
        layer = self.layer
        return Origin(layer.name, layer.source, layer.lines.get(path))

    def write(self, path: tuple, current, value, inherited: tuple) -> None:
        origin = self.origin(path)
        self._replacing(path, current, origin, inherited).append((value, origin))

    def new_mapping(self, path: tuple, current, inherited: tuple, empty: bool) -> tuple:
        origin = self.created[path] = self.origin(path)
        if empty:  # an empty mapping is a leaf like any other value
            self._replacing(path, current, origin, inherited).append(({}, origin))
            return ()
        states = self.history.pop(path, None)  # the path is a mapping now; its leaf past ends here
        if current is _MISSING:
            return inherited  # deeper inside a mapping that replaced a scalar
        if current is None:
            return ()
        # The new mapping replaced a scalar or list: its leaves say so, or that value would vanish
        # from --explain without a trace.
        return (states[-1],) if states else ((current, None),)

    def delete(self, path: tuple, current) -> None:
        origin = self.origin(path)
        if current is None and path in self.deleted:
            return  # already deleted: the first null did it
        removed: list = []
        if _has_leaves(current):
            self._retire(path, current, origin, removed)
            self.history[path] = [(None, origin)]
        elif current is not _MISSING and current is not None:
            states = self._states(path, current)
            removed.append((path, states[-1][0], states[-1][1]))
            states.append((None, origin))
        self.deleted[path] = (origin, tuple(removed))

    def _replacing(self, path: tuple, current, origin: Origin, inherited: tuple) -> list:
        """The states of ``path`` just before a new leaf value replaces ``current`` there."""
        if isinstance(current, dict) and (_has_leaves(current) or path not in self.history):
            # A mapping replaced whole: one earlier state, and each of its leaves is removed.
            self._retire(path, current, origin, [])
            states = self.history[path] = [(_drop_tombstones(_copy(current)), self.created.get(path))]
            return states
        states = self.history.get(path)
        if states is None:
            states = self.history[path] = list(inherited)
        return states

    def _states(self, path: tuple, current) -> list:
        states = self.history.get(path)
        if states is None:  # an empty mapping left by deletions: no leaf write recorded it
            value = {} if isinstance(current, dict) else current
            states = self.history[path] = [(value, self.created.get(path))]
        return states

    def _retire(self, path: tuple, mapping: dict, origin: Origin, removed: list) -> None:
        """Record the removal, by ``origin``, of every leaf under ``mapping``."""
        for key, value in mapping.items():
            below = (*path, key)
            if _has_leaves(value):
                self._retire(below, value, origin, removed)
            elif value is not None:
                states = self._states(below, value)
                removed.append((below, states[-1][0], states[-1][1]))
                states.append((None, origin))


def _trace(layers: Sequence[Layer]) -> tuple[dict, _Provenance]:
    """Apply ``layers`` with provenance; the tree still holds its tombstones."""
    trace = _Provenance()
    tree: dict = {}
    for layer in layers:
        trace.layer = layer
        _apply(tree, layer.data, (), trace, ())
    return tree, trace


def _has_leaves(value) -> bool:
    """Whether ``value`` is a mapping with a live key (tombstones do not count)."""
    return isinstance(value, dict) and any(item is not None for item in value.values())


def _copy(value):
    """A deep copy of plain data: dicts and lists are new, everything else is immutable."""
    if isinstance(value, list):
        return [_copy(item) for item in value]
    if isinstance(value, dict):
        return {key: _copy(item) for key, item in value.items()}
    return value


def _drop_tombstones(node: dict) -> dict:
    """Remove, in place, the None values of ``node`` and of the mappings under it (not in lists)."""
    dead = [key for key, value in node.items() if value is None]
    for key in dead:
        del node[key]
    for value in node.values():
        if isinstance(value, dict) and value:
            _drop_tombstones(value)
    return node


def _leaf_items(node: dict, path: tuple):
    for key, value in node.items():
        if isinstance(value, dict) and value:
            yield from _leaf_items(value, (*path, key))
        else:
            yield (*path, key), value


def _lookup(tree: dict, path: tuple):
    """The value at ``path`` in the working tree (None for a tombstone), or ``_MISSING``."""
    node = tree
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return _MISSING
        node = node[key]
    return node


def _sorted_paths(paths: list) -> list:
    """Sort key paths; YAML keys may mix types (``1:``, ``true:``), so fall back to typed keys."""
    try:
        return sorted(paths)
    except TypeError:
        return sorted(paths, key=lambda path: tuple((type(key).__name__, key) for key in path))


# --set PKG.path.to.key=value -------------------------------------------------------------------

_SET_HINT = "write --set PACKAGE.CONFIG.KEY=VALUE, e.g. --set customer-service.settings.model=gpt-4o"
_NULLS = frozenset({"~", "null", "Null", "NULL"})
_TRUE = frozenset({"yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"})
_FALSE = frozenset({"no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"})
_DECIMAL = frozenset("0123456789_")
_INT_DIGITS = {2: frozenset("01_"), 8: frozenset("01234567_"), 10: _DECIMAL,
               16: frozenset("0123456789abcdefABCDEF_")}


def parse_set(text: str) -> tuple[str, tuple[str, ...], object]:
    """Parse one ``--set`` assignment, ``PACKAGE.CONFIG.path.to.key=VALUE``, into its three parts.

    The package is everything before the first dot (``team/x`` works: names hold no dots); the key
    path is the dot-separated rest, the config name first, each key a string (keys that contain a
    dot cannot be set this way). The value is read as a YAML plain scalar is by PyYAML, so that
    ``x: on`` in a file and ``--set P.c.x=on`` agree: null/~, true/false/yes/no/on/off, YAML 1.1
    integers and floats; dates and any other text stay strings, verbatim (no trimming). A value in
    single or double quotes is that string; ``[]`` and ``{}`` are an empty list and mapping. Raises
    ``UsageError`` for a missing ``=``, package or key, an empty key, an invalid package name, an
    empty value (write ``null`` to delete), a bad quoted string or any other flow collection.
    """
    key, equals, raw = text.partition("=")
    package, dot, rest = key.partition(".")
    if not equals or not key:
        raise UsageError(f"--set {text!r}: expected PACKAGE.CONFIG.KEY=VALUE", field="--set", hint=_SET_HINT)
    problem = check_name(package)
    if problem is not None:
        raise UsageError(f"--set {text!r}: {problem}", field="--set", hint=_SET_HINT)
    if not dot or not rest:
        raise UsageError(f"--set {text!r} names a package but no configuration key", field="--set",
                         hint=_SET_HINT)
    path = tuple(rest.split("."))
    if "" in path:
        raise UsageError(f"--set {text!r}: the key path {rest!r} has an empty key", field="--set",
                         hint="separate keys with single dots, with no dot at either end")
    return package, path, _parse_value(raw, text)


def set_layer(assignments: Sequence[str], package: str) -> dict:
    """Return the config tree that the ``--set`` ``assignments`` form for ``package``.

    Assignments for other packages are skipped; every assignment is parsed, so a malformed one
    raises ``UsageError`` whatever package it names. Later assignments win: one at a path replaces
    an earlier one at the same path, under it, or above it (a deeper path turns an earlier scalar
    into a mapping). A ``null`` value stays in the tree, where it deletes the key from the layers
    below. The tree is one layer: ``A.b=null`` followed by ``A.b.c=1`` merges ``{c: 1}`` into what
    lower layers hold at ``b`` rather than replacing it.
    """
    tree: dict = {}
    for text in assignments:
        name, path, value = parse_set(text)
        if name != package:
            continue
        node = tree
        for key in path[:-1]:
            child = node.get(key)
            if not isinstance(child, dict):
                child = node[key] = {}
            node = child
        node[path[-1]] = value
    return tree


def _parse_value(raw: str, text: str):
    if not raw:
        raise UsageError(f"--set {text!r} has no value", field="--set",
                         hint="write null to delete the key, or '' for an empty string")
    first = raw[0]
    if first in "'\"":
        return _unquote(raw, text)
    if raw in ("[]", "{}"):
        return [] if raw == "[]" else {}
    if first in "[{":
        raise UsageError(f"--set {text!r}: only single values can be set on the command line",
                         field="--set", hint="put lists and mappings in packages/<name>.local.yaml, "
                         "or quote the value to set it as a string")
    if raw in _NULLS:
        return None
    if raw in _TRUE or raw in _FALSE:
        return raw in _TRUE
    if first in "+-.0123456789":
        number = _number(raw)
        if number is not None:
            return number
    return raw


def _number(text: str) -> int | float | None:
    """``text`` as PyYAML's YAML 1.1 resolver reads an int or a float, else None."""
    sign, body = (-1 if text[0] == "-" else 1, text[1:]) if text[0] in "+-" else (1, text)
    if body in (".inf", ".Inf", ".INF"):
        return sign * float("inf")
    if body in (".nan", ".NaN", ".NAN"):
        return float("nan") if body == text else None  # YAML 1.1 gives a NaN no sign
    mantissa, e, exponent = body.replace("E", "e").partition("e") if "." in body else (body, "", "")
    whole, dot, fraction = mantissa.partition(".")
    if e and (exponent[:1] not in ("+", "-") or not exponent[1:].isdigit() or not exponent.isascii()):
        return None
    if not body or not _DECIMAL.issuperset(fraction):
        return None
    if ":" in whole:  # base 60: 1:30 is 90 and 1:30.5 is 90.5, summed the way PyYAML does
        parts = whole.split(":")
        if e or not _digits(parts[0], "0123456789" if dot else "123456789"):
            return None
        if not all(part.isascii() and part.isdigit() and (len(part) == 1 or (len(part) == 2 and part[0] <= "5"))
                   for part in parts[1:]):
            return None
        parts[-1] += dot + fraction
        total, scale = 0, 1
        for part in reversed(parts):
            total += (float if dot else int)(part.replace("_", "")) * scale
            scale *= 60
        return sign * total
    if dot:
        if not (_digits(whole) or (not whole and body == text and _digits(fraction))):
            return None
        return sign * float(f"{mantissa}e{exponent or 0}".replace("_", ""))
    base, digits = {"0b": 2, "0x": 16}.get(body[:2], 0), body[2:]
    if not base:
        base, digits = (8, body[1:] or "0") if body[0] == "0" else (10, body)
    if not _INT_DIGITS[base].issuperset(digits) or (base == 10 and not _digits(digits, "123456789")):
        return None
    cleaned = digits.replace("_", "") or ("0" if base == 8 else "")  # PyYAML: '0_' is 0, '0b_' fails
    return sign * int(cleaned, base) if cleaned else None


def _digits(text: str, first: str = "0123456789") -> bool:
    """Whether ``text`` is ASCII digits and underscores, starting with one of ``first``."""
    return bool(text) and text[0] in first and _DECIMAL.issuperset(text)


def _unquote(raw: str, text: str) -> str:
    """A quoted value: single quotes as YAML reads them; double quotes with JSON's escapes."""
    if raw[0] == "'":
        inner = raw[1:-1]
        if len(raw) < 2 or raw[-1] != "'" or "'" in inner.replace("''", ""):
            raise UsageError(f"--set {text!r}: unterminated single-quoted value", field="--set",
                             hint="inside single quotes, write '' for a quote")
        return inner.replace("''", "'")
    import json  # a JSON string is a YAML double-quoted scalar; only this rare path needs the module

    try:
        return json.loads(raw)
    except ValueError as exc:
        raise UsageError(f"--set {text!r}: bad double-quoted value ({exc.msg})", field="--set",
                         hint='inside double quotes, write \\" for a quote and \\\\ for a backslash') from None


def render_yaml(value) -> str:
    """Return the YAML text of one effective config file's content, the same bytes for the same value.

    Mappings keep their key order (the merge's first-seen order), non-ASCII text is written as is
    and long strings are not folded, so files diff cleanly; ``yaml.safe_load`` of the text gives
    ``value`` back. The pure-Python emitter is used even where libyaml is installed, so the bytes
    do not depend on how PyYAML was built.
    """
    import yaml  # only the commands that write config files pay for importing it

    return yaml.dump(value, Dumper=_dumper(), sort_keys=False, allow_unicode=True,
                     default_flow_style=False, width=1_000_000)


@cache
def _dumper():
    import yaml

    class Dumper(yaml.SafeDumper):
        def represent_str(self, text: str):
            # PyYAML writes these line breaks raw inside single quotes, where reading folds them
            # into spaces; double quotes escape them.
            style = '"' if any(char in text for char in "\x85\u2028\u2029") else None
            return self.represent_scalar("tag:yaml.org,2002:str", text, style=style)

    Dumper.add_representer(str, Dumper.represent_str)
    return Dumper
