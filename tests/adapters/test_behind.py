"""adapters.behind (work done in order by a thread of its own) and the tar writer built on it."""

from __future__ import annotations

import hashlib
import tarfile
import threading

import pytest

from agentpack.adapters.archive import write_tar
from agentpack.adapters.behind import Behind


def test_items_are_worked_in_order_in_another_thread():
    seen, threads = [], set()

    def work(item):
        seen.append(item)
        threads.add(threading.current_thread().name)

    behind = Behind(work, depth=2, name="test-behind")
    for item in range(500):
        behind.put(item)
    behind.finish()
    assert seen == list(range(500))
    assert threads == {"test-behind"}


def test_an_error_of_the_work_reaches_the_producer_and_later_items_are_dropped():
    done = []

    def work(item):
        if item == 3:
            raise OSError(28, "No space left on device")
        done.append(item)

    behind = Behind(work, depth=1)
    with pytest.raises(OSError, match="No space left"):
        for item in range(1000):  # never blocks for good: the thread keeps taking items
            behind.put(item)
        behind.finish()
    behind.close()
    assert done == [0, 1, 2]
    with pytest.raises(OSError):
        behind.finish()  # still raised after the thread is gone


def test_close_waits_and_raises_nothing():
    behind = Behind(lambda item: 1 / 0)
    behind.put(1)
    behind.close()
    behind.close()  # idempotent
    with pytest.raises(ZeroDivisionError):
        behind.finish()


def test_write_tar_gives_the_digest_of_what_it_wrote(tmp_path):
    members = [(f"m{i}", bytes([i]) * (i * 1000)) for i in range(40)]
    out = tmp_path / "out.tar"
    digest = write_tar(str(out), iter(members), durable=False)
    assert digest == hashlib.sha256(out.read_bytes()).hexdigest()
    with tarfile.open(out) as tar:
        assert [(m.name, tar.extractfile(m).read()) for m in tar.getmembers()] == members


def test_write_tar_leaves_nothing_when_the_members_fail(tmp_path):
    out = tmp_path / "out.tar"
    out.write_bytes(b"the file that was there")

    def members():
        yield "first", b"x" * 100_000
        raise RuntimeError("the next archive is damaged")

    with pytest.raises(RuntimeError, match="damaged"):
        write_tar(str(out), members(), durable=False)
    assert out.read_bytes() == b"the file that was there"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.tar"]
    assert not [t for t in threading.enumerate() if t.name == "agentpack-tar-writer"]
