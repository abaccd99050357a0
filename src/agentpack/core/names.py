"""Package names: the naming rule, helpful messages, and the archive file name built from a name.

A package name is lowercase kebab-case (``[a-z0-9]+(-[a-z0-9]+)*``), 1-64 characters in all, and may
carry exactly one namespace: ``team/name``, where ``team`` follows the same rule. Names end up as
folder names (``agents/<name>/``), archive names and registry keys on every operating system, so the
rule is deliberately narrow: no case folding surprises, no characters that need quoting in a shell,
and no segment that Windows reserves for a device (``con``, ``nul``, ``com1``...), which no folder
there may be called, whatever its extension.

The checks are written by hand instead of with a regular expression: this module is imported on the
command's start-up path and ``re`` costs more to import than the whole check costs to run.
"""

from __future__ import annotations

from agentpack.errors import InvalidName

MAX_NAME_LENGTH = 64
_ALLOWED = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")
_FALLBACK_SUGGESTION = "my-package"
# Windows device names: a file or folder called one of these (with any extension: "nul.txt")
# opens the device instead. Names hold no dots, so only the bare word can occur.
RESERVED_SEGMENTS = frozenset(
    ["con", "prn", "aux", "nul"]
    + [f"{port}{digit}" for port in ("com", "lpt") for digit in "0123456789"]
)


def check_name(name: object) -> str | None:
    """Return ``None`` if ``name`` is a valid package name, else a one-sentence message.

    The message says what is wrong with the name and, when one can be derived, suggests a valid
    name close to it (``'Customer_Service'`` suggests ``'customer-service'``). Never raises, whatever
    ``name`` is; a value that is not a string gets a message saying so.
    """
    return _verdict("package name", name, _name_problem, suggest_name)


def check_team(team: object) -> str | None:
    """Return ``None`` if ``team`` is a valid team (the namespace of ``team/name``), else a
    one-sentence message, with a valid team close to it when one can be derived. A team follows the
    rule of a name's parts: lowercase kebab-case, no ``/``, no Windows device name, and short
    enough to leave room for ``/name``. Never raises."""
    return _verdict("team name", team, _team_problem, _suggest_team)


MAX_USER_LENGTH = 64
_USER_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._@+-")


def check_user(user: object) -> str | None:
    """Return ``None`` if ``user`` is a valid user name (a token's holder, a team's owner), else a
    one-sentence message. A user name is 1-64 ASCII letters, digits and ``. _ @ + -``, starting
    with a letter or digit, so that an e-mail address or a login fits, compares exactly (case
    counts) and prints without quoting. Never raises."""
    if not isinstance(user, str):
        return f"a user name must be a string, not {type(user).__name__}"
    if not user:
        return "a user name is empty"
    if len(user) > MAX_USER_LENGTH:
        return f"invalid user name {user[:MAX_USER_LENGTH]!r}...: at most {MAX_USER_LENGTH} characters are allowed"
    bad = sorted({c for c in user if c not in _USER_CHARACTERS})
    if bad:
        return (f"invalid user name {user!r}: it contains {' '.join(repr(c) for c in bad)} (use letters, "
                "digits and . _ @ + -)")
    if not user[0].isalnum():
        return f"invalid user name {user!r}: it must start with a letter or digit"
    return None


def _verdict(what: str, value: object, problem_of, suggest) -> str | None:
    """None when ``problem_of(value)`` finds nothing, else the message: the problem, and
    ``suggest(value)`` to try instead when that gives another value (None: no suggestion)."""
    if not isinstance(value, str):
        return f"a {what} must be a string, not {type(value).__name__}"
    reason = problem_of(value)
    if reason is None:
        return None
    message = f"invalid {what} {value!r}: {reason}"
    suggestion = suggest(value)
    if suggestion is not None and suggestion != value:
        message += f"; try {suggestion!r}"
    return message


def _suggest_team(team: str) -> str | None:
    suggestion = suggest_name(team.replace("/", "-"))[: MAX_NAME_LENGTH - 2].rstrip("-")
    return suggestion if suggestion != _FALLBACK_SUGGESTION and _team_problem(suggestion) is None else None


def validate_name(name: object) -> str:
    """Return ``name`` unchanged if it is a valid package name, else raise ``InvalidName``.

    The error's message is the one ``check_name`` gives; its ``field`` is ``"name"`` and its hint
    restates the rule, so a caller can show it without adding anything.
    """
    message = check_name(name)
    if message is not None:
        raise InvalidName(
            message,
            field="name",
            hint="use lowercase letters, digits and single hyphens (e.g. 'customer-service'), "
            "optionally under one namespace ('team/customer-service'), at most 64 characters",
        )
    return name  # type: ignore[return-value]  # check_name accepted it, so it is a str


