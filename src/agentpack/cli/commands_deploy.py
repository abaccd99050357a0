"""`agentops deploy render` and `agentops doctor`: a workspace on Kubernetes, and the seed's
production checklist as a command."""

from __future__ import annotations

import os
import sys

from agentpack.cli.output import err, out, paint, print_json


def add_deploy_commands(groups, common, epilog: str) -> None:
    """Add the `deploy` group and the `doctor` command to the top-level sub-parsers ``groups``."""
    deploy = groups.add_parser("deploy", help="deploy installed packages onto Kubernetes",
                               description="Turn the workspace's installed packages into Kubernetes objects.",
                               epilog=epilog)
    verbs = deploy.add_subparsers(dest="verb", metavar="VERB")
    verbs.required = True
    text = "Render the installed packages as ConfigMaps and Agent objects, one file per object."
    p = verbs.add_parser("render", help=text, epilog=epilog, parents=[common(json_flag=True)],
                         description=text + " Each package's agents, skills and effective configuration become "
                         "ConfigMaps, and each agent an Agent (agentpack.io/v1alpha1) in the namespace of its "
                         "classification level; a package above its namespace's level is refused. The output "
                         "is deterministic: `kubectl apply -k DIR`, or `--format values` for the chart.")
    p.add_argument("--tier", metavar="TIER",
                   help="render for TIER: its configuration overlays and its model (default: the workspace's tier)")
    p.add_argument("--namespace-per-classification", action="store_true",
                   help="one namespace per classification level, named by the level (unclassified, cui, ...)")
    p.add_argument("--namespace", metavar="NS", help="the single namespace to render into (default: agentpack)")
    p.add_argument("--classification", metavar="LEVEL",
                   help="the level the target namespaces are cleared for (default: the tier's "
                        "global.classification, else the workspace's clearance)")
    p.add_argument("--chart", metavar="DIR", help="read the tier's facts from this chart's values-tierN-TIER.yaml "
                   "(default: the seed's tiers edge, datacenter, connected)")
    p.add_argument("--values", metavar="FILE", help="read the tier's facts from this values file")
    p.add_argument("--format", choices=("kustomize", "values"), default="kustomize",
                   help="kustomize: one file per object and kustomization.yaml (default); values: a values file "
                        "for the chart (keys agents and agentConfigMaps)")
    p.add_argument("-o", "--output", metavar="DIR",
                   help="write into DIR (replaced atomically; for --format values also a FILE.yaml); "
                        "default: print the objects on standard output")
    p.add_argument("--force", action="store_true", help="replace DIR even if `deploy render` did not write it")
    p.set_defaults(handler=cmd_deploy_render)

    text = "Run the production checklist: tier and values, air gap, classification, tenancy, helm lint."
    p = groups.add_parser("doctor", help=text, epilog=epilog, parents=[common(json_flag=True)],
                          description=text + " Each line reads pass, warn or fail (warn: could not be checked "
                          "here, or worth a look); exit 1 on any fail.")
    p.add_argument("--tier", metavar="TIER", help="the tier to check for (default: the workspace's)")
    p.add_argument("--chart", metavar="DIR",
                   help="the chart whose values-tierN-TIER.yaml and values-tenants.yaml are checked and which "
                        "helm lints (default: deploy/helm/agentpack in the workspace, if there)")
    p.add_argument("--values", metavar="FILE", help="the tier's values file (default: the chart's)")
    p.add_argument("--bundle", action="append", metavar="FILE",
                   help="a bundle to verify (repeatable; default: *.bundle in the workspace)")
    p.add_argument("--tenants", metavar="FILE", help="the tenants' values file (default: the chart's "
                   "values-tenants.yaml)")
    p.add_argument("--trust", action="append", metavar="PUBKEY",
                   help="also trust this public key for the bundle's signatures (repeatable)")
    p.set_defaults(handler=cmd_doctor)


def _path(args, path: str | None) -> str | None:
    if path is None or args.directory is None or os.path.isabs(path):
        return path
    return os.path.join(args.directory, path)


def cmd_deploy_render(args) -> int:
    from agentpack.services.deploy_render import RenderOptions, render_workspace, write_rendering

    options = RenderOptions(tier=args.tier, per_classification=args.namespace_per_classification,
                            namespace=args.namespace, classification=args.classification,
                            chart=_path(args, args.chart), values=_path(args, args.values), format=args.format)
    rendering = render_workspace(args.directory, options)
    target = _path(args, args.output)
    if target is not None:
        write_rendering(rendering, target, force=args.force)
    if args.json:
        report = rendering.to_dict()
        if target is None:
            report["documents"] = rendering.objects
        print_json(report)
        return 0
    if target is None:
        sys.stdout.write(rendering.text())
        return 0
    for package in rendering.packages:
        out(f"  {package['name']}@{package['version']}  {package['classification']} -> namespace "
            f"{package['namespace']}: {package['agents']} agent(s), {package['skill_files']} skill file(s), "
            f"{package['config_files']} config file(s)")
    counted = {}
    for document in rendering.objects:
        counted[document["kind"]] = counted.get(document["kind"], 0) + 1
    summary = ", ".join(f"{n} {kind}(s)" for kind, n in sorted(counted.items()))
    apply = f"kubectl apply -k {target}" if rendering.format == "kustomize" else f"helm upgrade --install ... -f {target}"
    err(f"Wrote {summary} to {target} ({paint(apply, '1')})")
    return 0


_MARKS = {"pass": ("pass", "32"), "warn": ("warn", "33"), "fail": ("FAIL", "31")}


def cmd_doctor(args) -> int:
    from agentpack.services.doctor import DoctorOptions, run_doctor

    trust = [_path(args, k) if os.path.isfile(_path(args, k)) else k for k in args.trust or ()]
    options = DoctorOptions(tier=args.tier, chart=_path(args, args.chart), values=_path(args, args.values),
                            bundles=[_path(args, b) for b in args.bundle or ()], tenants=_path(args, args.tenants),
                            trust=trust)
    report = run_doctor(args.directory, options)
    if args.json:
        print_json(report.to_dict())
        return 0 if report.ok else 1
    width = max(len(check.name) for check in report.checks)
    for check in report.checks:
        word, colour = _MARKS[check.status]
        out(f"{paint(word, colour)}  {check.name.ljust(width)}  {check.message}")
        if check.hint and check.status != "pass":
            out(f"      {' ' * width}  hint: {check.hint}")
    counts = report.to_dict()["counts"]
    err(f"doctor: {counts['pass']} pass, {counts['warn']} warn, {counts['fail']} fail"
        + ("" if report.ok else " - not ready for production"))
    return 0 if report.ok else 1
