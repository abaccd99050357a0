"""The package manifest (package.yaml): its model, and the validation of a manifest and a package.

Validation collects every problem instead of stopping at the first, so an author fixes a package in
one round. Each finding is a ``Problem`` with a stable code, the file and, where there is one, the
line. Errors block building and publishing; warnings are reported only, and ``strict`` turns them
into errors. Real agent files often carry frontmatter that strict YAML rejects: that is a warning
(``bad-frontmatter``), never an error, so such files stay packageable.

This module is pure: the caller passes the package's files as bytes, the JSON schema as a dict and
the YAML loader as a function, so the same code checks a source folder and an archive's content.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping

from agentpack.core.components import SKILLS, expand_glob, is_glob
from agentpack.core.globs import glob_problem
from agentpack.core.names import check_name
from agentpack.core.records import dataclass, field
from agentpack.core.spec import parse_dependency
from agentpack.core.type_names import Any
from agentpack.core.versions import parse_range, parse_version
from agentpack.errors import InvalidName, InvalidRange, InvalidSpec, InvalidVersion, Problem

MANIFEST_FILE = "package.yaml"
# The seed's kinds, then the tool-facing ones. ``skills`` lists folders; every other kind lists files.
COMPONENT_KINDS = ("agents", "workflows", "patterns", "validations", "commands", "rules", SKILLS)
FILE_KINDS = tuple(kind for kind in COMPONENT_KINDS if kind != SKILLS)
MAP_KINDS = ("config", "documentation")
MCP_SERVERS = "mcp_servers"  # server name -> {command, args, env} or {url, headers}
_TEXT_FIELDS = ("description", "author", "license")
# The seed's "Package Categories", in its order: what a catalog groups packages by.
CATEGORIES = ("domain", "industry", "process", "meta")
# Order of to_dict(): the seed's "Package Structure Specification", with later fields slotted in.
_FIELD_ORDER = (
    "name", "version", "description", "author", "license", "homepage", "keywords", "category",
    "dependencies", *COMPONENT_KINDS, *MAP_KINDS, MCP_SERVERS, "overrides", "tiers", "classification",
)  # fmt: skip
# Schema checks that the code repeats with better messages (a suggested name, the range error).
_RECHECKED = {("name",): "name", ("version",): "version", ("license",): "license"}
_RECHECKED_VALIDATORS = ("pattern", "minLength", "maxLength")


@dataclass(frozen=True)
class Manifest:
    """A package manifest. Paths are relative POSIX paths, normalised (no ``./``, no ``//``)."""

    name: str
    version: str
    description: str = ""
    author: str = ""
    license: str = ""
    dependencies: dict[str, str] = field(default_factory=dict)  # name -> range text, in file order
    agents: tuple[str, ...] = ()
    workflows: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    validations: tuple[str, ...] = ()
    commands: tuple[str, ...] = ()  # prompt / slash-command Markdown files
    rules: tuple[str, ...] = ()  # instruction files (frontmatter may carry globs / applyTo / alwaysApply)
    skills: tuple[str, ...] = ()  # folders, each holding a SKILL.md; the whole folder is the component
    config: dict[str, str] = field(default_factory=dict)
    documentation: dict[str, str] = field(default_factory=dict)
    keywords: tuple[str, ...] = ()
    homepage: str | None = None
    category: str | None = None  # one of CATEGORIES; None: not declared
    mcp_servers: dict = field(default_factory=dict)  # name -> {command, args, env} or {url, headers}
    # dependency name -> config tree this package sets for it (layer 2 of configuration)
    overrides: dict = field(default_factory=dict)
    # tier name -> overlay config file, or {"config": path, "disabled": [component paths]}
    tiers: dict = field(default_factory=dict)
    classification: str | None = None  # None: the lowest level (see core.classification)
    extra: dict = field(default_factory=dict)  # unknown fields, kept as they were

    def listed_files(self) -> list[str]:
        """Every path the manifest lists (components, then config, then documentation), each once,
        in manifest order. A skill is listed by its folder."""
        seen: dict[str, None] = {}
        for kind in COMPONENT_KINDS:
            seen.update(dict.fromkeys(getattr(self, kind)))
        seen.update(dict.fromkeys(self.config.values()))
        seen.update(dict.fromkeys(self.documentation.values()))
        return list(seen)

    def tier_overlays(self) -> dict[str, tuple[str | None, tuple[str, ...]]]:
        """{tier: (overlay config path or None, component paths not available in that tier)}."""
        result = {}
        for tier, entry in self.tiers.items():
            if isinstance(entry, str):
                result[str(tier)] = (_tidy(entry), ())
            elif isinstance(entry, Mapping):
                overlay = entry.get("config")
                disabled = tuple(_tidy(str(p)) for p in entry.get("disabled") or ())
                result[str(tier)] = (_tidy(str(overlay)) if overlay else None, disabled)
        return result

    def component_counts(self) -> dict[str, int]:
        """How many components each kind lists: ``{"agents": n, "workflows": n, ..., "skills": n}``."""
        return {kind: len(getattr(self, kind)) for kind in COMPONENT_KINDS}

    def to_dict(self) -> dict:
        """A JSON-ready dict in manifest field order that is itself a valid package.yaml.

        Empty optional fields are left out; dependencies are written as ``name@range`` strings;
        unknown fields come last, with values that JSON cannot hold (dates) turned into strings.
        """
        data: dict[str, Any] = {"name": self.name, "version": self.version}
        for key in _FIELD_ORDER[2:]:
            value = getattr(self, key)
            if key == "dependencies":
                value = [f"{name}@{rng}" for name, rng in value.items()]
            elif isinstance(value, tuple):
                value = list(value)
            elif isinstance(value, dict):
                value = dict(value)
            if value:
                data[key] = value
        for key, value in self.extra.items():
            data[_json_key(key)] = _jsonable(value)
        return data

    @classmethod
    def from_dict(cls, data: Mapping) -> Manifest:
        """Build a ``Manifest`` from trusted data (e.g. registry metadata) without validating it.

        Accepts what ``to_dict`` returns and raw package.yaml data; dependencies may be ``name@range``
        strings or a mapping of name to range. Paths are normalised as ``check_manifest`` does
        (``./agents/a.md`` -> ``agents/a.md``; unsafe ones are kept as written). Missing optional
        fields get their empty defaults; unknown keys go to ``extra``.
        """
        raw_deps = data.get("dependencies") or ()
        if isinstance(raw_deps, Mapping):
            deps = {str(name): str(rng) for name, rng in raw_deps.items()}
        else:
            deps = {}
            for entry in raw_deps:
                name, _, rng = str(entry).partition("@")
                deps.setdefault(name.strip(), rng.strip() or "*")
        homepage = data.get("homepage")
        return cls(
            name=str(data["name"]),
            version=str(data["version"]),
            **{key: str(data.get(key) or "") for key in _TEXT_FIELDS},
            dependencies=deps,
            **{kind: tuple(map(_tidy, data.get(kind) or ())) for kind in COMPONENT_KINDS},
            **{kind: {k: _tidy(v) for k, v in (data.get(kind) or {}).items()} for kind in MAP_KINDS},
            keywords=tuple(data.get("keywords") or ()),
            homepage=str(homepage) if homepage else None,
            category=str(data["category"]) if data.get("category") else None,
            mcp_servers=dict(data.get(MCP_SERVERS) or {}),
            overrides=dict(data.get("overrides") or {}),
            tiers=dict(data.get("tiers") or {}),
            classification=str(data["classification"]) if data.get("classification") else None,
            extra={key: value for key, value in data.items() if key not in _FIELD_ORDER},
        )


UNKNOWN_FIELD = "unknown-field"  # a warning for validate and build; publish refuses it


def check_manifest(
    data: Any, lines: dict[tuple, int], schema: dict, *, source: str = MANIFEST_FILE, strict: bool = False,
    files: Collection[str] | None = None,
) -> tuple[Manifest | None, list[Problem]]:
    """Validate parsed package.yaml ``data`` and return ``(manifest, problems)``.

    ``lines`` is the key-path -> line map from the YAML loader, used to put a line on every
    problem; ``schema`` is the package JSON schema. Checks the schema, unknown fields (warning
    ``unknown-field``), the name, the version, the license (``no-license``, an error: publishing
    requires one), each dependency (``invalid-dependency``, ``duplicate-dependency``,
    ``self-dependency``) and each listed path (``unsafe-path`` for absolute paths, ``..`` or
    backslashes). Globs in component lists are expanded against ``files`` (the package's paths),
    in sorted order; without ``files`` they are kept as written (``core.package_check`` reports
    globs that match nothing). Files themselves are not looked at. The manifest is built whenever ``data`` is a
    mapping whose name and version are strings, even if problems were found: callers must check the
    problems for errors. ``strict`` turns warnings into errors. Problems are sorted by line.
    """
    if not isinstance(data, dict):
        kind = "empty" if data is None else f"a {type(data).__name__}"
        problem = Problem(
            "error", "not-a-mapping", f"{source} must be a mapping of fields (name: ..., version: ...), "
            f"but it is {kind}", path=source, line=lines.get(()),
        )  # fmt: skip
        return None, [problem]
    problems = _schema_problems(data, lines, schema, source)
    problems += _unknown_fields(data, lines, schema, source)
    problems += _identity_problems(data, lines, source)
    dependencies, found = _dependencies(data, lines, source)
    problems += found
    paths: dict[str, Any] = {kind: [] for kind in COMPONENT_KINDS} | {kind: {} for kind in MAP_KINDS}
    seen: dict[str, int | None] = {}
    for entry_path, raw, line in path_entries(data, lines, files):
        normalized, reason = normalize_path(raw)
        if reason is not None:
            where = describe_key_path(entry_path)
            problems.append(
                key_problem("error", "unsafe-path", f"{where}: {raw!r} {reason}", source, line, entry_path)
            )
            continue
        if normalized in seen and entry_path[0] in COMPONENT_KINDS and is_glob(data[entry_path[0]][entry_path[1]]):
            continue  # a glob may overlap with another entry; its matches are listed once, silently
        if normalized in seen:
            message = f"{describe_key_path(entry_path)}: {raw!r} is listed more than once (first on line {seen[normalized]})"
            problems.append(key_problem("warning", "duplicate-path", message, source, line, entry_path))
        seen.setdefault(normalized, line)
        kind, key = entry_path
        if kind in MAP_KINDS:
            paths[kind][key] = normalized
        else:
            paths[kind].append(normalized)
    manifest = None
    if isinstance(data.get("name"), str) and isinstance(data.get("version"), str):
        manifest = _build(data, dependencies, paths, schema)
    return manifest, finish_problems(problems, strict)


def normalize_path(path: str) -> tuple[str, str | None]:
    """Return ``(normalised path, None)`` for a safe relative path, or ``("", reason)``.

    Normalising drops ``.`` segments and empty segments (``./agents//x.md`` -> ``agents/x.md``).
    A path is unsafe when it is absolute (``/x``, ``C:/x``), uses backslashes, contains a ``..``
    segment or a NUL character, or names nothing; the reason says which, in a few words.
    """
    if ("/." not in path and "//" not in path and "\\" not in path and "\0" not in path and path
            and path[0] not in "./" and path[-1] != "/" and path[1:2] != ":"):
        return path, None  # the usual plain path: nothing to drop and nothing unsafe, as checked below
    if "\\" in path:
        return "", "uses backslashes; write paths with forward slashes"
    if "\0" in path:
        return "", "contains a NUL character"
    if path.startswith("/") or (len(path) > 1 and path[1] == ":" and path[0].isalpha()):
        return "", "is an absolute path; paths must be relative to the package folder"
    parts = [part for part in path.split("/") if part not in ("", ".")]
    if ".." in parts:
        return "", "goes outside the package folder ('..'); paths must stay inside it"
    if not parts:
        return "", "does not name a file"
    return "/".join(parts), None


def _tidy(path: str) -> str:
    normalized, reason = normalize_path(str(path))
    return path if reason is not None else normalized


def _schema_problems(data: dict, lines: dict[tuple, int], schema: dict, source: str) -> list[Problem]:
    """Map each JSON-schema error to a problem at the line of the field it concerns."""
    quick_check, validator = _validators(schema)
    try:
        if quick_check is not None and quick_check(data):
            return []  # what jsonschema would say; it is asked only to name the errors
    except RecursionError:
        pass
    problems = []
    reported: set[tuple] = set()
    for error in validator().iter_errors(data):
        path = tuple(error.absolute_path)
        if error.validator in _RECHECKED_VALIDATORS and (
            path in _RECHECKED or (len(path) == 2 and path[0] == "dependencies")
        ):
            continue
        if error.validator == "required":
            missing = [key for key in error.validator_value if key not in error.instance]
            missing = [key for key in missing if (*path, key) not in reported]
            if not missing:
                continue
            reported.add((*path, missing[0]))
            message = f"the required field {missing[0]!r} is missing"
            problems.append(key_problem("error", "missing-field", message, source, lines.get(()), (missing[0],)))
            continue
        message = f"{describe_key_path(path)}: {_schema_message(error)}"
        problems.append(key_problem("error", "invalid-field", message, source, line_of(lines, path), path))
    return problems


_VALIDATORS: dict[str, tuple] = {}  # by the schema's JSON text: validation runs once per package
_LAST_SCHEMA: list = []  # [schema dict, its validators]: a caller passing one dict each time skips the JSON


def _validators(schema: dict) -> tuple[Any, Any]:
    """(``core.schema_check``'s quick check of ``schema`` or None, a function returning its
    jsonschema validator), made once per schema: the validator on first use only, as jsonschema
    is slow to import and a valid document never needs it."""
    if _LAST_SCHEMA and _LAST_SCHEMA[0] is schema:  # the same dict again (every package of a bundle)
        return _LAST_SCHEMA[1]
    import json

    key = json.dumps(schema)
    found = _VALIDATORS.get(key)
    if found is None:
        import copy
        import functools

        from agentpack.core.schema_check import compile_schema

        own = copy.deepcopy(schema)  # the caller may change its dict afterwards

        @functools.cache
        def validator() -> Any:
            from jsonschema import Draft202012Validator  # imported here: it is slow to import

            return Draft202012Validator(own)

        if len(_VALIDATORS) >= 8:
            _VALIDATORS.clear()
        found = _VALIDATORS[key] = (compile_schema(own), validator)
    _LAST_SCHEMA[:] = [schema, found]  # held, so its id cannot be reused by another dict
    return found


def _schema_message(error: Any) -> str:
    """A short message for one schema error, without the long reprs jsonschema puts in its own."""
    instance, expected = error.instance, error.validator_value
    if error.validator == "type":
        wanted = " or ".join(
            _JSON_TYPES.get(t, t) for t in ([expected] if isinstance(expected, str) else expected)
        )
        message = f"must be {wanted}, not {_json_type(instance)}"
        if expected == "string" and isinstance(instance, (int, float)) and not isinstance(instance, bool):
            # YAML reads 1.2 or 2 as numbers (and 1.10 as 1.1), so only quoting keeps what was typed.
            if tuple(error.absolute_path) == ("version",):
                message += ' (write the full version in quotes, e.g. version: "1.2.0")'
            else:
                message += f' (put it in quotes: "{instance}")'
        return message
    if error.validator == "minLength":
        return "must not be empty"
    if error.validator == "oneOf" and len(error.absolute_path) == 2 and error.absolute_path[0] == MCP_SERVERS:
        return ("must be either {command, args, env} (a local process) or {url, headers} (a remote "
                "server); env and headers values are strings")
    if error.validator == "pattern" and error.absolute_path and error.absolute_path[0] == "homepage":
        return f"{instance!r} is not an http:// or https:// URL"
    text = str(error.message)
    return text if len(text) <= 160 else text[:157] + "..."


_JSON_TYPES = {"string": "a string", "array": "a list", "object": "a mapping", "integer": "an integer"}


_VALUE_KINDS = ((type(None), "empty"), (bool, "a boolean"), ((int, float), "a number"), (str, "a string"),
                (list, "a list"), (dict, "a mapping"))  # fmt: skip


def _json_type(value: Any) -> str:
    return next((label for kinds, label in _VALUE_KINDS if isinstance(value, kinds)), type(value).__name__)


def _unknown_fields(data: dict, lines: dict[tuple, int], schema: dict, source: str) -> list[Problem]:
    known = list(schema.get("properties", {}))
    problems = []
    for key in data:
        if key in known:
            continue
        message = f"unknown field {key!r}"
        if isinstance(key, str):
            import difflib  # only needed when there is something to suggest

            close = difflib.get_close_matches(key.lower(), known, n=1)
            if close:
                message += f" (did you mean {close[0]!r}?)"
        message += "; it is not used, and publish refuses it"
        problems.append(key_problem("warning", UNKNOWN_FIELD, message, source, lines.get((key,)), (key,)))
    return problems


def _identity_problems(data: dict, lines: dict[tuple, int], source: str) -> list[Problem]:
    """Name and version rules the schema cannot express well, and the license publishing needs."""
    problems = []
    name, version, license_ = data.get("name"), data.get("version"), data.get("license")
    if isinstance(name, str):
        message = check_name(name)
        if message is not None:
            problems.append(
                key_problem("error", "invalid-name", message, source, lines.get(("name",)), ("name",))
            )
    if isinstance(version, str):
        try:
            parse_version(version)
        except InvalidVersion as exc:
            line = lines.get(("version",))
            problems.append(key_problem("error", "invalid-version", exc.message, source, line, ("version",)))
    if license_ is None or (isinstance(license_, str) and not license_.strip()):
        message = "no license: publishing requires one, e.g. 'license: MIT' (an SPDX identifier)"
        problems.append(
            key_problem("error", "no-license", message, source, lines.get(("license",)), ("license",))
        )
    return problems


def _dependencies(data: dict, lines: dict[tuple, int], source: str) -> tuple[dict[str, str], list[Problem]]:
    """Parse the dependency entries; report bad, duplicated and self-referencing ones."""
    entries = data.get("dependencies")
    if not isinstance(entries, list):
        return {}, []
    dependencies: dict[str, str] = {}
    first_line: dict[str, int | None] = {}
    problems = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, str):
            continue  # the schema reports the type
        path = ("dependencies", index)
        line = line_of(lines, path)
        try:
            name, range_text = parse_dependency(entry)
        except (InvalidSpec, InvalidName, InvalidRange) as exc:
            message = f"dependency {entry!r}: {exc.message}"
            if exc.hint and not isinstance(exc, InvalidName):
                message += f" ({exc.hint})"
            problems.append(key_problem("error", "invalid-dependency", message, source, line, path))
            continue
        if not parse_range(range_text).can_match():
            message = f"dependency {entry!r}: no version can satisfy {range_text} (its bounds contradict)"
            problems.append(key_problem("error", "empty-range", message, source, line, path))
            continue
        if name == data.get("name"):
            message = f"dependency {entry!r}: a package cannot depend on itself"
            problems.append(key_problem("error", "self-dependency", message, source, line, path))
            continue
        if name in dependencies:
            message = (
                f"dependency {entry!r}: {name!r} is listed more than once (first on line {first_line[name]})"
            )
            problems.append(key_problem("error", "duplicate-dependency", message, source, line, path))
            continue
        dependencies[name] = range_text
        first_line[name] = line
    return dependencies, problems


