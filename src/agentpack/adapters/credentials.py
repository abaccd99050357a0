"""Registry tokens kept by `agentops login`, per registry: ``$XDG_CONFIG_HOME/agentpack/credentials.json``.

The file is written atomically with mode 0600 in a 0700 folder and holds
``{"registries": {IDENTITY: {"token": TOKEN}}}``, keyed by the registry's identity (its URL with
the scheme and host in lower case and no default port), so that two spellings of one URL share a
token and no other registry is ever sent it. An OCI registry host (``oci://HOST[:PORT]``, whose
registries all share one login, as with ``docker login``) holds ``{"username", "password"}``
instead. Credentials never go into agentops.yaml.
"""

from __future__ import annotations

import json
import os

from agentpack.adapters.paths import make_dirs, user_config_dir
from agentpack.errors import RegistryError

FILE_NAME = "credentials.json"


class CredentialStore:
    """The tokens in ``folder`` (default: the user's configuration folder)."""

    def __init__(self, folder: str | None = None) -> None:
        self.folder = folder or user_config_dir()
        self.path = os.path.join(self.folder, FILE_NAME)

    def token(self, identity: str) -> str | None:
        """The token stored for the registry ``identity``, or None."""
        entry = self._load().get(identity)
        token = entry.get("token") if isinstance(entry, dict) else None
        return token if isinstance(token, str) and token else None

    def basic(self, identity: str) -> tuple[str, str] | None:
        """The ``(username, password)`` stored for ``identity`` (an OCI registry host), or None."""
        entry = self._load().get(identity)
        if not isinstance(entry, dict):
            return None
        username, password = entry.get("username"), entry.get("password")
        if isinstance(username, str) and isinstance(password, str) and username and password:
            return username, password
        return None

    def store_basic(self, identity: str, username: str, password: str) -> None:
        """Keep ``username`` and ``password`` for ``identity`` (replacing what was kept before)."""
        registries = self._load()
        registries[identity] = {"username": username, "password": password}
        self._save(registries)

    def store(self, identity: str, token: str) -> None:
        """Keep ``token`` for ``identity`` (replacing one kept before)."""
        registries = self._load()
        registries[identity] = {"token": token}
        self._save(registries)

    def forget(self, identity: str) -> bool:
        """Remove the token of ``identity``; whether there was one."""
        registries = self._load()
        if identity not in registries:
            return False
        del registries[identity]
        self._save(registries)
        return True

    def _load(self) -> dict:
        try:
            with open(self.path, "rb") as stream:
                data = json.loads(stream.read(1024 * 1024))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as error:
            raise RegistryError(f"cannot read the stored registry tokens in {self.path}: {error}", path=self.path,
                                hint="remove the file and log in again: agentops login URL") from None
        registries = data.get("registries") if isinstance(data, dict) else None
        return dict(registries) if isinstance(registries, dict) else {}

    def _save(self, registries: dict) -> None:
        make_dirs(self.folder, self.folder, mode=0o700)
        os.chmod(self.folder, 0o700)
        temp = f"{self.path}.{os.getpid()}.tmp"
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as stream:
            json.dump({"registries": registries}, stream, indent=2, sort_keys=True)
            stream.write("\n")
        os.chmod(temp, 0o600)
        os.replace(temp, self.path)
