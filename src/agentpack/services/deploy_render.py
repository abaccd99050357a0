"""`agentops deploy render`: a workspace's installed packages as Kubernetes objects.

What is rendered (objects described in core.kube_objects, names in core.kube_names):
- per installed package, ConfigMaps of its agents, its skills and its effective configuration
  (every layer applied: the package's own, its dependents' overrides, the tier's overlay, the
  local file, the values set with --set and recorded in agentops.yaml), with what the local file
  and the tier disable left out;
- per agent file, an ``Agent`` whose model and tools come from the file's frontmatter, else the
  model of the tier (core.deploy_tiers);
- the Namespaces used: one named by ``--namespace`` (default ``agentpack``), or with
  ``--namespace-per-classification`` one per classification level, named by the level.

Classification (the rule of core.classification, applied to a namespace as to a registry): no
write down. A namespace is cleared for one level: with one namespace per level, its own; with a
single namespace, the deployment's level. The deployment's level is ``--classification``, else
the tier's ``global.classification``, else the workspace's clearance (``classification:`` in
agentops.yaml), else for a single namespace the lowest level (for one namespace per level: the
highest, so that each level's namespace takes its own packages). A package above the level of the namespace it would land
in, or above the deployment's level, is refused and nothing is written.

The content of agent and skill files is read from the workspace as installed (local edits
included), never through a symbolic link. Output is deterministic: twice the same workspace gives
the same bytes.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Mapping

from agentpack.core.classification import Levels
from agentpack.core.deploy_tiers import SEED_TIERS, Tier
from agentpack.core.kube_names import configmap_key, dns_label, hashed_label, unique_names
from agentpack.core.kube_objects import (
    MAX_CONFIGMAP_BYTES,
    RENDER_MARK,
    agent_facts,
    agent_object,
    configmap_object,
    configmap_size,
    kustomization,
    namespace_object,
    package_labels,
    render_object,
    render_stream,
    values_document,
)
from agentpack.core.records import dataclass, field
from agentpack.errors import AgentpackError, ClassificationError, UsageError, WorkspaceError

FORMATS = ("kustomize", "values")
DEFAULT_NAMESPACE = "agentpack"
VALUES_FILE = "values-agents.yaml"
KUSTOMIZATION = "kustomization.yaml"
_MAX_FILE = 8 * 1024 * 1024  # one installed file read into a ConfigMap


@dataclass
class RenderOptions:
    """What `deploy render` was asked for (None: the default described in the module docstring)."""

    tier: str | None = None
    per_classification: bool = False
    namespace: str | None = None
    classification: str | None = None
    chart: str | None = None  # a chart folder whose tier values file gives the tier's facts
    values: str | None = None  # a tier values file given directly
    format: str = "kustomize"


@dataclass
class Rendering:
    """The objects of one render and the files that hold them."""

    format: str
    tier: Tier | None
    level: str  # the deployment's level
    level_source: str
    namespaces: dict[str, str] = field(default_factory=dict)  # namespace -> classification level
    objects: list[dict] = field(default_factory=list)  # Namespaces, ConfigMaps, Agents, in that order
    files: dict[str, bytes] = field(default_factory=dict)  # relative path -> bytes
    where: dict[tuple[str, str, str], str] = field(default_factory=dict)  # (kind, namespace, name) -> file
    packages: list[dict] = field(default_factory=list)
    out: str | None = None

    @property
    def agents(self) -> list[dict]:
        return [o for o in self.objects if o["kind"] == "Agent"]

    @property
    def configmaps(self) -> list[dict]:
        return [o for o in self.objects if o["kind"] == "ConfigMap"]

    def text(self) -> str:
        """What goes to standard output without -o: one YAML stream, or the values file."""
        if self.format == "values":
            return self.files[VALUES_FILE].decode("utf-8")
        return render_stream(self.objects)

    def to_dict(self) -> dict:
        return {"format": self.format, "out": self.out, "tier": self.tier.name if self.tier else None,
                "classification": self.level, "classification_from": self.level_source,
                "namespaces": [{"name": n, "classification": level} for n, level in sorted(self.namespaces.items())],
                "packages": self.packages,
                "objects": [{"kind": o["kind"], "namespace": o["metadata"].get("namespace"),
                             "name": o["metadata"]["name"],
                             "file": self.where.get(_slot(o))} for o in self.objects]}


def _slot(document: Mapping) -> tuple[str, str, str]:
    metadata = document["metadata"]
    return document["kind"], metadata.get("namespace", ""), metadata["name"]


# -- the tier -------------------------------------------------------------------------------------

def resolve_tier(name: str | None, *, chart: str | None = None, values: str | None = None) -> tuple[Tier | None, list[str]]:
    """The facts of tier ``name`` and the problems of the values file they came from: from
    ``values`` (a file), else the tier's file in ``chart`` (a folder), else the seed's table; a
    tier the seed does not know and no file names gives bare facts."""
    from agentpack.core.deploy_tiers import tier_from_values, values_file_for

    if name is None:
        return None, []
    path = values
    if path is None and chart is not None:
        if not os.path.isdir(chart):
            raise UsageError(f"--chart {chart} is not a folder", path=chart, hint="give the chart's folder, "
                             "e.g. --chart deploy/helm/agentpack")
        found = values_file_for(name, os.listdir(chart))
        if found is None:
            raise UsageError(f"the chart {chart} has no values file for tier {name!r} "
                             f"(values-tier<N>-{name}.yaml)", path=chart,
                             hint="choose a tier the chart has, or give the file with --values")
        path = os.path.join(chart, found)
    if path is None:
        return SEED_TIERS.get(name) or Tier(name, None, None, None, None, None, None), []
    data = read_values_file(path)
    return tier_from_values(name, data, os.path.basename(path))


def read_values_file(path: str):
    """A Helm values file's data (``WorkspaceError`` naming it when it is missing or not YAML)."""
    from agentpack.adapters.yamlio import load_yaml

    try:
        with open(path, "rb") as handle:
            raw = handle.read(_MAX_FILE + 1)
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}", path=path) from None
    return load_yaml(raw, source=path)[0]


