"""Merging package MCP servers into the documents tools read them from, keeping the user's own.

``.mcp.json``, ``.vscode/mcp.json``, ``.cursor/mcp.json``, ``.gemini/settings.json`` and
``opencode.json`` are JSON documents shared with the user; ``.codex/config.toml`` is TOML. agentops
owns only the servers it wrote before (``owned``, from the lock) and the ones packages offer now.

The merge rules are written once, in ``merge_mcp_json``'s docstring; ``merge_mcp_toml`` applies
the same rules to TOML.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterable, Mapping

from agentpack.core.records import dataclass
from agentpack.core.targets import toml_text
from agentpack.core.type_names import Any
from agentpack.errors import WorkspaceError


def server_entry(spec: Mapping[str, Any], *, stdio: Mapping[str, Any] = {}, remote: Mapping[str, Any] = {},
                 url_key: str = "url", headers_key: str = "headers") -> dict:
    """One tool's entry for a package server: ``{command, args, env}`` or ``{url, headers}``.

    ``stdio`` and ``remote`` are fixed fields a tool wants first (``{"type": "http"}``);
    ``url_key``/``headers_key`` rename the remote fields (Gemini's ``httpUrl``, Codex's
    ``http_headers``). Empty ``args``, ``env`` and ``headers`` are left out.
    """
    if "url" in spec:
        entry = {**remote, url_key: spec["url"]}
        if spec.get("headers"):
            entry[headers_key] = dict(spec["headers"])
        return entry
    entry = {**stdio, "command": spec["command"]}
    if spec.get("args"):
        entry["args"] = list(spec["args"])
    if spec.get("env"):
        entry["env"] = dict(spec["env"])
    return entry


@dataclass(frozen=True)
class McpMerge:
    """The result of a merge: the new text, the names that clash with user entries, whether it changed."""

    text: str
    clashes: tuple[str, ...]
    changed: bool
    written: tuple[str, ...] = ()


def merge_mcp_json(existing: str | None, container: tuple[str, ...], wanted: Mapping[str, dict],
                   owned: Iterable[str], *, path: str = "mcp.json") -> McpMerge:
    """Merge ``wanted`` servers into the JSON document ``existing`` under ``container``.

    ``owned`` names the servers agentops wrote before. Raises ``WorkspaceError`` (``path``) when
    the document is not a JSON object (JSON with comments included: agentops will not drop them),
    has duplicate keys, or the container is not an object. No document and no servers give an
    empty, unchanged result: there is nothing to write.

    Merge rules, in order (``merge_mcp_toml`` applies the same):
    1. A wanted server whose name is a user entry (present, not owned) is a clash: reported, and the
       user's entry is left exactly as it is; the package's server is not written.
    2. A wanted server that is owned (or absent) is written: in place when it exists, so key order is
       kept, else appended after the existing entries, new names in sorted order.
    3. An owned server no longer wanted is removed.
    4. Every other key of the document, and every user entry, keeps its value and its place.
    5. When nothing changes, the original text comes back byte for byte (``changed`` is false);
       otherwise JSON is written with the document's own indentation (two spaces for a new file) and a
       final newline; TOML edits replace only the owned servers' tables.
    """
    owned = set(owned)
    if existing is None and not wanted:
        return McpMerge("", (), False)
    document = _load_json(existing, path) if existing and existing.strip() else {}
    servers = _container(document, container, path)
    before = json.dumps(document, sort_keys=False)
    clashes = tuple(sorted(name for name in wanted if name in servers and name not in owned))
    merged: dict = {}
    for name, entry in servers.items():
        if name in wanted and name not in clashes:
            merged[name] = wanted[name]
        elif name not in owned or name in clashes:
            merged[name] = entry
    for name in sorted(wanted):
        if name not in merged:
            merged[name] = wanted[name]
    _set_container(document, container, merged)
    written = tuple(sorted(name for name in wanted if name not in clashes))
    if existing is not None and json.dumps(document, sort_keys=False) == before:
        return McpMerge(existing, clashes, False, written)
    text = json.dumps(document, indent=_indent(existing), ensure_ascii=False) + "\n"
    return McpMerge(text, clashes, text != existing, written)


def _load_json(text: str, path: str) -> dict:
    from agentpack.core.bounded_json import parse_json

    # Bounded (size, depth, numbers), duplicate keys refused: see core.bounded_json.
    document = parse_json(text, source=path, error=WorkspaceError,
                          hint="agentops will not rewrite it: remove comments and trailing commas, or add "
                               "the servers by hand")
    if not isinstance(document, dict):
        raise WorkspaceError(f"{path} is not a JSON object", path=path)
    return document


def _container(document: dict, keys: tuple[str, ...], path: str) -> dict:
    node: Any = document
    for key in keys:
        node = node.get(key, {}) if isinstance(node, dict) else None
        if not isinstance(node, dict):
            raise WorkspaceError(f"{path}: '{'.'.join(keys)}' is not an object", path=path, field=".".join(keys))
    return node


def _set_container(document: dict, keys: tuple[str, ...], value: dict) -> None:
    node = document
    for key in keys[:-1]:
        node = node.setdefault(key, {})
    node[keys[-1]] = value


def _indent(text: str | None) -> str | int:
    for line in (text or "").splitlines():
        stripped = line.lstrip(" \t")
        if stripped and len(stripped) < len(line):
            return line[: len(line) - len(stripped)]
    return 2


def merge_mcp_toml(existing: str | None, wanted: Mapping[str, dict], owned: Iterable[str], *,
                   path: str = ".codex/config.toml") -> McpMerge:
    """Merge ``wanted`` servers into a Codex ``config.toml`` as ``[mcp_servers.<name>]`` tables.

    Same rules as ``merge_mcp_json`` (its docstring). Owned servers' tables (and their
    sub-tables, ``[mcp_servers.<name>.env]``) are cut out as text and a new table is put where the
    first of them was; new servers are appended. Every other line keeps its bytes. Raises
    ``WorkspaceError`` when the text is not valid TOML, when an owned server is defined inline
    (``mcp_servers = {...}``) so its lines cannot be told apart, or when the edit would change
    anything but the owned servers.
    """
    owned = set(owned)
    text = existing or ""
    data = _load_toml(text, path)
    servers = data.get("mcp_servers", {})
    if not isinstance(servers, dict):
        raise WorkspaceError(f"{path}: 'mcp_servers' is not a table", path=path, field="mcp_servers")
    clashes = tuple(sorted(name for name in wanted if name in servers and name not in owned))
    written = tuple(sorted(name for name in wanted if name not in clashes))
    touched = {name for name in owned | set(written) if name in servers and name not in clashes}
    kept: list[str | tuple[str]] = []  # text, or (name,) where a replaced server's table goes
    trailing: dict[str, str] = {}
    for header, chunk in _sections(text):
        name = _owned_server(header, touched)
        if name is None:
            kept.append(chunk)
            continue
        if name in written and name not in trailing:
            kept.append((name,))
        trailing[name] = "\n" if chunk.endswith("\n\n") else ""
    placed = {item[0] for item in kept if isinstance(item, tuple)}
    kept = [_table(item[0], wanted[item[0]]) + trailing[item[0]] if isinstance(item, tuple) else item
            for item in kept]
    result = "".join(kept)
    additions = [name for name in written if name not in placed]
    if additions:
        if result and not result.endswith("\n"):
            result += "\n"
        if result and not result.endswith("\n\n"):
            result += "\n"
        result += "\n".join(_table(name, wanted[name]) for name in additions)
    _check_toml_edit(data, result, wanted, written, touched, path)
    if existing is not None and result == existing:
        return McpMerge(existing, clashes, False, written)
    return McpMerge(result, clashes, result != (existing or ""), written)


def _load_toml(text: str, path: str) -> dict:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise WorkspaceError(f"{path} is not valid TOML: {exc}", path=path) from exc


def _table(name: str, entry: Mapping[str, Any]) -> str:
    return f"[mcp_servers.{toml_text.key(name)}]\n" + toml_text.document(entry)


def _sections(text: str) -> list[tuple[tuple[str, ...] | None, str]]:
    """The text cut before every table header line: (header key path or None, the section's text)."""
    sections: list[tuple[tuple[str, ...] | None, str]] = []
    header: tuple[str, ...] | None = None
    current: list[str] = []
    for line in text.splitlines(keepends=True):
        parsed = _header(line)
        if parsed is not None:
            if current or sections:
                sections.append((header, "".join(current)))
            header, current = parsed, []
        current.append(line)
    sections.append((header, "".join(current)))
    return sections


def _header(line: str) -> tuple[str, ...] | None:
    """The key path of a ``[table]`` or ``[[array]]`` header line, or ``None`` for any other line."""
    stripped = line.strip()
    if not stripped.startswith("["):
        return None
    inner = stripped[2:] if stripped.startswith("[[") else stripped[1:]
    try:
        probe = tomllib.loads(f"[{inner[: _closing(inner)]}]\n")
    except tomllib.TOMLDecodeError:
        return None
    keys: list[str] = []
    node: Any = probe
    while isinstance(node, dict) and len(node) == 1:
        key = next(iter(node))
        keys.append(key)
        node = node[key]
    return tuple(keys) or None


def _closing(inner: str) -> int:
    quote = None
    for index, ch in enumerate(inner):
        if quote:
            if ch == quote and (quote == "'" or inner[index - 1] != "\\"):
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "]":
            return index
    return len(inner)


def _owned_server(header: tuple[str, ...] | None, touched: set[str]) -> str | None:
    if header and len(header) >= 2 and header[0] == "mcp_servers" and header[1] in touched:
        return header[1]
    return None


def _check_toml_edit(before: dict, result: str, wanted: Mapping[str, dict], written: tuple[str, ...],
                     touched: set[str], path: str) -> None:
    """Refuse an edit that changed more than the owned servers, or did not land as intended."""
    unsafe = WorkspaceError(
        f"{path} defines an agentops server in a way agentops cannot edit safely (inline or split tables)",
        path=path, hint="move the server into its own [mcp_servers.<name>] table, or remove it",
    )
    try:
        after = tomllib.loads(result)
    except tomllib.TOMLDecodeError as exc:
        raise unsafe from exc
    names = touched | set(written)

    def others(data: dict) -> dict:
        copy = dict(data)
        copy["mcp_servers"] = {k: v for k, v in dict(copy.get("mcp_servers", {})).items() if k not in names}
        return copy

    servers = after.get("mcp_servers", {})
    if others(before) != others(after) or any(servers.get(name) != wanted[name] for name in written) or any(
            name in servers for name in touched - set(written)):
        raise unsafe
