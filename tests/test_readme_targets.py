"""The README's tables of where each agent tool reads what are the code's table, ``core.targets.TARGETS``.

Under "Install into your agent tools", the first table has one row per target and kind: a component
kind's path (folder and file-name rule), the MCP document and the key its servers go under, and the
context file. The second has one row per target: its tool, the paths that pick it on a first
install, and the kinds it has no folder for. Every rule in the code must have its row, and every
row its rule, so neither can change without the other.
"""

from __future__ import annotations

import re

import yaml

import agentpack.core.targets as targets_module
from agentpack.core.targets import KINDS, PREFIX_PACKAGE, TARGETS, agents_md
from conftest import REPO
from test_readme import readme_blocks

SECTION = "Install into your agent tools"
KINDS_HEADER = ["target", "kind", "path", "what agentops writes"]
TOOLS_HEADER = ["target", "tool", "picked on a first install when the folder holds", "no folder for"]
NONE = "—"


def section_text(readme: str) -> str:
    """The section's text, up to the next heading of its level."""
    start = readme.index(f"\n## {SECTION}\n")
    end = readme.find("\n## ", start + 1)
    return readme[start: end if end != -1 else len(readme)]


def cells(line: str) -> list[str]:
    """A Markdown table row's cells, stripped (``\\|`` stays inside its cell)."""
    return [cell.strip().replace("\\|", "|") for cell in re.split(r"(?<!\\)\|", line.strip()[1:-1])]


def tables(text: str) -> dict[tuple[str, ...], list[list[str]]]:
    """Every table of ``text``: its header cells -> its rows' cells."""
    found: dict[tuple[str, ...], list[list[str]]] = {}
    lines = text.splitlines()
    for index, line in enumerate(lines):
        is_start = (line.startswith("|") and index + 1 < len(lines) and re.fullmatch(r"\|(\s*:?-+:?\s*\|)+", lines[index + 1].strip())
                    and not (index and lines[index - 1].startswith("|")))
        if not is_start:
            continue
        rows = []
        for row in lines[index + 2:]:
            if not row.startswith("|"):
                break
            rows.append(cells(row))
        found[tuple(cells(line))] = rows
    return found


def spans(cell: str) -> list[str]:
    """The code spans of a cell, in order."""
    return re.findall(r"`([^`]+)`", cell)


def readme_tables() -> tuple[list[list[str]], list[list[str]]]:
    found = tables(section_text((REPO / "README.md").read_text(encoding="utf-8")))
    assert tuple(KINDS_HEADER) in found, f"README '{SECTION}' has no table headed {KINDS_HEADER}"
    assert tuple(TOOLS_HEADER) in found, f"README '{SECTION}' has no table headed {TOOLS_HEADER}"
    return found[tuple(KINDS_HEADER)], found[tuple(TOOLS_HEADER)]


def kind_rows() -> dict[tuple[str, str], list[str]]:
    """The first table as (target, kind) -> row, refusing a row given twice or of the wrong width."""
    rows: dict[tuple[str, str], list[str]] = {}
    for row in readme_tables()[0]:
        assert len(row) == len(KINDS_HEADER), f"README row has {len(row)} cells, not {len(KINDS_HEADER)}: {row}"
        [target] = spans(row[0])
        key = (target, row[1])
        assert key not in rows, f"README lists {key} twice"
        rows[key] = row
    return rows


def split_path(path: str) -> tuple[str, str, bool]:
    """``.claude/skills/<name>/`` -> (directory, file-name rule in the code's spelling, is a folder)."""
    folder = path.endswith("/")
    directory, _, file_name = path.rstrip("/").rpartition("/")
    return directory, file_name.replace("<name>", "{name}"), folder


def test_every_kind_rule_in_the_code_has_its_row_with_its_folder_and_file_name():
    rows = kind_rows()
    for name, target in TARGETS.items():
        for kind, rule in target.kinds.items():
            assert (name, kind) in rows, f"README's table has no row for {name} {kind} ({rule.path('<name>')})"
            path = spans(rows[name, kind][2])
            assert len(path) == 1, f"README row {name} {kind}: one path in code marks expected, found {path}"
            directory, file_name, folder = split_path(path[0])
            assert directory == rule.directory, f"README says {name} {kind} go to {directory}/, the code {rule.directory}/"
            assert file_name == rule.file_name, f"README names {name} {kind} {file_name}, the code {rule.file_name}"
            assert folder == rule.folder, f"README's {path[0]} for {name} {kind}: a folder is written with a final /"


