"""forked_map: outcomes in order whether the items run in children or here, and no child left behind."""

import os
import threading

import pytest

from agentpack.adapters import forked_map as forked
from agentpack.adapters.forked_map import forked_map, workers_for
from agentpack.errors import Problem, ValidationError


def _square_or_refuse(item):
    if item % 7 == 3:
        raise ValidationError(f"item {item} refused", path=f"p{item}", hint="h",
                              problems=[Problem("error", "bad", f"bad {item}", path=f"p{item}", line=item)])
    return {"item": item, "square": item * item, "pid": os.getpid()}


def _plain(outcomes):
    """Outcomes without the pid, exceptions as their fields."""
    plain = []
    for ok, value in outcomes:
        if ok:
            plain.append((ok, {k: v for k, v in value.items() if k != "pid"}))
        else:
            plain.append((ok, type(value), value.message, value.path, value.hint, value.problems))
    return plain


@pytest.fixture
def jobs(monkeypatch):
    # Idle daemon threads left by earlier tests in this process would make every call run here.
    monkeypatch.setattr(forked, "_other_threads", lambda: False)

    def set_jobs(count: int) -> None:
        monkeypatch.setenv("AGENTOPS_JOBS", str(count))
    return set_jobs


def test_outcomes_are_in_order_and_the_same_in_children_and_here(jobs):
    items = list(range(40))
    jobs(1)
    here = forked_map(_square_or_refuse, items)
    jobs(3)
    seen = []
    children = forked_map(_square_or_refuse, items, seen.append)
    assert _plain(children) == _plain(here)
    assert sorted(seen) == items  # every outcome reported once
    assert {value["pid"] for ok, value in here if ok} == {os.getpid()}
    pids = {value["pid"] for ok, value in children if ok}
    assert len(pids) == 3 and os.getpid() not in pids  # really ran in three children
    refused = [value for ok, value in children if not ok]
    assert [e.message for e in refused] == [f"item {i} refused" for i in items if i % 7 == 3]
    assert refused[0].problems == [Problem("error", "bad", "bad 3", path="p3", line=3)]


def test_few_items_one_job_or_other_threads_run_here(jobs, monkeypatch):
    jobs(4)
    assert {v["pid"] for _, v in forked_map(_square_or_refuse, [1, 2])} == {os.getpid()}  # below MIN_ITEMS
    monkeypatch.undo()  # the real thread check again
    monkeypatch.setenv("AGENTOPS_JOBS", "4")
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        outcomes = forked_map(_square_or_refuse, list(range(8)))
    finally:
        stop.set()
        thread.join()
    assert {v["pid"] for ok, v in outcomes if ok} == {os.getpid()}  # a fork would copy only this thread


def _die_on_five(item):
    if item == 5 and os.environ.get("FORKED_MAP_PARENT") != str(os.getpid()):
        os._exit(3)  # a child killed in the middle of its share
    return item * 10


def test_a_child_that_dies_loses_nothing(jobs, monkeypatch):
    jobs(2)
    monkeypatch.setenv("FORKED_MAP_PARENT", str(os.getpid()))
    outcomes = forked_map(_die_on_five, list(range(12)))
    assert outcomes == [(True, i * 10) for i in range(12)]


def _unpicklable(item):
    return (lambda: item) if item == 2 else item


def test_an_outcome_that_does_not_pickle_is_run_again_here(jobs):
    jobs(2)
    outcomes = forked_map(_unpicklable, list(range(6)))
    assert [ok for ok, _ in outcomes] == [True] * 6
    assert outcomes[2][1]() == 2 and [v for i, (_, v) in enumerate(outcomes) if i != 2] == [0, 1, 3, 4, 5]


def test_an_interrupt_kills_and_reaps_every_child(jobs, monkeypatch):
    jobs(2)
    started = []
    real_fork = os.fork

    def fork():
        pid = real_fork()
        if pid:
            started.append(pid)
        return pid

    monkeypatch.setattr(forked.os, "fork", fork)

    def interrupted(children, outcomes, on_outcome):
        raise KeyboardInterrupt

    monkeypatch.setattr(forked, "_collect", interrupted)
    with pytest.raises(KeyboardInterrupt):
        forked_map(_square_or_refuse, list(range(10)))
    assert len(started) == 2
    for pid in started:
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # already reaped: no zombie, no orphan


def test_workers_follow_agentops_jobs_and_never_exceed_the_items(monkeypatch):
    monkeypatch.setenv("AGENTOPS_JOBS", "3")
    assert workers_for(10) == 3 and workers_for(2) == 2
    monkeypatch.setenv("AGENTOPS_JOBS", "junk")
    assert 1 <= workers_for(100) <= forked.MAX_WORKERS
    monkeypatch.delenv("AGENTOPS_JOBS")
    assert workers_for(1) == 1
