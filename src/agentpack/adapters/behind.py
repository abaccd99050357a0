"""Work done in order by a thread of its own, behind the thread that hands it over.

hashlib (on more than 2 KiB) and file reads and writes let go of the interpreter lock, so hashing
or writing a stream in a second thread overlaps with producing it in the first: a bundle's outer
checksum is taken while its members are read and checked, and a bundle is hashed and written while
the next archive is read from the cache and verified. The queue between them is bounded, so the
producer never holds more than ``depth`` items ahead of the work.
"""

from __future__ import annotations

_END = object()


class Behind:
    """``work(item)`` for each item ``put``, in order, in a daemon thread named ``name``.

    An exception raised by ``work`` stops the work (later items are dropped, so that a producer
    never blocks on a full queue); ``put`` raises it on the next call and ``finish`` after
    waiting. ``close`` waits without raising, for clean-up paths. A process that forks must call
    ``finish`` or ``close`` first: a fork copies only the calling thread.
    """

    def __init__(self, work, *, depth: int = 16, name: str = "agentpack-behind") -> None:
        import queue
        import threading

        self._work = work
        self._queue: queue.Queue = queue.Queue(depth)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def put(self, item) -> None:
        if self._error is not None:
            raise self._error
        self._queue.put(item)

    def finish(self) -> None:
        """Wait until every item is done; raise what ``work`` raised, if anything."""
        self.close()
        if self._error is not None:
            raise self._error

    def close(self) -> None:
        """Wait until the thread is done (idempotent); raises nothing."""
        if self._thread is not None:
            self._queue.put(_END)
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        work, get = self._work, self._queue.get
        while (item := get()) is not _END:
            if self._error is None:
                try:
                    work(item)
                except BaseException as error:  # handed to the producer by put/finish
                    self._error = error
