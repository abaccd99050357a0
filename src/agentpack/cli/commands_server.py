"""`agentops registry serve|team|token` and `agentops login|logout`: declare and handle them.

Team and token administration works on a server's data directory or database directly
(``--data DIR`` or ``--database URL``, on a server's machine, no token needed) or through a running server (``--registry URL``, with an
admin token, or a token of one of the team's owners, from `agentops login` or AGENTOPS_TOKEN).
"""

from __future__ import annotations

import os
import sys
import time

from agentpack.cli.output import err, out, print_json

DATA_HELP = "the server's data directory (default: the user data directory's agentpack/server)"
DATABASE_HELP = ("the metadata database, a SQLAlchemy URL, instead of DIR/registry.db "
                 "(e.g. postgresql://agentpack@db.internal/agentpack)")
REMOTE_HELP = ("administer the registry server at this URL instead, with an admin or team owner's token "
               "(agentops login URL)")


def add_server_commands(verbs, common, epilog: str) -> None:
    """Add `serve`, `team` and `token` to the `registry` group's sub-parsers ``verbs``."""
    text = ("Run a registry server: the read protocol at /, the API at /api/v1, teams, tokens and "
            "classification (needs the server extra: pip install 'agentpack[server]').")
    p = verbs.add_parser("serve", help="run a registry server", description=text, epilog=epilog,
                         parents=[common()])
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    p.add_argument("--port", type=int, default=8080, help="port to listen on (default: 8080)")
    p.add_argument("--data", metavar="DIR", help=DATA_HELP)
    p.add_argument("--database-url", "--database", dest="database_url", metavar="URL", help=DATABASE_HELP)
    p.add_argument("--blobs", metavar="DIR|oci://HOST[:PORT]/REPO",
                   help="where the archives are instead of DIR/blobs: a folder, or a repository of an OCI "
                        "registry (replicas share one)")
    p.add_argument("--workers", type=int, default=1, metavar="N", help="server processes (default: 1)")
    p.add_argument("--max-upload", metavar="SIZE", default="1GiB", help="largest upload accepted (default: 1GiB)")
    p.add_argument("--public-url", metavar="URL",
                   help="the URL users install from, shown in the web catalog's install commands "
                        "(default: http://HOST:PORT/)")
    p.add_argument("--public-tree", metavar="DIR",
                   help="keep in DIR, as static files, what anonymous readers may read, for a front web "
                        "server to answer the read path itself (see deploy/nginx/agentpack-front.conf)")
    p.add_argument("--tier", metavar="NAME", default=os.environ.get("AGENTPACK_TIER") or None,
                   help="the site's tier, logged at start (default: $AGENTPACK_TIER, which the Helm chart sets)")
    p.add_argument("--classification", metavar="LEVEL", default=os.environ.get("AGENTPACK_CLASSIFICATION") or None,
                   help="the highest level this registry may hold: registry.json says it and a version above "
                        "it is refused (default: $AGENTPACK_CLASSIFICATION, the chart's global.classification)")
    p.add_argument("--front-log", metavar="FILE",
                   help="the front web server's log of the blobs it sent from --public-tree, read to count "
                        "those downloads (agentpack-front.conf writes it)")
    p.set_defaults(handler=cmd_serve)

    text = ("Bring a registry server's metadata database to the newest schema and exit, without serving "
            "(`registry serve` does the same at start; run this once before servers of a new version start, "
            "e.g. as a deployment's migration job).")
    p = verbs.add_parser("migrate", help="migrate a registry server's database", description=text, epilog=epilog,
                         parents=[common(json_flag=True)])
    group = p.add_mutually_exclusive_group()
    group.add_argument("--data", metavar="DIR", help=DATA_HELP)
    group.add_argument("--database-url", "--database", dest="database_url", metavar="URL", help=DATABASE_HELP)
    p.set_defaults(handler=cmd_migrate)

    team = verbs.add_parser("team", help="create, update and list a registry server's teams", epilog=epilog,
                            description="Create, update and list a registry server's teams.")
    team_verbs = team.add_subparsers(dest="team_verb", metavar="VERB")
    team_verbs.required = True
    p = team_verbs.add_parser("create", help="create a team", description="Create a team: package names "
                              "team/name belong to it.", epilog=epilog, parents=[common(json_flag=True)])
    p.add_argument("name", metavar="TEAM")
    p.add_argument("--classification", metavar="LEVEL", help="the highest level the team may hold (default: the lowest)")
    p.add_argument("--quota", metavar="SIZE", help="bytes its versions may take in all, e.g. 10GiB (default: no limit)")
    p.add_argument("--max-versions", type=int, metavar="N", help="versions it may publish in all (default: no limit)")
    p.add_argument("--private", action="store_true", help="only its tokens see its packages (default: public)")
    p.add_argument("--owner", action="append", default=[], metavar="NAME",
                   help="an owner (repeatable): tokens held by NAME (token create --user NAME) administer the team")
    p.add_argument("--exist-ok", action="store_true",
                   help="a team of that name that exists already is left as it is, and that is not an error")
    _where(p)
    p.set_defaults(handler=cmd_team_create)
    p = team_verbs.add_parser("update", help="change a team's owners, visibility or limits", epilog=epilog,
                              description="Change a team: its owners and visibility (its owners may), its "
                                          "classification and quota (a registry admin may). A team that has "
                                          "owners keeps at least one.", parents=[common(json_flag=True)])
    p.add_argument("name", metavar="TEAM")
    p.add_argument("--add-owner", action="append", default=[], metavar="NAME", help="add an owner (repeatable)")
    p.add_argument("--remove-owner", action="append", default=[], metavar="NAME", help="remove an owner (repeatable)")
    visibility = p.add_mutually_exclusive_group()
    visibility.add_argument("--private", dest="private", action="store_true", default=None,
                            help="only its tokens see its packages")
    visibility.add_argument("--public", dest="private", action="store_false", help="anyone sees its packages")
    p.add_argument("--classification", metavar="LEVEL", help="the highest level the team may hold")
    p.add_argument("--quota", metavar="SIZE", help="bytes its versions may take in all, e.g. 10GiB, or none")
    p.add_argument("--max-versions", metavar="N", help="versions it may publish in all, or none")
    _where(p)
    p.set_defaults(handler=cmd_team_update)
    p = team_verbs.add_parser("list", help="list teams", description="List the teams.", epilog=epilog,
                              parents=[common(json_flag=True)])
    _where(p)
    p.set_defaults(handler=cmd_team_list)

    token = verbs.add_parser("token", help="create, list and revoke a registry server's tokens", epilog=epilog,
                             description="Create, list and revoke a registry server's tokens.")
    token_verbs = token.add_subparsers(dest="token_verb", metavar="VERB")
    token_verbs.required = True
    p = token_verbs.add_parser("create", help="create a token (printed once)", epilog=epilog,
                               description="Create a token; it is printed once and stored only hashed.",
                               parents=[common(json_flag=True)])
    p.add_argument("--team", action="append", required=True, metavar="TEAM",
                   help="a team it is scoped to (repeatable; '*' for every team)")
    p.add_argument("--role", choices=("read", "publish", "admin"), default="read", help="what it may do (default: read)")
    p.add_argument("--expires", metavar="DURATION", default="90d", help="e.g. 90d, 12h, 1y, or never (default: 90d)")
    p.add_argument("--clearance", metavar="LEVEL", help="highest level it may read (default: its teams' highest)")
    p.add_argument("--note", default="", metavar="TEXT", help="what it is for")
    p.add_argument("--user", metavar="NAME",
                   help="who holds it: a token held by an owner of a team may administer that team")
    _where(p)
    p.set_defaults(handler=cmd_token_create)
    p = token_verbs.add_parser("revoke", help="revoke a token", description="Revoke a token by its id.",
                               epilog=epilog, parents=[common(json_flag=True)])
    p.add_argument("token_id", metavar="ID")
    _where(p)
    p.set_defaults(handler=cmd_token_revoke)
    p = token_verbs.add_parser("list", help="list tokens (local data only)", description="List the tokens "
                               "(never their secrets).", epilog=epilog, parents=[common(json_flag=True)])
    group = p.add_mutually_exclusive_group()
    group.add_argument("--data", metavar="DIR", help=DATA_HELP)
    group.add_argument("--database-url", "--database", dest="database_url", metavar="URL", help=DATABASE_HELP)
    p.set_defaults(handler=cmd_token_list)