def path_entries(
    data: dict, lines: dict[tuple, int], files: Collection[str] | None = None
) -> Iterator[tuple[tuple, str, int | None]]:
    """Every string path the manifest lists, as (key path, text as written, line).

    With ``files`` (the package's paths), a glob entry is replaced by each of its sorted matches,
    all with the glob's key path and line; a glob that matches nothing (or is malformed) yields
    nothing (``glob_entry_problems`` reports it). Without ``files``, globs are yielded as written.
    """
    for kind in COMPONENT_KINDS:
        entries = data.get(kind)
        if isinstance(entries, list):
            for index, entry in enumerate(entries):
                if not isinstance(entry, str) or not entry:
                    continue
                line = line_of(lines, (kind, index))
                if files is not None and is_glob(entry):
                    if glob_problem(entry) is None:
                        for match in expand_glob(kind, entry, files):
                            yield (kind, index), match, line
                    continue
                yield (kind, index), entry, line
    for kind in MAP_KINDS:
        entries = data.get(kind)
        if isinstance(entries, dict):
            for key, entry in entries.items():
                if isinstance(entry, str) and entry:
                    yield (kind, key), entry, line_of(lines, (kind, key))


def _build(data: dict, dependencies: dict[str, str], paths: dict[str, Any], schema: dict) -> Manifest:
    """The manifest from checked data; values of the wrong type are left at their defaults."""
    known = schema.get("properties", {})
    keywords = data.get("keywords")
    homepage = data.get("homepage")
    return Manifest(
        name=data["name"],
        version=data["version"],
        **{key: data[key] if isinstance(data.get(key), str) else "" for key in _TEXT_FIELDS},
        dependencies=dependencies,
        **{kind: tuple(paths[kind]) for kind in COMPONENT_KINDS},
        **{kind: dict(paths[kind]) for kind in MAP_KINDS},
        keywords=tuple(k for k in keywords if isinstance(k, str)) if isinstance(keywords, list) else (),
        homepage=homepage if isinstance(homepage, str) and homepage else None,
        category=data["category"] if data.get("category") in CATEGORIES else None,
        mcp_servers=_jsonable(data[MCP_SERVERS]) if isinstance(data.get(MCP_SERVERS), dict) else {},
        overrides=_jsonable(data["overrides"]) if isinstance(data.get("overrides"), dict) else {},
        tiers=_jsonable(data["tiers"]) if isinstance(data.get("tiers"), dict) else {},
        classification=data["classification"] if isinstance(data.get("classification"), str) else None,
        extra={key: value for key, value in data.items() if key not in known},
    )


