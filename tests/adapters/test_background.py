"""adapters.background: a few daemon threads that overlap waits."""

from __future__ import annotations

import threading
import time

import pytest

from agentpack.adapters.background import Background


def test_run_all_overlaps_the_calls_and_keeps_their_order():
    started = []
    gate = threading.Barrier(3, timeout=10)  # passes only if the three calls run at the same time

    def call(value):
        started.append(threading.get_ident())
        gate.wait()
        return value

    assert Background(workers=2).run_all([lambda: call(1), lambda: call(2), lambda: call(3)]) == [1, 2, 3]
    assert len(set(started)) == 3  # the caller's thread and two workers


def test_the_first_error_is_raised_once_every_call_has_finished():
    finished = []

    def slow():
        time.sleep(0.2)
        finished.append("slow")
        return "slow"

    def broken():
        raise ValueError("broken")

    with pytest.raises(ValueError, match="broken"):
        Background().run_all([broken, slow])
    assert finished == ["slow"]
    future = Background().submit(broken)
    assert isinstance(future.exception(timeout=10), ValueError)


def test_the_workers_are_daemons_and_few():
    pool = Background(workers=2)
    futures = [pool.submit(time.sleep, 0.05) for _ in range(6)]
    for future in futures:
        future.result(timeout=10)
    assert len(pool._threads) == 2 and all(thread.daemon for thread in pool._threads)


@pytest.mark.parametrize("value,expected", [(None, 16), ("4", 4), ("64", 64), ("0", 16), ("65", 16), ("x", 16),
                                            (" 8 ", 8)])
def test_concurrent_requests_from_the_environment(monkeypatch, value, expected):
    from agentpack.adapters.background import concurrent_requests

    if value is None:
        monkeypatch.delenv("AGENTOPS_CONCURRENT_REQUESTS", raising=False)
    else:
        monkeypatch.setenv("AGENTOPS_CONCURRENT_REQUESTS", value)
    assert concurrent_requests() == expected
    assert Background().workers == expected


def test_no_more_threads_than_workers_however_much_is_submitted():
    import threading

    pool = Background(workers=3)
    release = threading.Event()
    futures = [pool.submit(release.wait, 30) for _ in range(20)]
    assert len(pool._threads) == 3
    release.set()
    assert all(f.result(timeout=30) for f in futures)
