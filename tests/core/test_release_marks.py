"""Yank and deprecation marks: texts a user may store, texts shown from untrusted records, and the rules
for setting, removing and carrying marks."""

from __future__ import annotations

import pytest

from agentpack.core.limits import MAX_MARK_TEXT
from agentpack.core.release_marks import (
    DEPRECATED,
    YANKED,
    carried_marks,
    is_yanked,
    mark_text,
    marked,
    new_mark,
    shown_text,
    text_problem,
    with_marks_of,
)

AT = "2024-05-02T08:00:00Z"
RECORD = {"name": "a", "version": "1.0.0", "sha256": "ab" * 32}


@pytest.mark.parametrize(("text", "words"), [
    ("x" * (MAX_MARK_TEXT + 1), f"the limit is {MAX_MARK_TEXT}"),
    ("first line\nsecond", "control character U+000A at column 11"),
    ("bell\a", "control character U+0007"),
    ("\x1b[31mred", "control character U+001B at column 1"),
    ("para\u2029graph", "U+2029"),
    ("safe\u200bword", "zero-width character U+200B"),
    ("a\u202eb", "bidirectional control U+202E"),
    ("tag\U000e0041", "tag character U+E0041"),
])
def test_a_text_that_cannot_be_stored_says_why(text, words):
    reason = text_problem(text, "reason")
    assert reason and words in reason and reason.startswith("the reason")


@pytest.mark.parametrize("text", ["", "CVE-2024-1234: use 1.0.1", "x" * MAX_MARK_TEXT, "résumé 👩‍💻 ok",
                                  "tab-free unicode: 日本語"])
def test_plain_one_line_texts_can_be_stored(text):
    assert text_problem(text, "message") is None


@pytest.mark.parametrize(("value", "shown"), [
    ("use 1.0.1 instead", "use 1.0.1 instead"),
    ("line one\nline two\r\n\tthree", "line one line two three"),
    ("\x1b[2J\x1b]0;pwned\x07clear", "[2J ]0;pwned clear"),
    ("hid\u200bden \u202eevil\U000e0041", "hidden evil"),
    ("  spaced   out  ", "spaced out"),
    (None, ""), (42, ""), ({"reason": "x"}, ""),
    ("x" * (MAX_MARK_TEXT * 10), "x" * (MAX_MARK_TEXT - 1) + "\u2026"),
])
def test_texts_read_back_are_cleaned_and_bounded(value, shown):
    assert shown_text(value) == shown
    assert len(shown_text(value)) <= MAX_MARK_TEXT


@pytest.mark.parametrize(("record", "kind", "expected"), [
    (RECORD, YANKED, None),
    ({**RECORD, "yanked": {"reason": "broken\nbuild", "at": AT}}, YANKED, "broken build"),
    ({**RECORD, "yanked": {"reason": "", "at": AT}}, YANKED, ""),
    ({**RECORD, "yanked": True}, YANKED, None),
    ({**RECORD, "deprecated": {"message": "use b"}}, DEPRECATED, "use b"),
    ({**RECORD, "deprecated": {"message": "use b"}}, YANKED, None),
])
def test_mark_text_reads_a_records_mark(record, kind, expected):
    assert mark_text(record, kind) == expected
    assert is_yanked(record) == (kind == YANKED and expected is not None)


def test_marking_sets_rewords_and_removes_without_touching_the_rest():
    yanked = marked(RECORD, YANKED, new_mark(YANKED, "broken", AT))
    assert yanked == {**RECORD, "yanked": {"reason": "broken", "at": AT}}
    assert marked(yanked, YANKED, new_mark(YANKED, "broken", "2030-01-01T00:00:00Z")) is yanked  # same text
    assert marked(yanked, YANKED, new_mark(YANKED, "worse", AT))["yanked"]["reason"] == "worse"
    assert marked(yanked, YANKED, None) == RECORD
    assert marked(RECORD, YANKED, None) is RECORD  # nothing to take back
    both = marked(yanked, DEPRECATED, new_mark(DEPRECATED, "use b", AT))
    assert set(both) == {*RECORD, "yanked", "deprecated"}


def test_marks_from_a_bundle_are_only_ever_added():
    theirs = {**RECORD, "yanked": {"reason": "theirs", "at": AT}, "deprecated": {"message": "use b", "at": AT}}
    ours = {**RECORD, "yanked": {"reason": "ours", "at": AT}}
    assert with_marks_of(RECORD, theirs) == {**RECORD, "yanked": theirs["yanked"], "deprecated": theirs["deprecated"]}
    assert with_marks_of(ours, theirs)["yanked"]["reason"] == "ours"  # never reworded
    assert with_marks_of(ours, RECORD) is ours  # never removed
    assert with_marks_of(RECORD, {**RECORD, "yanked": "not a mark"}) is RECORD


def test_carried_marks_are_cleaned_and_keep_only_real_timestamps():
    record = {**RECORD, "yanked": {"reason": "a\u202eb\nc" + "x" * 2000, "at": "yesterday"},
              "deprecated": {"message": "use b", "at": AT}, "signature": {"x": 1}}
    carried = carried_marks(record)
    assert carried["yanked"] == {"reason": shown_text(record["yanked"]["reason"])}
    assert carried["yanked"]["reason"].startswith("ab c") and len(carried["yanked"]["reason"]) == MAX_MARK_TEXT
    assert carried["deprecated"] == {"message": "use b", "at": AT}
    assert carried_marks({**RECORD, "yanked": {"reason": 1}, "deprecated": []}) == {}
