"""The ``--set`` layer: ``--set PACKAGE.CONFIG.path.to.key=VALUE`` assignments read into a config tree.

``parse_set`` splits one assignment into package, key path and value; ``set_layer`` builds the tree
that a command's assignments form for one package, the top layer of the merge in
``core.config_merge``. A value is read exactly as PyYAML reads a plain scalar (null, booleans,
YAML 1.1 ints and floats, everything else a verbatim string) because a value typed with ``--set``
and the same value written in a config file must mean the same thing: ``--set P.c.x=on`` and
``x: on`` both set ``True``, and ``017`` is 15 in both. The reader is written out here, without
importing PyYAML, and its tests check it against PyYAML's own resolver. ``check_assignment`` and
``check_tier`` refuse a ``--set`` or ``--tier`` that would change nothing (a typo), naming the
nearest existing names. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from agentpack.core.names import check_name, did_you_mean
from agentpack.errors import UsageError

_SET_HINT = "write --set PACKAGE.CONFIG.KEY=VALUE, e.g. --set customer-service.settings.model=gpt-4o"
_NULLS = frozenset({"~", "null", "Null", "NULL"})
_TRUE = frozenset({"yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"})
_FALSE = frozenset({"no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"})
_DECIMAL = frozenset("0123456789_")
_INT_DIGITS = {2: frozenset("01_"), 8: frozenset("01234567_"), 10: _DECIMAL,
               16: frozenset("0123456789abcdefABCDEF_")}


def parse_set(text: str) -> tuple[str, tuple[str, ...], object]:
    """Parse one ``--set`` assignment, ``PACKAGE.CONFIG.path.to.key=VALUE``, into its three parts.

    The package is everything before the first dot (``team/x`` works: names hold no dots); the key
    path is the dot-separated rest, the config name first, each key a string (keys that contain a
    dot cannot be set this way). The value is read as a YAML plain scalar is by PyYAML, so that
    ``x: on`` in a file and ``--set P.c.x=on`` agree: null/~, true/false/yes/no/on/off, YAML 1.1
    integers and floats; dates and any other text stay strings, verbatim (no trimming). A value in
    single or double quotes is that string; ``[]`` and ``{}`` are an empty list and mapping. Raises
    ``UsageError`` for a missing ``=``, package or key, an empty key, an invalid package name, an
    empty value (write ``null`` to delete), a bad quoted string or any other flow collection.
    """
    key, equals, raw = text.partition("=")
    package, dot, rest = key.partition(".")
    if not equals or not key:
        raise UsageError(f"--set {text!r}: expected PACKAGE.CONFIG.KEY=VALUE", field="--set", hint=_SET_HINT)
    problem = check_name(package)
    if problem is not None:
        raise UsageError(f"--set {text!r}: {problem}", field="--set", hint=_SET_HINT)
    if not dot or not rest:
        raise UsageError(f"--set {text!r} names a package but no configuration key", field="--set",
                         hint=_SET_HINT)
    path = tuple(rest.split("."))
    if "" in path:
        raise UsageError(f"--set {text!r}: the key path {rest!r} has an empty key", field="--set",
                         hint="separate keys with single dots, with no dot at either end")
    return package, path, _parse_value(raw, text)


def set_layer(assignments: Sequence[str], package: str) -> dict:
    """Return the config tree that the ``--set`` ``assignments`` form for ``package``.

    Assignments for other packages are skipped; every assignment is parsed, so a malformed one
    raises ``UsageError`` whatever package it names. Later assignments win: one at a path replaces
    an earlier one at the same path, under it, or above it (a deeper path turns an earlier scalar
    into a mapping). A ``null`` value stays in the tree, where it deletes the key from the layers
    below. The tree is one layer: ``A.b=null`` followed by ``A.b.c=1`` merges ``{c: 1}`` into what
    lower layers hold at ``b`` rather than replacing it.
    """
    tree: dict = {}
    for text in assignments:
        name, path, value = parse_set(text)
        if name != package:
            continue
        node = tree
        for key in path[:-1]:
            child = node.get(key)
            if not isinstance(child, dict):
                child = node[key] = {}
            node = child
        node[path[-1]] = value
    return tree


def check_assignment(text: str, installed: Mapping, existing: Callable[[str], dict], *,
                     allow_new: bool = False) -> None:
    """Refuse a ``--set`` assignment that would change nothing a package reads (``UsageError``).

    ``installed`` holds the names of the installed packages; ``existing(name)`` returns a package's
    configuration tree before this command's assignments. The package must be installed and the
    first key must name one of its config files (a new file would override nothing). Every
    further key must exist, unless ``allow_new`` (``--set-new``). Each error names the nearest
    existing names.
    """
    package, path, _value = parse_set(text)
    if package not in installed:
        raise UsageError(f"--set {text!r}: {package} is not installed{did_you_mean(package, installed)}",
                         field="--set", hint=f"installed: {', '.join(sorted(installed)) or 'nothing'}")
    node = existing(package)
    for depth, key in enumerate(path):
        if isinstance(node, dict) and key in node:
            node = node[key]
            continue
        if depth and allow_new:
            return
        where = ".".join(path[:depth])
        if not depth:
            raise UsageError(
                f"--set {text!r}: {package} has no config named {key!r}{did_you_mean(key, node)}", field="--set",
                hint=f"its config: {', '.join(map(str, node)) or 'none'}; --set changes one of them "
                     "(a new config file would override nothing)")
        if not isinstance(node, dict):
            raise UsageError(f"--set {text!r}: {package}'s {where} is a single value, with no key {key!r}",
                             field="--set", hint="set it whole, or add --set-new to replace it with a mapping")
        raise UsageError(
            f"--set {text!r}: {package}'s configuration has no key {where}.{key}{did_you_mean(key, node, where)}",
            field="--set", hint=f"keys of {where}: {_some(node)}; add --set-new to create a new key")


def check_tier(tier: str, defined: Mapping[str, Mapping]) -> None:
    """Refuse a tier that none of the packages defines (``UsageError`` listing the ones they do).

    ``defined`` maps each installed package to its ``tiers`` entry (tier name -> overlay).
    """
    known = sorted({str(name) for tiers in defined.values() for name in tiers})
    if tier in known:
        return
    if not known:
        raise UsageError(f"--tier {tier}: no installed package defines any tier", field="--tier",
                         hint=f"to use a new tier deliberately, write --tier {tier} --allow-new-tier")
    by = "; ".join(f"{name}: {', '.join(map(str, tiers))}" for name, tiers in sorted(defined.items()) if tiers)
    raise UsageError(f"--tier {tier}: no installed package defines this tier{did_you_mean(tier, known)}",
                     field="--tier", hint=f"tiers defined ({by}); for a deliberate new one, write "
                                          f"--tier {tier} --allow-new-tier")


def _some(node: Mapping, limit: int = 12) -> str:
    keys = [str(key) for key in node]
    return ", ".join(keys[:limit]) + (f", ... ({len(keys)} keys)" if len(keys) > limit else "")


def _parse_value(raw: str, text: str):
    if not raw:
        raise UsageError(f"--set {text!r} has no value", field="--set",
                         hint="write null to delete the key, or '' for an empty string")
    first = raw[0]
    if first in "'\"":
        return _unquote(raw, text)
    if raw in ("[]", "{}"):
        return [] if raw == "[]" else {}
    if first in "[{":
        raise UsageError(f"--set {text!r}: only single values can be set on the command line",
                         field="--set", hint="put lists and mappings in packages/<name>.local.yaml, "
                         "or quote the value to set it as a string")
    if raw in _NULLS:
        return None
    if raw in _TRUE or raw in _FALSE:
        return raw in _TRUE
    if first in "+-.0123456789":
        number = _number(raw)
        if number is not None:
            return number
    return raw


def _number(text: str) -> int | float | None:
    """``text`` as PyYAML's YAML 1.1 resolver reads an int or a float, else None."""
    sign, body = (-1 if text[0] == "-" else 1, text[1:]) if text[0] in "+-" else (1, text)
    if body in (".inf", ".Inf", ".INF"):
        return sign * float("inf")
    if body in (".nan", ".NaN", ".NAN"):
        return float("nan") if body == text else None  # YAML 1.1 gives a NaN no sign
    mantissa, e, exponent = body.replace("E", "e").partition("e") if "." in body else (body, "", "")
    whole, dot, fraction = mantissa.partition(".")
    if e and (exponent[:1] not in ("+", "-") or not exponent[1:].isdigit() or not exponent.isascii()):
        return None
    if not body or not _DECIMAL.issuperset(fraction):
        return None
    if ":" in whole:  # base 60: 1:30 is 90 and 1:30.5 is 90.5, summed the way PyYAML does
        parts = whole.split(":")
        if e or not _digits(parts[0], "0123456789" if dot else "123456789"):
            return None
        if not all(part.isascii() and part.isdigit() and (len(part) == 1 or (len(part) == 2 and part[0] <= "5"))
                   for part in parts[1:]):
            return None
        parts[-1] += dot + fraction
        total, scale = 0, 1
        for part in reversed(parts):
            total += (float if dot else int)(part.replace("_", "")) * scale
            scale *= 60
        return sign * total
    if dot:
        if not (_digits(whole) or (not whole and body == text and _digits(fraction))):
            return None
        return sign * float(f"{mantissa}e{exponent or 0}".replace("_", ""))
    base, digits = {"0b": 2, "0x": 16}.get(body[:2], 0), body[2:]
    if not base:
        base, digits = (8, body[1:] or "0") if body[0] == "0" else (10, body)
    if not _INT_DIGITS[base].issuperset(digits) or (base == 10 and not _digits(digits, "123456789")):
        return None
    cleaned = digits.replace("_", "") or ("0" if base == 8 else "")  # PyYAML: '0_' is 0, '0b_' fails
    return sign * int(cleaned, base) if cleaned else None


def _digits(text: str, first: str = "0123456789") -> bool:
    """Whether ``text`` is ASCII digits and underscores, starting with one of ``first``."""
    return bool(text) and text[0] in first and _DECIMAL.issuperset(text)


def _unquote(raw: str, text: str) -> str:
    """A quoted value: single quotes as YAML reads them; double quotes with JSON's escapes."""
    if raw[0] == "'":
        inner = raw[1:-1]
        if len(raw) < 2 or raw[-1] != "'" or "'" in inner.replace("''", ""):
            raise UsageError(f"--set {text!r}: unterminated single-quoted value", field="--set",
                             hint="inside single quotes, write '' for a quote")
        return inner.replace("''", "'")
    import json  # a JSON string is a YAML double-quoted scalar; only this rare path needs the module

    try:
        return json.loads(raw)
    except ValueError as exc:
        raise UsageError(f"--set {text!r}: bad double-quoted value ({exc.msg})", field="--set",
                         hint='inside double quotes, write \\" for a quote and \\\\ for a backslash') from None
