"""The target interface: what one agent tool reads, where, and how a component is translated for it.

A ``Target`` is a description, not code with behaviour of its own: for each component kind it holds
a ``KindRule`` (the folder, the file-name rule and a pure translation of the file's bytes), plus the
merged MCP document the tool reads and the context file (``AGENTS.md``, ``GEMINI.md``) it loads.
Kinds a tool has no folder for are absent from ``kinds`` and explained in ``notes``. Everything here
is pure: bytes in, paths and bytes out; writing goes through the install transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from agentpack.core.records import dataclass, field
from agentpack.core.type_names import Any
from agentpack.errors import UsageError

FILE_KINDS = ("agents", "commands", "rules", "workflows", "patterns")
FOLDER_KINDS = ("skills",)
KINDS = ("agents", "commands", "skills", "rules", "workflows", "patterns")
PREFIX_PACKAGE = "package"

Load = Callable[[str], Any]


@dataclass(frozen=True)
class Component:
    """One installed component of one package, as a target sees it.

    ``name`` is the component's name: the file stem for file kinds (``reviewer`` for
    ``agents/reviewer.md``; ``x`` for ``x.agent.md``, ``x.prompt.md``, ``x.instructions.md``), the
    folder name for skills. File kinds carry their bytes in ``content``; a skill carries every file
    of its folder in ``files`` as ``(path inside the folder, bytes)`` pairs, ``SKILL.md`` among them.
    ``source`` is the component's path inside its package (``rules/style.mdc``); it tells apart two
    components of one package that would get one name (``style.md`` and ``style.mdc``).
    """

    package: str
    kind: str
    name: str
    content: bytes = b""
    files: tuple[tuple[str, bytes], ...] = ()
    source: str = ""


@dataclass(frozen=True)
class Context:
    """What a translation needs besides the bytes: the output name and the YAML loader.

    ``name`` is the name the component gets in the tool (the component's own name, or
    ``<package>-<name>`` under ``prefix: package``); ``prefixed`` says which; ``load`` parses YAML
    text (``yaml.safe_load`` or ``adapters.yamlio``), passed in because the core does no I/O.
    """

    name: str
    prefixed: bool
    load: Load


Translate = Callable[[bytes, Context], bytes]


def identity(content: bytes, context: Context) -> bytes:
    """The translation of a file the tool reads as it is: the same bytes."""
    return content


@dataclass(frozen=True)
class KindRule:
    """Where one component kind goes for one tool, and how its bytes change on the way.

    ``directory`` is relative to the workspace root; ``file_name`` is a pattern with ``{name}``
    (``{name}.agent.md``); for a folder kind (skills) it names the folder and every file of the
    skill keeps its path inside it. ``translate`` maps a file's bytes to the bytes the tool reads;
    for skills it is applied to ``SKILL.md`` only, every other file is copied byte for byte.
    """

    directory: str
    file_name: str
    translate: Translate = identity
    folder: bool = False

    def path(self, name: str) -> str:
        return f"{self.directory}/{self.file_name.format(name=name)}"


@dataclass(frozen=True)
class McpRule:
    """The merged document a tool reads MCP servers from.

    ``path`` is the file (``.mcp.json``); ``format`` is ``json`` or ``toml``; ``container`` is the
    key path of the servers mapping inside it (``("mcpServers",)``); ``entry`` turns one server of
    a package (``{command, args, env}`` or ``{url, headers}``) into the tool's own entry.
    """

    path: str
    format: str
    container: tuple[str, ...]
    entry: Callable[[Mapping[str, Any]], dict]


@dataclass(frozen=True)
class Target:
    """One agent tool: its name, how to spot it in a workspace, and where each kind goes.

    ``markers`` are workspace-relative paths whose presence suggests the tool is used (checked by
    the caller, in table order). ``kinds`` maps a component kind to its rule; a kind missing there
    is not written for this tool and ``notes[kind]`` says why. ``context_file`` is the instructions
    file the tool loads at start (``AGENTS.md``), where the ``agents-md`` section is written.
    ``also_reads[kind]`` lists the other tools' folders this tool loads that kind from too (VS Code
    reads ``.claude/agents``): when both tools are targets, writing both would show every
    component twice, which ``duplicate_readers`` reports.
    """

    name: str
    title: str
    markers: tuple[str, ...]
    kinds: Mapping[str, KindRule]
    mcp: McpRule | None = None
    context_file: str | None = None
    notes: Mapping[str, str] = field(default_factory=dict)
    also_reads: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class TargetFile:
    """One file to write for a target: its workspace path, bytes, and the component it came from."""

    path: str
    content: bytes
    package: str
    kind: str
    name: str


_SUFFIXES = (".agent.md", ".prompt.md", ".instructions.md", ".md", ".mdc")


def components_of(manifest: Mapping, files: Mapping[str, bytes]) -> list[Component]:
    """The components a package manifest lists, with their bytes from ``files`` (package paths).

    A listed file missing from ``files`` (disabled, or removed after install) is left out; a skill
    is left out when none of its files is there.
    """
    from agentpack.core.components import skill_files, skill_name

    name = str(manifest["name"])
    found = []
    for kind in FILE_KINDS:
        for path in manifest.get(kind) or ():
            if path in files:
                found.append(Component(name, kind, component_stem(path), content=files[path], source=path))
    for folder in manifest.get("skills") or ():
        inside = skill_files(folder, files)
        if inside:
            found.append(Component(name, "skills", skill_name(folder), source=folder,
                                   files=tuple((p[len(folder) + 1:], files[p]) for p in inside)))
    return found


def component_stem(path: str) -> str:
    """A file component's name: its base name without ``.agent.md``, ``.prompt.md``, ``.md``..."""
    base = path.rsplit("/", 1)[-1]
    for suffix in _SUFFIXES:
        if base.endswith(suffix) and len(base) > len(suffix):
            return base[: -len(suffix)]
    return base


