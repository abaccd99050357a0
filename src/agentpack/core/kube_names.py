"""Kubernetes names, label values and ConfigMap keys made from package names, paths and levels.

Kubernetes is stricter than agentpack about names: object names and namespaces are DNS-1123
labels (``[a-z0-9]([-a-z0-9]*[a-z0-9])?``, at most 63 characters), label values are at most 63
characters of ``[A-Za-z0-9_.-]`` starting and ending with a letter or digit, and ConfigMap keys
are ``[-._a-zA-Z0-9]+``. Each function here maps any text into its set so that:

- text that already fits is kept as it is (``customer-service`` stays ``customer-service``);
- text that had to change, or was cut to fit, ends in ``-`` and the first 8 hex digits of the
  sha256 of the original text, so two texts that map to the same letters still get two names
  (``team/x-agents`` -> ``team-x-agents-1a2b3c4d``, never the ``team-x-agents`` of package ``team-x``);
- the result depends on the text alone, never on the clock or the order of calls, so a render
  is the same bytes every time.

Two texts that both fit unchanged can still meet (``a`` + ``b-c`` and ``a-b`` + ``c``):
``unique_names`` gives every member of such a group its hashed form.

Package names follow a fixed mapping in label values (``team/x`` -> ``team.x``: a dot never occurs
in a package name) and versions one too (``1.0.0+b.1`` -> ``1.0.0_b.1``, as OCI tags write them).

Pure: hashlib only.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping

MAX_LABEL = 63  # DNS-1123 labels and label values
MAX_KEY = 253  # ConfigMap keys
HASH_LENGTH = 8
_DNS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")
_ALNUM = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
_LABEL = _ALNUM | frozenset("-_.")


def short_hash(text: str) -> str:
    """The first 8 hex digits of the sha256 of ``text`` (UTF-8)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:HASH_LENGTH]


def _hashed(body: str, original: str, limit: int, allowed_end: frozenset) -> str:
    """``body`` cut so that ``-<hash of original>`` fits in ``limit``, ends trimmed of characters
    that may not end a name."""
    room = limit - HASH_LENGTH - 1
    body = body[:room]
    while body and body[-1] not in allowed_end:
        body = body[:-1]
    return f"{body}-{short_hash(original)}" if body else short_hash(original)


def dns_label(text: str, *, limit: int = MAX_LABEL) -> str:
    """``text`` as a DNS-1123 label (object names, namespaces): lower case, runs of other
    characters turned into one ``-``, ends trimmed; with a hash suffix when anything changed."""
    body = _dns_body(text)
    if body == text and len(body) <= limit:
        return body
    return _hashed(body, text, limit, _DNS - {"-"})


def hashed_label(text: str) -> str:
    """``text`` as a DNS-1123 label that always carries its hash suffix (see ``unique_names``)."""
    return _hashed(_dns_body(text), text, MAX_LABEL, _DNS - {"-"})


def _dns_body(text: str) -> str:
    out: list[str] = []
    for char in text.lower():
        if char in _DNS and char != "-":
            out.append(char)
        elif not out or out[-1] != "-":
            out.append("-")
    return "".join(out).strip("-")


def label_value(text: str) -> str:
    """``text`` as a label value: package names' ``/`` as ``.``, versions' ``+`` as ``_``, other
    characters outside the label set as ``-``; with a hash suffix when more than the first two
    mappings was needed, or it had to be cut to 63 characters."""
    mapped = text.replace("/", ".").replace("+", "_")
    if _is_label_value(mapped):
        return mapped
    body = "".join(char if char in _LABEL else "-" for char in mapped)
    while body and body[0] not in _ALNUM:
        body = body[1:]
    return _hashed(body, text, MAX_LABEL, _ALNUM)


def _is_label_value(text: str) -> bool:
    return (len(text) <= MAX_LABEL and all(char in _LABEL for char in text)
            and (not text or (text[0] in _ALNUM and text[-1] in _ALNUM)))


def configmap_key(path: str) -> str:
    """A file's path (below its kind's folder) as a ConfigMap key: ``/`` written ``__``, other
    characters outside ``[-._a-zA-Z0-9]`` as ``_``, with a hash suffix when those were needed or
    it had to be cut to 253 characters."""
    joined = path.replace("/", "__")
    if joined and len(joined) <= MAX_KEY and all(char in _LABEL for char in joined) and joined not in (".", ".."):
        return joined
    body = "".join(char if char in _LABEL else "_" for char in joined)
    return _hashed(body, path, MAX_KEY, _LABEL)


def unique_names(wanted: Mapping[object, tuple[str, str]], hashed) -> dict[object, str]:
    """The final name of each entry of ``wanted`` (key -> (group, name)): names that two keys of
    one group (a kind in a namespace) share are replaced by ``hashed(key)`` for every key that
    shares them, so no two objects collide and which one keeps the plain name never depends on
    what else is rendered."""
    by_name: dict[tuple[str, str], list] = {}
    for key, slot in wanted.items():
        by_name.setdefault(slot, []).append(key)
    return {key: (hashed(key) if len(by_name[slot]) > 1 else slot[1]) for key, slot in wanted.items()}


def sorted_unique(items: Iterable[str]) -> list[str]:
    """Distinct ``items`` in code-point order."""
    return sorted(set(items))

