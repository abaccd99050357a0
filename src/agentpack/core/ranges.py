"""The npm range grammar: turn range text into sets of primitive comparators.

npm's ``semver`` package defines what a range means by rewriting its text in stages (whitespace
folding, build stripping, hyphen ranges, operator joining, ``^``/``~``/x-range expansion, stray
``*`` removal) and then reading what is left as comparators. Odd inputs such as ``> =1.2.3``,
``*1.2.3`` or ``1.2.3 - = 2`` are valid or invalid only because of how those stages interact, so
this module follows the same stages, in the same order, with the same matching rules; anything
cleverer would disagree with npm on some input a user has typed.

The output is text, not objects: each comparator is an operator and the version text after it.
Whether that text is a valid version is decided by :mod:`agentpack.core.versions`, which owns the
version syntax and turns the result into :class:`~agentpack.core.versions.VersionRange`.
"""

from __future__ import annotations

# ECMAScript's \s: what npm trims and folds. Python's str.split() disagrees on a few characters.
_JS_SPACES = frozenset(
    "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000\ufeff"
)
_PY_ONLY_SPACES = frozenset("\x1c\x1d\x1e\x1f\x85")
_DIGITS = frozenset("0123456789")
_LETTERS_HYPHEN = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-")
_IDENT = _DIGITS | _LETTERS_HYPHEN
_VERSION_START = _DIGITS | frozenset("xX*")
_PREFIX = frozenset("v= ")  # what npm lets stand before a version inside a range
_WILDCARDS = ("x", "X", "*")

# A comparator is (operator, version text, the token it came from); ANY is a comparator that
# every version passes, written as the empty string in npm's normalised form.
Comparator = tuple[str, str, str]
ANY_OPERATOR = ""


def fold_whitespace(text: str) -> str:
    """Trim ``text`` and fold every run of whitespace into one space, with ECMAScript's idea of
    whitespace (so a range means here what it means to npm, whatever Unicode spaces it holds).
    """
    if text.isascii() and _PY_ONLY_SPACES.isdisjoint(text):
        return " ".join(text.split())
    words: list[str] = []
    start = None
    for index, char in enumerate(text):
        if char in _JS_SPACES:
            if start is not None:
                words.append(text[start:index])
                start = None
        elif start is None:
            start = index
    if start is not None:
        words.append(text[start:])
    return " ".join(words)


def desugar(text: str, include_prerelease: bool) -> tuple[list[list[Comparator]], str]:
    """Rewrite range ``text`` the way npm does into comparator sets, one per ``||`` alternative.

    Returns ``(sets, canonical)``. Each set lists ``(operator, version_text, token)`` triples where
    the operator is one of ``'' < <= > >=`` (``''`` is equality) and ``version_text`` is whatever
    followed it, not yet checked (it may be junk, which makes the range invalid); a comparator whose
    operator and text are both empty is ANY. ``include_prerelease`` changes the expansion exactly
    as npm's option does. ``canonical`` is the range with whitespace folded, build metadata
    dropped, operators joined to their versions and ``||`` spaced; for a valid range it desugars
    to the same comparators as ``text`` under either flag. Never raises.
    """
    sets: list[list[Comparator]] = []
    canonical: list[str] = []
    for part in fold_whitespace(text).split("||"):
        comparators, shown = _desugar_part(part.strip(" "), include_prerelease)
        sets.append(comparators)
        canonical.append(shown)
    return sets, " || ".join(canonical)


def _desugar_part(part: str, include_prerelease: bool) -> tuple[list[Comparator], str]:
    part = _strip_builds(part)
    hyphen = _match_hyphen(part)
    if hyphen is not None:
        part = _expand_hyphen(hyphen, include_prerelease)
    part = _caret_trim(_tilde_trim(_join_operators(part)))
    tokens = [token for token in part.split(" ") if token]
    comparators: list[Comparator] = []
    gte_zero = ">=0.0.0-0" if include_prerelease else ">=0.0.0"
    for token in tokens:
        for piece in _expand_token(token, include_prerelease).split(" "):
            if piece and piece != gte_zero:
                comparators.append(_split_operator(piece, token))
    if not comparators:
        comparators.append((ANY_OPERATOR, "", ""))
    if hyphen is not None:
        shown = f"{hyphen[0].strip(' ')} - {hyphen[5].strip(' ')}"
    else:
        shown = " ".join(tokens) or "*"
    return comparators, shown


