"""`agentops doctor`: the seed's "Production Checklist for Package Deployment" as a command.

Each line is pass, warn or fail; any fail makes the command exit 1. A check that cannot be made
here (no helm, no tenants file, no bundle on an air-gapped tier) is a warn that says what to give.

- tier: a tier is chosen (--tier, else agentops.yaml ``tier:``);
- values: the chart's values file for the tier is there and valid (global.tier, connectivity and
  classification, models.primary.name): --values, else the chart's values-tier<N>-<tier>.yaml
  (--chart, else deploy/helm/agentpack in the workspace);
- models: every agent runs on one of the tier's models (its frontmatter's, else the tier's);
- bundle: on an air-gapped or internal tier, each bundle (--bundle, else *.bundle in the
  workspace) passes every check of `bundle verify`; its chart's version matches the chart's;
- signatures: the bundle is signed, by keys this machine trusts;
- registries: at connectivity none, agentops.yaml names no registry outside the enclave
  (core.doctor_checks.inside_enclave);
- classification: the installed packages render into the tier's namespace without a write down,
  and the workspace's clearance is the namespace's level;
- tenancy: every team of the tenants' values file (--tenants, else the chart's
  values-tenants.yaml) has a quota and a budget;
- helm-lint: `helm lint` passes on the chart with the tier's (and tenants') values.
"""

from __future__ import annotations

import os

from agentpack.core.deploy_tiers import SEED_TIERS, Tier
from agentpack.core.records import dataclass, field
from agentpack.errors import AgentpackError

PASS, WARN, FAIL = "pass", "warn", "fail"
DEFAULT_CHART = os.path.join("deploy", "helm", "agentpack")
TENANTS_FILE = "values-tenants.yaml"


@dataclass(frozen=True)
class Check:
    name: str
    status: str
    message: str
    hint: str | None = None

    def to_dict(self) -> dict:
        data = {"check": self.name, "status": self.status, "message": self.message}
        if self.hint:
            data["hint"] = self.hint
        return data


@dataclass
class DoctorReport:
    tier: str | None
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(check.status != FAIL for check in self.checks)

    def to_dict(self) -> dict:
        counts = {status: sum(c.status == status for c in self.checks) for status in (PASS, WARN, FAIL)}
        return {"tier": self.tier, "ok": self.ok, "counts": counts, "checks": [c.to_dict() for c in self.checks]}


@dataclass
class DoctorOptions:
    tier: str | None = None
    chart: str | None = None
    values: str | None = None
    bundles: list[str] = field(default_factory=list)
    tenants: str | None = None
    trust: list[str] = field(default_factory=list)


def run_doctor(directory: str | None, options: DoctorOptions) -> DoctorReport:
    """Every check of the module docstring, in order, for the workspace at ``directory``."""
    from agentpack.services.workspace import open_workspace

    ws = open_workspace(directory)
    manifest = ws.load_manifest()
    tier_name = options.tier or (manifest.tier if manifest else None)
    report = DoctorReport(tier_name)
    add = report.checks.append
    if tier_name is None:
        add(Check("tier", FAIL, "no tier chosen", "choose one: agentops config apply --tier edge (or pass --tier)"))
    else:
        add(Check("tier", PASS, f"tier {tier_name} ({'--tier' if options.tier else 'agentops.yaml'})"))
    chart = options.chart or (os.path.join(ws.root, DEFAULT_CHART)
                              if os.path.isdir(os.path.join(ws.root, DEFAULT_CHART)) else None)
    tier, values_file = _values(add, tier_name, chart, options.values)
    _models(add, directory, tier)
    _bundles(add, ws, tier, chart, options)
    _registries(add, manifest, tier)
    _classification(add, directory, manifest, tier)
    tenants = options.tenants or (os.path.join(chart, TENANTS_FILE)
                                  if chart and os.path.isfile(os.path.join(chart, TENANTS_FILE)) else None)
    _tenancy(add, tenants, manifest)
    _helm_lint(add, chart, [p for p in (values_file, tenants) if p])
    return report


def _values(add, tier_name: str | None, chart: str | None, values: str | None) -> tuple[Tier | None, str | None]:
    """The values check; (the tier's facts, the values file) for the checks after it."""
    from agentpack.services.deploy_render import resolve_tier

    fallback = SEED_TIERS.get(tier_name) if tier_name else None
    if tier_name is None:
        add(Check("values", FAIL, "no tier, so no values file", "choose a tier first"))
        return None, None
    if values is None and chart is None:
        add(Check("values", FAIL, f"no chart to take the values file of tier {tier_name} from",
                  "give the chart with --chart (e.g. --chart deploy/helm/agentpack) or the file with --values"))
        return fallback, None
    try:
        tier, problems = resolve_tier(tier_name, chart=chart, values=values)
    except AgentpackError as exc:
        add(Check("values", FAIL, exc.message, exc.hint))
        return fallback, None
    from agentpack.core.deploy_tiers import values_file_for

    path = values or os.path.join(chart, values_file_for(tier_name, os.listdir(chart)))
    if problems:
        add(Check("values", FAIL, f"{os.path.basename(path)}: {'; '.join(problems)}",
                  "fix the tier's values file (see the seed's values-tier1-edge.yaml)"))
        return fallback, path
    add(Check("values", PASS, f"{os.path.basename(path)}: connectivity {tier.connectivity}, classification "
              f"{tier.classification}, model {tier.model}"))
    return tier, path


