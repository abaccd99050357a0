"""Configuration layering: the deep merge of a package's config layers, with provenance.

A package's configuration is one tree, ``{config name: content}``. Its effective value is the merge
of up to five layers (the package's own config, what its dependents set for it, the tier overlay,
the workspace's ``.local.yaml``, then ``--set``); the rule is written once, at the top of ``_apply``.
``merge_layers`` is the fast path (no provenance); ``explain_layers`` and ``deleted_paths`` answer
``config show --explain``: which layer, file and line set each leaf and what it replaced.
``render_yaml`` writes an effective config file, byte-stable. The ``--set`` layer is read in
``core.config_set``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache

from agentpack.core.records import dataclass, field

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
    values: dict[tuple, object] = {}
    _collect_leaves(tree, (), values)
    leaves = []
    for path in _sorted_paths(list(values)):
        states = trace.history.get(path)
        if states:
            leaves.append(Leaf(path, values[path], states[-1][1], tuple(states[:-1])))
        else:
            leaves.append(Leaf(path, values[path], trace.created[path]))
    return tree, leaves


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
        self.name = self.source = ""
        self.lines: Mapping[tuple, int] = {}

    def enter(self, layer: Layer) -> None:
        self.name, self.source, self.lines = layer.name, layer.source, layer.lines

    def origin(self, path: tuple) -> Origin:
        return Origin(self.name, self.source, self.lines.get(path))

    def write(self, path: tuple, current, value, inherited: tuple) -> None:
        # The hot path of --explain: one call per leaf per layer, so the common case is inlined.
        origin = Origin(self.name, self.source, self.lines.get(path))
        states = self.history.get(path)
        if states is None or isinstance(current, dict):
            states = self._replacing(path, current, origin, inherited)
        states.append((value, origin))

    def new_mapping(self, path: tuple, current, inherited: tuple, empty: bool) -> tuple:
        origin = self.created[path] = self.origin(path)
        if empty:  # an empty mapping is a leaf like any other value
            self._replacing(path, current, origin, inherited).append(({}, origin))
            return ()
        # The path is a mapping now. Its leaf past is kept: if a later layer makes it a leaf
        # again (after a deletion, say), --explain still shows what it once replaced.
        states = self.history.get(path)
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
        trace.enter(layer)
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


def _collect_leaves(node: dict, path: tuple, into: dict) -> None:
    for key, value in node.items():
        if isinstance(value, dict) and value:
            _collect_leaves(value, (*path, key), into)
        else:
            into[(*path, key)] = value


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
