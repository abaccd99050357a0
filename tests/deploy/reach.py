"""Who may reach whom under a set of rendered NetworkPolicies, by classification level: the proof
that no policy lets a lower level reach a higher one.

The model. A *group* is a set of pods with one level: every pod of a namespace labelled
``agentpack.io/classification`` (pods there are not known in advance: agents come and go), or the
pods of one rendered workload (Deployment, StatefulSet, Job, ...) whose template carries that label.
Namespaces and pods without the label (kube-system, an ingress controller) hold no level and are
not groups. For every rule of every policy, the subjects are the groups in the policy's namespace
that its ``podSelector`` may select, and the peers are the groups its ``from``/``to`` may select:

- a rule without peers (no ``from``/``to``, or an empty list) reaches every group;
- ``namespaceSelector`` (``{}`` selects every namespace) with an optional ``podSelector`` selects
  the groups of the matching namespaces whose pods match; ``podSelector`` alone, the policy's own
  namespace;
- an ``ipBlock`` reaches every group when what it leaves of its CIDR after ``except`` may hold an
  address of the cluster's pod or service ranges (``0.0.0.0/0`` without excepts always does).

A pod selector is taken to match a namespace-wide group (whose pods are unknown) unless it cannot.
An ingress rule violates when a peer's level is below a subject's; an egress rule when a peer's
level is above a subject's. Pure: no Kubernetes, no helm.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

LEVEL_LABEL = "agentpack.io/classification"
NAME_LABEL = "kubernetes.io/metadata.name"
WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod")


@dataclass(frozen=True)
class Group:
    namespace: str
    pods: tuple | None  # the pod template's labels as sorted pairs; None: any pod of the namespace
    level: str
    what: str

    def pod_labels(self) -> dict | None:
        return None if self.pods is None else dict(self.pods)


def selector_matches(selector: dict | None, labels: dict | None) -> bool:
    """Whether a label selector matches ``labels``; ``labels`` None (pods not known) matches any."""
    if labels is None or selector is None:
        return True
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        key, operator, values = expression["key"], expression["operator"], expression.get("values") or []
        present = key in labels
        if operator == "In" and (not present or labels[key] not in values):
            return False
        if operator == "NotIn" and present and labels[key] in values:
            return False
        if operator == "Exists" and not present:
            return False
        if operator == "DoesNotExist" and present:
            return False
    return True


def ip_block_reaches_cluster(block: dict, cluster_cidrs: list[str]) -> bool:
    """Whether an ipBlock may hold an address of the cluster's ranges once its excepts are out."""
    network = ipaddress.ip_network(block["cidr"], strict=False)
    excepts = [ipaddress.ip_network(e, strict=False) for e in block.get("except") or []]
    for cidr in cluster_cidrs:
        cluster = ipaddress.ip_network(cidr, strict=False)
        if cluster.version != network.version or not network.overlaps(cluster):
            continue
        inside = cluster if cluster.subnet_of(network) else network  # CIDRs nest or are apart
        if not any(inside.subnet_of(e) for e in excepts if e.version == inside.version):
            return True
    return False


def groups_of(objects: list[dict], extra_namespaces: dict[str, dict] | None = None) -> tuple[list[Group], dict]:
    """The groups of rendered ``objects`` and every namespace's labels (``extra_namespaces``: ones
    the chart does not create, such as the release's, name -> labels)."""
    namespaces = {name: dict(labels, **{NAME_LABEL: name}) for name, labels in (extra_namespaces or {}).items()}
    groups = []
    for obj in objects:
        if obj["kind"] == "Namespace":
            name = obj["metadata"]["name"]
            labels = dict(obj["metadata"].get("labels") or {}, **{NAME_LABEL: name})
            namespaces[name] = labels
            if LEVEL_LABEL in labels:
                groups.append(Group(name, None, labels[LEVEL_LABEL], f"namespace {name}"))
    for obj in objects:
        if obj["kind"] not in WORKLOADS:
            continue
        template = obj if obj["kind"] == "Pod" else (obj["spec"].get("jobTemplate", {}).get("spec", obj["spec"]))
        labels = (template.get("template", template).get("metadata") or {}).get("labels") or {}
        namespace = obj["metadata"].get("namespace")
        if LEVEL_LABEL in labels:
            groups.append(Group(namespace, tuple(sorted(labels.items())), labels[LEVEL_LABEL],
                                f"{obj['kind']} {namespace}/{obj['metadata']['name']}"))
    return groups, namespaces


def peers_of(peers: list | None, own_namespace: str, groups: list[Group], namespaces: dict,
             cluster_cidrs: list[str]) -> list[Group]:
    if not peers:  # no from/to: every source or destination
        return list(groups)
    reached = []
    for peer in peers:
        if "ipBlock" in peer:
            if ip_block_reaches_cluster(peer["ipBlock"], cluster_cidrs):
                return list(groups)
            continue
        if "namespaceSelector" in peer:
            chosen = {name for name, labels in namespaces.items() if selector_matches(peer["namespaceSelector"], labels)}
            if peer["namespaceSelector"] == {}:
                chosen |= {group.namespace for group in groups}
        else:
            chosen = {own_namespace}
        reached += [g for g in groups if g.namespace in chosen
                    and selector_matches(peer.get("podSelector"), g.pod_labels())]
    return reached


def violations(objects: list[dict], levels: list[str], cluster_cidrs: list[str],
               extra_namespaces: dict[str, dict] | None = None) -> list[str]:
    """Every way a rendered NetworkPolicy lets a lower level reach a higher one, as sentences."""
    groups, namespaces = groups_of(objects, extra_namespaces)
    rank = {level: index for index, level in enumerate(levels)}
    found = []
    for policy in (o for o in objects if o["kind"] == "NetworkPolicy"):
        namespace, spec = policy["metadata"]["namespace"], policy["spec"]
        name = f"NetworkPolicy {namespace}/{policy['metadata']['name']}"
        subjects = [g for g in groups if g.namespace == namespace
                    and selector_matches(spec.get("podSelector"), g.pod_labels())]
        types = spec.get("policyTypes") or (["Ingress", "Egress"] if "egress" in spec else ["Ingress"])
        for direction, key, side in (("Ingress", "ingress", "from"), ("Egress", "egress", "to")):
            if direction not in types:
                continue
            for rule in spec.get(key) or []:
                for peer in peers_of(rule.get(side), namespace, groups, namespaces, cluster_cidrs):
                    for subject in subjects:
                        low, high = (peer, subject) if direction == "Ingress" else (subject, peer)
                        if rank[low.level] < rank[high.level]:
                            found.append(f"{name}: {low.what} ({low.level}) may reach {high.what} ({high.level})")
    return sorted(set(found))
