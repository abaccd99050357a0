"""agentops.yaml: what a workspace asks for.

    packages:            # name -> npm range, or file:<path to a built archive>
      customer-service: ^1.2.0
    registries:          # which registry answers for which name (core.registry_routes)
      default: ./registry              # paths are relative to the workspace
      teams: {team-alpha: /srv/alpha}  # team-alpha/<name> is read from here only
    overrides:           # force a version anywhere in the graph (like npm `overrides`)
      core-workflow: 2.1.0
    tier: edge           # selects each package's tier overlay (any name)
    classification: cui  # the workspace's clearance: install refuses packages above it
    classification_levels: [unclassified, cui, secret, top-secret]  # lowest first (this default)
    config:              # configuration set with --set, per package (the last layer)
      customer-service:
        escalation_thresholds: {refund_amount: 500}
    targets:             # agent tools every package is also deployed into (core.targets.TARGETS)
      - claude
      - cursor: {prefix: package}   # options: prefix: package names outputs <package>-<name>

Keys this version does not know are kept untouched (later features add them) but reported.
"""

from __future__ import annotations

from agentpack.core.classification import Levels, parse_levels
from agentpack.core.filenames import WORKSPACE_MANIFEST
from agentpack.core.lockfile import FILE_SOURCE_PREFIX
from agentpack.core.names import check_name
from agentpack.core.records import dataclass, field
from agentpack.core.registry_routes import RegistryRoutes, parse_registries
from agentpack.core.versions import parse_range
from agentpack.errors import InvalidRange, Problem, ValidationError

KNOWN_KEYS = (
    "packages", "registries", "overrides", "tier", "config", "classification", "classification_levels",
)  # fmt: skip
KNOWN_KEYS += ("require_signatures", "targets")


@dataclass(frozen=True)
class TargetChoice:
    """One agent tool the workspace deploys into, with its options (``prefix: package``)."""

    name: str
    prefix: str | None = None

    def to_yaml(self):
        """The entry as agentops.yaml writes it: the bare name, or ``{name: {prefix: ...}}``."""
        return self.name if self.prefix is None else {self.name: {"prefix": self.prefix}}


@dataclass(frozen=True)
class WorkspaceManifest:
    """The parsed, validated content of agentops.yaml."""

    packages: dict[str, str] = field(default_factory=dict)
    registries: RegistryRoutes = field(default_factory=RegistryRoutes)
    overrides: dict[str, str] = field(default_factory=dict)
    tier: str | None = None
    config: dict[str, dict] = field(default_factory=dict)  # package -> config tree set by --set
    extra: dict = field(default_factory=dict)
    require_signatures: bool = False  # refuse unsigned packages and keys no trust store holds
    classification: str | None = None  # clearance; None: no limit
    levels: Levels = field(default_factory=Levels)  # classification levels, lowest first
    targets: tuple[TargetChoice, ...] | None = None  # None: the key is absent (first install detects)


