"""agentops.yaml: what a workspace asks for.

    packages:            # name -> npm range, or file:<path to a built archive>
      customer-service: ^1.2.0
    registries:          # tried in order; paths are relative to the workspace
      - ./registry
    overrides:           # force a version anywhere in the graph (like npm `overrides`)
      core-workflow: 2.1.0
    tier: edge           # selects each package's tier overlay (any name)
    classification: cui  # the workspace's clearance: install refuses packages above it
    classification_levels: [unclassified, cui, secret, top-secret]  # lowest first (this default)
    config:              # configuration set with --set, per package (the last layer)
      customer-service:
        escalation_thresholds: {refund_amount: 500}

Keys this version does not know are kept untouched (later features add them) but reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from agentpack.core.classification import Levels, parse_levels
from agentpack.core.filenames import WORKSPACE_MANIFEST
from agentpack.core.lockfile import FILE_SOURCE_PREFIX
from agentpack.core.names import check_name
from agentpack.core.versions import parse_range
from agentpack.errors import InvalidRange, Problem, ValidationError

KNOWN_KEYS = (
    "packages", "registries", "overrides", "tier", "config", "classification", "classification_levels",
)  # fmt: skip
KNOWN_KEYS += ("require_signatures",)


@dataclass(frozen=True)
class WorkspaceManifest:
    """The parsed, validated content of agentops.yaml."""

    packages: dict[str, str] = field(default_factory=dict)
    registries: tuple[str, ...] = ()
    overrides: dict[str, str] = field(default_factory=dict)
    tier: str | None = None
    config: dict[str, dict] = field(default_factory=dict)  # package -> config tree set by --set
    extra: dict = field(default_factory=dict)
    require_signatures: bool = False  # refuse unsigned packages and keys no trust store holds
    classification: str | None = None  # clearance; None: no limit
    levels: Levels = field(default_factory=Levels)  # classification levels, lowest first


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
    registries = data.get("registries") or []
    if isinstance(registries, str):
        registries = [registries]
    if not isinstance(registries, list) or not all(isinstance(r, str) and r for r in registries):
        problem("`registries` must be a list of registry paths or URLs", ("registries",))
        registries = []
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
    if problems:
        raise ValidationError(
            f"{source} is invalid",
            path=source,
            problems=problems,
            hint=f"fix the fields listed above in {source}",
        )
    extra = {k: v for k, v in data.items() if k not in KNOWN_KEYS}
    return WorkspaceManifest(
        packages=packages, registries=tuple(registries), overrides=overrides, tier=tier,
        config={str(k): v for k, v in config.items()}, extra=extra,
        require_signatures=require_signatures,
        classification=classification, levels=levels,
    )


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
