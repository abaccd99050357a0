"""Deploying installed packages into the agent tools a workspace targets (``targets:`` in agentops.yaml).

Every sync recomputes the whole deployment from what the workspace will hold after the commit: each
package's installed components (less what local files and the tier disable), the workspace's own
custom components, and each package's effective ``mcp_servers`` configuration. The result is a plan
of writes and deletions that goes through the same transaction as installed files, so a target is
added, switched or removed all at once or not at all.

Ownership, decided in this order:
1. agentops owns a file in a tool folder only when ``.agentops/deployed`` records it with its digest
   (or, on a fresh clone where that record is absent, when the file on disk is byte for byte what the
   lock's ``deployed`` section says agentops wrote). A tampered lock can never make a user's file
   agentops's: it can only name a digest the file already has.
2. A file at an output path that agentops does not own is the user's: it is never touched or claimed,
   even under --force; the command stops and names it (rename it, or use ``prefix: package``).
3. An owned file the user edited is treated like an edited installed file (core.conffiles): kept when
   the new output is the same as before, else the command stops, unless --force, which backs it up.
4. Merged documents (``AGENTS.md``, ``GEMINI.md``, the MCP files) are shared with the user: only the
   section between the markers and the MCP servers agentops wrote are its own; an owned server the
   user edited is treated like an edited file (rule 3).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping

from agentpack.core.filenames import DEPLOYED_STATE
from agentpack.core.records import dataclass, field
from agentpack.core.target_markers import CONTEXT_FILES
from agentpack.errors import Problem, WorkspaceError

_MAX_SKILL_FILES = 10_000  # files read from one custom skill folder


@dataclass
class DeployPlan:
    """What deploying into the targets changes: whole files to write and delete, merged documents to
    rewrite, edited files (stop, or back up under --force), the user's files in the way (always
    stop), and what to record (the lock's ``deployed`` section and ``.agentops/deployed``)."""

    writes: dict[str, bytes] = field(default_factory=dict)
    deletes: list[str] = field(default_factory=list)
    edited: list[Problem] = field(default_factory=list)
    refused: list[Problem] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    deployed: dict[str, dict[str, str]] = field(default_factory=dict)
    record: str = ""
    paths: list[str] = field(default_factory=list)  # every path a target holds after the commit
    notes: list[str] = field(default_factory=list)  # user MCP entries kept, kinds one tool covers twice
    counts: dict[str, int] = field(default_factory=dict)  # target -> files written for it


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_record(ws) -> dict:
    """``.agentops/deployed``: {"files": {path: sha256}, "servers": {document: {name: sha256}}}.

    A record that is not JSON of that shape owns nothing: every file in a tool folder is then
    treated as the user's, which can stop a command but never lose a file.
    """
    from agentpack.core.bounded_json import parse_json

    text = ws.read_text(DEPLOYED_STATE)
    if not text:
        return {"files": {}, "servers": {}}
    try:
        data = parse_json(text, source=DEPLOYED_STATE, error=WorkspaceError)
    except WorkspaceError:
        return {"files": {}, "servers": {}}
    files = data.get("files") if isinstance(data, dict) else None
    servers = data.get("servers") if isinstance(data, dict) else None
    files = {str(k): v for k, v in files.items() if isinstance(v, str)} if isinstance(files, dict) else {}
    servers = {str(doc): {str(n): d for n, d in names.items() if isinstance(d, str)}
               for doc, names in servers.items() if isinstance(names, dict)} if isinstance(servers, dict) else {}
    return {"files": files, "servers": servers}


def plan_deploy(ws, choices, new_lock, on_disk, snapshots: Mapping[str, Mapping], adaptation,
                old_lock) -> DeployPlan:
    """The deployment of ``new_lock``'s packages into ``choices`` (``TargetChoice``s), as a plan.

    ``on_disk(path)`` gives the bytes a workspace path will hold after the commit (installed files
    being written, else the disk). ``snapshots`` are the packages' install snapshots (manifest and
    file map); ``adaptation`` gives custom components and effective configuration. Raises
    ``ValidationError`` for name clashes between packages, before anything is written. Edited
    files are listed in ``edited`` whatever the caller's --force: it stops at them or backs them up.
    """
    record = read_record(ws)
    if not choices and not record["files"] and not record["servers"] and \
            not any(os.path.lexists(ws.path(name)) for name in CONTEXT_FILES):
        # No target now, nothing deployed before, no shared document that may hold a section of
        # agentops's: nothing to plan, and no tool's rules to load for it.
        return DeployPlan(record=_record_text({}, {}))
    from agentpack.adapters.yamlio import load_yaml
    from agentpack.core.targets import TARGETS, duplicate_readers
    from agentpack.core.targets.clashes import plan_files

    def load(text):
        return load_yaml(text, source="frontmatter")[0]

    plan = DeployPlan()
    located = _components(ws, new_lock, on_disk, snapshots, adaptation)
    components = [component for component, _where in located]
    enabled = [choice.name for choice in choices]
    skipped = {(name, kind): other for name, kind, other in duplicate_readers(enabled)}
    for (name, kind), other in sorted(skipped.items()):
        plan.notes.append(f"{name}: {kind} not written, {TARGETS[name].title} already reads them from {other}'s folder")
    wanted: dict[str, tuple[str, bytes]] = {}  # path -> (target, bytes)
    for choice in choices:
        target = TARGETS[choice.name]
        mine = [c for c in components if (choice.name, c.kind) not in skipped]
        for made in plan_files(target, mine, load, choice.prefix):
            wanted[made.path] = (choice.name, made.content)
            plan.deployed.setdefault(choice.name, {})[made.path] = sha(made.content)
    _plan_whole_files(ws, wanted, record, old_lock, plan)
    _plan_context_files(ws, choices, located, load, plan)
    new_servers = _plan_mcp(ws, choices, new_lock, adaptation, record, plan)
    plan.record = _record_text({p: sha(b) for p, (_t, b) in sorted(wanted.items())}, new_servers)
    for target, files in plan.deployed.items():
        plan.counts[target] = len(files)
    plan.paths = sorted(set(wanted) | {p for files in plan.deployed.values() for p in files})
    return plan


def _record_text(files: dict[str, str], servers: dict) -> str:
    """``.agentops/deployed``'s text for the files and MCP servers agentops owns once deployed."""
    return json.dumps({"files": files, "servers": servers}, indent=1, sort_keys=True) + "\n"


def _components(ws, new_lock, on_disk, snapshots, adaptation) -> list[tuple]:
    """Every component the workspace holds after the commit, with its workspace path (a skill's
    SKILL.md): each package's installed ones, then the custom ones its local file lists."""
    from agentpack.core.targets.base import Component, component_stem, components_of

    found = []
    for name in sorted(new_lock.packages):
        snapshot = snapshots.get(name) or {}
        manifest = snapshot.get("manifest") or {}
        mapping = snapshot.get("files") or {}
        files, where = {}, {}
        for dest in new_lock.packages[name].files:
            src = mapping.get(dest)
            data = on_disk(dest) if src is not None else None
            if data is not None:
                files[src], where[src] = data, dest
        if manifest.get("name"):
            for component in components_of(manifest, files):
                source = f"{component.source}/SKILL.md" if component.kind == "skills" else component.source
                found.append((component, where.get(source, component.source)))
        for kind, entries in adaptation.custom_components(name, snapshot).items():
            for entry in entries:
                path = entry["path"].rstrip("/")
                if kind == "skills":
                    component = Component(name, kind, path.rsplit("/", 1)[-1], files=_folder_files(ws, path),
                                          source=path)
                    found.append((component, f"{path}/SKILL.md"))
                elif kind in ("agents", "commands", "rules", "workflows", "patterns"):
                    data = on_disk(path)
                    if data is not None:
                        found.append((Component(name, kind, component_stem(path), content=data, source=path), path))
    return found


def _folder_files(ws, folder: str) -> tuple[tuple[str, bytes], ...]:
    """Every regular file under workspace folder ``folder`` (no links followed), as (relpath, bytes)."""
    root = ws.path(folder)
    found = []
    for current, dirs, names in os.walk(root, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not os.path.islink(os.path.join(current, d)))
        for name in sorted(names):
            full = os.path.join(current, name)
            if os.path.islink(full) or not os.path.isfile(full):
                continue
            if len(found) >= _MAX_SKILL_FILES:
                raise WorkspaceError(f"{folder} holds more than {_MAX_SKILL_FILES} files", path=folder)
            rel = os.path.relpath(full, root).replace(os.sep, "/")
            with open(full, "rb") as handle:
                found.append((rel, handle.read()))
    return tuple(found)


def _disk_sha(ws, path: str) -> str | None:
    data = ws.read_bytes(path)
    return None if data is None else sha(data)


def _plan_whole_files(ws, wanted, record, old_lock, plan: DeployPlan) -> None:
    """Rules 1-3 of the module docstring for files a target holds whole."""
    from agentpack.core.conffiles import CONFLICT, KEEP, SKIP, decide_delete, decide_write

    owned = record["files"]
    claimed = {p: d for files in old_lock.deployed.values() for p, d in files.items()}
    for path, (target, data) in sorted(wanted.items()):
        current = _disk_sha(ws, path)
        installed = owned.get(path)
        if installed is None and current is not None and claimed.get(path) == current:
            installed = current  # a fresh clone: the file is what the lock says agentops wrote
        action = decide_write(current, installed, sha(data))
        if action == SKIP:
            continue
        if action == CONFLICT and installed is None:
            plan.refused.append(Problem("error", "user-file", f"{path} is your own file, not one agentops wrote; "
                                        f"the {target} target would write a component there", path=path))
        elif action == KEEP:
            plan.kept.append(path)
        else:
            if action == CONFLICT:
                plan.edited.append(Problem("error", "edited-file",
                                           f"{path} was edited after it was deployed and the {target} "
                                           "target would replace it", path=path))
            plan.writes[path] = data
    for path, digest in sorted(owned.items()):
        if path in wanted:
            continue
        action = decide_delete(_disk_sha(ws, path), digest)
        if action == CONFLICT:
            plan.edited.append(Problem("error", "edited-file",
                                       f"{path} was edited after it was deployed and would be removed", path=path))
        if action != SKIP:
            plan.deletes.append(path)


def _plan_context_files(ws, choices, located, load, plan: DeployPlan) -> None:
    """The generated section of AGENTS.md / GEMINI.md for every target that loads such a file."""
    from agentpack.core.targets import TARGETS
    from agentpack.core.targets.agents_md import BEGIN, END, Entry, describe, render_agents_md

    files: dict[str, list[str]] = {target.context_file: [] for target in TARGETS.values() if target.context_file}
    for choice in choices:
        context = TARGETS[choice.name].context_file
        if context:
            files[context].append(choice.name)
    entries: list[Entry] = []
    for path, targets in sorted(files.items()):
        existing = ws.read_text(path)
        if not targets and (existing is None or BEGIN not in existing):
            continue  # no target loads it and it holds no section of agentops's: not agentops's business
        if targets and not entries:
            entries = [Entry(component.package, component.kind, component.name, describe(component, load), where)
                       for component, where in located]
        text = render_agents_md(existing, entries if targets else [], file_name=path)
        section = text[text.find(BEGIN):text.find(END)] if text and BEGIN in text else ""
        for target in targets if section else ():
            plan.deployed.setdefault(target, {})[path] = sha(section.encode("utf-8"))
        if text == "" and existing:
            plan.deletes.append(path)  # it held nothing but agentops's section
        elif text is not None and text != existing:
            plan.writes[path] = text.encode("utf-8")


def _plan_mcp(ws, choices, new_lock, adaptation, record, plan: DeployPlan) -> dict:
    """Merge each package's effective MCP servers into every target's MCP document; returns the
    servers now owned, per document, with their entries' digests (rule 4)."""
    from agentpack.core.targets import TARGETS
    from agentpack.core.targets.clashes import find_server_clashes, raise_for_clashes
    from agentpack.core.targets.mcp import merge_mcp_json, merge_mcp_toml

    offered = {name: dict(servers) for name in sorted(new_lock.packages)
               if isinstance(servers := adaptation.effective.get(name, {}).get("mcp_servers"), dict) and servers}
    owned_before = record["servers"]
    owned_after: dict[str, dict[str, str]] = {}
    documents = {}
    for choice in choices:
        rule = TARGETS[choice.name].mcp
        if rule is not None:
            documents.setdefault(rule.path, (choice.name, rule))
    for path in sorted(set(owned_before) - {rule.path for _n, rule in documents.values()}):
        documents[path] = (None, None)  # a target removed: its servers go
    if any(rule is not None for _target, rule in documents.values()):
        raise_for_clashes(find_server_clashes("MCP", offered))
    for path, (target, rule) in sorted(documents.items()):
        wanted: dict[str, dict] = {}
        if rule is not None:
            for package in sorted(offered):
                for server, spec in sorted(offered[package].items()):
                    if isinstance(spec, dict):
                        wanted.setdefault(server, rule.entry(spec))
        owned = owned_before.get(path, {})
        if not wanted and not owned:
            continue  # nothing of agentops's there: a document it cannot parse (JSONC) is none of its business
        existing = ws.read_text(path)
        fmt = rule.format if rule is not None else ("toml" if path.endswith(".toml") else "json")
        current = _current_servers(existing, fmt, rule, path)
        for server, digest in sorted(owned.items()):
            entry = current.get(server)
            if entry is None or _entry_sha(entry) == digest:
                continue
            if server in wanted and _entry_sha(wanted[server]) == digest:
                wanted.pop(server)  # the user's edit stays: agentops would write what it wrote before
                plan.kept.append(f"{path}#{server}")
                owned_after.setdefault(path, {})[server] = digest
            else:
                plan.edited.append(Problem("error", "edited-file", f"{path}: MCP server {server!r} was edited "
                                           "after it was deployed and would be replaced or removed", path=path))
        if fmt == "toml":
            merged = merge_mcp_toml(existing, wanted, owned, path=path)
        else:
            container = rule.container if rule is not None else _container_of(path)
            merged = merge_mcp_json(existing, container, wanted, owned, path=path)
        for server in merged.clashes:
            plan.notes.append(f"{path}: your own MCP server {server!r} is kept; the package's server of that name "
                              "is not written")
        for server in merged.written:
            owned_after.setdefault(path, {})[server] = _entry_sha(wanted[server])
        if merged.changed:
            plan.writes[path] = merged.text.encode("utf-8")
        if target is not None and path in owned_after:
            digest = sha(json.dumps(owned_after[path], sort_keys=True).encode("utf-8"))
            plan.deployed.setdefault(target, {})[path] = digest
    return owned_after


def _container_of(path: str) -> tuple[str, ...]:
    from agentpack.core.targets import TARGETS

    for target in TARGETS.values():
        if target.mcp is not None and target.mcp.path == path:
            return target.mcp.container
    return ("mcpServers",)


def _current_servers(existing: str | None, fmt: str, rule, path: str) -> dict:
    """The servers a document holds now (empty when it is absent or unreadable: the merge reports that)."""
    if not existing or not existing.strip():
        return {}
    try:
        if fmt == "toml":
            import tomllib

            node = tomllib.loads(existing).get("mcp_servers", {})
        else:
            node = json.loads(existing)
            for key in (rule.container if rule is not None else _container_of(path)):
                node = node.get(key, {}) if isinstance(node, dict) else {}
    except ValueError:
        return {}
    return node if isinstance(node, dict) else {}


def _entry_sha(entry) -> str:
    return sha(json.dumps(entry, sort_keys=True, ensure_ascii=False).encode("utf-8"))
