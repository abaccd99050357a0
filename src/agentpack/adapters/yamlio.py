"""Reading and writing YAML safely: size and alias limits, line numbers, one document only.

Every YAML document agentpack reads (package.yaml, frontmatter, workspace files, archive content)
goes through ``load_yaml``. It uses PyYAML's safe loader (the libyaml C loader when installed, for
speed) and adds what PyYAML does not do by itself:

- a byte limit, checked before parsing, and a nesting depth limit (``core.limits``);
- only plain data: explicit tags other than the standard scalar and collection tags (``!foo``,
  ``!!binary``, ``!!set``, ``!!omap``, ``!!python/...``) are refused, timestamps are read as the
  plain strings they are written as, and a scalar that does not fit its tag (``!!float x``,
  ``!!int 1.5``, ``!!bool maybe``), an integer of more than ``MAX_INT_DIGITS`` digits, and a
  number that is not finite (``.nan``, ``.inf``, ``1.0e+999``) are errors at their line and column;
- duplicate keys in one mapping are refused (PyYAML silently keeps the last one, other tools the
  first, so a reviewer and agentops could read different values);
- a node limit that counts an alias every time it is reached, so a "billion laughs" document (a
  few lines that expand to billions of nodes) is refused after ``max_nodes`` steps instead of
  exhausting memory in whoever walks the result;
- a map from each key path to its 1-based line, so validation can point at the offending line;
- errors as ``YamlError`` with the source and line, never PyYAML's exception types.

``yaml`` is imported inside the functions: the command's start-up time is measured and most
commands never read YAML.
"""

from __future__ import annotations

from agentpack.core.limits import MAX_INT_DIGITS, MAX_YAML_BYTES, MAX_YAML_DEPTH, MAX_YAML_NODES
from agentpack.core.type_names import Any
from agentpack.errors import YamlError

DEFAULT_MAX_BYTES = MAX_YAML_BYTES
DEFAULT_MAX_NODES = MAX_YAML_NODES
_BOM = "\ufeff"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_STR_TAG = "tag:yaml.org,2002:str"


def load_yaml(
    text: str | bytes,
    *,
    source: str,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_nodes: int = DEFAULT_MAX_NODES,
    max_depth: int = MAX_YAML_DEPTH,
    build: bool = True,
) -> tuple[Any, dict[tuple, int]]:
    """Parse one YAML document safely and return ``(data, lines)``.

    With ``build=False`` the document is checked exactly as it would be, but only its root's type
    is built: ``data`` is ``{}`` for a mapping, ``[]`` for a sequence, the value of a scalar, and
    ``lines`` is empty. For callers that only judge whether the document is valid (frontmatter
    checks), at about two thirds of the cost.

    ``lines`` maps the path of every node reachable through mappings and sequences (a tuple of
    keys and list indices; ``()`` is the root) to the 1-based line where it starts; for a mapping
    entry that is the line of its key. An empty document gives ``(None, {})``. Only plain data is
    built (no Python objects). Raises ``YamlError`` with ``path=source`` when the input is larger
    than ``max_bytes``, is bytes that are not UTF-8, is not valid YAML or holds more than one
    document (with the ``line`` of the problem), or when walking it reaches more than ``max_nodes``
    nodes, counting each alias every time it is used, or a recursive alias, or nests collections
    more than ``max_depth`` deep, or holds a duplicate key, an unsupported tag or a scalar that
    does not fit its tag (see the module docstring); never anything else, for any input.
    """
    text = _decode(text, source=source, max_bytes=max_bytes)
    import yaml

    loader_class = _plain_data_loader(getattr(yaml, "CSafeLoader", None) or yaml.SafeLoader)
    loader = None
    try:
        loader = loader_class(text)  # the pure loader already checks the characters here
        node = loader.get_single_node()
        if node is None:
            return None, {}
        key_paths = _walk(node, loader, source=source, max_nodes=max_nodes, max_depth=max_depth)
        data = _construct(node, loader, build)
        if not build:
            key_paths = {}
    except yaml.MarkedYAMLError as exc:
        raise _yaml_error(exc, source) from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        message = f"invalid YAML: character #x{exc.character:04x} is not allowed ({exc.reason})"
        raise YamlError(message, path=source, line=line, hint="remove control characters") from None
    except yaml.YAMLError as exc:
        raise YamlError(f"invalid YAML: {exc}", path=source) from None
    except UnicodeEncodeError:  # the C loader encodes the text first; a lone surrogate cannot be
        raise YamlError("the text contains unpaired surrogate characters", path=source) from None
    except RecursionError:
        raise YamlError("the YAML document is nested too deeply", path=source) from None
    finally:
        if loader is not None:
            loader.dispose()
    return data, key_paths