def _render(directory: str | None, tier: Tier | None, **extra):
    from agentpack.services.deploy_render import RenderOptions, render_workspace

    values = {"tier": tier.name} if tier else {}
    options = RenderOptions(**values, **extra)
    return render_workspace(directory, options, tier_facts=tier)


def _models(add, directory: str | None, tier: Tier | None) -> None:
    if tier is None or not tier.models():
        add(Check("models", WARN, "not checked: the tier names no models"))
        return
    try:
        rendering = _render(directory, tier, per_classification=True)
    except AgentpackError as exc:
        add(Check("models", WARN, f"not checked: {exc.message}", exc.hint))
        return
    others = sorted({f"{a['spec']['package']}/{a['spec']['component']} ({a['spec']['model']})"
                     for a in rendering.agents if a["spec"].get("model") not in tier.models()})
    if others:
        shown = ", ".join(others[:5]) + (f" and {len(others) - 5} more" if len(others) > 5 else "")
        add(Check("models", WARN, f"{len(others)} agent(s) name a model tier {tier.name} does not provide "
                  f"({', '.join(tier.models())}): {shown}",
                  "set their model for the tier (a tier overlay or packages/<name>.local.yaml), or accept the "
                  "tier's fallback"))
    else:
        add(Check("models", PASS, f"{len(rendering.agents)} agent(s) run on the tier's models "
                  f"({', '.join(tier.models())})"))


def _bundles(add, ws, tier: Tier | None, chart: str | None, options: DoctorOptions) -> None:
    from agentpack.services.bundle import verify_bundle

    bundles = [os.path.abspath(p) for p in options.bundles] or sorted(
        os.path.join(ws.root, name) for name in os.listdir(ws.root) if name.endswith(".bundle"))
    gapped = tier is not None and tier.connectivity in ("none", "internal")
    if not bundles:
        if gapped:
            add(Check("bundle", WARN, f"no bundle to verify (tier {tier.name}, connectivity {tier.connectivity})",
                      "give the bundle you loaded with --bundle FILE, or keep it in the workspace"))
        else:
            add(Check("bundle", PASS, "not air-gapped: no bundle needed"))
        add(Check("signatures", PASS if not gapped else WARN, "no bundle, no signatures to check"))
        return
    unsigned, untrusted, versions = [], [], []
    for path in bundles:
        name = os.path.basename(path)
        try:
            report = verify_bundle(path, trust=options.trust, allow_untrusted=not options.trust,
                                   directory=ws.root)
        except AgentpackError as exc:
            add(Check("bundle", FAIL, exc.message, exc.hint))
            continue
        add(Check("bundle", PASS, f"{name}: checksums and contents verified ({len(report.packages)} package(s)"
                  f"{', chart ' + ', '.join(c['name'] + '@' + c['version'] for c in report.charts) if report.charts else ''})"))
        unsigned += [f"{name}: {what}" for what in report.unsigned]
        untrusted += [f"{name}: {key}" for key in report.untrusted]
        versions += report.charts
    if untrusted:
        add(Check("signatures", FAIL, f"signed by keys this machine does not trust: {', '.join(untrusted)}",
                  "trust the signer with `agentops trust add KEY.pub`, if you do"))
    elif unsigned:
        shown = ", ".join(unsigned[:5]) + (", ..." if len(unsigned) > 5 else "")
        add(Check("signatures", WARN, f"not signed, so of unproven origin: {shown}",
                  "collect with `agentops bundle collect --sign KEY`"))
    else:
        add(Check("signatures", PASS, "every bundle is signed by trusted keys"))
    if versions and chart:
        _chart_version(add, chart, versions)


def _chart_version(add, chart: str, carried: list[dict]) -> None:
    from agentpack.adapters.chart_archive import CHART_FILE, chart_metadata

    try:
        with open(os.path.join(chart, CHART_FILE), "rb") as handle:
            metadata = chart_metadata(handle.read(), os.path.join(chart, CHART_FILE))
    except (OSError, AgentpackError) as exc:
        add(Check("chart-version", FAIL, f"cannot read the chart's Chart.yaml: {getattr(exc, 'message', exc)}"))
        return
    same = [c for c in carried if c["name"] == metadata["name"]]
    if not same:
        add(Check("chart-version", WARN, f"no bundle carries the chart {metadata['name']}"))
    elif any(c["version"] == str(metadata["version"]) for c in same):
        add(Check("chart-version", PASS, f"chart {metadata['name']} {metadata['version']} matches the bundle"))
    else:
        add(Check("chart-version", FAIL, f"chart {metadata['name']} is {metadata['version']}, the bundle carries "
                  f"{', '.join(c['version'] for c in same)}", "deploy the chart the bundle carries"))


