"""A registry server's data and its administration: teams, tokens, and who a token is.

``open_server_data`` opens what a server keeps under its data directory (the metadata store, the
blob folder) and is shared by `agentops registry serve` and by the administration commands run on
the server's machine (`registry team create --data DIR`, which need no token), and by the server's
admin API (which does). Tokens are random (256 bits), shown once, and stored only as their
SHA-256; looking one up compares digests in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets

from agentpack.core.access import ALL_TEAMS, ROLES, Caller
from agentpack.core.classification import DEFAULT_LEVELS, Levels
from agentpack.core.limits import MAX_QUOTA_VERSIONS
from agentpack.core.names import check_team
from agentpack.core.quantities import parse_duration, parse_size
from agentpack.core.records import dataclass
from agentpack.errors import AuthenticationRequired, PackageNotFound, UsageError

TOKEN_PREFIX = "agp_"
DATABASE_FILE = "registry.db"


@dataclass
class ServerData:
    """What a registry server keeps: ``store`` (metadata), ``blobs`` and ``registry`` over both."""

    data_dir: str
    store: object
    blobs: object
    registry: object
    levels: Levels

    def close(self) -> None:
        self.store.close()


def default_data_dir() -> str:
    """Where a server keeps its state when not told (``$XDG_DATA_HOME/agentpack/server``)."""
    from agentpack.adapters.paths import user_data_dir

    return os.path.join(user_data_dir(), "server")


def open_server_data(data_dir: str | None, *, database_url: str | None = None, blobs: str | None = None,
                     url: str = "the registry server", levels: tuple[str, ...] = DEFAULT_LEVELS,
                     options=None) -> ServerData:
    """Open (creating it when missing) the server state under ``data_dir`` (default
    ``default_data_dir()``): the SQLite database ``registry.db`` unless ``database_url`` names
    another (migrated to the newest schema), and the blob folder ``DATA/blobs`` unless ``blobs``
    names another store (adapters.blob_store.open_blob_store: a folder, archives in
    ``BLOBS/sha256/<hex>``, or ``oci://HOST[:PORT]/REPOSITORY``, reached as ``options``
    (RegistryOptions) say; replicas share one). Raises ``UsageError`` naming the `server` extra
    when SQLAlchemy or Alembic (or, for a PostgreSQL URL, psycopg) is not installed, and for a
    ``blobs`` location no store understands."""
    require_server_extra(database_url)
    from agentpack.adapters.blob_store import FolderBlobStore, open_blob_store
    from agentpack.adapters.metadata.store import MetadataStore
    from agentpack.adapters.paths import make_dirs
    from agentpack.adapters.registry.stored import StoredRegistry

    root = os.path.abspath(os.path.expanduser(data_dir or default_data_dir()))
    make_dirs(root, root)
    blob_store = open_blob_store(blobs, options) if blobs else FolderBlobStore(root)
    metadata = MetadataStore.open(database_url or f"sqlite:///{os.path.join(root, DATABASE_FILE)}")
    return ServerData(root, metadata, blob_store, StoredRegistry(metadata, blob_store, url=url, levels=levels), Levels(levels))


def migrate_database(data_dir: str | None, *, database_url: str | None = None) -> dict:
    """Bring the metadata database (``database_url``, else ``DATA/registry.db`` under ``data_dir``
    or ``default_data_dir()``) to the newest schema, as `registry serve` does at start, and touch
    nothing else (no blob store): what a deployment runs once before new servers start.
    ``{"database": the URL without its password, "before": revision or None, "after": revision}``.
    Raises ``RegistryUnreachable`` when the database cannot be reached, ``UsageError`` naming the
    `server` extra when its libraries are missing."""
    require_server_extra(database_url)
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import OperationalError

    from agentpack.adapters.metadata.store import MetadataStore
    from agentpack.adapters.paths import make_dirs
    from agentpack.errors import RegistryUnreachable

    if database_url is None:
        root = os.path.abspath(os.path.expanduser(data_dir or default_data_dir()))
        make_dirs(root, root)
        database_url = f"sqlite:///{os.path.join(root, DATABASE_FILE)}"
    try:
        shown = make_url(database_url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL: say which without echoing what may be a password
        raise UsageError("--database: not a database URL such as postgresql://USER@HOST/NAME") from None
    store = MetadataStore(database_url)
    try:
        before = store.schema_revision()
        store.migrate()
        after = store.schema_revision()
    except OperationalError as error:
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        raise RegistryUnreachable(f"cannot reach the metadata database {shown}: {reason}",
                                  hint="check the URL, that the database server is up, and its credentials") from None
    finally:
        store.close()
    return {"database": shown, "before": before, "after": after}


def require_server_extra(database_url: str | None = None) -> None:
    """Raise ``UsageError`` naming ``pip install 'agentpack[server]'`` unless the server's
    libraries (starlette, uvicorn, sqlalchemy, alembic; psycopg for a ``postgres`` URL) can be
    imported."""
    import importlib.util

    needed = ["starlette", "uvicorn", "sqlalchemy", "alembic"]
    if database_url and database_url.startswith("postgres"):
        needed.append("psycopg")
    missing = [name for name in needed if importlib.util.find_spec(name) is None]
    if missing:
        raise UsageError(f"the registry server needs {', '.join(missing)}, which are not installed",
                         hint="install the server extra: pip install 'agentpack[server]'")


def create_team(data: ServerData, name: str, *, private: bool = False, classification: str | None = None,
                quota: str | None = None, max_versions: int | None = None, owners: tuple[str, ...] = (),
                now: int) -> dict:
    """Add the team ``name``; ``quota`` a size (``10GiB``), ``max_versions`` a count, ``owners``
    user names. Raises ``UsageError`` for a bad name, level, quota or owner, ``RegistryConflict``
    when it exists."""
    problem = check_team(name)
    if problem:
        raise UsageError(problem)
    _check_level(data, classification)
    _check_users(owners, "--owner")
    return data.store.create_team({"name": name, "private": private, "classification": classification,
                                   "quota_bytes": _quota_bytes(quota), "quota_versions": _max_versions(max_versions),
                                   "owners": list(dict.fromkeys(owners)), "created_at": now})


UNCHANGED = object()  # an update_team argument that was not given
NO_LIMIT = "none"  # --quota none, --max-versions none: take the limit away


def update_team(data: ServerData, name: str, *, add_owners=(), remove_owners=(), private=UNCHANGED,
                classification=UNCHANGED, quota=UNCHANGED, max_versions=UNCHANGED) -> dict:
    """Change the team ``name``: its owners (``add_owners``, ``remove_owners``), visibility
    (``private``), level (``classification``) and quota (``quota`` a size, ``max_versions`` a
    count, ``"none"`` for no limit); what is ``UNCHANGED`` stays. One transaction with the team's
    row locked, so concurrent updates neither lose owners nor leave a team without one.

    Raises ``UsageError`` for a bad value or a name that is not an owner, ``RegistryConflict``
    when the change would leave a team that has owners without one or lower its level below a
    version it holds, ``PackageNotFound`` for a team that does not exist.
    """
    from agentpack.core.access import owners_after
    from agentpack.errors import RegistryConflict

    _check_users(add_owners, "--add-owner")
    _check_users(remove_owners, "--remove-owner")
    values: dict = {}
    if private is not UNCHANGED:
        if not isinstance(private, bool):
            raise UsageError("'private' must be true or false")
        values["private"] = private
    if classification is not UNCHANGED:
        _check_level(data, classification)
        values["classification"] = classification
    if quota is not UNCHANGED:
        values["quota_bytes"] = None if quota in (None, NO_LIMIT) else _quota_bytes(quota)
    if max_versions is not UNCHANGED:
        values["quota_versions"] = None if max_versions in (None, NO_LIMIT) else _max_versions(max_versions)
    if not values and not add_owners and not remove_owners:
        raise UsageError(f"nothing to change in team {name}",
                         hint="give --add-owner, --remove-owner, --private or --public, --quota, --max-versions "
                              "or --classification")

    def change(team: dict, held_levels) -> dict:
        owners = owners_after(name, team["owners"], list(add_owners), list(remove_owners))
        if "classification" in values:
            above = sorted(level or data.levels.lowest for level in held_levels()
                           if level is not None and data.levels.check(level) is None
                           and data.levels.above(level, values["classification"]))
            if above:
                raise RegistryConflict(f"team {name} holds versions classified {above[-1]!r}, above "
                                       f"{values['classification'] or data.levels.lowest!r}; its level was not lowered",
                                       hint="a team's level bounds what it holds: yanking does not remove a version")
        return dict(values, owners=owners)

    return data.store.update_team(name, change)


def _check_level(data: ServerData, classification) -> None:
    if classification is not None and data.levels.check(classification):
        raise UsageError(f"--classification: {data.levels.check(classification)}")


def _check_users(users, option: str) -> None:
    from agentpack.core.names import check_user

    if isinstance(users, str) or not all(isinstance(user, str) for user in users):
        raise UsageError(f"{option}: owners are a list of user names")
    for user in users:
        problem = check_user(user)
        if problem:
            raise UsageError(f"{option}: {problem}")


def _quota_bytes(quota) -> int | None:
    if quota is None:
        return None
    if not isinstance(quota, str):
        raise UsageError("--quota must be a size such as 10GiB")
    size, problem = parse_size(quota)
    if problem:
        raise UsageError(f"--quota: {problem}")
    return size


def _max_versions(max_versions) -> int | None:
    if max_versions is None:
        return None
    if isinstance(max_versions, bool) or not isinstance(max_versions, int) \
            or not 0 <= max_versions <= MAX_QUOTA_VERSIONS:
        # The store's column holds a 32-bit integer: a larger count would fail the insert.
        raise UsageError(f"--max-versions must be a whole number from 0 to {MAX_QUOTA_VERSIONS:,}")
    return max_versions


def create_token(data: ServerData, teams: list[str], role: str, *, expires: str | None, now: int,
                 clearance: str | None = None, note: str = "", user: str | None = None,
                 clearance_cap: str | None = None) -> tuple[str, dict]:
    """A new token for ``teams`` (``["*"]``: every team) with ``role``, held by ``user`` (None: no
    one in particular), expiring after ``expires`` (``90d``; None: never): ``(the secret, shown
    once; its stored row, without the secret)``.

    The clearance defaults to the highest level of its teams (the highest level of all for
    ``*``), but no higher than ``clearance_cap`` when given (the issuing token's own clearance).
    Raises ``UsageError`` for an unknown role, level, user name or duration, ``PackageNotFound``
    for a team that does not exist.
    """
    if user is not None:
        _check_users([user], "--user")
    if role not in ROLES:
        raise UsageError(f"unknown role {role!r} (roles: {', '.join(ROLES)})")
    if not teams:
        raise UsageError("a token needs at least one --team (or --team '*' for every team)")
    levels = []
    for team in teams:
        if team == ALL_TEAMS:
            levels.append(data.levels.names[-1])
            continue
        row = data.store.team(team)
        if row is None:
            raise PackageNotFound(f"team {team} not found", hint="create it with `agentops registry team create`")
        levels.append(row["classification"] or data.levels.lowest)
    if clearance is not None and data.levels.check(clearance):
        raise UsageError(f"--clearance: {data.levels.check(clearance)}")
    expires_at = None
    if expires is not None and not isinstance(expires, str):
        raise UsageError(f"--expires must be a duration such as 90d, or never, not {type(expires).__name__}")
    if expires is not None and expires != "never":
        seconds, problem = parse_duration(expires)
        if problem:
            raise UsageError(f"--expires: {problem}")
        expires_at = now + seconds
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    default = max(levels, key=data.levels.rank)
    if clearance_cap is not None and data.levels.check(clearance_cap) is None \
            and data.levels.above(default, clearance_cap):
        default = clearance_cap
    row = {"id": "tok_" + secrets.token_hex(6), "hash": token_hash(secret), "role": role, "teams": sorted(set(teams)),
           "clearance": clearance or default, "note": note, "created_at": now,
           "expires_at": expires_at, "revoked_at": None, "user": user}
    data.store.add_token(row)
    return secret, public_token(row)


def revoke_token(data: ServerData, token_id: str, *, now: int) -> bool:
    """Revoke the token ``token_id``; False when it does not exist or was revoked already."""
    return data.store.revoke_token(token_id, now)


def token_hash(secret: str) -> str:
    """What is stored of a token: the hex SHA-256 of its text."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def public_token(row: dict) -> dict:
    """A token row without its hash, for listing and JSON."""
    return {key: value for key, value in row.items() if key != "hash"}


def authenticate(data: ServerData, secret: str | None, *, now: int) -> tuple[Caller, dict | None]:
    """``(the caller, its token row)`` for the bearer token ``secret`` (None: an anonymous caller).

    Raises ``AuthenticationRequired`` for a token that is unknown, expired or revoked, saying which.
    """
    if secret is None:
        return Caller(), None
    digest = token_hash(secret)
    row = data.store.token_by_hash(digest)
    if row is None or not hmac.compare_digest(row["hash"], digest):
        raise AuthenticationRequired("the token is not known to this registry",
                                     hint="log in again with a valid token: agentops login URL")
    if row["revoked_at"] is not None:
        raise AuthenticationRequired(f"the token {row['id']} was revoked",
                                     hint="ask an administrator of the registry for a new token")
    if row["expires_at"] is not None and row["expires_at"] <= now:
        raise AuthenticationRequired(f"the token {row['id']} has expired",
                                     hint="ask an administrator of the registry for a new token")
    return Caller(role=row["role"], teams=frozenset(row["teams"]), clearance=row["clearance"], user=row["user"]), row


def remote_call(url: str, settings, method: str, path: str, body: dict | None = None) -> dict:
    """One administration call to the registry server at ``url`` with the caller's token (stored
    by `agentops login`, else $AGENTOPS_TOKEN): the answer, or the server's refusal as an error."""
    from agentpack.adapters.registry.http import HttpRegistry

    return HttpRegistry(url, options=settings.registry_options()).api_call(method, path, body)