def dump_yaml(data: Any) -> str:
    """Serialise plain data (dicts, lists, strings, numbers, booleans, None) to block-style YAML.

    Keys keep their insertion order and non-ASCII text is written as is, so the output is stable
    and readable. Raises ``yaml.representer.RepresenterError`` for values that are not plain data.
    """
    import yaml

    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False)


def _decode(text: str | bytes, *, source: str, max_bytes: int) -> str:
    """Check the size and encoding of the input and return it as text without a leading BOM."""
    if isinstance(text, (bytes, bytearray, memoryview)):
        raw = bytes(text)
        _check_size(len(raw), source, max_bytes)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = raw.count(b"\n", 0, exc.start) + 1
            raise YamlError(
                f"not UTF-8 text: byte 0x{raw[exc.start]:02x} at offset {exc.start} cannot be decoded",
                path=source,
                line=line,
                hint="save the file as UTF-8",
            ) from None
    elif not isinstance(text, str):
        raise TypeError(f"load_yaml() expects str or bytes, not {type(text).__name__}")
    elif len(text) * 4 > max_bytes:  # a character is at most 4 bytes: short texts skip the encode
        try:
            size = len(text.encode("utf-8"))
        except UnicodeEncodeError:
            raise YamlError("the text contains unpaired surrogate characters", path=source) from None
        _check_size(size, source, max_bytes)
    if text.startswith(_BOM):
        text = text[1:]
    return text


def _check_size(size: int, source: str, max_bytes: int) -> None:
    if size > max_bytes:
        raise YamlError(
            f"the YAML document is {size:,} bytes; at most {max_bytes:,} are allowed",
            path=source,
            hint="split the content into smaller files",
        )


def _walk(root: Any, loader: Any, *, source: str, max_nodes: int, max_depth: int) -> dict[tuple, int]:
    """Count the nodes of the composed tree (aliases each time reached) and record key lines.

    The walk is iterative so deep nesting cannot overflow the stack, and it keeps the set of nodes
    on the current path so a recursive alias (``&a [*a]``) is reported instead of looping until the
    node limit. It also refuses collections nested deeper than ``max_depth`` and duplicate keys.
    """
    import yaml

    lines: dict[tuple, int] = {}
    count = 0
    on_path: set[int] = set()
    # Entries are (node, path, line, depth) to enter, or (node, None, 0, 0) to leave.
    stack: list[tuple[Any, tuple | None, int, int]] = [(root, (), root.start_mark.line + 1, 0)]
    while stack:
        node, path, line, depth = stack.pop()
        if path is None:
            on_path.discard(id(node))
            continue
        count += 1
        if count > max_nodes:
            raise YamlError(
                f"the YAML document expands to more than {max_nodes:,} nodes "
                "(aliases are counted each time they are used)",
                path=source,
                line=line,
                hint="remove repeated aliases ('*name') or split the document",
            )
        if id(node) in on_path:
            raise YamlError("the YAML document contains a recursive alias", path=source, line=line)
        if len(lines) < max_nodes:
            lines.setdefault(path, line)
        if isinstance(node, yaml.ScalarNode):
            _check_scalar(node, source)
            continue
        if depth >= max_depth:
            raise _node_error(f"the YAML document nests more than {max_depth} levels deep", node, source)
        on_path.add(id(node))
        stack.append((node, None, 0, 0))
        if isinstance(node, yaml.SequenceNode):
            for index in range(len(node.value) - 1, -1, -1):
                child = node.value[index]
                stack.append((child, (*path, index), child.start_mark.line + 1, depth + 1))
        elif isinstance(node, yaml.MappingNode):
            for key_node, value_node, key in reversed(_mapping_entries(node, loader, source)):
                key_line = key_node.start_mark.line + 1
                # A merge key ('<<') or a key that cannot be a dict key has no path of its own;
                # its value is still walked (and counted) under the mapping's path.
                child_path = path if key is _NO_KEY else (*path, key)
                stack.append((value_node, child_path, key_line, depth + 1))
                stack.append((key_node, _KEY_PATH, key_line, depth + 1))
    lines.pop(_KEY_PATH, None)
    return lines


