"""What a deployment tier says about where agents run: the facts of a tier's Helm values file.

The seed's three tiers (values-tier1-edge.yaml, values-tier2-datacenter.yaml,
values-tier3-connected.yaml) are known without a chart at hand, with the seed's values; a chart's
own values file, when given, is read instead (``tier_from_values``). The facts used:

- ``global.tier``, ``global.connectivity`` (``none`` is an air-gapped enclave) and
  ``global.classification`` (the level the tier's namespaces are cleared for);
- ``models.primary.name`` (the model an agent runs on when its file names none) and
  ``models.fallback.name``;
- ``registry.url``.

Pure: callers read the file and pass its parsed data.
"""

from __future__ import annotations

from collections.abc import Mapping

from agentpack.core.records import dataclass


@dataclass(frozen=True)
class Tier:
    """A tier's facts (None where its values file does not say)."""

    name: str
    values_file: str | None  # the file name in the chart (values-tierN-NAME.yaml)
    connectivity: str | None
    classification: str | None
    model: str | None
    fallback: str | None
    registry: str | None

    @property
    def air_gapped(self) -> bool:
        """Whether the tier has no connection outside its enclave (the seed's Tier 1)."""
        return self.connectivity == "none"

    def models(self) -> tuple[str, ...]:
        """The models the tier provides: primary, then fallback."""
        return tuple(m for m in (self.model, self.fallback) if m)


SEED_TIERS = {
    "edge": Tier("edge", "values-tier1-edge.yaml", "none", "secret", "mistral-7b-instruct-q4", None,
                 "registry.local:5000"),
    "datacenter": Tier("datacenter", "values-tier2-datacenter.yaml", "internal", "secret", "llama-70b-instruct",
                       "mistral-7b-instruct", "harbor.internal.mil:443"),
    "connected": Tier("connected", "values-tier3-connected.yaml", "external", "unclassified", "claude-sonnet-4",
                      "llama-70b-instruct", "123456789.dkr.ecr.us-gov-west-1.amazonaws.com"),
}


def values_file_for(tier: str, names: list[str]) -> str | None:
    """The file among ``names`` (a chart folder's listing) that holds ``tier``'s values: the one
    named ``values-tier<N>-<tier>.yaml``, else ``values-<tier>.yaml``; None when neither is there."""
    for name in sorted(names):
        head, sep, rest = name.partition("-")
        if head == "values" and sep and rest == f"{tier}.yaml":
            return name
        number, sep, tail = rest.partition("-")
        if head == "values" and number.startswith("tier") and number[4:].isdigit() and tail == f"{tier}.yaml":
            return name
    return None


def tier_from_values(tier: str, values: object, file_name: str | None) -> tuple[Tier, list[str]]:
    """(the facts of ``values``, a tier's parsed values file, problems found in it). A problem is
    a sentence naming the key; the facts hold None where a key is missing or malformed."""
    problems: list[str] = []
    if not isinstance(values, Mapping):
        return Tier(tier, file_name, None, None, None, None, None), ["the file is not a mapping of values"]

    def text(path: tuple[str, ...], *, required: bool = True) -> str | None:
        node: object = values
        for key in path:
            node = node.get(key) if isinstance(node, Mapping) else None
        if node is None:
            if required:
                problems.append(f"{'.'.join(path)} is missing")
            return None
        if not isinstance(node, str) or not node.strip():
            problems.append(f"{'.'.join(path)} must be a non-empty string")
            return None
        return node

    named = text(("global", "tier"))
    if named is not None and named != tier:
        problems.append(f"global.tier is {named!r}, not {tier!r}")
    facts = Tier(tier, file_name, text(("global", "connectivity")), text(("global", "classification")),
                 text(("models", "primary", "name")), text(("models", "fallback", "name"), required=False),
                 text(("registry", "url"), required=False))
    return facts, problems
