"""adapters.seen_serials: the client's record of index serials on disk."""

from __future__ import annotations

import multiprocessing

import pytest

from agentpack.adapters.seen_serials import SeenSerials
from agentpack.errors import RegistryError


def test_remember_only_raises_and_forget_drops(tmp_path):
    store = SeenSerials(str(tmp_path))
    assert store.load("file:///r") == {}
    store.remember("file:///r", {"a": 5, "b": 1})
    store.remember("file:///r", {"a": 3, "c": 2})  # a lower serial never lowers what is remembered
    assert store.load("file:///r") == {"a": 5, "b": 1, "c": 2}
    assert store.load("file:///other") == {}
    assert store.forget("file:///r") is True
    assert store.forget("file:///r") is False
    assert store.load("file:///r") == {}


def test_an_empty_file_reads_as_nothing_remembered(tmp_path):
    store = SeenSerials(str(tmp_path))
    store.remember("R", {"a": 1})
    with open(store.path("R"), "w"):
        pass
    assert store.load("R") == {}


def test_a_record_of_another_registry_is_refused(tmp_path):
    store = SeenSerials(str(tmp_path))
    store.remember("R1", {"a": 9})
    with open(store.path("R1"), "rb") as src, open(store.path("R2"), "wb") as dst:
        dst.write(src.read())
    with pytest.raises(RegistryError, match="not 'R2'"):
        store.load("R2")


def _remember_many(root: str, start: int) -> None:
    store = SeenSerials(root)
    for i in range(start, start + 30):
        store.remember("R", {f"p{i}": i + 1})


def test_concurrent_writers_lose_nothing(tmp_path):
    processes = [multiprocessing.Process(target=_remember_many, args=(str(tmp_path), k * 100)) for k in range(3)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(60)
    assert all(process.exitcode == 0 for process in processes)
    assert SeenSerials(str(tmp_path)).load("R") == {f"p{k * 100 + i}": k * 100 + i + 1 for k in range(3)
                                                    for i in range(30)}


def test_deferred_serials_are_written_once_for_every_index_read(tmp_path, monkeypatch):
    from agentpack.services.index_serials import IndexSerials

    class Registry:
        url = identity = "file:///r"

    writes = []
    real = SeenSerials.remember
    monkeypatch.setattr(SeenSerials, "remember", lambda self, identity, serials: (writes.append(dict(serials)),
                                                                                   real(self, identity, serials)))
    serials = IndexSerials(lambda: str(tmp_path), deferred=True)
    for name, serial in (("a", 3), ("b", 5), ("c", 7)):
        serials.check(Registry(), name, {"name": name, "serial": serial, "versions": {}})
    assert writes == [] and SeenSerials(str(tmp_path)).load("file:///r") == {}
    serials.remember_pending()
    serials.remember_pending()  # nothing new: nothing written
    assert writes == [{"a": 3, "b": 5, "c": 7}]
    assert SeenSerials(str(tmp_path)).load("file:///r") == {"a": 3, "b": 5, "c": 7}
