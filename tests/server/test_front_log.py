"""Reading a front server's download log (server.front_log): only whole, exact lines count, each
line once across readers, and a rotated log is read from its start."""

from __future__ import annotations

import os
import threading

from agentpack.server.front_log import MAX_LINE, FrontLog, downloads_in

A, B = "a" * 64, "b" * 64


def test_only_complete_exact_download_lines_count():
    text = (f"GET 200 /blobs/sha256/{A}\nGET 200 /blobs/sha256/{A}\nGET 304 /blobs/sha256/{B}\n"
            f"HEAD 200 /blobs/sha256/{B}\nGET 200 /blobs/sha256/{B}x\nGET 200 /blobs/sha256/{A.upper()}\n"
            "garbage \xff\n"
            f"GET 200 /blobs/sha256/{B}").encode("utf-8", "surrogateescape")
    counts, consumed = downloads_in(text)
    assert counts == {A: 2}
    assert text[consumed:] == f"GET 200 /blobs/sha256/{B}".encode()  # unfinished: read next time


def test_an_overlong_unfinished_line_is_skipped_not_waited_for():
    counts, consumed = downloads_in(b"x" * (MAX_LINE + 1))
    assert counts == {} and consumed == MAX_LINE + 1


def test_each_line_is_read_once_and_a_rotated_log_from_its_start(tmp_path):
    log = tmp_path / "downloads.log"
    state = tmp_path / "data" / "run" / "front-log.json"
    log.write_text(f"GET 200 /blobs/sha256/{A}\n" * 3)
    assert FrontLog(str(log), str(state)).read_new() == {A: 3}
    assert FrontLog(str(log), str(state)).read_new() == {}  # another process: nothing twice
    with open(log, "a") as held:
        held.write(f"GET 200 /blobs/sha256/{B}\nGET 200 /blobs/sha")
    assert FrontLog(str(log), str(state)).read_new() == {B: 1}
    os.rename(log, tmp_path / "downloads.log.1")  # logrotate, then nginx reopens
    log.write_text(f"GET 200 /blobs/sha256/{A}\n")
    assert FrontLog(str(log), str(state)).read_new() == {A: 1}


def test_readers_racing_count_every_line_exactly_once(tmp_path):
    log = tmp_path / "downloads.log"
    state = tmp_path / "front-log.json"
    log.write_text(f"GET 200 /blobs/sha256/{A}\n" * 500)
    totals: list[dict] = []

    def read() -> None:
        totals.append(FrontLog(str(log), str(state)).read_new())

    threads = [threading.Thread(target=read) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(found.get(A, 0) for found in totals) == 500
