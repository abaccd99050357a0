"""A few worker threads for requests that wait on a network, so that independent ones overlap.

A registry across a network spends most of a command waiting for answers one after the other;
a small pool lets the answers that do not depend on each other be waited for together: the blobs,
signature artifacts and manifests of each step of an ``oci://`` write (adapters.registry.oci_writes),
the indexes of a package's dependencies, the archives an install fetches next. It is the one way
agentops overlaps requests, so that every such wait has the same bound. The threads are daemons:
a command that ends while a speculative read is still under way does not wait for it (a
``ThreadPoolExecutor`` would run every queued read to the end before the process may exit).
"""

from __future__ import annotations

import queue
import threading
from concurrent.futures import Future

# Requests in flight at once per registry object: a registry 20 ms away answers the 40 requests of
# 20 packages' indexes in ~3 round trips with 16, in ~10 with 4 (npm keeps up to 15 sockets a host,
# uv 50 downloads). AGENTOPS_CONCURRENT_REQUESTS=N (1-64) sets another number.
WORKERS = 16
MAX_WORKERS = 64


def concurrent_requests() -> int:
    """``AGENTOPS_CONCURRENT_REQUESTS`` when it is a whole number from 1 to 64, else ``WORKERS``."""
    import os

    wanted = os.environ.get("AGENTOPS_CONCURRENT_REQUESTS", "").strip()
    return int(wanted) if wanted.isdigit() and 1 <= int(wanted) <= MAX_WORKERS else WORKERS


class Background:
    """Up to ``workers`` daemon threads (default: ``concurrent_requests()``), started as work comes,
    running what ``submit`` is given."""

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers if workers is not None else concurrent_requests()
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def submit(self, function, *args) -> Future:
        """Run ``function(*args)`` on a worker: its ``Future`` (``result()`` returns or raises)."""
        future: Future = Future()
        self._queue.put((future, function, args))
        with self._lock:
            if len(self._threads) < self.workers:
                thread = threading.Thread(target=self._work, name="agentpack-background", daemon=True)
                thread.start()
                self._threads.append(thread)
        return future

    def run_all(self, calls: list) -> list:
        """The results of ``calls`` (callables without arguments) run together, in their order; the
        first one that raised is raised, once all have finished. One call runs in this thread."""
        if len(calls) < 2:
            return [call() for call in calls]
        futures = [self.submit(call) for call in calls[1:]]
        first: list = []
        try:
            first.append(calls[0]())
        finally:
            for future in futures:
                future.exception()  # wait for every one, so none outlives the caller's error
        return first + [future.result() for future in futures]

    def _work(self) -> None:
        while True:
            future, function, args = self._queue.get()
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(function(*args))
            except BaseException as error:  # noqa: BLE001 (handed to whoever waits for the result)
                future.set_exception(error)