def test_every_row_of_the_table_is_a_rule_in_the_code():
    special = {"MCP servers", "context file", "every kind"}
    for name, kind in kind_rows():
        assert name in TARGETS, f"README's table names target {name!r}, the code has {sorted(TARGETS)}"
        if kind not in special:
            assert kind in KINDS, f"README's table names kind {kind!r} for {name}, the kinds are {KINDS}"
            assert kind in TARGETS[name].kinds, f"README's table writes {kind} for {name}; the code has no rule for it"


def test_mcp_documents_and_the_key_their_servers_go_under():
    rows = kind_rows()
    for name, target in TARGETS.items():
        row = rows.get((name, "MCP servers"))
        if target.mcp is None:
            assert row is None, f"README's table writes MCP servers for {name}; the code has no MCP document for it"
            continue
        assert row is not None, f"README's table has no MCP servers row for {name} ({target.mcp.path})"
        path, container = spans(row[2])[:2]
        assert path == target.mcp.path, f"README says {name} reads MCP servers from {path}, the code {target.mcp.path}"
        assert container == ".".join(target.mcp.container), (
            f"README says {name}'s servers go under {container}, the code {'.'.join(target.mcp.container)}")


def test_context_files():
    rows = kind_rows()
    for name, target in TARGETS.items():
        assert (name, "context file") in rows, f"README's table has no context file row for {name}"
        cell = rows[name, "context file"][2]
        readme = None if cell == NONE else (spans(cell) or [cell])[0]
        assert readme == target.context_file, f"README says {name}'s context file is {readme}, the code {target.context_file}"


def test_the_agents_md_section_row_names_its_file_and_markers():
    row = kind_rows()["agents-md", "every kind"]
    assert spans(row[2]) == [agents_md.FILE_NAME, agents_md.BEGIN, agents_md.END], row


def test_the_tools_table_names_each_target_its_markers_and_its_missing_kinds():
    rows = readme_tables()[1]
    assert [spans(row[0])[0] for row in rows] == list(TARGETS), "README's second table: one row per target, in TARGETS order"
    for row, target in zip(rows, TARGETS.values(), strict=True):
        assert row[1] == target.title, f"README calls {target.name} {row[1]!r}, the code {target.title!r}"
        assert tuple(spans(row[2])) == target.markers, (
            f"README picks {target.name} for {spans(row[2])}, the code for {list(target.markers)}")
        missing = set(KINDS) if row[3].startswith("every kind") else {k.strip() for k in row[3].split(",")}
        assert missing == set(KINDS) - set(target.kinds), (
            f"README says {target.name} has no folder for {sorted(missing)}, the code {sorted(set(KINDS) - set(target.kinds))}")
        assert missing <= set(target.notes), f"the code does not say why {target.name} has no folder for {sorted(missing)}"


def test_the_date_and_every_source_are_the_codes():
    text = section_text((REPO / "README.md").read_text(encoding="utf-8"))
    docstring = targets_module.__doc__ or ""
    [code_date] = re.findall(r"researched (\d{4}-\d{2}-\d{2})", docstring)
    assert f"Researched {code_date}" in text, f"README's table is not dated {code_date}, as the code's table is"
    urls = re.findall(r"https://[^\s),]+", text)
    assert len(urls) >= 10, urls
    for url in urls:
        bare = url.removeprefix("https://").rstrip(".")
        assert bare in docstring, f"README cites {url}, which the docstring of core/targets/__init__.py does not"


def test_the_examples_name_real_targets_and_options():
    text = section_text((REPO / "README.md").read_text(encoding="utf-8"))
    [example] = [b for b in readme_blocks() if b.section == SECTION and b.info[:1] == ["yaml"]]
    items = yaml.safe_load(example.code)["targets"]
    for item in items:
        name, options = (item, {}) if isinstance(item, str) else next(iter(item.items()))
        assert name in TARGETS, f"README's agentops.yaml names target {name!r}"
        assert set(options) <= {"prefix"} and options.get("prefix", PREFIX_PACKAGE) == PREFIX_PACKAGE, item
    indented = [line.strip() for line in text.splitlines() if line.startswith("    agentops ")]
    assert indented, "README's command example is gone"
    named = [word for line in indented if line.startswith("agentops target add") for word in line.split()[3:]
             if not word.startswith(("-", "[")) and word != "package]"]
    named += re.findall(r"--target (\S+)", " ".join(indented))
    assert named and set(named) <= set(TARGETS), named