# -- render ---------------------------------------------------------------------------------------

def render_workspace(directory: str | None, options: RenderOptions, *, tier_facts: Tier | None = None) -> Rendering:
    """The objects of the workspace at ``directory`` (see the module docstring); nothing is written.
    ``tier_facts``: the tier's facts, already read (`doctor`), instead of resolving ``options.tier``."""
    from agentpack.services.adapt import Adaptation, read_snapshot

    if options.format not in FORMATS:
        raise UsageError(f"unknown --format {options.format!r}; formats: {', '.join(FORMATS)}")
    if options.per_classification and options.namespace is not None:
        raise UsageError("--namespace and --namespace-per-classification contradict each other",
                         hint="one namespace for everything, or one per classification level")
    from agentpack.services.workspace import open_workspace

    ws = open_workspace(directory)
    manifest = ws.load_manifest()
    lock = ws.load_lock()
    if not lock.packages:
        raise WorkspaceError(f"no packages are installed in {ws.root}; there is nothing to render", path=ws.root,
                             hint="install packages first: agentops package install NAME")
    levels = manifest.levels if manifest else Levels()
    tier_name = options.tier or (manifest.tier if manifest else None)
    tier, problems = (tier_facts, []) if tier_facts is not None else \
        resolve_tier(tier_name, chart=options.chart, values=options.values)
    if problems:
        raise UsageError(f"the values file of tier {tier_name!r} is invalid: {'; '.join(problems)}",
                         hint="fix the file, or give another one with --values")
    level, source = _deployment_level(options, tier, manifest, levels)
    snapshots = {name: read_snapshot(ws, name) for name in sorted(lock.packages)}
    missing = sorted(name for name, snapshot in snapshots.items() if not snapshot)
    if missing:
        raise WorkspaceError(f"the install records of {', '.join(missing)} are missing in {ws.root}", path=ws.root,
                             hint="run `agentops package install --force` to write them again")
    placed = _place(snapshots, levels, options, level, source)
    adaptation = Adaptation(ws, tier=tier_name, set_config=manifest.config if manifest else {})
    rendering = Rendering(options.format, tier, level, source)
    _build(ws, rendering, snapshots, placed, adaptation, tier, options.per_classification)
    _lay_out(rendering)
    return rendering