def suggest_name(name: str) -> str:
    """Return a valid package name as close to ``name`` as can be made mechanically.

    Letters are lowercased, every run of other characters becomes a single hyphen, empty parts are
    dropped, and only the last namespace level is kept; a Windows device name gets ``-pkg``
    appended. If nothing usable remains the fixed name ``my-package`` is returned, so the result
    always passes ``check_name``.
    """
    parts = [_kebab(part) for part in name.split("/")]
    parts = [f"{part}-pkg" if part in RESERVED_SEGMENTS else part for part in parts]
    parts = [part for part in parts if part][-2:]
    suggestion = "/".join(parts)
    if len(suggestion) > MAX_NAME_LENGTH:
        suggestion = suggestion[:MAX_NAME_LENGTH].rstrip("-/")
    if not suggestion or _name_problem(suggestion) is not None:
        return _FALLBACK_SUGGESTION
    return suggestion


def nearest(word: object, candidates, *, limit: int = 3) -> list[str]:
    """The candidates closest to ``word`` by ``difflib``'s ratio (at least 0.6), best first, as
    text: what a "did you mean" offers for a misspelt name, key or tier."""
    import difflib  # only a typo pays for the import

    return difflib.get_close_matches(str(word), [str(c) for c in candidates], n=limit, cutoff=0.6)


def did_you_mean(word: object, candidates, prefix: str = "") -> str:
    """`` (did you mean a or b?)`` for the ``nearest`` candidates (each under ``prefix.``), or ``""``."""
    close = [f"{prefix}.{name}" if prefix else name for name in nearest(word, candidates)]
    return f" (did you mean {' or '.join(close)}?)" if close else ""


def archive_basename(name: str, version: str) -> str:
    """Return the archive file name stem for ``name`` at ``version``: ``team/x`` 1.0.0 -> ``team-x-1.0.0``.

    The namespace separator becomes a hyphen so the archive is a single file name; the caller adds
    the ``.tar.gz`` suffix. The name is not validated here.
    """
    return f"{name.replace('/', '-')}-{version}"


def _name_problem(name: str) -> str | None:
    """What is wrong with ``name`` in a few words, or ``None``; the first problem found wins."""
    if not name:
        return "the name is empty"
    if len(name) > MAX_NAME_LENGTH:
        return f"it is {len(name)} characters long (at most {MAX_NAME_LENGTH} are allowed)"
    if name != name.strip():
        return "it has leading or trailing whitespace"
    segments = name.split("/")
    if len(segments) > 2:
        return "only one namespace level is allowed ('team/name')"
    for index, segment in enumerate(segments):
        problem = _segment_problem(segment, is_namespace=index < len(segments) - 1)
        if problem is not None:
            return problem
    return None


def _team_problem(team: str) -> str | None:
    if "/" in team:
        return "it contains '/' (a team is one namespace level)"
    if len(team) > MAX_NAME_LENGTH - 2:
        return f"it is {len(team)} characters long (at most {MAX_NAME_LENGTH - 2}, leaving room for '/name')"
    return _segment_problem(team, is_namespace=True)


def _segment_problem(segment: str, *, is_namespace: bool) -> str | None:
    what = "the namespace" if is_namespace else "the name"
    if not segment:
        return f"{what} part is empty"
    if not _ALLOWED.issuperset(segment):
        if any(c.isupper() for c in segment):
            return "it contains uppercase letters"
        bad = sorted({c for c in segment if c not in _ALLOWED})
        shown = " ".join(repr(c) for c in bad)
        return f"it contains characters other than a-z, 0-9 and '-': {shown}"
    if segment[0] == "-" or segment[-1] == "-":
        return f"{what} part starts or ends with '-'"
    if "--" in segment:
        return "it contains '--' (use a single hyphen between words)"
    if segment in RESERVED_SEGMENTS:
        return f"{segment!r} is a device name on Windows, so no folder there can be called that"
    return None


def _kebab(text: str) -> str:
    """Lowercase ``text`` and join its runs of ASCII letters and digits with single hyphens."""
    cleaned = "".join(c if c in _ALLOWED and c != "-" else "-" for c in text.lower())
    return "-".join(word for word in cleaned.split("-") if word)
