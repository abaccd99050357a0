"""The npm range grammar: turn range text into sets of primitive comparators.

npm's ``semver`` package defines what a range means by rewriting its text in stages (whitespace
folding, build stripping, hyphen ranges, operator joining, ``^``/``~``/x-range expansion, stray
``*`` removal) and then reading what is left as comparators. Odd inputs such as ``> =1.2.3``,
``*1.2.3`` or ``1.2.3 - = 2`` are valid or invalid only because of how those stages interact, so
this module follows the same stages, in the same order, with the same matching rules; anything
cleverer would disagree with npm on some input a user has typed.

The output is text, not objects: each comparator is an operator and the version text after it.
Whether that text is a valid version is decided by :mod:`agentpack.core.versions`, which owns the
version syntax; :func:`key_bounds` then compiles the parsed comparators for fast matching.
"""

from __future__ import annotations

from collections.abc import Callable

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

# A comparator is (operator, version text, the token it came from); ANY, which every version
# passes, is ("", "", "").
Comparator = tuple[str, str, str]
ANY: Comparator = ("", "", "")
_BOTTOM: tuple = ()  # below every version key
_TOP: tuple = (float("inf"),)  # above every version key


def fold_whitespace(text: str) -> str:
    """Trim ``text`` and fold every run of whitespace into one space, with ECMAScript's idea of
    whitespace (so a range means here what it means to npm, whatever Unicode spaces it holds).
    """
    if text.isascii() and _PY_ONLY_SPACES.isdisjoint(text):
        return " ".join(text.split())
    spaced = "".join(" " if char in _JS_SPACES else char for char in text)
    return " ".join(word for word in spaced.split(" ") if word)


def desugar(text: str, include_prerelease: bool) -> tuple[list[list[Comparator]], str]:
    """Rewrite range ``text`` the way npm does into comparator sets, one per ``||`` alternative.

    Returns ``(sets, canonical)``. Each set lists ``(operator, version_text, token)`` triples: the
    operator is one of ``'' < <= > >=`` (``''`` is equality), ``version_text`` is whatever
    followed it, unchecked (junk there makes the range invalid), and ``token`` is the piece of the
    range it came from, for error messages; ``ANY`` stands for "every version".
    ``include_prerelease`` changes the expansion exactly as npm's option does. ``canonical`` is the
    range with whitespace folded, build metadata dropped, operators joined to their versions and
    ``||`` spaced; for a valid range it desugars to the same comparators as ``text`` under either
    flag. Never raises.
    """
    sets, canonical = [], []
    for part in fold_whitespace(text).split("||"):
        comparators, shown = _desugar_part(part.strip(" "), include_prerelease)
        sets.append(comparators)
        canonical.append(shown)
    return sets, " || ".join(canonical)


def key_bounds(sets) -> tuple:
    """Compile comparator sets, each a sequence of ``(operator, version)`` pairs (``version``
    None for ANY; versions expose ``_key`` and ``prerelease``), into one
    ``(low, high, prerelease_releases)`` triple per set: a version is inside when
    ``low <= key < high``, and a prerelease version needs its ``key[:3]`` listed as well.
    """
    # Appending 0 to a key gives a key just above it and below every greater version, so "> k" is
    # ">= k+(0,)" and "<= k" is "< k+(0,)": every set becomes one half-open interval of keys.
    bounds = []
    for comparators in sets:
        low, high, releases = _BOTTOM, _TOP, set()
        for operator, version in comparators:
            if version is None:
                continue
            key = version._key
            if version.prerelease:
                releases.add(key[:3])
            if operator in ("", ">="):
                low = max(low, key)
            elif operator == ">":
                low = max(low, key + (0,))
            if operator == "<":
                high = min(high, key)
            elif operator in ("", "<="):
                high = min(high, key + (0,))
        bounds.append((low, high, frozenset(releases)))
    return tuple(bounds)


def _desugar_part(part: str, include_prerelease: bool) -> tuple[list[Comparator], str]:
    part = _strip_builds(part)
    hyphen = _match_hyphen(part)
    if hyphen is not None:
        part = _expand_hyphen(hyphen, include_prerelease)
    part = _caret_trim(_tilde_trim(_join_operators(part)))
    tokens = [token for token in part.split(" ") if token]
    comparators: list[Comparator] = []
    gte_zero = ">=0.0.0-0" if include_prerelease else ">=0.0.0"  # npm's spelling of "any"
    for token in tokens:
        for piece in _expand_token(token, include_prerelease).split(" "):
            if piece and piece != gte_zero:
                end = _operator_end(piece)
                operator = piece[:end]
                comparators.append(("" if operator == "=" else operator, piece[end:], token))
    if hyphen is not None:
        shown = f"{hyphen[0].strip(' ')} - {hyphen[5].strip(' ')}"
    else:
        shown = " ".join(tokens) or "*"
    return comparators or [ANY], shown


def _operator_end(token: str) -> int:
    end = 1 if token[:1] in ("<", ">") else 0
    return end + 1 if token[end : end + 1] == "=" else end