def _deployment_level(options: RenderOptions, tier: Tier | None, manifest, levels: Levels) -> tuple[str, str]:
    """(the deployment's level, where it came from), each candidate checked against ``levels``."""
    candidates = [(options.classification, "--classification"),
                  (tier.classification if tier else None,
                   f"tier {tier.name if tier else ''} (global.classification in {tier.values_file if tier else ''})"),
                  (manifest.classification if manifest else None, "the workspace's clearance (agentops.yaml)")]
    for value, source in candidates:
        if value is not None:
            message = levels.check(value)
            if message:
                raise UsageError(f"{source}: {message}",
                                 hint="set `classification_levels` in agentops.yaml to the levels in use")
            return value, source
    if options.per_classification:  # each namespace is cleared for its own level, and nothing caps them
        return levels.names[-1], "no --classification, tier or workspace clearance: every level"
    return levels.lowest, "the lowest level (no --classification, tier or workspace clearance)"


def _place(snapshots: Mapping[str, dict], levels: Levels, options: RenderOptions, level: str,
           source: str) -> dict[str, tuple[str, str]]:
    """{package: (its level, its namespace)}; ``ClassificationError`` naming every package that
    would be written down, before anything is read."""
    placed, refused = {}, []
    single = options.namespace or DEFAULT_NAMESPACE
    if not options.per_classification and dns_label(single) != single:
        raise UsageError(f"--namespace {single!r} is not a Kubernetes namespace name (lowercase letters, digits "
                         "and '-', at most 63)", hint=f"e.g. --namespace {dns_label(single)}")
    for name, snapshot in snapshots.items():
        declared = snapshot.get("manifest", {}).get("classification") or levels.lowest
        if levels.check(declared):
            raise ClassificationError(f"{name}@{snapshot.get('version')}: {levels.check(declared)}; nothing was "
                                      "rendered", hint="set `classification_levels` in agentops.yaml to the levels "
                                      "the packages use")
        namespace = dns_label(declared) if options.per_classification else single
        if levels.above(declared, level):
            refused.append((name, snapshot.get("version"), declared, namespace))
        placed[name] = (declared, namespace)
    if refused:
        where = (f"the deployment's level {level!r} ({source})" if options.per_classification
                 else f"namespace {single} (cleared for {level!r}: {source})")
        raise ClassificationError(
            f"write down refused: {', '.join(f'{n} ({lv!r})' for n, _v, lv, _ns in refused)} classified above "
            f"{where}; nothing was rendered",
            causes=[f"{n}@{v} is {lv!r}, above {level!r} of namespace {ns}" for n, v, lv, ns in refused],
            hint="render for a tier or namespace cleared for their level (--tier, --classification), or leave "
                 "them out of this workspace")
    return placed