def key_problem(severity: str, code: str, message: str, source: str, line: int | None, path: tuple) -> Problem:
    top = path[0] if path else None
    return Problem(
        severity, code, message, path=source, line=line, field=str(top) if top is not None else None
    )


def line_of(lines: dict[tuple, int], path: tuple) -> int | None:
    """The line of ``path``, or of its nearest ancestor that has one (e.g. a wrongly typed list)."""
    while True:
        if path in lines:
            return lines[path]
        if not path:
            return None
        path = path[:-1]


def describe_key_path(path: tuple) -> str:
    """A key path as a reader would write it: ``agents[2]``, ``config.defaults``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) and not isinstance(part, bool) else f".{part}"
    return text.lstrip(".") or "the manifest"


def finish_problems(problems: list[Problem], strict: bool) -> list[Problem]:
    """Apply ``strict`` (every warning becomes an error, saying so) and sort deterministically."""
    if strict:
        problems = [
            Problem("error", p.code, f"{p.message} (an error under --strict)", p.path, p.line, p.field)
            if p.severity == "warning"
            else p
            for p in problems
        ]
    return sorted(problems, key=lambda p: (p.path or "", p.line or 0, p.code, p.message))


def _json_key(key: Any) -> str:
    return key if isinstance(key, str) else str(key).lower() if isinstance(key, bool) else str(key)


def _jsonable(value: Any) -> Any:
    """``value`` with dates and other non-JSON scalars as strings, recursively."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, dict):
        return {_json_key(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)
