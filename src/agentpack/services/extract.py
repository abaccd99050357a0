"""``agentops package extract``: turn an unstructured agent folder into agentpack packages.

Phase 1 (``--dry-run`` stops here): read the folder into a bounded ``Listing``
(``adapters.source_folder``), detect its format and inventory it (``core.readers.read``).
Phases 2-3: plan each proposed package (``core.extract_plan``), write all of them into a staging
folder beside OUT, validate each there with the ``validate`` service, then rename each into
``OUT/<name>``. Nothing half-written is ever left in OUT: the staging folder is removed on any
failure. An existing non-empty ``OUT/<name>`` is refused (``UsageError``, before anything is
written) unless ``force`` is given, in which case it is replaced. Prints nothing.
"""

from __future__ import annotations

import os
import shutil
import tempfile

from agentpack.adapters.source_folder import read_source_folder
from agentpack.core.readers import Inventory, Listing, read
from agentpack.core.records import dataclass, field, replace
from agentpack.errors import Problem, UsageError

AUTO = "auto"


@dataclass
class ExtractedPackage:
    """One written (or, in a dry run, planned) package and what validating it found."""

    name: str
    version: str
    source: str
    components: dict[str, int]
    files: int = 0
    copied_from: dict[str, str] = field(default_factory=dict)  # package path -> source path, byte for byte
    directory: str | None = None
    findings: list[Problem] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # from validate, on the written folder

    @property
    def ok(self) -> bool:
        """True when the written package validates without errors."""
        return not any(p.is_error for p in self.problems)

    def to_dict(self) -> dict:
        """JSON-ready form."""
        return {"name": self.name, "version": self.version, "source": self.source, "components": self.components,
                "files": self.files, "copied_from": self.copied_from, "directory": self.directory, "ok": self.ok,
                "findings": [p.to_dict() for p in self.findings], "problems": [p.to_dict() for p in self.problems]}


@dataclass
class ExtractResult:
    """The inventory of the source plus, unless a dry run, every package written."""

    source: str
    output: str | None
    dry_run: bool
    inventory: Inventory
    walk_findings: list[Problem]
    packages: list[ExtractedPackage]

    @property
    def ok(self) -> bool:
        """True when every written package validates (always true for a dry run)."""
        return all(p.ok for p in self.packages)

    def findings(self) -> list[Problem]:
        """Findings of the walk and of the inventory, in that order."""
        return [*self.walk_findings, *self.inventory.findings]

    def to_dict(self) -> dict:
        """JSON-ready form: the whole inventory (counts, clashes, not understood, findings) and packages."""
        inv = self.inventory
        return {
            "source": self.source, "output": self.output, "dry_run": self.dry_run, "ok": self.ok,
            "format": inv.format, "detected_by": inv.detected_by, "files": inv.file_count,
            "package_count": len(inv.packages), "counts": inv.counts_by_kind(),
            "counts_by_package": inv.counts_by_package(),
            "clashes": [{"kind": c.kind, "name": c.name, "same_content": c.same_content,
                         "sources": [{"package": p, "path": s} for p, s in c.sources]} for c in inv.clashes],
            "not_understood": list(inv.not_understood),
            "findings": [p.to_dict() for p in self.findings()],
            "packages": [p.to_dict() for p in self.packages],
        }


def inventory_source(source: str, format: str | None = None) -> tuple[Listing, Inventory, list[Problem]]:
    """Phase 1: the bounded listing of ``source``, its inventory, and the walk's findings."""
    from agentpack.adapters.yamlio import load_yaml

    listing, walk_findings = read_source_folder(source)
    chosen = None if format in (None, AUTO) else format
    inventory = read(listing, chosen, load=lambda text: load_yaml(text, source="frontmatter")[0])
    return listing, inventory, walk_findings