def output_name(component: Component, prefix: str | None) -> str:
    """The name a component gets in the tool: its own, or ``<package>-<name>`` under a prefix.

    ``prefix`` is ``None`` or ``"package"`` (the per-target ``prefix: package`` option). A scoped
    package ``team/pkg`` prefixes ``team-pkg-``. Raises ``UsageError`` for any other prefix value.
    """
    check_prefix(prefix)
    if prefix is None:
        return component.name
    return f"{component.package.replace('/', '-')}-{component.name}"


def check_prefix(prefix: str | None) -> None:
    """Raise ``UsageError`` unless ``prefix`` is ``None`` or ``"package"``."""
    if prefix not in (None, PREFIX_PACKAGE):
        raise UsageError(
            f"unknown target prefix {prefix!r}",
            field="prefix",
            hint=f"the only prefix is {PREFIX_PACKAGE!r}, which names outputs <package>-<name>",
        )


def output_paths(target: Target, component: Component, prefix: str | None = None) -> list[str]:
    """Every workspace path ``target`` writes for ``component`` (empty when the kind has no rule).

    A file kind gives one path; a skill gives one path per file of its folder, sorted.
    """
    rule = target.kinds.get(component.kind)
    if rule is None:
        return []
    base = rule.path(output_name(component, prefix))
    if rule.folder:
        return sorted(f"{base}/{relpath}" for relpath, _ in component.files)
    return [base]


def translate(target: Target, component: Component, load: Load, prefix: str | None = None) -> list[TargetFile]:
    """The files ``target`` reads for ``component``: paths and translated bytes, sorted by path.

    Returns an empty list when the tool has no folder for the component's kind. Translations are
    pure and deterministic; a file the tool reads unchanged comes back byte for byte (BOM, CRLF and
    frontmatter formatting included). Raises ``ValidationError`` (from the translation) when a file
    cannot be translated, e.g. frontmatter that must be rewritten but does not parse.
    """
    rule = target.kinds.get(component.kind)
    if rule is None:
        return []
    name = output_name(component, prefix)
    context = Context(name=name, prefixed=prefix is not None, load=load)
    base = rule.path(name)
    made = []
    if rule.folder:
        for relpath, content in sorted(component.files):
            data = rule.translate(content, context) if relpath == "SKILL.md" else content
            made.append(TargetFile(f"{base}/{relpath}", data, component.package, component.kind, component.name))
    else:
        made.append(TargetFile(base, rule.translate(component.content, context), component.package,
                               component.kind, component.name))
    return made
