"""Time config layering on a package with 10,000 config leaves and 5 layers.

The package ships 10 config files of 20 sections x 50 keys (10,000 leaves: numbers, strings,
booleans and short lists). Its dependents override 5% of the leaves, the tier overlay 20% (and
deletes 1%), the workspace's local file 10% (deletes 1% and adds 200 keys), and 20 ``--set``
assignments go on top. Every layer has a line for every key, as ``load_yaml`` gives.

Prints the median of ``--runs`` in-process runs of ``explain_layers`` (what ``config show
--explain`` computes), ``merge_layers`` (what install and ``config apply`` compute) and
``render_yaml`` of the effective files, each beside the median of ``python3 -c pass`` (run as a
subprocess, the same number of times) and the ratio of the two.

Run: python bench/bench_config.py [--runs N]
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from common import median_seconds, python_pass, report  # noqa: E402

from agentpack.core.config_merge import Layer, explain_layers, merge_layers, render_yaml  # noqa: E402
from agentpack.core.config_set import set_layer  # noqa: E402

FILES, SECTIONS, KEYS = 10, 20, 50


def _value(rng: random.Random, index: int):
    kind = index % 4
    if kind == 0:
        return rng.randint(0, 100_000)
    if kind == 1:
        return f"value-{rng.randint(0, 10**6)} for the agent"
    if kind == 2:
        return rng.random() < 0.5
    return [f"item-{rng.randint(0, 99)}" for _ in range(rng.randint(0, 3))]


def _paths() -> list[tuple]:
    return [(f"config-{f}", f"section-{s}", f"key-{k}")
            for f in range(FILES) for s in range(SECTIONS) for k in range(KEYS)]


def _tree(assignments: dict[tuple, object]) -> dict:
    tree: dict = {}
    for path, value in assignments.items():
        node = tree
        for key in path[:-1]:
            node = node.setdefault(key, {})
        node[path[-1]] = value
    return tree


def _lines(tree: dict) -> dict[tuple, int]:
    """A line for every key path, numbered in document order as in a YAML file."""
    lines: dict[tuple, int] = {}

    def walk(node: dict, path: tuple) -> None:
        for key, value in node.items():
            lines[(*path, key)] = len(lines) + 1
            if isinstance(value, dict):
                walk(value, (*path, key))

    walk(tree, ())
    return lines


def build_layers(seed: int = 20240607) -> list[Layer]:
    rng = random.Random(seed)
    paths = _paths()
    own = {path: _value(rng, index) for index, path in enumerate(paths)}

    def overlay(share: float, deletes: float = 0.0) -> dict:
        chosen = rng.sample(paths, int(len(paths) * (share + deletes)))
        cut = int(len(paths) * deletes)
        return {path: (None if i < cut else _value(rng, i)) for i, path in enumerate(chosen)}

    local = overlay(0.10, 0.01)
    local.update({("config-0", "local-additions", f"key-{k}"): k for k in range(200)})
    trees = [("package", "package.yaml", _tree(own)),
             ("dependents", "sales/package.yaml", _tree(overlay(0.05))),
             ("tier", "config/tiers/edge.yaml", _tree(overlay(0.20, 0.01))),
             ("local", "packages/p.local.yaml", _tree(local))]
    layers = [Layer(name, source, tree, _lines(tree)) for name, source, tree in trees]
    assignments = [f"p.config-{i % FILES}.section-{i}.key-{i}=set-{i}" for i in range(20)]
    layers.append(Layer("set", "--set", set_layer(assignments, "p")))
    return layers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    layers = build_layers()
    tree, leaves = explain_layers(layers)
    assert tree == merge_layers(layers)
    print(f"{len(layers)} layers; the package sets {len(_lines(layers[0].data)) - FILES * (SECTIONS + 1):,} "
          f"leaves; the effective configuration has {len(leaves):,}")
    reference = python_pass(args.runs)
    explain = median_seconds(lambda: explain_layers(layers), args.runs)
    merge = median_seconds(lambda: merge_layers(layers), args.runs)
    render = median_seconds(lambda: [render_yaml(content) for content in tree.values()], args.runs)
    name = "python3 -c pass"
    report("explain_layers (config show --explain), 10k leaves x 5", explain, reference, name)
    report("merge_layers (install, config apply), 10k leaves x 5", merge, reference, name)
    report("render_yaml of the 10 effective config files", render, reference, name)


if __name__ == "__main__":
    main()
