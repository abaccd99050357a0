"""The hidden-Unicode gate: what is reported, what legitimate text passes, and what stripping removes."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agentpack.core.hidden_unicode import decode_text, scan_files, scan_text, strip_hidden

FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"  # man, woman, girl, boy
WOMAN_TECHNOLOGIST = "\U0001f469\u200d\U0001f4bb"
DARK_WOMAN_TECHNOLOGIST = "\U0001f469\U0001f3ff\u200d\U0001f4bb"  # skin-tone modifier before the ZWJ
RAINBOW_FLAG = "\U0001f3f3\ufe0f\u200d\U0001f308"  # variation selector before the ZWJ
ENGLAND = "\U0001f3f4\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f"
PERSIAN = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"  # "mi-khaham": ZWNJ inside a word
DEVANAGARI = "\u0915\u094d\u200d\u0937"  # ZWJ asking for a half-form

CLEAN = [
    ("plain", "# Agent\n\nHandle the request.\n"),
    ("family", f"Team {FAMILY} rocks\n"),
    ("woman technologist", f"{WOMAN_TECHNOLOGIST} Developer\n"),
    ("skin tone", f"{DARK_WOMAN_TECHNOLOGIST}\n"),
    ("variation selector", f"{RAINBOW_FLAG}\n"),
    ("subdivision flag", f"{ENGLAND} England\n"),
    ("bom at start", "\ufeff---\nname: x\n---\n"),
    ("persian zwnj", f"{PERSIAN}\n"),
    ("devanagari zwj", f"{DEVANAGARI}\n"),
    ("ordinary non-ascii", "caf\u00e9 \u2014 \u201cquoted\u201d \u00a0 \u4e2d\u6587 \U0001f680\n"),
]

REPORTED = [
    # (case, text, [(line, code point)])
    ("tag letters", "ok\nhi\U000e0069\U000e0067\n", [(2, 0xE0069), (2, 0xE0067)]),
    ("language tag", "\U000e0001x\n", [(1, 0xE0001)]),
    ("tags without black flag", "\U0001f3f3\U000e0067\U000e007f\n", [(1, 0xE0067), (1, 0xE007F)]),
    ("tags without cancel tag", "\U0001f3f4\U000e0067\U000e0062\n", [(1, 0xE0067), (1, 0xE0062)]),
    ("lre", "a\u202ab\n", [(1, 0x202A)]),
    ("rle", "a\u202bb\n", [(1, 0x202B)]),
    ("pdf", "a\u202cb\n", [(1, 0x202C)]),
    ("lro", "a\u202db\n", [(1, 0x202D)]),
    ("rlo", "a\u202eb\n", [(1, 0x202E)]),
    ("lri", "a\u2066b\n", [(1, 0x2066)]),
    ("rli", "a\u2067b\n", [(1, 0x2067)]),
    ("fsi", "a\u2068b\n", [(1, 0x2068)]),
    ("pdi", "a\u2069b\n", [(1, 0x2069)]),
    ("lrm", "a\u200eb\n", [(1, 0x200E)]),
    ("rlm", "a\u200fb\n", [(1, 0x200F)]),
    ("alm", "\u0627\u061c\u0628\n", [(1, 0x061C)]),
    ("zwsp", "a\u200bb\n", [(1, 0x200B)]),
    ("zwnj in latin", "a\u200cb\n", [(1, 0x200C)]),
    ("zwj in latin", "a\u200db\n", [(1, 0x200D)]),
    ("word joiner", "a\u2060b\n", [(1, 0x2060)]),
    ("function application", "a\u2061b\n", [(1, 0x2061)]),
    ("invisible times", "a\u2062b\n", [(1, 0x2062)]),
    ("invisible separator", "a\u2063b\n", [(1, 0x2063)]),
    ("invisible plus", "a\u2064b\n", [(1, 0x2064)]),
    ("mongolian vowel separator", "a\u180eb\n", [(1, 0x180E)]),
    ("bom mid-file", "one\ntwo\ufeff\n", [(2, 0xFEFF)]),
    ("second bom", "\ufeff\ufeffx\n", [(1, 0xFEFF)]),
    ("zwj after emoji, before letter", "\U0001f469\u200dx\n", [(1, 0x200D)]),
    ("zwj at end of text", "\U0001f469\u200d", [(1, 0x200D)]),
    ("zwnj between emoji", "\U0001f469\u200c\U0001f4bb\n", [(1, 0x200C)]),
    ("line numbers", "a\nb\n\nc\u200b\r\nd\u200b\n", [(4, 0x200B), (5, 0x200B)]),
]


@pytest.mark.parametrize(("case", "text"), CLEAN, ids=[c for c, _ in CLEAN])
def test_legitimate_text_passes(case, text):
    assert scan_text("f.md", text) == []
    assert strip_hidden(text) == text


@pytest.mark.parametrize(("case", "text", "expected"), REPORTED, ids=[c for c, _, _ in REPORTED])
def test_hidden_characters_are_reported(case, text, expected):
    problems = scan_text("agents/a.md", text)
    assert [(p.line, p.message.split()[3]) for p in problems] == [(line, f"U+{cp:04X}") for line, cp in expected]
    for problem in problems:
        assert (problem.code, problem.severity, problem.path) == ("hidden-unicode", "error", "agents/a.md")


@pytest.mark.parametrize(("case", "text", "expected"), REPORTED, ids=[c for c, _, _ in REPORTED])
def test_strip_removes_exactly_what_is_reported(case, text, expected):
    stripped = strip_hidden(text)
    assert len(text) - len(stripped) == len(expected)
    assert scan_text("a.md", stripped) == []


def test_message_names_the_code_point_and_column():
    [problem] = scan_text("a.md", "x\nab\u200bc\n")
    assert "U+200B ZERO WIDTH SPACE" in problem.message
    assert "column 3" in problem.message
    assert problem.location() == "a.md:2"


def test_strip_keeps_legitimate_sequences_around_a_finding():
    text = f"\ufeff{FAMILY}\u200b{ENGLAND}"
    assert strip_hidden(text) == f"\ufeff{FAMILY}{ENGLAND}"


def test_only_utf8_files_are_scanned():
    assert decode_text(b"\xef\xbb\xbfhi") == "\ufeffhi"
    assert decode_text(b"\xff\xfe\x00") is None
    files = {"b.md": "x\u200b".encode(), "a.png": b"\x89PNG\xff\xfe\x0b\x20", "c.md": b"clean"}
    assert [(p.path, p.line) for p in scan_files(files)] == [("b.md", 1)]


_PIECES = st.sampled_from(["a", " ", "\n", "é", "\u2014", "\u200b", "\u200d", "\u202e", "\ufeff", "\U0001f469",
                           "\U0001f4bb", "\u0628", "\U000e0041", "\U0001f3f4", "\U000e007f", "\u0915", "\u094d"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(_PIECES, max_size=12).map("".join), max_size=4), st.binary(max_size=8))
def test_scan_files_reports_what_scan_text_reports_in_each_text_file(texts, binary):
    files = {f"f{i}.md": text.encode("utf-8") for i, text in enumerate(texts)}
    files["z.bin"] = b"\xff" + binary
    expected = [p for i, text in enumerate(texts) for p in scan_text(f"f{i}.md", text)]
    assert scan_files(files) == expected