def _split_operator(piece: str, token: str) -> Comparator:
    start = 1 if piece[0] in "<>" else 0
    if piece[start : start + 1] == "=":
        start += 1
    operator = piece[:start]
    return ("" if operator == "=" else operator), piece[start:], token


# -- scanners ---------------------------------------------------------------------------------
# Each takes the text and a start index and returns the index just past what it matched (the
# start itself when nothing matched). They reproduce the leftmost, greedy matching of npm's
# patterns, including the strict rule that a number may not start with 0 unless it is 0.


def _digits_end(text: str, index: int) -> int:
    size = len(text)
    while index < size and text[index] in _DIGITS:
        index += 1
    return index


def _ident_end(text: str, index: int) -> int:
    size = len(text)
    while index < size and text[index] in _IDENT:
        index += 1
    return index


def _xid_end(text: str, index: int) -> int:
    """One x-range component: ``0``, a number without a leading zero, ``x``, ``X`` or ``*``."""
    if index >= len(text):
        return index
    char = text[index]
    if char == "0" or char in _WILDCARDS:
        return index + 1
    if char in _DIGITS:
        return _digits_end(text, index + 1)
    return index


def _prerelease_ident_end(text: str, index: int, loose: bool) -> int:
    digits_end = _digits_end(text, index)
    if digits_end < len(text) and text[digits_end] in _LETTERS_HYPHEN:
        return _ident_end(text, digits_end + 1)
    if digits_end == index or loose:
        return digits_end
    return index + 1 if text[index] == "0" else digits_end


def _dotted_end(text: str, end: int, loose: bool) -> int:
    while end < len(text) and text[end] == ".":
        following = _prerelease_ident_end(text, end + 1, loose)
        if following == end + 1:
            break
        end = following
    return end


def _prerelease_end(text: str, index: int, loose: bool) -> int:
    hyphen = text[index : index + 1] == "-"
    if not hyphen and not loose:
        return index
    first = index + 1 if hyphen else index
    end = _prerelease_ident_end(text, first, loose)
    if end == first:
        if not (loose and hyphen):
            return index
        end = index + 1  # loose syntax lets the hyphen itself be the identifier
    return _dotted_end(text, end, loose)


def _build_end(text: str, index: int) -> int:
    if text[index : index + 1] != "+":
        return index
    end = _ident_end(text, index + 1)
    if end == index + 1:
        return index
    while end < len(text) and text[end] == ".":
        following = _ident_end(text, end + 1)
        if following == end + 1:
            break
        end = following
    return end


def _loose_version_end(text: str, index: int) -> int:
    """``1.2.3``-shaped text with npm's loose rules (leading zeros, optional prerelease hyphen)."""
    end = index
    for position in range(3):
        following = _digits_end(text, end)
        if following == end:
            return index
        end = following
        if position < 2:
            if text[end : end + 1] != ".":
                return index
            end += 1
    return _build_end(text, _prerelease_end(text, end, loose=True))


def _xrange_end(text: str, index: int) -> tuple[int, list[str]]:
    """Up to three x-range components, then (after the third) a strict prerelease and build.

    Returns the end and the component texts, with the prerelease text (without its hyphen) as a
    fourth entry when there is one.
    """
    end = _xid_end(text, index)
    if end == index:
        return index, []
    parts = [text[index:end]]
    while len(parts) < 3 and text[end : end + 1] == ".":
        following = _xid_end(text, end + 1)
        if following == end + 1:
            return end, parts
        parts.append(text[end + 1 : following])
        end = following
    if len(parts) == 3:
        pre_end = _prerelease_end(text, end, loose=False)
        if pre_end > end:
            parts.append(text[end + 1 : pre_end])
        end = _build_end(text, pre_end)
    return end, parts


def _xrange_plain(text: str, index: int) -> tuple[int, list[str]]:
    """An x-range with the ``v``/``=``/space prefix npm tolerates in front of it."""
    start = index
    while index < len(text) and text[index] in _PREFIX:
        index += 1
    end, parts = _xrange_end(text, index)
    return (end, parts) if parts else (start, [])


