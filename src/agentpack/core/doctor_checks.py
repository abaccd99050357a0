"""The pure parts of `agentops doctor`: which registries are inside an enclave, whether a
tenants' values file gives each team a quota and a budget, and how a workspace's clearance
compares with the level of the namespace it deploys into.

The tenants' file is the seed's values-tenants.yaml (the contract shared with the chart)::

    tenants:
      - name: team-alpha
        quota: {cpu: '10', memory: '20Gi', gpu: '2', pvcs: '5', pods: '20'}
        budget: {tokens: 1000000, cost: '$100.00', concurrency: 5}
        classification: secret   # optional
        private: true            # optional
"""

from __future__ import annotations

from collections.abc import Mapping

QUOTA_KEYS = ("cpu", "memory", "gpu", "pvcs", "pods")
BUDGET_KEYS = ("tokens", "cost", "concurrency")
_LOOPBACK_NAMES = ("localhost",)


def inside_enclave(location: str) -> bool:
    """Whether a registry ``location`` (as agentops.yaml writes it) stays inside an air-gapped
    enclave: a directory or ``file://`` URL, or a URL whose host is loopback (127.0.0.0/8, ::1,
    localhost, *.localhost) or a ``.local`` name (mDNS, the seed's ``registry.local:5000``)."""
    text = location.strip()
    if "://" not in text:
        return True  # a path: a directory registry on this machine or its mounts
    scheme, _, rest = text.partition("://")
    if scheme.lower() == "file":
        return True
    authority = rest.split("/", 1)[0].split("?", 1)[0].rpartition("@")[2].lower()
    if authority.startswith("["):  # an IPv6 literal: [::1]:8080
        host = authority[1:authority.find("]")] if "]" in authority else ""
    else:
        host = authority.split(":", 1)[0].rstrip(".")
    if not host:
        return False
    if host in _LOOPBACK_NAMES or host.endswith(".localhost") or host.endswith(".local") or host == "::1":
        return True
    pieces = host.split(".")
    return len(pieces) == 4 and pieces[0] == "127" and all(p.isdigit() and int(p) < 256 for p in pieces)


def tenant_problems(data: object, levels: tuple[str, ...] = ()) -> tuple[list[str], list[str]]:
    """(the team names, a sentence per problem) of a tenants' values file's data: every team needs
    a DNS-safe unique ``name``, a ``quota`` with cpu, memory, gpu, pvcs and pods, and a ``budget``
    with ``tokens`` (an integer >= 0), ``cost`` (``$100.00``-style) and ``concurrency`` (an
    integer >= 1); ``classification``, when given, must be one of ``levels`` (when given)."""
    from agentpack.core.kube_names import dns_label

    if not isinstance(data, Mapping) or not isinstance(data.get("tenants"), list):
        return [], ["the file has no `tenants:` list"]
    names, problems = [], []
    for index, tenant in enumerate(data["tenants"]):
        where = f"tenants[{index}]"
        if not isinstance(tenant, Mapping):
            problems.append(f"{where} is not a mapping")
            continue
        name = tenant.get("name")
        if not isinstance(name, str) or not name or dns_label(name) != name:
            problems.append(f"{where}: name {name!r} must be a namespace name (lowercase letters, digits, '-')")
        else:
            where = name
            if name in names:
                problems.append(f"{name} is listed twice")
            names.append(name)
        quota, budget = tenant.get("quota"), tenant.get("budget")
        if not isinstance(quota, Mapping):
            problems.append(f"{where} has no quota")
        else:
            missing = [key for key in QUOTA_KEYS if quota.get(key) in (None, "")]
            if missing:
                problems.append(f"{where}: quota lacks {', '.join(missing)}")
        if not isinstance(budget, Mapping):
            problems.append(f"{where} has no budget")
        else:
            problems += [f"{where}: budget.{p}" for p in _budget_problems(budget)]
        level = tenant.get("classification")
        if level is not None and levels and level not in levels:
            problems.append(f"{where}: classification {level!r} is not a level ({', '.join(levels)})")
    if not data["tenants"]:
        problems.append("`tenants:` lists no team")
    return names, problems


def _budget_problems(budget: Mapping) -> list[str]:
    import re

    found = []
    tokens, cost, concurrency = (budget.get(key) for key in BUDGET_KEYS)
    if not _integer(tokens) or tokens < 0:
        found.append(f"tokens {tokens!r} must be an integer >= 0")
    if not isinstance(cost, str) or not re.fullmatch(r"\$?[0-9]+(\.[0-9]{1,2})?", cost):
        found.append(f"cost {cost!r} must be an amount such as '$100.00' (quoted)")
    if not _integer(concurrency) or concurrency < 1:
        found.append(f"concurrency {concurrency!r} must be an integer >= 1")
    return found


def _integer(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