def extract(source: str, output: str | None, *, format: str | None = None, dry_run: bool = False,
            force: bool = False, license: str | None = None) -> ExtractResult:
    """Inventory ``source`` and, unless ``dry_run``, write one validated package per proposal into ``output``.

    Raises ``UsageError`` for a missing source or output, an unknown format, or an existing
    non-empty package folder without ``force``. Problems in the content are findings, never raised.
    ``license`` is the SPDX identifier given to packages whose source declares none (publishing
    needs one, and guessing it is not ours to do).
    """
    from agentpack.adapters.yamlio import dump_yaml
    from agentpack.core.extract_plan import plan_package

    listing, inventory, walk_findings = inventory_source(source, format)
    proposed = [p if p.license or not license else replace(p, license=license) for p in inventory.packages]
    plans = [plan_package(p, listing, dump_yaml) for p in proposed]
    packages = [ExtractedPackage(p.name, p.version, p.source or ".", _counts(plan.manifest),
                                 len(plan.copies) + len(plan.generated), dict(plan.copies), findings=plan.findings)
                for p, plan in zip(proposed, plans, strict=True)]
    result = ExtractResult(source, output, dry_run, inventory, walk_findings, packages)
    if dry_run or not plans:
        return result
    if not output:
        raise UsageError("extract needs an output folder", field="output", hint="add -o OUT (or use --dry-run)")
    _refuse_existing(output, [p.name for p in plans], force)
    _write_all(output, listing, plans, packages)
    return result


def _counts(manifest: dict) -> dict[str, int]:
    from agentpack.core.readers import KINDS

    counts = {kind: len(manifest.get(kind, ())) for kind in KINDS}
    counts["mcp_servers"] = len(manifest.get("mcp_servers", {}))
    return counts


def _refuse_existing(output: str, names: list[str], force: bool) -> None:
    if os.path.exists(output) and not os.path.isdir(output):
        raise UsageError(f"{output} exists and is not a folder", path=output)
    busy = [n for n in names if os.path.isdir(os.path.join(output, n)) and os.listdir(os.path.join(output, n))]
    if busy and not force:
        shown = ", ".join(busy[:5]) + (f" and {len(busy) - 5} more" if len(busy) > 5 else "")
        raise UsageError(f"{output} already holds package folder(s) {shown}", path=output,
                         hint="choose another -o folder, or pass --force to replace them")


def _write_all(output: str, listing: Listing, plans, packages: list[ExtractedPackage]) -> None:
    from agentpack.services.validate import validate_package

    parent = os.path.dirname(os.path.abspath(output))
    os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=f".{os.path.basename(os.path.abspath(output))}.extract-", dir=parent)
    try:
        for plan, package in zip(plans, packages, strict=True):
            folder = os.path.join(staging, plan.name)
            _write_package(folder, listing, plan)
            package.problems = validate_package(folder).problems
        os.makedirs(output, exist_ok=True)
        for plan, package in zip(plans, packages, strict=True):
            package.directory = os.path.join(output, plan.name)
            _move_into_place(os.path.join(staging, plan.name), package.directory)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _write_package(folder: str, listing: Listing, plan) -> None:
    """Write ``plan`` into the new folder ``folder``: copies byte for byte, then generated files."""
    contents = [(path, listing.read(source)) for path, source in plan.copies.items()]
    contents += list(plan.generated.items())
    for path, data in contents:
        target = os.path.join(folder, *path.split("/"))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "xb") as stream:
            stream.write(data)


def _move_into_place(staged: str, target: str) -> None:
    """Rename ``staged`` to ``target``; an existing ``target`` (allowed by --force) is replaced."""
    if os.path.lexists(target):
        aside = tempfile.mkdtemp(prefix=f".{os.path.basename(target)}.old-", dir=os.path.dirname(target))
        os.rename(target, os.path.join(aside, "old"))
        os.rename(staged, target)
        shutil.rmtree(aside, ignore_errors=True)
    else:
        os.rename(staged, target)