def _next(number: str) -> str:
    # Numbers of 17 digits or more are past 2**53-1 already; the version check rejects them, so
    # they are passed through rather than converted (huge ones would not even convert).
    return str(int(number) + 1) if len(number) < 17 else number


# -- scanners ---------------------------------------------------------------------------------
# Each takes the text and a start index and returns the index just past what it matched (the
# start itself when nothing matched). They reproduce the leftmost, greedy matching of npm's
# patterns, including the strict rule that a number may not start with 0 unless it is 0.


def _run_end(text: str, index: int, chars: frozenset) -> int:
    size = len(text)
    while index < size and text[index] in chars:
        index += 1
    return index


def _dotted_end(text: str, end: int, ident_end: Callable[[str, int], int]) -> int:
    while text[end : end + 1] == ".":
        following = ident_end(text, end + 1)
        if following == end + 1:
            break
        end = following
    return end


def _xid_end(text: str, index: int) -> int:
    """One x-range component: ``0``, a number without a leading zero, ``x``, ``X`` or ``*``."""
    char = text[index : index + 1]
    if char == "0" or char in _WILDCARDS:
        return index + 1
    return _run_end(text, index, _DIGITS) if char else index


def _strict_ident_end(text: str, index: int) -> int:
    digits_end = _run_end(text, index, _DIGITS)
    if digits_end < len(text) and text[digits_end] in _LETTERS_HYPHEN:
        return _run_end(text, digits_end + 1, _IDENT)
    return index + 1 if text[index : index + 1] == "0" else digits_end


def _loose_ident_end(text: str, index: int) -> int:
    digits_end = _run_end(text, index, _DIGITS)
    if digits_end < len(text) and text[digits_end] in _LETTERS_HYPHEN:
        return _run_end(text, digits_end + 1, _IDENT)
    return digits_end


def _build_ident_end(text: str, index: int) -> int:
    return _run_end(text, index, _IDENT)


def _prerelease_end(text: str, index: int, loose: bool) -> int:
    hyphen = text[index : index + 1] == "-"
    if not hyphen and not loose:
        return index
    ident_end = _loose_ident_end if loose else _strict_ident_end
    first = index + 1 if hyphen else index
    end = ident_end(text, first)
    if end == first:
        if not (loose and hyphen):
            return index
        end = index + 1  # loose syntax lets the hyphen itself be the identifier
    return _dotted_end(text, end, ident_end)


def _build_end(text: str, index: int) -> int:
    if text[index : index + 1] != "+" or _build_ident_end(text, index + 1) == index + 1:
        return index
    return _dotted_end(text, _build_ident_end(text, index + 1), _build_ident_end)


def _loose_version_end(text: str, index: int) -> int:
    """``1.2.3``-shaped text with npm's loose rules (leading zeros, optional prerelease hyphen)."""
    end = index
    for position in range(3):
        following = _run_end(text, end, _DIGITS)
        if following == end or (position < 2 and text[following : following + 1] != "."):
            return index
        end = following + 1 if position < 2 else following
    return _build_end(text, _prerelease_end(text, end, loose=True))


