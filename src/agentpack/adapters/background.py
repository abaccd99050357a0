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

WORKERS = 4  # enough to overlap round trips; few enough not to crowd a registry or a 2-core machine


class Background:
    """Up to ``workers`` daemon threads, started on first use, running what ``submit`` is given."""

    def __init__(self, workers: int = WORKERS) -> None:
        self.workers = workers
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
