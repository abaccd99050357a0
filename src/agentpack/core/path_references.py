"""Warn when a component's text names a package file by a path it will not have once installed.

Install namespaces everything (``config/escalation-thresholds.yaml`` becomes
``config/<package>/escalation_thresholds.yaml``, ``validations/x.yaml`` becomes
``validations/<package>/x.yaml``), so an agent told to read the package path looks for a file
that is not there. The agents, workflows and patterns (frontmatter and body) are searched for
every path the package ships, and each mention of one that install moves is a warning naming
where it will be.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from agentpack.core.layout import installed_files
from agentpack.core.manifest import Manifest
from agentpack.errors import Problem

SCANNED_KINDS = ("agents", "workflows", "patterns")
# Anything that looks like a relative path with a folder; looked up as a whole, so config/x.yaml
# inside config/pkg/x.yaml or old-config/x.yaml is not a mention of config/x.yaml. Read only where
# a moved path's first folder occurs: scanning every character of every file with it costs more
# than the rest of a package's validation together.
_PATH_TOKEN = re.compile(r"(?<![\w./-])[\w.-]+(?:/[\w.-]+)+")


def installed_locations(manifest: Manifest, files: Mapping[str, bytes]) -> dict[str, str]:
    """{path in the package: workspace path after install} for every file in a folder that install
    places, including the config files install writes as ``config/<package>/<config name>.yaml``."""
    # Listed files that are missing are reported elsewhere; count them as present so that the
    # mapping (which refuses missing files) still covers everything else.
    listed = [*manifest.agents, *manifest.workflows, *manifest.patterns, *manifest.validations,
              *manifest.documentation.values()]
    placed = installed_files(manifest, {*files, *listed})
    moved = {source: dest for dest, source in placed.items()}
    for key, rel in manifest.config.items():
        moved[rel] = f"config/{manifest.name}/{key}.yaml"
    # A bare file name (README.md) is too common a word in prompts to be taken for this package's file.
    return {source: dest for source, dest in moved.items() if source != dest and "/" in source}


def path_reference_problems(manifest: Manifest, files: Mapping[str, bytes]) -> list[Problem]:
    """A ``install-path`` warning for each line of a component that names a package path which
    install puts somewhere else (see the module docstring). Never raises."""
    moved = installed_locations(manifest, files)
    if not moved:
        return []
    # A token naming a moved path starts with that path's first folder and a slash, so only where
    # one of those few prefixes occurs is a token read: the same tokens as a scan of the whole
    # text (a token starts where no path character precedes it), at a fraction of the cost.
    prefixes = sorted({source.partition("/")[0] + "/" for source in moved})
    # An ASCII prefix is in the text exactly when its bytes are in the file (decoding with
    # replacement never changes an ASCII byte), so most files are passed over undecoded.
    raw_prefixes = [p.encode("ascii") for p in prefixes] if all(p.isascii() for p in prefixes) else None
    problems = []
    for kind in SCANNED_KINDS:
        for component in getattr(manifest, kind):
            raw = files.get(component)
            if raw is None or (raw_prefixes is not None and not any(p in raw for p in raw_prefixes)):
                continue
            text = raw.decode("utf-8", errors="replace")
            for start in _occurrences(text, prefixes):
                match = _PATH_TOKEN.match(text, start)
                if match is None:
                    continue
                named = match.group().rstrip(".")  # a full stop ending the sentence
                if named not in moved:
                    continue
                problems.append(Problem(
                    "warning", "install-path",
                    f"names {named}, which install puts at {moved[named]}; write that path instead",
                    path=component, line=text.count("\n", 0, start) + 1,
                ))  # fmt: skip
    return problems


def _occurrences(text: str, prefixes: list[str]) -> list[int]:
    """Every index of ``text`` where one of ``prefixes`` begins, in order."""
    found = set()
    for prefix in prefixes:
        start = text.find(prefix)
        while start >= 0:
            found.add(start)
            start = text.find(prefix, start + 1)
    return sorted(found)