def _construct(root: Any, loader: Any, build: bool) -> Any:
    """The document's data after a successful walk (with ``build``), or, without, an empty value
    of its root's type (or the root scalar), having raised exactly what construction would.

    PyYAML's constructor is general (tags, merges, generators that fill collections later) and
    costs more than parsing. A document whose collections are all plain maps and sequences with
    plain string keys can only fail construction on a scalar that does not fit its tag; PyYAML
    builds such a document breadth first (each collection's children in order, nested ones
    queued), so those scalars are constructed in that order here, the first failure being the
    one construction would give, and then the data is assembled directly (an alias giving the
    same object, as PyYAML does). Anything else is left to PyYAML's construction.
    """
    import yaml

    if isinstance(root, yaml.ScalarNode):
        return loader.construct_document(root)
    collections = _plain_collections(root)
    if collections is None:
        data = loader.construct_document(root)
        if build:
            return data
        return {} if isinstance(data, dict) else [] if isinstance(data, list) else data
    built: dict[int, Any] = {}
    for node in collections:
        for child in node.value if isinstance(node, yaml.SequenceNode) else (v for _, v in node.value):
            if isinstance(child, yaml.ScalarNode) and child.tag != _STR_TAG:
                built[id(child)] = loader.construct_object(child, deep=True)  # deep: runs a generator to its end
    if not build:
        return {} if isinstance(root, yaml.MappingNode) else []
    return _assemble(root, built)


def _plain_collections(root: Any) -> list | None:
    """Every collection of the document, breadth first, each once; None when one is not a plain
    map or sequence with plain string keys (or holds a scalar tagged as a collection, which
    PyYAML builds with a generator, queued like a collection)."""
    import yaml

    collections, queued, position = [root], {id(root)}, 0
    while position < len(collections):
        node = collections[position]
        position += 1
        if isinstance(node, yaml.MappingNode):
            plain = node.tag == _MAP_TAG and all(
                isinstance(key, yaml.ScalarNode) and key.tag == _STR_TAG for key, _ in node.value)
            children = [value for _, value in node.value]
        else:
            plain, children = node.tag == _SEQ_TAG, node.value
        if not plain or any(isinstance(child, yaml.ScalarNode) and child.tag in (_MAP_TAG, _SEQ_TAG)
                            for child in children):
            return None
        for child in children:
            if not isinstance(child, yaml.ScalarNode) and id(child) not in queued:
                collections.append(child)
                queued.add(id(child))
    return collections


def _assemble(node: Any, built: dict[int, Any]) -> Any:
    """The data of a plain document's ``node`` (``built``: its constructed non-string scalars and
    the collections assembled so far, by node id). Recursive: the walk bounded the depth."""
    import yaml

    found = built.get(id(node), _NO_KEY)
    if found is not _NO_KEY:
        return found
    if isinstance(node, yaml.ScalarNode):
        return node.value  # a plain string: others are in ``built``
    if isinstance(node, yaml.MappingNode):
        mapping: dict = {}
        built[id(node)] = mapping
        for key, value in node.value:
            mapping[key.value] = _assemble(value, built)
        return mapping
    sequence: list = []
    built[id(node)] = sequence
    sequence.extend(_assemble(child, built) for child in node.value)
    return sequence


_NO_KEY = object()
_KEY_PATH = ("\0key",)  # a throwaway path: key nodes are counted but their own line is not wanted


def _key_of(key_node: Any, loader: Any) -> Any:
    """The Python value a mapping key will have after construction, or ``_NO_KEY``."""
    import yaml

    if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == _MERGE_TAG:
        return _NO_KEY
    if key_node.tag == _STR_TAG:
        return key_node.value
    try:
        key = loader.construct_object(key_node)
    except yaml.YAMLError:
        return _NO_KEY
    try:
        hash(key)
    except TypeError:
        return _NO_KEY
    return key


def _check_scalar(node: Any, source: str) -> None:
    """Refuse a scalar holding an unpaired surrogate: the pure-Python loader reads an escape such
    as "\\ud800" into one (libyaml refuses it itself), and no file can be written with it."""
    if not node.value.isascii():
        try:
            node.value.encode("utf-8")
        except UnicodeEncodeError:
            raise _node_error("an unpaired surrogate escape (\\ud800-\\udfff) cannot be read", node,
                              source) from None