def add_login_commands(groups, common, epilog: str) -> None:
    """Add `login` and `logout` to the top-level sub-parsers ``groups``."""
    text = ("Store a registry server's token for this user (0600, under the XDG config directory), read "
            "from a prompt, from standard input (--token-stdin) or from AGENTOPS_TOKEN. For an OCI registry "
            "(oci://HOST[:PORT]) store a username and password instead, checked with the registry first: "
            "--username (or AGENTOPS_OCI_USERNAME) and the password from a prompt, from standard input "
            "(--password-stdin) or from AGENTOPS_OCI_PASSWORD.")
    p = groups.add_parser("login", help="store the credentials for a registry", description=text, epilog=epilog,
                          parents=[common(json_flag=True)])
    p.add_argument("url", metavar="URL", help="the registry server, e.g. http://host:8080/, or oci://HOST[:PORT]")
    p.add_argument("--token-stdin", action="store_true", help="read the token from standard input")
    p.add_argument("--username", "-u", metavar="NAME", help="the username for an oci:// registry")
    p.add_argument("--password-stdin", action="store_true",
                   help="read the password for an oci:// registry from standard input")
    p.set_defaults(handler=cmd_login)
    p = groups.add_parser("logout", help="forget a registry's credentials", epilog=epilog,
                          description="Forget the token stored for a registry server, or the username and "
                                      "password stored for an OCI registry host.", parents=[common()])
    p.add_argument("url", metavar="URL")
    p.set_defaults(handler=cmd_logout)