def _registries(add, manifest, tier: Tier | None) -> None:
    from agentpack.core.doctor_checks import inside_enclave

    routes = manifest.registries if manifest else None
    locations = [*(routes.listed if routes else ()), *([routes.default] if routes and routes.default else []),
                 *((routes.teams.values()) if routes else ())]
    if tier is None or not tier.air_gapped:
        add(Check("registries", PASS, f"connectivity {tier.connectivity if tier else 'unknown'}: registries "
                  "outside an enclave are allowed"))
        return
    outside = sorted({location for location in locations if not inside_enclave(location)})
    if outside:
        add(Check("registries", FAIL, f"tier {tier.name} has no connectivity, but agentops.yaml names registries "
                  f"outside the enclave: {', '.join(outside)}",
                  "load a bundle into a local registry (a directory, or oci://registry.local:5000/...) and point "
                  "`registries:` at it"))
    else:
        add(Check("registries", PASS, f"every registry is inside the enclave ({len(locations)} named)"
              if locations else "agentops.yaml names no registry (the embedded default directory)"))


def _classification(add, directory: str | None, manifest, tier: Tier | None) -> None:
    level = tier.classification if tier else None
    if level is None:
        add(Check("classification", WARN, "not checked: the tier's values name no global.classification"))
        return
    try:
        rendering = _render(directory, tier)
    except AgentpackError as exc:
        if exc.code == "classification":
            add(Check("classification", FAIL, exc.message, exc.hint))
        else:
            add(Check("classification", WARN, f"not checked: {exc.message}", exc.hint))
        return
    clearance = manifest.classification if manifest else None
    levels = manifest.levels if manifest else None
    packages = f"{len(rendering.packages)} package(s) fit namespace level {level!r}"
    if clearance is None:
        add(Check("classification", WARN, f"{packages}, but agentops.yaml sets no clearance: nothing stops a "
                  "package above it from being installed", f"set `classification: {level}` in agentops.yaml"))
    elif clearance == level:
        add(Check("classification", PASS, f"workspace clearance {clearance!r} matches the namespace; {packages}"))
    elif levels is not None and levels.check(clearance) is None and levels.above(clearance, level):
        add(Check("classification", FAIL, f"workspace clearance {clearance!r} is above the namespace level "
                  f"{level!r}: a package it may install would be written down", "deploy to a tier cleared for "
                  f"{clearance!r}, or lower the workspace's clearance"))
    else:
        add(Check("classification", WARN, f"workspace clearance {clearance!r} is below the namespace level "
                  f"{level!r}; {packages}", "if the namespace is meant for the workspace's level, say so in the "
                  "tier's values"))


def _tenancy(add, tenants: str | None, manifest) -> None:
    from agentpack.core.doctor_checks import tenant_problems
    from agentpack.services.deploy_render import read_values_file

    if tenants is None:
        add(Check("tenancy", WARN, "not checked: no tenants' values file",
                  f"give it with --tenants FILE (the seed's {TENANTS_FILE})"))
        return
    try:
        data = read_values_file(tenants)
    except AgentpackError as exc:
        add(Check("tenancy", FAIL, exc.message, exc.hint))
        return
    names, problems = tenant_problems(data, manifest.levels.names if manifest else ())
    if problems:
        add(Check("tenancy", FAIL, f"{os.path.basename(tenants)}: {'; '.join(problems)}",
                  "every team needs quota (cpu, memory, gpu, pvcs, pods) and budget (tokens, cost, concurrency)"))
    else:
        add(Check("tenancy", PASS, f"{len(names)} team(s), each with a quota and a budget: {', '.join(names)}"))


def _helm_lint(add, chart: str | None, values: list[str]) -> None:
    from agentpack.adapters.helm import find_helm, run_helm, values_arguments

    helm = find_helm()
    if helm is None:
        add(Check("helm-lint", WARN, "skipped: helm is not installed",
                  "install helm (scripts/get-helm.sh) or set AGENTOPS_HELM"))
        return
    if chart is None:
        add(Check("helm-lint", WARN, "skipped: no chart to lint", "give the chart with --chart"))
        return
    try:
        run = run_helm(helm, ["lint", chart, *values_arguments(values)])
    except AgentpackError as exc:
        add(Check("helm-lint", FAIL, exc.message, exc.hint))
        return
    if run.ok:
        add(Check("helm-lint", PASS, f"helm lint {os.path.basename(chart.rstrip(os.sep))} "
                  f"{' '.join('-f ' + os.path.basename(v) for v in values)}".rstrip()))
    else:
        add(Check("helm-lint", FAIL, "helm lint failed: " + "; ".join(_lint_errors(run.out) or [run.err.strip()[:300]]),
                  "run the same helm lint and fix what it reports"))


def _lint_errors(text: str) -> list[str]:
    """helm lint's [ERROR] lines, each with its indented continuation lines (the template's error)."""
    errors: list[str] = []
    continuing = False
    for line in text.splitlines():
        if "[ERROR]" in line:
            errors.append(line.strip())
            continuing = True
        elif continuing and line[:1].isspace() and line.strip():
            errors[-1] += " " + line.strip()
        else:
            continuing = False
    return errors[:5]
