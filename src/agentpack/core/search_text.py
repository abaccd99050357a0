"""What a package search matches and how it ranks: one definition for every place that searches.

A registry server answers searches from its database (SQLite FTS5, or a PostgreSQL tsvector with
a GIN index); a directory or a static-HTTP registry is searched by filtering its catalog here. So
that all of them find the same packages in the same order, the words are made here, once, and the
databases index exactly these words (never their own tokenizer's):

- A text's *words* are its runs of letters and digits, after Unicode NFKC normalisation and case
  folding; everything else separates words (``customer-service`` is ``customer`` and ``service``;
  ``Escalation,`` is ``escalation``). A word is cut after MAX_WORD characters, and a field (name,
  keywords, description) counts its first MAX_FIELD_WORDS distinct words only.
- A query matches a package when *every* word of the query begins some word of the package's
  name, keywords or description: ``escalat`` finds "Escalation" and "escalate", ``cust serv``
  finds customer-service, ``calation`` finds nothing (no stemming, no substrings). A query without
  words (empty, or only punctuation) matches every package.
- ``keyword`` keeps the packages one of whose keywords *is* that keyword (case-insensitive, whole);
  ``category`` those that declare that category (one of core.manifest.CATEGORIES).
- Ranking: a package whose name is the query (``triage`` or ``team/triage``) comes first; then the
  packages whose every query word is in the name, then those whose every word is in the name or the
  keywords, then the rest (a word found only in the description); then by name.

The text searched is that of the version a bare install would choose (the catalog entry's), as the
caller may see it. Pure: no I/O.
"""

from __future__ import annotations

import re
import unicodedata

from agentpack.core.manifest import CATEGORIES
from agentpack.errors import UsageError

MAX_WORD = 64  # characters a word is cut after (PostgreSQL refuses lexemes over 2 KiB)
MAX_FIELD_WORDS = 1000  # distinct words of one field (bounds a PostgreSQL tsvector far below 1 MiB)
MAX_QUERY = 200  # characters of a query
MAX_KEYWORD = 100
DEFAULT_LIMIT = 20
MAX_LIMIT = 100
MAX_OFFSET = 100_000
_WORD = re.compile(r"[^\W_]+")
_NAME = re.compile(r"[a-z0-9-]+(/[a-z0-9-]+)?")
# Ranking tiers, best first: every query word in the name; in the name or keywords; anywhere.
IN_NAME, IN_NAME_OR_KEYWORDS, ANYWHERE = 1, 2, 3


def words(text: str) -> list[str]:
    """The words of ``text`` in order (repeats kept), as the module docstring defines them."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return [word[:MAX_WORD] for word in _WORD.findall(folded)]


def query_words(query: str) -> list[str]:
    """The distinct words of ``query``, in order."""
    return list(dict.fromkeys(words(query)))


def field_words(text: str) -> list[str]:
    """The words of one field that are searched: its first MAX_FIELD_WORDS distinct words."""
    return list(dict.fromkeys(words(text)))[:MAX_FIELD_WORDS]


def indexed_words(text: str) -> str:
    """``field_words`` joined by single spaces: what a database indexes for a field."""
    return " ".join(field_words(text))


def keywords_text(keywords) -> str:
    """The keywords as one text (their words are indexed together)."""
    return " ".join(str(keyword) for keyword in keywords)


def normal_keyword(keyword: str) -> str:
    """A keyword as ``keyword`` filters compare it: NFKC, case-folded, without surrounding blanks."""
    return unicodedata.normalize("NFKC", keyword).casefold().strip()


def exact_name(query: str) -> str | None:
    """The package name (or bare name) ``query`` would be, for the exact-name rank; None when it
    cannot be one."""
    text = query.strip().lower()
    return text if _NAME.fullmatch(text) else None


def _begins_one(term: str, field_words: list[str]) -> bool:
    return any(word.startswith(term) for word in field_words)


def tier(terms: list[str], name: str, keywords, description: str) -> int | None:
    """The ranking tier (IN_NAME, IN_NAME_OR_KEYWORDS, ANYWHERE) at which the query words ``terms``
    match the package, or None when they do not match it."""
    name_words, keyword_words = field_words(name), field_words(keywords_text(keywords))
    description_words = field_words(description)
    if all(_begins_one(term, name_words) for term in terms):
        return IN_NAME
    if all(_begins_one(term, name_words) or _begins_one(term, keyword_words) for term in terms):
        return IN_NAME_OR_KEYWORDS
    every = name_words + keyword_words + description_words
    if all(_begins_one(term, every) for term in terms):
        return ANYWHERE
    return None


def rank_key(query: str, row: dict) -> tuple:
    """The sort key of a search row (``name``, ``keywords``, ``description``) for ``query``: exact
    name first, then the tier, then the name. Rows that do not match sort last."""
    terms = query_words(query)
    name = row["name"]
    exact = exact_name(query)
    found = tier(terms, name, row.get("keywords") or (), str(row.get("description") or ""))
    is_exact = exact is not None and exact in (name, name.rpartition("/")[2])
    return (0 if is_exact else 1, found or ANYWHERE + 1, name)


def has_keyword(keyword: str, keywords) -> bool:
    """Whether one of ``keywords`` is ``keyword`` (compared as normal_keyword does)."""
    wanted = normal_keyword(keyword)
    return any(normal_keyword(str(k)) == wanted for k in keywords)


def check_search(query: str, keyword: str | None, category: str | None, limit: int = DEFAULT_LIMIT,
                 offset: int = 0) -> None:
    """Raise ``UsageError`` naming every parameter out of bounds: ``query`` over MAX_QUERY
    characters, ``keyword`` empty or over MAX_KEYWORD, ``category`` not one of the four, ``limit``
    outside 1..MAX_LIMIT, ``offset`` outside 0..MAX_OFFSET."""
    problems = []
    if len(query) > MAX_QUERY:
        problems.append(f"the query is {len(query)} characters long; at most {MAX_QUERY} are allowed")
    if keyword is not None and not (0 < len(normal_keyword(keyword)) <= MAX_KEYWORD):
        problems.append(f"'keyword' must be 1 to {MAX_KEYWORD} characters")
    if category is not None and category not in CATEGORIES:
        problems.append(f"unknown category {category!r}: the categories are {', '.join(CATEGORIES)}")
    if not 1 <= limit <= MAX_LIMIT:
        problems.append(f"'limit' must be between 1 and {MAX_LIMIT}, not {limit}")
    if not 0 <= offset <= MAX_OFFSET:
        problems.append(f"'offset' must be between 0 and {MAX_OFFSET}, not {offset}")
    if problems:
        raise UsageError("bad search: " + "; ".join(problems))