def _where(parser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--data", metavar="DIR", help=DATA_HELP)
    group.add_argument("--database-url", "--database", dest="database_url", metavar="URL", help=DATABASE_HELP)
    group.add_argument("--registry", metavar="URL", help=REMOTE_HELP)


def _settings():
    from agentpack.services.workspace import Settings

    return Settings.from_environment(os.environ)


def _local(args):
    from agentpack.services.registry_admin import open_server_data

    return open_server_data(args.data, database_url=args.database_url)


def _public_tree(path: str) -> str:
    """``--public-tree DIR`` made absolute and created; a link, or a file there, is refused."""
    from agentpack.adapters.paths import make_dirs, refuse_links
    from agentpack.errors import UsageError

    folder = os.path.abspath(os.path.expanduser(path))
    parent = os.path.dirname(folder)
    try:
        make_dirs(parent, folder)
        refuse_links(parent, folder)
    except OSError as error:
        raise UsageError(f"--public-tree {path}: cannot use it as a folder: {error.strerror or error}",
                         hint="give a folder of its own, e.g. /srv/agentpack/public") from None
    return folder


def cmd_serve(args) -> int:
    from agentpack.core.quantities import parse_size
    from agentpack.errors import UsageError
    from agentpack.services.registry_admin import require_server_extra

    require_server_extra(args.database_url)
    max_upload, problem = parse_size(args.max_upload)
    if problem:
        raise UsageError(f"--max-upload: {problem}")
    if args.workers < 1:
        raise UsageError("--workers must be 1 or more")
    from agentpack.server.run import serve
    from agentpack.server.settings import ServerSettings

    public_url = args.public_url or f"http://{args.host}:{args.port}/"
    public_tree = _public_tree(args.public_tree) if args.public_tree else None
    if args.front_log and not public_tree:
        raise UsageError("--front-log counts what a front server sends from --public-tree: give both")
    front_log = os.path.abspath(os.path.expanduser(args.front_log)) if args.front_log else None
    if args.classification is not None:
        from agentpack.core.classification import Levels

        problem = Levels().check(args.classification)
        if problem:
            raise UsageError(f"--classification (or AGENTPACK_CLASSIFICATION): {problem}")
    settings = ServerSettings(data_dir=args.data, database_url=args.database_url, blobs=args.blobs,
                              max_upload=max_upload, public_url=public_url, public_tree=public_tree,
                              front_log=front_log, tier=args.tier, classification=args.classification)
    serve(settings, host=args.host, port=args.port, workers=args.workers)
    return 0


def cmd_migrate(args) -> int:
    from agentpack.services.registry_admin import migrate_database

    result = migrate_database(args.data, database_url=args.database_url)
    if args.json:
        print_json(result)
        return 0
    if result["before"] == result["after"]:
        out(f"Database {result['database']} is up to date (schema {result['after']})")
    else:
        out(f"Migrated database {result['database']} from schema {result['before'] or 'none'} to {result['after']}")
    return 0


def cmd_team_create(args) -> int:
    from agentpack.errors import RegistryConflict, VersionExists

    body = {"name": args.name, "private": args.private, "classification": args.classification, "quota": args.quota,
            "max_versions": args.max_versions, "owners": args.owner}
    existed = False
    if args.registry:
        from agentpack.services.registry_admin import remote_call

        try:
            team = remote_call(args.registry, _settings(), "POST", "teams", body)
        except (RegistryConflict, VersionExists):  # a server's 409, by its code or by its status
            if not args.exist_ok:
                raise
            team = next((t for t in remote_call(args.registry, _settings(), "GET", "teams")["teams"]
                         if t["name"] == args.name), None)
            if team is None:  # the conflict was about something else than the name being taken
                raise
            existed = True
    else:
        from agentpack.services.registry_admin import create_team

        data = _local(args)
        try:
            # Checked before creating, not by catching the conflict, so that the name is the only
            # reason a create is skipped; a race with another creator still ends in the conflict.
            team = data.store.team(args.name) if args.exist_ok else None
            existed = team is not None
            if team is None:
                team = create_team(data, args.name, private=args.private, classification=args.classification,
                                   quota=args.quota, max_versions=args.max_versions, owners=tuple(args.owner),
                                   now=int(time.time()))
        except RegistryConflict:
            team = data.store.team(args.name) if args.exist_ok else None
            if team is None:
                raise
            existed = True
        finally:
            data.close()
    if args.json:
        print_json(dict(team, existed=existed))
        return 0
    summary = (f"{'private' if team['private'] else 'public'}, up to {team['classification'] or 'the lowest level'}"
               + _quota(team) + _owners(team))
    if existed:
        out(f"Team {team['name']} exists already, left as it is: {summary}")
    else:
        out(f"Created team {team['name']}: {summary}")
    return 0


def cmd_team_update(args) -> int:
    from agentpack.services.registry_admin import UNCHANGED

    given = {}
    if args.private is not None:
        given["private"] = args.private
    if args.classification is not None:
        given["classification"] = args.classification
    if args.quota is not None:
        given["quota"] = args.quota
    if args.max_versions is not None:
        given["max_versions"] = _count(args.max_versions)
    if args.registry:
        from agentpack.services.registry_admin import remote_call

        body = dict(given, add_owners=args.add_owner, remove_owners=args.remove_owner)
        team = remote_call(args.registry, _settings(), "PATCH", f"teams/{args.name}", body)
    else:
        from agentpack.services.registry_admin import update_team

        data = _local(args)
        try:
            team = update_team(data, args.name, add_owners=tuple(args.add_owner),
                               remove_owners=tuple(args.remove_owner),
                               **{key: given.get(key, UNCHANGED) for key in
                                  ("private", "classification", "quota", "max_versions")})
        finally:
            data.close()
    if args.json:
        print_json(team)
        return 0
    out(f"Updated team {team['name']}: {'private' if team['private'] else 'public'}, up to "
        f"{team['classification'] or 'the lowest level'}" + _quota(team) + _owners(team))
    return 0


def _count(text: str):
    from agentpack.errors import UsageError
    from agentpack.services.registry_admin import NO_LIMIT

    if text == NO_LIMIT:
        return NO_LIMIT
    if not text.isdigit():
        raise UsageError(f"--max-versions: {text!r} is not a whole number (or none, for no limit)")
    return int(text)


def _owners(team: dict) -> str:
    return f", owners {', '.join(team['owners'])}" if team.get("owners") else ", no owners"


def _quota(team: dict) -> str:
    from agentpack.core.quantities import describe_size

    parts = []
    if team.get("quota_bytes") is not None:
        parts.append(describe_size(team["quota_bytes"]))
    if team.get("quota_versions") is not None:
        parts.append(f"{team['quota_versions']} versions")
    return f", quota {' and '.join(parts)}" if parts else ""


def cmd_team_list(args) -> int:
    if args.registry:
        from agentpack.services.registry_admin import remote_call

        teams = remote_call(args.registry, _settings(), "GET", "teams")["teams"]
    else:
        data = _local(args)
        try:
            teams = data.store.teams()
        finally:
            data.close()
    if args.json:
        print_json({"teams": teams})
        return 0
    for team in teams:
        out(f"{team['name']}  {'private' if team['private'] else 'public'}  "
            f"{team['classification'] or '-'}{_quota(team)}  owners: {', '.join(team['owners']) or '-'}")
    return 0


def cmd_token_create(args) -> int:
    body = {"teams": args.team, "role": args.role, "expires": args.expires, "clearance": args.clearance,
            "note": args.note, "user": args.user}
    if args.registry:
        from agentpack.services.registry_admin import remote_call

        answer = remote_call(args.registry, _settings(), "POST", "tokens", body)
        secret, row = answer.pop("token"), answer
    else:
        from agentpack.services.registry_admin import create_token

        data = _local(args)
        try:
            secret, row = create_token(data, args.team, args.role, expires=args.expires, clearance=args.clearance,
                                       note=args.note, user=args.user, now=int(time.time()))
        finally:
            data.close()
    if args.json:
        print_json({"token": secret, **row})
        return 0
    out(secret)
    expiry = "never expires" if row["expires_at"] is None else \
        "expires " + time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(row["expires_at"]))
    holder = f", held by {row['user']}" if row.get("user") else ""
    err(f"Token {row['id']}: {row['role']} on {', '.join(row['teams'])}{holder}, clearance {row['clearance']}, "
        f"{expiry}. It is shown only this once.")
    return 0