def _xrange_end(text: str, index: int) -> tuple[int, list[str]]:
    """Up to three x-range components, then (after the third) a strict prerelease and build.
    Returns the end and the component texts, plus the prerelease text when there is one.
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
    end, parts = _xrange_end(text, _run_end(text, index, _PREFIX))
    return (end, parts) if parts else (index, [])


def _anchored_xrange(text: str, index: int) -> list[str] | None:
    end, parts = _xrange_plain(text, index)
    return parts + [""] * (4 - len(parts)) if parts and end == len(text) else None


# -- whole-string stages, in npm's order ------------------------------------------------------


def _strip_builds(text: str) -> str:
    kept, copied, index = [], 0, text.find("+")
    while index >= 0:
        end = _build_end(text, index)
        if end > index:
            kept.append(text[copied:index])
            copied = end
        index = text.find("+", max(end, index + 1))
    return "".join(kept) + text[copied:]


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
    pad = [""] * 4
    return (text[start:first_end], *(first + pad)[:4], text[first_end + 3 : second_end], *(second + pad)[:4])


def _is_x(part: str) -> bool:
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
    else:
        start = f">={low}" if low_pre else f">={low}{zero}"
    if _is_x(major):
        end = ""
    elif _is_x(minor):
        end = f"<{_next(major)}.0.0-0"
    elif _is_x(patch):
        end = f"<{major}.{_next(minor)}.0-0"
    elif pre:
        end = f"<={major}.{minor}.{patch}-{pre}"
    else:
        end = f"<{major}.{minor}.{_next(patch)}-0" if include_prerelease else f"<={high}"
    return f"{start} {end}".strip(" ")


def _join_operators(text: str) -> str:
    """Drop the space between an operator and its version (``>= 1.2`` becomes ``>=1.2``).

    Scans candidates left to right: an operator or prefix run that reaches a version start. A
    space is dropped only when it directly follows ``<``, ``>`` or ``=`` at the candidate's start;
    the matched version is then skipped whole, so text inside it never starts a candidate.
    """
    size, pieces, copied, index = len(text), [], 0, 0
    while index < size:
        start, char = index, text[index]
        if char in "<>":
            index += 1
        elif char not in _PREFIX and char not in _VERSION_START:
            index += 1
            continue
        index = _run_end(text, index, _PREFIX)
        if index >= size or text[index] not in _VERSION_START:
            continue
        space = start + (text[start] == " ")
        space = _operator_end(text[space : space + 2]) + space
        if text[space : space + 1] == " ":
            pieces.append(text[copied:space])
            copied = space + 1
        loose_end = _loose_version_end(text, index)
        index = loose_end if loose_end > index else _xrange_end(text, index)[0]
    return "".join(pieces) + text[copied:]


def _tilde_trim(text: str) -> str:
    # `~ 1.2` becomes `~1.2`, and `~> 1.2` too: `~>` loses its `>` only when a space follows.
    pieces, copied, index = [], 0, text.find("~")
    while index >= 0:
        gap = 1 if text[index + 1 : index + 2] == " " else 2 if text[index + 1 : index + 3] == "> " else 0
        if gap:
            pieces.append(text[copied:index] + "~")
            copied = index + 1 + gap
        index = text.find("~", index + 1 + gap)
    return "".join(pieces) + text[copied:]


def _caret_trim(text: str) -> str:
    return text.replace("^ ", "^")


# -- one token ----------------------------------------------------------------------------------


def _expand_token(token: str, include_prerelease: bool) -> str:
    """A token as npm's comparator stage leaves it: ``^``, ``~`` and x-ranges expanded into
    space-separated primitives (``''`` for any), anything else returned with its first stray
    ``*`` removed (which is how npm reads ``*1.2.3`` as ``1.2.3``).
    """
    zero = "-0" if include_prerelease else ""
    if token[0] in ("^", "~"):
        parts = _anchored_xrange(token, 2 if token[:2] == "~>" else 1)
        if parts is not None:
            return _expand_caret_or_tilde(token[0], *parts, zero)
    else:
        start = _operator_end(token)
        parts = _anchored_xrange(token, start)
        expanded = None if parts is None else _expand_xrange(token[:start], *parts[:3], zero)
        if expanded is not None:
            return "" if expanded == "*" else expanded
    return _remove_star(token)


def _expand_caret_or_tilde(kind: str, major: str, minor: str, patch: str, pre: str, zero: str) -> str:
    # ^ allows changes that do not modify the left-most non-zero part; ~ allows patch changes
    # (minor ones too when only a major is given).
    if _is_x(major):
        return ""
    if _is_x(minor):
        return f">={major}.0.0{zero} <{_next(major)}.0.0-0"
    if _is_x(patch):
        if kind == "~" or major == "0":
            return f">={major}.{minor}.0{zero} <{major}.{_next(minor)}.0-0"
        return f">={major}.{minor}.0{zero} <{_next(major)}.0.0-0"
    low = f">={major}.{minor}.{patch}-{pre}" if pre else f">={major}.{minor}.{patch}"
    if kind == "~" or (major == "0" and minor != "0"):
        return f"{low} <{major}.{_next(minor)}.0-0"
    if major != "0":
        return f"{low} <{_next(major)}.0.0-0"
    return f"{low} <{major}.{minor}.{_next(patch)}-0"


def _expand_xrange(operator: str, major: str, minor: str, patch: str, zero: str) -> str | None:
    """An x-range with an optional operator; None when npm leaves the token as it is (no
    wildcard at all, or a wildcard followed by a number such as ``1.x.2``).
    """
    x_major, x_minor, x_patch = _is_x(major), _is_x(minor), _is_x(patch)
    if (x_major and not x_minor) or (x_minor and patch and not x_patch):
        return None
    x_minor = x_major or x_minor
    if not (x_minor or x_patch):
        return None
    if x_major:
        return "<0.0.0-0" if operator in ("<", ">") else "*"
    if operator in ("", "="):
        if x_minor:
            return f">={major}.0.0{zero} <{_next(major)}.0.0-0"
        return f">={major}.{minor}.0{zero} <{major}.{_next(minor)}.0-0"
    # An operator against a partial version: missing parts are zeros, and "greater than 1.2" or
    # "at most 1.2" move the bound to the next minor (or major) so that all of 1.2.x is covered.
    minor = "0" if x_minor else minor
    if operator in (">", "<="):
        major, minor = (_next(major), "0") if x_minor else (major, _next(minor))
        operator = ">=" if operator == ">" else "<"
    return f"{operator}{major}.{minor}.0{'-0' if operator == '<' else zero}"


def _remove_star(token: str) -> str:
    index = token.find("*")
    if index < 0:
        return token
    start = index - (token[index - 1 : index] == "=") if index else index
    start -= start > 0 and token[start - 1] in ("<", ">")
    return token[:start] + token[index + 1 :]