def _build(ws, rendering: Rendering, snapshots, placed, adaptation, tier: Tier | None,
           per_classification: bool) -> None:
    """Fill ``rendering.objects`` and ``rendering.packages``; a namespace is cleared for its own
    level (one per level) or the deployment's (a single namespace)."""
    from agentpack.adapters.yamlio import load_yaml
    from agentpack.core.config_merge import merge_layers
    from agentpack.services.configuration import config_files

    def load(text: str):
        return load_yaml(text, source="frontmatter")[0]

    wanted: dict[tuple, tuple[str, str]] = {}
    pending = []
    for name, snapshot in snapshots.items():
        level, namespace = placed[name]
        version = str(snapshot.get("version"))
        manifest = snapshot.get("manifest", {})
        disabled = adaptation.disabled(name, manifest)
        agents = _installed(ws, snapshot, manifest.get("agents", []), disabled, f"agents/{name}/")
        skills = _installed(ws, snapshot, manifest.get("skills", []), disabled, f"skills/{name}/", folders=True)
        effective = merge_layers(adaptation.layers(name, snapshots))
        config = {posixpath.basename(path): text.encode("utf-8")
                  for path, text in config_files(name, effective).items()}
        maps = {"agents": {configmap_key(rel): data for rel, data in agents.items()},
                "skills": {configmap_key(rel): data for rel, data in skills.items()},
                "config": {configmap_key(rel): data for rel, data in config.items()}}
        for kind, files in maps.items():
            if files:
                wanted[("ConfigMap", name, kind)] = (f"ConfigMap/{namespace}", dns_label(f"{name}-{kind}"))
        stems = {}
        for rel in sorted(agents):
            stem = posixpath.splitext(posixpath.basename(rel))[0]
            stems[rel] = stem
            wanted[("Agent", name, rel)] = (f"Agent/{namespace}", dns_label(f"{name}-{stem}"))
        pending.append((name, version, level, namespace, maps, agents, stems))
        rendering.namespaces[namespace] = level if per_classification else rendering.level
    names = unique_names(wanted, lambda key: hashed_label(f"{key[1]}-{key[2]}"))
    for namespace in sorted(rendering.namespaces):
        rendering.objects.append(namespace_object(namespace, rendering.namespaces[namespace]))
    configmaps, agent_objects = [], []
    for name, version, level, namespace, maps, agents, stems in pending:
        for kind, files in maps.items():
            if not files:
                continue
            configmap = configmap_object(names[("ConfigMap", name, kind)], namespace,
                                         package_labels(f"{kind}-configmap", name, version, level), files)
            size = configmap_size(configmap)
            if size > MAX_CONFIGMAP_BYTES:
                raise AgentpackError(
                    f"the {kind} of {name}@{version} take {size:,} bytes, more than a ConfigMap holds "
                    f"({MAX_CONFIGMAP_BYTES:,}); nothing was rendered",
                    hint=f"leave large components out with `disabled:` in packages/{name}.local.yaml")
            configmaps.append(configmap)
        for rel in sorted(agents):
            facts = agent_facts(agents[rel].decode("utf-8", errors="replace"), load)
            if not facts["model"] and tier is not None and tier.model:
                facts["model"] = tier.model
            agent_objects.append(agent_object(
                names[("Agent", name, rel)], namespace, package_labels("agent", name, version, level),
                package=name, version=version, component=stems[rel], classification=level,
                configmap=names[("ConfigMap", name, "agents")], key=configmap_key(rel), facts=facts))
        rendering.packages.append({"name": name, "version": version, "classification": level,
                                   "namespace": namespace, "agents": len(agents), "skill_files": len(maps["skills"]),
                                   "config_files": len(maps["config"])})
    rendering.objects += sorted(configmaps, key=_slot) + sorted(agent_objects, key=_slot)


def _installed(ws, snapshot: Mapping, listed: list[str], disabled: set[str], root: str, *,
               folders: bool = False) -> dict[str, bytes]:
    """{path below ``root``: content} of the installed files of the components ``listed`` (files,
    or with ``folders`` skill folders) that ``disabled`` does not leave out."""
    kept = [p for p in listed if p not in disabled]
    found = {}
    for dest, src in sorted(snapshot.get("files", {}).items()):
        if not dest.startswith(root):
            continue
        if folders:
            if not any(src.startswith(folder + "/") for folder in kept):
                continue
        elif src not in kept:
            continue
        found[dest[len(root):]] = _read_installed(ws, dest)
    return found


