"""Terminal output: colours (off for NO_COLOR, --no-color, dumb terminals and pipes), errors,
warnings and a progress line that only appears on a terminal."""

from __future__ import annotations

import os
import sys

_COLOR: bool | None = None


def set_color(enabled: bool | None) -> None:
    """Force colours on/off (None: decide from the environment and the terminal)."""
    global _COLOR
    _COLOR = enabled


def color_enabled(stream=None) -> bool:
    if _COLOR is not None:
        return _COLOR
    stream = stream or sys.stderr
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return hasattr(stream, "isatty") and stream.isatty()


def paint(text: str, code: str, stream=None) -> str:
    """``text`` wrapped in an ANSI SGR ``code`` when colours are enabled for ``stream``."""
    return f"\033[{code}m{text}\033[0m" if color_enabled(stream) else text


def err(line: str = "") -> None:
    sys.stderr.write(line + "\n")


def out(line: str = "") -> None:
    sys.stdout.write(line + "\n")


def print_json(data) -> None:
    import json

    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


def print_problems(problems, *, indent: str = "  ", to_stdout: bool = False) -> None:
    """Each problem on its own line: `  error   path:line: message` (stderr unless ``to_stdout``)."""
    write = out if to_stdout else err
    for problem in problems:
        label = paint(f"{problem.severity:<7}", "31" if problem.is_error else "33",
                      sys.stdout if to_stdout else sys.stderr)
        where = problem.location()
        write(f"{indent}{label} {where + ': ' if where else ''}{problem.message}")


def report_error(exc: BaseException, *, as_json: bool = False) -> int:
    """Render any exception for a user (never a traceback unless AGENTOPS_DEBUG is set); return the exit code.

    A ``BrokenPipeError`` is not rendered but raised again (cli.main exits quietly); so is one met
    while writing the report, carrying the failure's code as ``exit_code``.
    """
    from agentpack.errors import AgentpackError

    if isinstance(exc, BrokenPipeError):
        raise exc  # the reader went away: not an error to report
    if os.environ.get("AGENTOPS_DEBUG"):
        import traceback

        traceback.print_exception(exc)
    if not isinstance(exc, AgentpackError):
        if isinstance(exc, OSError):
            where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
            exc = AgentpackError(f"{exc.strerror or exc}{where}",
                                 hint="check the path and its permissions, then try again")
        else:
            exc = AgentpackError(f"internal error: {type(exc).__name__}: {exc}",
                                 hint="this is a bug in agentops; re-run with AGENTOPS_DEBUG=1 and report the output")
    try:
        _render_error(exc, as_json)
    except BrokenPipeError as closed:
        closed.exit_code = exc.exit_code
        raise
    return exc.exit_code


def _render_error(exc, as_json: bool) -> None:
    if as_json:
        print_json(exc.to_dict())
        return
    where = f"{exc.path}:{exc.line}" if exc.path and exc.line else exc.path
    # Name the file (and line) unless the message or the problems listed below already do.
    located = f"{where}: " if where and exc.path not in exc.message and not exc.problems else ""
    err(f"{paint('error:', '1;31')} {located}{exc.message}")
    print_problems(exc.problems)
    for cause in exc.causes:
        err(f"  {cause}")
    if exc.hint:
        err(f"{paint('hint:', '36')} {exc.hint}")


class Progress:
    """A one-line progress bar on stderr, drawn only when stderr is a terminal."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.enabled = sys.stderr.isatty() and os.environ.get("TERM") != "dumb"
        self.drawn = False

    def __call__(self, done: int, total: int, item: str) -> None:
        if not self.enabled or total <= 1:
            return
        width = 24
        filled = width * done // total
        bar = "#" * filled + "-" * (width - filled)
        sys.stderr.write(f"\r{self.label} [{bar}] {done}/{total} {item[:40]:<40}")
        sys.stderr.flush()
        self.drawn = True
        if done >= total:
            self.close()

    def close(self) -> None:
        if self.drawn:
            sys.stderr.write("\r" + " " * 100 + "\r")
            sys.stderr.flush()
            self.drawn = False
