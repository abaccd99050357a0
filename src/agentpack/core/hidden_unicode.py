"""The hidden-Unicode gate: invisible characters that can smuggle instructions into a prompt.

Agent files are prompts read by models, and a model reads characters a reviewer never sees. Three
families are reported (code ``hidden-unicode``, always an error):

- Unicode tag characters (U+E0000–U+E007F), which spell out a whole invisible ASCII message. The
  one legitimate use is an emoji tag sequence (a subdivision flag such as England's): U+1F3F4,
  then tag characters U+E0020–U+E007E, then CANCEL TAG U+E007F; those pass.
- Bidirectional controls (embeddings, overrides, isolates and the LRM/RLM/ALM marks), which make
  text display in a different order from the one a model reads ("Trojan Source").
- Zero-width characters (U+200B, U+200C, U+200D, U+2060–U+2064, U+FEFF, U+180E), with three
  exceptions that real files need:
  * a single U+FEFF at the very start of the text: a byte-order mark written by Windows editors;
  * U+200D (ZERO WIDTH JOINER) between two emoji code points, where the code point before may also
    be a skin-tone modifier or a variation selector: the family, profession and flag sequences
    (e.g. WOMAN + ZWJ + PERSONAL COMPUTER) are built this way;
  * U+200C and U+200D between two letters or marks of Arabic, Syriac or an Indic script, where the
    joiners choose between letter forms (Persian and Urdu words, Devanagari half-forms) and are
    part of correct spelling. Between Latin, CJK or other letters they change nothing visible and
    are reported.

``strip_hidden`` removes exactly what ``scan_text`` reports, so a fixed file scans clean.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping

from agentpack.errors import Problem

CODE = "hidden-unicode"

_BOM = "\ufeff"
_ZWNJ, _ZWJ = "\u200c", "\u200d"
# One class of every candidate: the fast path for the usual file is a single failed search.
_CANDIDATES = re.compile(
    "[\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\U000e0000-\U000e007f]"
)
_EMOJI_TAG_SEQUENCE = re.compile("\U0001f3f4[\U000e0020-\U000e007e]+\U000e007f")
_ASCII = bytes(range(128))
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")

# Extended_Pictographic is not exposed by unicodedata; these ranges cover every emoji that can sit
# on either side of a ZWJ in the Unicode emoji ZWJ sequences (people, objects, symbols, hearts).
_EMOJI_RANGES = (
    (0x00A9, 0x00A9), (0x00AE, 0x00AE), (0x203C, 0x203C), (0x2049, 0x2049), (0x2122, 0x2122),
    (0x2139, 0x2139), (0x2194, 0x21AA), (0x231A, 0x23FF), (0x24C2, 0x24C2), (0x25AA, 0x25FE),
    (0x2600, 0x27BF), (0x2934, 0x2935), (0x2B05, 0x2B55), (0x3030, 0x3030), (0x303D, 0x303D),
    (0x3297, 0x3297), (0x3299, 0x3299), (0x1F000, 0x1FAFF),
)
# What may end the emoji before a ZWJ besides an emoji itself: VS15/VS16, and the end of a flag tag
# sequence. Skin-tone modifiers (U+1F3FB–U+1F3FF) already fall in the emoji ranges.
_EMOJI_SUFFIXES = frozenset("\ufe0e\ufe0f\u20e3\U000e007f")
# Scripts whose spelling uses ZWNJ/ZWJ: Arabic (with Supplement, Extended-A and presentation
# forms), Syriac, and the Indic blocks from Devanagari to Sinhala.
_JOINING_SCRIPT_RANGES = (
    (0x0600, 0x06FF), (0x0700, 0x074F), (0x0750, 0x077F), (0x08A0, 0x08FF), (0x0900, 0x0DFF),
    (0xFB50, 0xFDFF), (0xFE70, 0xFEFC),
)


def scan_text(path: str, text: str) -> list[Problem]:
    """Every hidden character in ``text`` (the content of ``path``), one ``hidden-unicode`` error each.

    Each problem carries ``path``, the 1-based line (lines end at ``\\n``) and a message naming the
    code point as ``U+XXXX`` with its Unicode name, its family and the 1-based column. The rules and
    their exceptions are in the module docstring. Pure; never raises.
    """
    problems = []
    for index, char, family in _findings(text):
        line = text.count("\n", 0, index) + 1
        column = index - text.rfind("\n", 0, index)
        problems.append(Problem(
            "error", CODE,
            f"hidden {family} U+{ord(char):04X} {unicodedata.name(char, 'UNNAMED')} at column {column}; "
            "invisible characters can hide instructions in a prompt",
            path=path, line=line,
        ))  # fmt: skip
    return problems


def strip_hidden(text: str) -> str:
    """``text`` without the characters ``scan_text`` reports (everything else is kept as is)."""
    drop = {index for index, _char, _family in _findings(text)}
    if not drop:
        return text
    return "".join(char for index, char in enumerate(text) if index not in drop)


def decode_text(data: bytes) -> str | None:
    """``data`` as text when it is UTF-8 (a leading BOM is kept as U+FEFF), else None.

    Only text is scanned: a file that does not decode is binary (an image, an archive) or in a
    legacy encoding, and neither is read by a model as a prompt through this package.
    """
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def scan_files(files: Mapping[str, bytes]) -> list[Problem]:
    """``scan_text`` over every text file of ``{path: content}``, in path order; binary files skipped."""
    problems = []
    for path in sorted(files):
        data = files[path]
        if data.isascii():  # every reported character is outside ASCII
            continue
        # Without its ASCII bytes, UTF-8 is still UTF-8 holding every other character in order, so
        # the search runs over the few non-ASCII characters of a file instead of all of it. Those
        # bytes decode whenever the whole file does; only a file with a candidate is decoded whole
        # (to tell text from binary, and to place each finding).
        try:
            found = _CANDIDATES.search(data.translate(None, _ASCII).decode("utf-8"))
        except UnicodeDecodeError:
            continue  # then the whole file is not UTF-8 either: binary, not scanned
        text = decode_text(data) if found else None
        if text is not None:
            problems += scan_text(path, text)
    return problems


def _findings(text: str) -> Iterator[tuple[int, str, str]]:
    """(index, character, family) of each reported character, in order of position."""
    allowed_tags: set[int] = set()
    for match in _EMOJI_TAG_SEQUENCE.finditer(text):
        allowed_tags.update(range(match.start() + 1, match.end()))
    for match in _CANDIDATES.finditer(text):
        index, char = match.start(), match.group()
        if "\U000e0000" <= char <= "\U000e007f":
            if index not in allowed_tags:
                yield index, char, "tag character"
        elif char in _BIDI:
            yield index, char, "bidirectional control"
        elif not _allowed_zero_width(text, index, char):
            yield index, char, "zero-width character"


def _allowed_zero_width(text: str, index: int, char: str) -> bool:
    if char == _BOM:
        return index == 0
    if char not in (_ZWJ, _ZWNJ) or index == 0 or index + 1 >= len(text):
        return False
    before, after = text[index - 1], text[index + 1]
    if char == _ZWJ and (_is_emoji(before) or before in _EMOJI_SUFFIXES) and _is_emoji(after):
        return True
    return _in_joining_word(before) and _in_joining_word(after)


def _is_emoji(char: str) -> bool:
    code = ord(char)
    return any(low <= code <= high for low, high in _EMOJI_RANGES)


def _in_joining_word(char: str) -> bool:
    code = ord(char)
    return (any(low <= code <= high for low, high in _JOINING_SCRIPT_RANGES)
            and unicodedata.category(char)[0] in "LM")
