"""Handler of `agentops check`: run the installed packages' quality gates and render the violations."""

from __future__ import annotations

from agentpack.cli.output import out, paint, print_json


def cmd_check(args) -> int:
    """Exit 1 when any error-level violation is found (also with --json), else 0."""
    from agentpack.services.check import check_workspace

    result = check_workspace(args.directory)
    if args.json:
        print_json(result.to_dict())
        return 1 if result.errors else 0
    for violation in result.violations:
        label = paint(f"{violation.severity:<7}", "31" if violation.is_error else "33")
        where = f"{violation.file}:{violation.line}" if violation.line else violation.file
        rule = f"[{violation.rule}] " if violation.rule else ""
        out(f"  {label} {where}: {rule}{violation.message}")
    count = len(result.packages)
    if not count:
        out("No packages installed: nothing to check.")
    elif result.violations:
        verdict = paint("failed", "31") if result.errors else paint("passed with warnings", "33")
        out(f"Quality gates {verdict}: {result.errors} error(s), {result.warnings} warning(s) "
            f"in {count} package(s)")
    else:
        out(f"Quality gates {paint('passed', '32')} for {count} package(s)")
    return 1 if result.errors else 0
