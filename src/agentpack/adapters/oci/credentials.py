"""Where the username and password for an OCI registry host come from, first found wins:

1. what `agentops login oci://HOST[:PORT]` stored (adapters.credentials, key ``oci://HOST[:PORT]``);
2. ``$AGENTOPS_OCI_USERNAME`` and ``$AGENTOPS_OCI_PASSWORD`` (``RegistryOptions``), both set;
3. Docker's ``config.json`` (``$DOCKER_CONFIG``, else ``~/.docker``): a credential helper named
   for the host in ``credHelpers``, else the host's ``auths`` entry (base64 ``user:password``),
   else the default helper ``credsStore``. Helpers run as ``docker-credential-NAME get`` with the
   host on standard input, as Docker runs them, so whatever a user's ``docker login`` set up works.

Nothing here is sent anywhere: the client decides, from the registry's challenge, whether the
credentials go to the registry itself (Basic) or to its token service (Bearer).
"""

from __future__ import annotations

import base64
import json
import os
from typing import NamedTuple

from agentpack.errors import RegistryError

_HELPER_TIMEOUT = 30.0
_MAX_CONFIG_BYTES = 4 * 1024 * 1024


class Credentials(NamedTuple):
    username: str
    password: str
    source: str  # where they were found, for messages: never the secret itself


def host_identity(host: str) -> str:
    """The key under which `agentops login` keeps a host's credentials."""
    return f"oci://{host}"


def find_credentials(host: str, options) -> Credentials | None:
    """The credentials for ``host`` (``HOST[:PORT]``, lower case) from the sources in the module
    docstring, or None when none has any. ``options`` is a ``RegistryOptions``."""
    from agentpack.adapters.credentials import CredentialStore

    stored = CredentialStore().basic(host_identity(host))
    if stored is not None:
        return Credentials(*stored, source="agentops login")
    if options.oci_username and options.oci_password:
        return Credentials(options.oci_username, options.oci_password, "AGENTOPS_OCI_USERNAME/PASSWORD")
    return docker_credentials(host, options.docker_config)


def docker_credentials(host: str, folder: str | None) -> Credentials | None:
    """The credentials Docker's ``config.json`` in ``folder`` (None: ``~/.docker``) holds for ``host``."""
    path = os.path.join(folder or os.path.join(os.path.expanduser("~"), ".docker"), "config.json")
    config = _load_config(path)
    if config is None:
        return None
    helpers = config.get("credHelpers") if isinstance(config.get("credHelpers"), dict) else {}
    if isinstance(helpers.get(host), str):
        return helper_credentials(helpers[host], host)
    auths = config.get("auths") if isinstance(config.get("auths"), dict) else {}
    for key in (host, f"https://{host}", f"http://{host}", f"https://{host}/v2/", f"http://{host}/v2/"):
        entry = auths.get(key)
        if isinstance(entry, dict):
            found = _auth_entry(entry, path)
            if found is not None:
                return found
    if isinstance(config.get("credsStore"), str) and config["credsStore"]:
        return helper_credentials(config["credsStore"], host)
    return None


def helper_credentials(helper: str, host: str) -> Credentials | None:
    """Ask ``docker-credential-HELPER get`` for ``host``; None when it has nothing for it."""
    import shutil
    import subprocess

    if not helper.replace("-", "").replace("_", "").replace(".", "").isalnum():
        raise RegistryError(f"Docker's config.json names the credential helper {helper[:80]!r}, which is not a "
                            "helper name", hint="fix credHelpers / credsStore in ~/.docker/config.json")
    program = shutil.which(f"docker-credential-{helper}")
    if program is None:
        raise RegistryError(f"Docker's config.json names the credential helper docker-credential-{helper} for "
                            f"{host}, which is not installed",
                            hint="install it, or log in with `agentops login oci://HOST` instead")
    try:
        done = subprocess.run([program, "get"], input=host.encode(), capture_output=True, timeout=_HELPER_TIMEOUT,
                              check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise RegistryError(f"the credential helper docker-credential-{helper} failed for {host}: {error}") from None
    if done.returncode != 0:
        return None  # "credentials not found": the helper has nothing for this host
    try:
        answer = json.loads(done.stdout[:65536])
    except ValueError:
        answer = None
    if not isinstance(answer, dict) or not isinstance(answer.get("Secret"), str):
        raise RegistryError(f"the credential helper docker-credential-{helper} answered something other than "
                            f"{{\"Username\", \"Secret\"}} for {host}")
    username = answer.get("Username") if isinstance(answer.get("Username"), str) else ""
    if not answer["Secret"]:
        return None
    return Credentials(username, answer["Secret"], f"docker-credential-{helper}")


def _auth_entry(entry: dict, path: str) -> Credentials | None:
    if isinstance(entry.get("auth"), str) and entry["auth"]:
        try:
            username, colon, password = base64.b64decode(entry["auth"], validate=True).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            raise RegistryError(f"an 'auth' value in {path} is not base64 of USER:PASSWORD", path=path,
                                hint="log in again with docker login, or with agentops login oci://HOST") from None
        return Credentials(username, password, path) if colon and password else None
    if isinstance(entry.get("username"), str) and isinstance(entry.get("password"), str) and entry["password"]:
        return Credentials(entry["username"], entry["password"], path)
    return None


def _load_config(path: str) -> dict | None:
    try:
        with open(path, "rb") as stream:
            data = stream.read(_MAX_CONFIG_BYTES + 1)
    except OSError:
        return None  # no Docker configuration: nothing to find there
    from agentpack.core.bounded_json import parse_json
    from agentpack.errors import AgentpackError

    try:
        config = parse_json(data, source=path) if len(data) <= _MAX_CONFIG_BYTES else None
    except AgentpackError as error:
        raise RegistryError(f"cannot read Docker's credentials in {path}: {error.message}", path=path,
                            hint="fix the file, or log in with `agentops login oci://HOST` instead") from None
    return config if isinstance(config, dict) else None