def _mapping_entries(node: Any, loader: Any, source: str) -> list[tuple[Any, Any, Any]]:
    """``(key node, value node, key)`` of a mapping node; a key that appears twice is refused (merged
    keys, ``<<``, may still be overridden: they are not in the node's own entries)."""
    entries = [(key_node, value_node, _key_of(key_node, loader)) for key_node, value_node in node.value]
    keys: set = set()
    for key_node, _value_node, key in entries:
        if key is _NO_KEY:
            continue
        if key in keys:
            raise _node_error(f"the key {key!r} appears twice in one mapping", key_node, source,
                              hint="keep one of the two entries")
        keys.add(key)
    return entries


def _node_error(message: str, node: Any, source: str, hint: str | None = None) -> YamlError:
    mark = node.start_mark
    return YamlError(f"invalid YAML: {message} (column {mark.column + 1})", path=source, line=mark.line + 1,
                     hint=hint)


_PLAIN_TAGS = {"tag:yaml.org,2002:" + name: name for name in ("int", "float", "bool", "timestamp")}
_REFUSED_TAGS = ("binary", "set", "omap", "pairs")
_LOADERS: dict[type, type] = {}


def _plain_data_loader(base: type) -> type:
    """``base`` (PyYAML's safe loader, C or pure) building plain data only (see the module docstring)."""
    if base in _LOADERS:
        return _LOADERS[base]
    import math

    import yaml
    from yaml.constructor import ConstructorError, SafeConstructor

    def refuse(node: Any, reason: str) -> ConstructorError:
        return ConstructorError(None, None, reason, node.start_mark)

    class PlainDataLoader(base):
        def construct_object(self, node, deep=False):
            try:
                return super().construct_object(node, deep=deep)
            except yaml.YAMLError:
                raise
            except (ValueError, TypeError, KeyError, AttributeError, IndexError, OverflowError):
                tag = _PLAIN_TAGS.get(node.tag, node.tag)
                shown = repr(node.value[:40]) if isinstance(node.value, str) else "this value"
                raise refuse(node, f"{shown} is not a valid {tag}") from None

    def integer(loader, node):
        text = loader.construct_scalar(node)
        if len(text.replace("_", "")) > MAX_INT_DIGITS + 3:
            raise refuse(node, f"the integer {text[:40]!r}... has more than {MAX_INT_DIGITS} digits")
        value = SafeConstructor.construct_yaml_int(loader, node)
        if abs(value) >= 10**MAX_INT_DIGITS:
            raise refuse(node, f"the integer {text!r} has more than {MAX_INT_DIGITS} digits")
        return value

    def number(loader, node):
        value = SafeConstructor.construct_yaml_float(loader, node)
        if not math.isfinite(value):
            raise refuse(node, f"{node.value[:40]!r} is not a finite number")
        return value

    def unsupported(loader, node):
        raise refuse(node, f"the tag {node.tag.replace('tag:yaml.org,2002:', '!!')} is not supported "
                     "(agentpack reads plain data only)")

    PlainDataLoader.add_constructor("tag:yaml.org,2002:int", integer)
    PlainDataLoader.add_constructor("tag:yaml.org,2002:float", number)
    PlainDataLoader.add_constructor("tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node))
    for name in _REFUSED_TAGS:
        PlainDataLoader.add_constructor("tag:yaml.org,2002:" + name, unsupported)
    _LOADERS[base] = PlainDataLoader
    return PlainDataLoader


def _yaml_error(exc: Any, source: str) -> YamlError:
    """Turn a PyYAML error with a position into a ``YamlError`` at the same (1-based) line."""
    mark = exc.problem_mark or exc.context_mark
    parts = [part for part in (exc.context, exc.problem) if part]
    message = "invalid YAML: " + (", ".join(parts) if parts else "cannot be parsed")
    if mark is not None:
        message += f" (column {mark.column + 1})"
    said = " ".join(parts)
    hint = None
    if "expected a single document" in said:
        hint = "keep exactly one YAML document in the file (remove the extra '---')"
    elif "alias" in said:
        hint = "quote values that start with '*' or '&', e.g. globs: \"**/*\""
    elif " digits" in said or "not a finite number" in said or "is not a valid " in said:
        hint = "quote the value to keep it as text, e.g. id: \"12345678901234567890123\""
    elif "mapping values are not allowed" in said:
        hint = "quote values that contain ': ', e.g. description: \"Triggers on: 'x'\""
    return YamlError(message, path=source, line=mark.line + 1 if mark is not None else None, hint=hint)
