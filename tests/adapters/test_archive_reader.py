"""The streaming readers' limits and the plain-tar reader used for bundles (``iter_tar``)."""

from __future__ import annotations

import tarfile

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agentpack.adapters.archive import ArchiveLimits, iter_tar, read_archive
from agentpack.errors import UnsafeArchive
from tarcraft import member, package_tgz, tar_bytes

SMALL = ArchiveLimits(max_members=4, max_file_size=1000, max_total_size=2000)


def test_an_archive_larger_than_any_within_the_limits_is_refused_by_its_size(tmp_path):
    data = package_tgz()
    assert len(data) <= ArchiveLimits().max_archive_size
    big = data + bytes(SMALL.max_archive_size)
    with pytest.raises(UnsafeArchive, match="over the archive limit"):
        read_archive(big, limits=SMALL)
    path = tmp_path / "big.tgz"
    path.write_bytes(big)
    with pytest.raises(UnsafeArchive, match="over the archive limit"):
        read_archive(str(path), limits=SMALL)


def test_an_archive_read_in_pieces_gives_what_its_bytes_give():
    data = package_tgz()
    assert read_archive(data[i : i + 100] for i in range(0, len(data), 100)) == read_archive(data)


def _names(path, rule=lambda name, size: None, **kwargs):
    return [(m.name, m.read()) for m in iter_tar(str(path), rule, max_members=kwargs.get("max_members", 10))]


def test_iter_tar_streams_regular_files_in_order(tmp_path):
    path = tmp_path / "b.tar"
    path.write_bytes(tar_bytes([("a.txt", b"one"), ("dir/b.txt", b"two" * 1000)]))
    assert _names(path) == [("a.txt", b"one"), ("dir/b.txt", b"two" * 1000)]


@pytest.mark.parametrize(("members", "words"), [
    ([member("x", type=tarfile.SYMTYPE, linkname="/etc")], "symbolic links"),
    ([member("x", type=tarfile.CHRTYPE)], "character devices"),
    ([member("d", type=tarfile.DIRTYPE)], "folders are not allowed"),
    ([("a", b"1"), ("a", b"2")], "duplicate entry"),
    ([("a/b", b"1"), ("A/b", b"2")], "once letter case is ignored"),
    ([("a", b"1")] * 1 + [(f"m{i}", b"") for i in range(10)], "more than 10 members"),
    ([("refused", b"1")], "the rule says no"),
])
def test_iter_tar_refuses_before_reading(tmp_path, members, words):
    path = tmp_path / "b.tar"
    path.write_bytes(tar_bytes(members))
    with pytest.raises(UnsafeArchive, match=words):
        _names(path, lambda name, size: "the rule says no" if name == "refused" else None)


def test_iter_tar_refuses_data_after_the_end_and_truncation(tmp_path):
    path = tmp_path / "b.tar"
    good = tar_bytes([("a", b"1")])
    path.write_bytes(good + bytes(512))
    assert _names(path) == [("a", b"1")]  # zero padding is fine
    path.write_bytes(good + b"x")
    with pytest.raises(UnsafeArchive, match="data after the end"):
        _names(path)
    path.write_bytes(good[:700])
    with pytest.raises(UnsafeArchive, match="truncated or corrupt"):
        _names(path)


@given(st.lists(st.sampled_from(["c", "o", "n", "C", "O", "N", "a", "u", "x", "l", "p", "t", "1", "\u00b9",
                                 ".", " ", "md", "K", "\u212a", "\u0130", "r"]), max_size=7).map("".join))
def test_the_quick_device_name_test_agrees_with_the_whole_one(part):
    from agentpack.adapters.archive_rules import _SUPERSCRIPT_PORTS, _device_name
    from agentpack.core.names import RESERVED_SEGMENTS

    stem = part.split(".", 1)[0].rstrip(" ").lower()
    assert _device_name(part) == (stem in RESERVED_SEGMENTS or stem in _SUPERSCRIPT_PORTS)


@given(st.binary(min_size=512, max_size=512))
def test_the_header_checksum_is_the_sum_of_its_bytes_with_the_field_as_spaces(header):
    from agentpack.adapters.archive_reader import _header_sum

    assert _header_sum(header) == sum(header[:148]) + 8 * 0x20 + sum(header[156:])
    assert _header_sum(b"\xff" * 512) == 255 * 504 + 8 * 0x20  # the largest sums are exact too