def parse_workspace_manifest(data, lines: dict, *, source: str = WORKSPACE_MANIFEST) -> WorkspaceManifest:
    """Validate loaded agentops.yaml data; raise ValidationError listing every problem (file and line).

    An empty document is an empty workspace. ``lines`` maps key paths to 1-based lines.
    """
    if data is None:
        return WorkspaceManifest()
    problems: list[Problem] = []

    def problem(message: str, key_path: tuple, code: str = "invalid-field") -> None:
        problems.append(
            Problem(
                "error",
                code,
                message,
                path=source,
                line=lines.get(key_path),
                field=".".join(str(k) for k in key_path) or None,
            )
        )

    if not isinstance(data, dict):
        problem("agentops.yaml must be a mapping with `packages`, `registries` and `overrides`", ())
        raise ValidationError(f"{source} is invalid", path=source, problems=problems)
    packages = _spec_map(data, "packages", problem)
    overrides = _spec_map(data, "overrides", problem)
    registries = parse_registries(data.get("registries"), problem)
    tier = data.get("tier")
    if tier is not None and (not isinstance(tier, str) or not tier.strip()):
        problem("`tier` must be a tier name such as edge, datacenter or connected", ("tier",))
        tier = None
    config = data.get("config") or {}
    if not isinstance(config, dict) or not all(isinstance(v, dict) for v in config.values()):
        problem("`config` must map package names to configuration mappings", ("config",))
        config = {}
    levels, message = parse_levels(data.get("classification_levels"))
    if message:
        problem(message, ("classification_levels",))
        levels = Levels()
    classification = data.get("classification")
    if classification is not None and (message := levels.check(classification)):
        problem(f"`classification`: {message}", ("classification",))
    require_signatures = data.get("require_signatures", False)
    if not isinstance(require_signatures, bool):
        problem("`require_signatures` must be true or false", ("require_signatures",))
    targets = parse_targets(data["targets"], problem) if "targets" in data else None
    if problems:
        raise ValidationError(
            f"{source} is invalid",
            path=source,
            problems=problems,
            hint=f"fix the fields listed above in {source}",
        )
    extra = {k: v for k, v in data.items() if k not in KNOWN_KEYS}
    return WorkspaceManifest(
        packages=packages, registries=registries, overrides=overrides, tier=tier,
        config={str(k): v for k, v in config.items()}, extra=extra,
        require_signatures=require_signatures,
        classification=classification, levels=levels, targets=targets,
    )


def parse_targets(value, problem) -> tuple[TargetChoice, ...]:
    """The ``targets`` list: each item a target name or a one-key mapping ``{name: {prefix: package}}``.

    Unknown names (with the known ones listed), repeated names, unknown options and a prefix other
    than ``package`` are reported through ``problem``; the valid entries are returned in order.
    """
    from agentpack.core.targets import PREFIX_PACKAGE, TARGETS

    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        problem("`targets` must be a list of agent tools, e.g. [claude, agents-md]", ("targets",))
        return ()
    chosen: list[TargetChoice] = []
    for index, item in enumerate(value):
        options = {}
        if isinstance(item, dict) and len(item) == 1:
            item, options = next(iter(item.items()))
            options = {} if options is None else options
        if not isinstance(item, str) or not isinstance(options, dict):
            problem(f"targets[{index}] must be a target name or `NAME: {{prefix: package}}`", ("targets",))
            continue
        if item not in TARGETS:
            problem(f"targets: unknown target {item!r}; known targets: {', '.join(TARGETS)}", ("targets",),
                    "unknown-target")
            continue
        if any(c.name == item for c in chosen):
            problem(f"targets: {item!r} is listed twice", ("targets",), "duplicate-target")
            continue
        unknown = sorted(set(map(str, options)) - {"prefix"})
        if unknown:
            problem(f"targets.{item}: unknown option(s) {', '.join(unknown)}; the only option is prefix",
                    ("targets",))
            continue
        prefix = options.get("prefix")
        if prefix is not None and prefix != PREFIX_PACKAGE:
            problem(f"targets.{item}.prefix must be {PREFIX_PACKAGE!r} (outputs named <package>-<name>)",
                    ("targets",))
            continue
        chosen.append(TargetChoice(item, prefix))
    return tuple(chosen)


def _spec_map(data: dict, key: str, problem) -> dict[str, str]:
    value = data.get(key) or {}
    if not isinstance(value, dict):
        problem(f"`{key}` must be a mapping of package name to version range", (key,))
        return {}
    specs: dict[str, str] = {}
    for name, spec in value.items():
        name_error = check_name(name) if isinstance(name, str) else "a package name must be a string"
        if name_error:
            problem(f"{key}: {name_error}", (key, name), "invalid-name")
            continue
        if spec is None:
            spec = "*"
        if isinstance(spec, (int, float)) and not isinstance(spec, bool):
            spec = str(spec)
        if not isinstance(spec, str):
            problem(f"{key}.{name} must be a version range such as ^1.2.0", (key, name), "invalid-range")
            continue
        if not spec.startswith(FILE_SOURCE_PREFIX):
            try:
                parse_range(spec)
            except InvalidRange as exc:
                problem(f"{key}.{name}: {exc.message}", (key, name), "invalid-range")
                continue
        specs[name] = spec
    return specs