def cmd_token_revoke(args) -> int:
    if args.registry:
        from agentpack.services.registry_admin import remote_call

        changed = remote_call(args.registry, _settings(), "DELETE", f"tokens/{args.token_id}").get("changed", True)
    else:
        from agentpack.errors import PackageNotFound
        from agentpack.services.registry_admin import revoke_token

        data = _local(args)
        try:
            if not any(t["id"] == args.token_id for t in data.store.tokens()):
                raise PackageNotFound(f"token {args.token_id} not found")
            changed = revoke_token(data, args.token_id, now=int(time.time()))
        finally:
            data.close()
    if args.json:
        print_json({"id": args.token_id, "revoked": True, "changed": changed})
    else:
        out(f"Revoked token {args.token_id}" if changed else f"Token {args.token_id} was already revoked")
    return 0


def cmd_token_list(args) -> int:
    from agentpack.services.registry_admin import public_token

    data = _local(args)
    try:
        tokens = [public_token(row) for row in data.store.tokens()]
    finally:
        data.close()
    if args.json:
        print_json({"tokens": tokens})
        return 0
    now = int(time.time())
    for row in tokens:
        state = "revoked" if row["revoked_at"] else "expired" if row["expires_at"] and row["expires_at"] <= now \
            else "active"
        out(f"{row['id']}  {row['role']}  {','.join(row['teams'])}  {row['user'] or '-'}  {row['clearance']}  "
            f"{state}  {row['note']}")
    return 0