def _read_installed(ws, relpath: str) -> bytes:
    """An installed file's bytes, never through a symbolic link."""
    from agentpack.adapters.paths import open_no_follow, read_within, refuse_links

    path = ws.path(relpath)
    hint = "run `agentops package install --force` to restore the installed files"
    try:
        refuse_links(ws.root, path)
        descriptor = open_no_follow(path, os.O_RDONLY)
    except FileNotFoundError:
        raise WorkspaceError(f"{relpath} is not in the workspace (deleted, or left out by the workspace's own tier)",
                             path=path, hint="render for the workspace's tier, or switch it first (agentops config "
                             "apply --tier TIER); a deleted file comes back with `agentops package install "
                             "--force`") from None
    except OSError as exc:
        raise WorkspaceError(f"cannot read {relpath}: {exc.strerror or exc}", path=path, hint=hint) from None
    with os.fdopen(descriptor, "rb") as handle:
        data = read_within(handle, _MAX_FILE)
    if data is None:
        raise WorkspaceError(f"{relpath} is larger than {_MAX_FILE:,} bytes; it cannot go into a ConfigMap", path=path)
    return data


def _lay_out(rendering: Rendering) -> None:
    """The files of ``rendering``: one per object plus kustomization.yaml, or the values file."""
    if rendering.format == "values":
        rendering.files[VALUES_FILE] = values_document(rendering.agents, rendering.configmaps).encode("utf-8")
        return
    for document in rendering.objects:
        kind, namespace, name = _slot(document)
        path = f"{name}/namespace.yaml" if kind == "Namespace" else f"{namespace}/{kind.lower()}-{name}.yaml"
        rendering.where[(kind, namespace, name)] = path
        rendering.files[path] = render_object(document).encode("utf-8")
    rendering.files[KUSTOMIZATION] = kustomization(list(rendering.files)).encode("utf-8")


# -- write ----------------------------------------------------------------------------------------

def write_rendering(rendering: Rendering, out: str, *, force: bool = False) -> None:
    """Write ``rendering`` to ``out`` in one atomic step: a folder (built beside it, then renamed
    into place), or for the values format a file when ``out`` ends in .yaml or .yml. What is
    there already is replaced only when an earlier render wrote it, or with ``force``. Nothing
    is written through a symbolic link."""
    from agentpack.adapters.export_folder import write_folder
    from agentpack.adapters.paths import write_atomic

    rendering.out = out
    if rendering.format == "values" and out.endswith((".yaml", ".yml")):
        if os.path.lexists(out) and not force and not _rendered_before(out):
            raise AgentpackError(f"{out} exists and was not written by `agentops deploy render`", path=out,
                                 hint="give another file, or add --force to replace it")
        try:
            write_atomic(out, rendering.files[VALUES_FILE])
        except OSError as exc:
            raise AgentpackError(f"cannot write {out}: {exc.strerror or exc}", path=out) from None
        return
    if os.path.isdir(out) and not os.path.islink(out) and os.listdir(out) and not force:
        marks = [os.path.join(out, name) for name in (KUSTOMIZATION, VALUES_FILE)]
        if not any(_rendered_before(mark) for mark in marks):
            raise AgentpackError(f"{out} is not empty and was not written by `agentops deploy render`", path=out,
                                 hint="give an empty or new folder, or add --force to replace its content")
    try:
        write_folder(out, rendering.files, force=True)
    except OSError as exc:
        raise AgentpackError(f"cannot write {out}: {exc.strerror or exc}", path=out) from None


def _rendered_before(path: str) -> bool:
    """Whether ``path`` is a regular file (not a link) that starts with the render mark."""
    if os.path.islink(path) or not os.path.isfile(path):
        return False
    with open(path, "rb") as handle:
        return handle.read(len(RENDER_MARK)) == RENDER_MARK.encode("utf-8")
