"""Counters shared by the worker processes of one server, through one small file per process.

`agentops registry serve --workers N` runs N processes that each count their own requests,
downloads and publishes; `/metrics` must report the server's totals, whichever process answers
it. Each process writes its counts now and then (and when asked for the totals) as JSON to
``FOLDER/<pid>.json``, replacing the file atomically, and the totals are the sum of every file in
the folder. ``FOLDER`` belongs to one run of the server (``DATA/run/metrics/<pid of the serving
process>``): made empty when it starts, so counts start from zero, and removed when it stops, or,
when it could not be (uvicorn ends a process stopped by SIGTERM with that signal, past any
clean-up), by the next run.

A process's file only ever grows (counters never go down, and ``ProcessCounters.write`` drops a
snapshot older than the one written last), and the file of a worker that died stays, so the
totals never go backwards during a run. What another process counted since it last wrote is
missing from the totals until it writes again, at most one flush interval later.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import threading

RUN_FOLDER = os.path.join("run", "metrics")  # below the server's data directory


def run_folder(data_dir: str, pid: int | None = None) -> str:
    """The folder of the counters of the server run by process ``pid`` (default: this one)."""
    return os.path.join(data_dir, RUN_FOLDER, str(os.getpid() if pid is None else pid))


def start_run(data_dir: str) -> str:
    """Make this process's run folder, empty, and remove those of runs whose serving process is
    gone (a server that was killed leaves its folder behind). Returns the folder."""
    from agentpack.adapters.paths import make_dirs

    parent = os.path.join(data_dir, RUN_FOLDER)
    make_dirs(data_dir, parent)
    for name in os.listdir(parent):
        if name.isdigit() and int(name) != os.getpid() and _alive(int(name)):
            continue
        shutil.rmtree(os.path.join(parent, name), ignore_errors=True)
    folder = run_folder(data_dir)
    os.makedirs(folder, exist_ok=True)
    return folder


def end_run(folder: str) -> None:
    """Remove a run's folder once its server has stopped."""
    shutil.rmtree(folder, ignore_errors=True)


class ProcessCounters:
    """This process's file in ``folder``: ``write`` its counts, ``gather`` every process's."""

    def __init__(self, folder: str) -> None:
        self.folder = folder
        self.path = os.path.join(folder, f"{os.getpid()}.json")
        self._lock = threading.Lock()
        self._written = -1  # the sequence number of the snapshot in the file

    def write(self, sequence: int, counts: dict) -> None:
        """Replace this process's file with ``counts`` (a JSON-able dict), unless a snapshot with a
        higher ``sequence`` is there already (two writes may finish in either order)."""
        with self._lock:
            if sequence <= self._written:
                return
            os.makedirs(self.folder, exist_ok=True)
            temporary = f"{self.path}.{threading.get_ident()}.tmp"
            with open(temporary, "w", encoding="utf-8") as stream:
                json.dump(counts, stream, separators=(",", ":"))
            os.replace(temporary, self.path)
            self._written = sequence

    def gather(self) -> list[dict]:
        """The counts every process of the run wrote last (a file being replaced is read whole,
        old or new; one that cannot be read is left out)."""
        found = []
        with contextlib.suppress(FileNotFoundError):
            names = sorted(os.listdir(self.folder))
            for name in names:
                if not name.endswith(".json"):
                    continue
                try:
                    with open(os.path.join(self.folder, name), encoding="utf-8") as stream:
                        counts = json.load(stream)
                except (OSError, ValueError):
                    continue
                if isinstance(counts, dict):
                    found.append(counts)
        return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process: not ours to judge
    return True