def cmd_login(args) -> int:
    from agentpack.errors import UsageError
    from agentpack.services.login import login

    if args.url.lower().startswith("oci://"):
        return _login_oci(args)
    if args.username or args.password_stdin:
        raise UsageError("--username and --password-stdin are for oci:// registries",
                         hint="a registry server takes a token: --token-stdin or AGENTOPS_TOKEN")
    token = _secret("token", from_stdin=args.token_stdin, option="--token-stdin", variable="AGENTOPS_TOKEN",
                    prompt=f"Token for {args.url}: ")
    result = login(args.url, token, _settings())
    if args.json:
        print_json(result.to_dict())
        return 0
    token_info = result.token
    holder = f", held by {token_info['user']}" if token_info.get("user") else ""
    owns = f", owner of {', '.join(token_info['owner_of'])}" if token_info.get("owner_of") else ""
    out(f"Logged in to {result.identity} with token {token_info.get('id')} ({token_info.get('role')} on "
        f"{', '.join(token_info.get('teams') or [])}{holder}{owns}); stored in {result.stored}")
    return 0


def _secret(what: str, *, from_stdin: bool, option: str, variable: str, prompt: str) -> str:
    """A token or password: one line of standard input (``option``), else ``$variable``, else a
    prompt that does not echo when a terminal is there to answer it."""
    from agentpack.errors import UsageError

    if from_stdin:
        return sys.stdin.readline()
    if os.environ.get(variable):
        return os.environ[variable]
    if sys.stdin.isatty():
        import getpass

        return getpass.getpass(prompt)
    raise UsageError(f"no {what}: give it on a prompt, with {option}, or in {variable}")


def _login_oci(args) -> int:
    from agentpack.errors import UsageError
    from agentpack.services.login import login_oci

    if args.token_stdin:
        raise UsageError("an oci:// registry takes a username and password, not a token",
                         hint="give --username and --password-stdin")
    username = args.username or os.environ.get("AGENTOPS_OCI_USERNAME")
    if not username and sys.stdin.isatty():
        username = input(f"Username for {args.url}: ")
    password = _secret("password", from_stdin=args.password_stdin, option="--password-stdin",
                       variable="AGENTOPS_OCI_PASSWORD", prompt=f"Password for {username}: ")
    if not username:
        raise UsageError("no username: give --username or set AGENTOPS_OCI_USERNAME")
    result = login_oci(args.url, username, password, _settings())
    if args.json:
        print_json(result.to_dict())
        return 0
    out(f"Logged in to {result.identity} as {result.token['username']}; stored in {result.stored}")
    return 0


def cmd_logout(args) -> int:
    from agentpack.services.login import logout

    identity, had = logout(args.url)
    out(f"Logged out of {identity}" if had else f"No token was stored for {identity}")
    return 0