def _anchored_xrange(text: str, index: int) -> list[str] | None:
    end, parts = _xrange_plain(text, index)
    return parts if parts and end == len(text) else None


# -- whole-string stages, in npm's order ------------------------------------------------------


def _strip_builds(text: str) -> str:
    if "+" not in text:
        return text
    kept: list[str] = []
    copied = index = 0
    while (index := text.find("+", index)) >= 0:
        end = _build_end(text, index)
        if end > index:
            kept.append(text[copied:index])
            copied = end
        index = max(end, index + 1)
    kept.append(text[copied:])
    return "".join(kept)


def _match_hyphen(text: str) -> tuple | None:
    """``A - B`` filling the whole text: ``(from, fM, fm, fp, fpr, to, tM, tm, tp, tpr)``."""
    if " - " not in text:
        return None
    start = 1 if text[:1] == " " else 0
    first_end, first = _xrange_plain(text, start)
    if not first or text[first_end : first_end + 3] != " - ":
        return None
    second_end, second = _xrange_plain(text, first_end + 3)
    if not second or text[second_end:] not in ("", " "):
        return None
    first += [None] * (4 - len(first))
    second += [None] * (4 - len(second))
    return (text[start:first_end], *first, text[first_end + 3 : second_end], *second)


def _is_x(part: str | None) -> bool:
    return not part or part in _WILDCARDS


def _expand_hyphen(match: tuple, include_prerelease: bool) -> str:
    low, low_major, low_minor, low_patch, low_pre, high, major, minor, patch, pre = match
    zero = "-0" if include_prerelease else ""
    if _is_x(low_major):
        start = ""
    elif _is_x(low_minor):
        start = f">={low_major}.0.0{zero}"
    elif _is_x(low_patch):
        start = f">={low_major}.{low_minor}.0{zero}"
    elif low_pre:
        start = f">={low}"
    else:
        start = f">={low}{zero}"
    if _is_x(major):
        end = ""
    elif _is_x(minor):
        end = f"<{int(major) + 1}.0.0-0"
    elif _is_x(patch):
        end = f"<{major}.{int(minor) + 1}.0-0"
    elif pre:
        end = f"<={major}.{minor}.{patch}-{pre}"
    elif include_prerelease:
        end = f"<{major}.{minor}.{int(patch) + 1}-0"
    else:
        end = f"<={high}"
    return f"{start} {end}".strip(" ")


def _join_operators(text: str) -> str:
    """Drop the space between an operator and its version (``>= 1.2`` becomes ``>=1.2``).

    Scans candidates left to right: an operator or prefix run that reaches a version start. A
    space is dropped only when it directly follows ``<``, ``>`` or ``=`` at the candidate's start;
    the matched version is then skipped whole, so text inside it never starts a candidate.
    """
    size = len(text)
    pieces: list[str] = []
    copied = index = 0
    while index < size:
        start = index
        char = text[index]
        if char in "<>":
            index += 1
        elif char not in _PREFIX and char not in _VERSION_START:
            index += 1
            continue
        while index < size and text[index] in _PREFIX:
            index += 1
        if index >= size or text[index] not in _VERSION_START:
            continue
        space = start + 1 if text[start] == " " else start
        if space < size and text[space] in "<>":
            space += 1
        if space < size and text[space] == "=":
            space += 1
        if space < size and text[space] == " ":
            pieces.append(text[copied:space])
            copied = space + 1
        loose_end = _loose_version_end(text, index)
        index = loose_end if loose_end > index else _xrange_end(text, index)[0]
    pieces.append(text[copied:])
    return "".join(pieces)


def _tilde_trim(text: str) -> str:
    # `~ 1.2` and `~> 1.2` become `~1.2`; note that `~>` loses its `>` only when a space follows.
    if "~" not in text:
        return text
    pieces: list[str] = []
    copied = index = 0
    while (index := text.find("~", index)) >= 0:
        if text[index + 1 : index + 2] == " ":
            end = index + 2
        elif text[index + 1 : index + 3] == "> ":
            end = index + 3
        else:
            index += 1
            continue
        pieces.append(text[copied:index] + "~")
        copied = index = end
    pieces.append(text[copied:])
    return "".join(pieces)


def _caret_trim(text: str) -> str:
    return text.replace("^ ", "^") if "^ " in text else text


# -- one token ----------------------------------------------------------------------------------


