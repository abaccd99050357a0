"""Reading and writing YAML safely: size and alias limits, line numbers, one document only.

Every YAML document agentpack reads (package.yaml, frontmatter, workspace files, archive content)
goes through ``load_yaml``. It uses PyYAML's safe loader (the libyaml C loader when installed, for
speed) and adds what PyYAML does not do by itself:

- a byte limit, checked before parsing;
- a node limit that counts an alias every time it is reached, so a "billion laughs" document (a
  few lines that expand to billions of nodes) is refused after ``max_nodes`` steps instead of
  exhausting memory in whoever walks the result;
- a map from each key path to its 1-based line, so validation can point at the offending line;
- errors as ``YamlError`` with the source and line, never PyYAML's exception types.

``yaml`` is imported inside the functions: the command's start-up time is measured and most
commands never read YAML.
"""

from __future__ import annotations

from typing import Any

from agentpack.errors import YamlError

DEFAULT_MAX_BYTES = 1_048_576
DEFAULT_MAX_NODES = 100_000
_BOM = "\ufeff"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_STR_TAG = "tag:yaml.org,2002:str"


def load_yaml(
    text: str | bytes,
    *,
    source: str,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_nodes: int = DEFAULT_MAX_NODES,
) -> tuple[Any, dict[tuple, int]]:
    """Parse one YAML document safely and return ``(data, lines)``.

    ``lines`` maps the path of every node reachable through mappings and sequences (a tuple of
    keys and list indices; ``()`` is the root) to the 1-based line where it starts; for a mapping
    entry that is the line of its key. An empty document gives ``(None, {})``. Only plain data is
    built (no Python objects). Raises ``YamlError`` with ``path=source`` when the input is larger
    than ``max_bytes``, is bytes that are not UTF-8, is not valid YAML or holds more than one
    document (with the ``line`` of the problem), or when walking it reaches more than ``max_nodes``
    nodes, counting each alias every time it is used, or a recursive alias.
    """
    text = _decode(text, source=source, max_bytes=max_bytes)
    import yaml

    loader_class = getattr(yaml, "CSafeLoader", None) or yaml.SafeLoader
    loader = None
    try:
        loader = loader_class(text)  # the pure loader already checks the characters here
        node = loader.get_single_node()
        if node is None:
            return None, {}
        key_paths = _walk(node, loader, source=source, max_nodes=max_nodes)
        data = loader.construct_document(node)
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


def _walk(root: Any, loader: Any, *, source: str, max_nodes: int) -> dict[tuple, int]:
    """Count the nodes of the composed tree (aliases each time reached) and record key lines.

    The walk is iterative so deep nesting cannot overflow the stack, and it keeps the set of nodes
    on the current path so a recursive alias (``&a [*a]``) is reported instead of looping until the
    node limit.
    """
    import yaml

    lines: dict[tuple, int] = {}
    count = 0
    on_path: set[int] = set()
    # Entries are (node, path, line) to enter, or (node, None, 0) to leave.
    stack: list[tuple[Any, tuple | None, int]] = [(root, (), root.start_mark.line + 1)]
    while stack:
        node, path, line = stack.pop()
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
            continue
        on_path.add(id(node))
        stack.append((node, None, 0))
        if isinstance(node, yaml.SequenceNode):
            for index in range(len(node.value) - 1, -1, -1):
                child = node.value[index]
                stack.append((child, (*path, index), child.start_mark.line + 1))
        elif isinstance(node, yaml.MappingNode):
            for key_node, value_node in reversed(node.value):
                key = _key_of(key_node, loader)
                key_line = key_node.start_mark.line + 1
                # A merge key ('<<') or a key that cannot be a dict key has no path of its own;
                # its value is still walked (and counted) under the mapping's path.
                child_path = path if key is _NO_KEY else (*path, key)
                stack.append((value_node, child_path, key_line))
                stack.append((key_node, _KEY_PATH, key_line))
    lines.pop(_KEY_PATH, None)
    return lines


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
    elif "mapping values are not allowed" in said:
        hint = "quote values that contain ': ', e.g. description: \"Triggers on: 'x'\""
    return YamlError(message, path=source, line=mark.line + 1 if mark is not None else None, hint=hint)
