"""Entry point of the `agentops` command.

Start-up time is part of the product (`agentops --version` must start about as fast as Python,
`agentops package list` within twice that), so this module imports nothing heavy: the two
fastest commands are answered here before argparse, the services or any third-party library is
imported; everything else goes through the full parser in cli.parser.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> int:
    """Run one command and return its exit code: 0 success, 1 failure, 2 misuse, 130 interrupted.

    A reader that goes away (``agentops ... | head -1``) is not an error: once stdout or stderr
    is a closed pipe the command stops writing and exits quietly, with 0, or with the failure code
    if it had already failed, whatever it was printing (text or --json, help, an error).
    """
    args = sys.argv[1:] if argv is None else list(argv)
    code = 0
    try:
        try:
            code = _dispatch(args)
        except SystemExit as stop:  # argparse after --help or a usage error
            code = stop.code if isinstance(stop.code, int) else 0 if stop.code is None else 1
        except KeyboardInterrupt:
            code = 130
            sys.stderr.write("interrupted\n")
        except BrokenPipeError:
            raise
        except Exception as exc:  # the last line of defence: never a traceback for a user
            from agentpack.cli.output import report_error

            code = report_error(exc, as_json="--json" in args)
        # Flushed here, not at exit, where a closed pipe could only be reported with a traceback.
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError as closed:
        code = getattr(closed, "exit_code", code)  # set when it cut short the report of a failure
        _silence_closed_pipes()
    return code


def _dispatch(args: list[str]) -> int:
    """Answer the fastest commands before argparse, the services or any library is imported;
    everything else goes through the full parser in cli.parser."""
    if args in (["--version"], ["-V"]):
        from agentpack import __version__

        sys.stdout.write(f"agentops {__version__}\n")
        return 0
    if _is_plain_sync(args):
        quick = _already_in_sync(args)
        if quick is not None:
            return quick
    fast = _fast_list_directory(args)
    if fast is not None:
        from agentpack.cli.listing import render_list

        return render_list(fast or None, as_json=False)
    from agentpack.cli.parser import run

    return run(args)


def _silence_closed_pipes() -> None:
    """Point stdout and stderr at /dev/null, so that the interpreter's own flush at exit does not
    hit the closed pipe again (and print a traceback about it)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    for stream in (sys.stdout, sys.stderr):
        try:
            os.dup2(devnull, stream.fileno())
        except (OSError, ValueError):
            pass
    os.close(devnull)


def _is_plain_sync(args: list[str]) -> bool:
    """`package install` / `config apply` with no arguments (optionally -C DIR): possibly a no-op."""
    if len(args) == 4 and args[0] == "-C":
        args = args[2:]
    elif len(args) == 4 and args[2] == "-C":
        args = args[:2]
    return args in (["package", "install"], ["config", "apply"])


def _already_in_sync(args: list[str]) -> int | None:
    """Answer a no-op install/apply without the full command's imports; None: run the full command."""
    from agentpack.adapters.discovery import find_workspace
    from agentpack.services.uptodate import unchanged_since_last_sync

    directory = args[args.index("-C") + 1] if "-C" in args else os.getcwd()
    if not os.path.isdir(directory):
        return None
    installed = unchanged_since_last_sync(find_workspace(directory))
    if installed is None:
        return None
    sys.stdout.write(f"Up to date: {len(installed)} package(s) installed\n")
    return 0


def _fast_list_directory(args: list[str]) -> str | None:
    """'' for `package list`, DIR for `package list -C DIR` / `-C DIR package list`; else None."""
    if args == ["package", "list"]:
        return ""
    if len(args) == 4 and args[:2] == ["package", "list"] and args[2] == "-C":
        return args[3] or None
    if len(args) == 4 and args[0] == "-C" and args[2:] == ["package", "list"]:
        return args[1] or None
    return None