def _expand_token(token: str, include_prerelease: bool) -> str:
    """A token as npm's comparator stage leaves it: ``^``, ``~`` and x-ranges expanded into
    space-separated primitives (``''`` for any), anything else returned with its first stray
    ``*`` removed (which is how npm reads ``*1.2.3`` as ``1.2.3``).
    """
    zero = "-0" if include_prerelease else ""
    lead = token[0]
    if lead == "^":
        parts = _anchored_xrange(token, 1)
        if parts is not None:
            return _expand_caret(parts, zero)
    elif lead == "~":
        parts = _anchored_xrange(token, 2 if token[1:2] == ">" else 1)
        if parts is not None:
            return _expand_tilde(parts, zero)
    else:
        start = 1 if lead in "<>" else 0
        if token[start : start + 1] == "=":
            start += 1
        parts = _anchored_xrange(token, start)
        if parts is not None:
            expanded = _expand_xrange(token[:start], parts, zero)
            if expanded is not None:
                return "" if expanded == "*" else expanded
    return _remove_star(token)


def _expand_caret(parts: list[str], zero: str) -> str:
    major, minor, patch, pre = (parts + [None] * 4)[:4]
    if _is_x(major):
        return ""
    if _is_x(minor):
        return f">={major}.0.0{zero} <{int(major) + 1}.0.0-0"
    if _is_x(patch):
        if major == "0":
            return f">={major}.{minor}.0{zero} <{major}.{int(minor) + 1}.0-0"
        return f">={major}.{minor}.0{zero} <{int(major) + 1}.0.0-0"
    low = f">={major}.{minor}.{patch}-{pre}" if pre else f">={major}.{minor}.{patch}"
    if major != "0":
        return f"{low} <{int(major) + 1}.0.0-0"
    if minor != "0":
        return f"{low} <{major}.{int(minor) + 1}.0-0"
    return f"{low} <{major}.{minor}.{int(patch) + 1}-0"


def _expand_tilde(parts: list[str], zero: str) -> str:
    major, minor, patch, pre = (parts + [None] * 4)[:4]
    if _is_x(major):
        return ""
    if _is_x(minor):
        return f">={major}.0.0{zero} <{int(major) + 1}.0.0-0"
    if _is_x(patch):
        return f">={major}.{minor}.0{zero} <{major}.{int(minor) + 1}.0-0"
    low = f">={major}.{minor}.{patch}-{pre}" if pre else f">={major}.{minor}.{patch}"
    return f"{low} <{major}.{int(minor) + 1}.0-0"


def _expand_xrange(operator: str, parts: list[str], zero: str) -> str | None:
    """An x-range with an optional operator; None when npm leaves the token as it is (no
    wildcard at all, or a wildcard followed by a number such as ``1.x.2``).
    """
    major, minor, patch = (parts + [None] * 3)[:3]
    x_major, x_minor, x_patch = _is_x(major), _is_x(minor), _is_x(patch)
    if (x_major and not x_minor) or (x_minor and patch and not x_patch):
        return None
    x_minor = x_major or x_minor
    if not (x_minor or x_patch):
        return None
    if operator == "=":
        operator = ""
    if x_major:
        return "<0.0.0-0" if operator in ("<", ">") else "*"
    if not operator:
        if x_minor:
            return f">={major}.0.0{zero} <{int(major) + 1}.0.0-0"
        return f">={major}.{minor}.0{zero} <{major}.{int(minor) + 1}.0-0"
    # An operator against a partial version: the missing parts are zeros, and the bound moves to
    # the next minor or major where "greater than 1.2" or "at most 1.2" must include all of 1.2.x.
    number, minor_number = int(major), 0 if x_minor else int(minor)
    if operator in (">", "<="):
        if x_minor:
            number, minor_number = number + 1, 0
        else:
            minor_number += 1
        operator = ">=" if operator == ">" else "<"
    suffix = "-0" if operator == "<" else zero
    return f"{operator}{number}.{minor_number}.0{suffix}"


def _remove_star(token: str) -> str:
    index = token.find("*")
    if index < 0:
        return token
    start = index
    if start > 0 and token[start - 1] == "=":
        start -= 1
    if start > 0 and token[start - 1] in "<>":
        start -= 1
    return token[:start] + token[index + 1 :]
