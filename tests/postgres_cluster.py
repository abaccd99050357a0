"""A throwaway PostgreSQL cluster on 127.0.0.1 for the server tests: Debian's binaries
(`apt-get install postgresql`), a cluster made by initdb in a temporary folder, started by pg_ctl on
a free port, and removed afterwards. As root, the cluster is run by the ``postgres`` user, since
PostgreSQL refuses to run as root. Absent binaries skip the tests that need them, with a reason;
under CI they fail instead (.ci/run installs postgresql)."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import uuid

import pytest

from conftest import missing
from registry_server import free_port

USER = "agentpack"


def postgres_bin() -> str | None:
    """The folder of initdb and pg_ctl: Debian's newest /usr/lib/postgresql/N/bin, else the PATH's."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if found:
        return os.path.dirname(found[-1])
    initdb = shutil.which("initdb")
    return os.path.dirname(initdb) if initdb else None


def require_postgres() -> str:
    """``postgres_bin()``, or skip (fail under CI) saying how to get it."""
    folder = postgres_bin()
    message = None
    if folder is None:
        message = "PostgreSQL's binaries (initdb, pg_ctl) are not installed: apt-get install postgresql"
    elif os.geteuid() == 0 and not _has_user("postgres"):
        message = "running as root with no 'postgres' user to run PostgreSQL as: apt-get install postgresql"
    if message:
        missing(message)
    return folder


@pytest.fixture(scope="module", name="cluster")
def cluster_fixture():
    """A PostgreSQL cluster for the test module (imported by the modules that use it, under this
    name so that a test's ``cluster`` parameter does not shadow an import)."""
    running = PostgresCluster(require_postgres()).start()
    yield running
    running.stop()


@pytest.fixture(name="database")
def database_fixture(cluster) -> str:
    """A fresh database of the module's cluster, for one test."""
    return cluster.database()


def _has_user(name: str) -> bool:
    import pwd

    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


class PostgresCluster:
    """initdb + pg_ctl in a temporary folder; ``database()`` makes a fresh database and gives its URL."""

    def __init__(self, bin_dir: str) -> None:
        self.bin = bin_dir
        self.folder = tempfile.mkdtemp(prefix="agentpack-pg-")
        self.port = free_port()
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_user:
            shutil.chown(self.folder, "postgres")

    def _run(self, *command: str) -> None:
        subprocess.run([*self.as_user, *command], check=True, capture_output=True, timeout=120, cwd=self.folder)

    def start(self) -> PostgresCluster:
        data = os.path.join(self.folder, "data")
        self._run(os.path.join(self.bin, "initdb"), "-D", data, "-A", "trust", "-U", USER, "--no-sync",
                  "-E", "UTF8", "--locale", "C")
        options = f"-p {self.port} -k {self.folder} -h 127.0.0.1 -F -c max_connections=200"
        self._run(os.path.join(self.bin, "pg_ctl"), "-D", data, "-o", options, "-l",
                  os.path.join(self.folder, "log"), "-w", "-t", "60", "start")
        return self

    def stop(self) -> None:
        try:
            self._run(os.path.join(self.bin, "pg_ctl"), "-D", os.path.join(self.folder, "data"), "-m", "immediate",
                      "-w", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{database}"

    def database(self) -> str:
        """A new, empty database's URL (in the issue's spelling, ``postgresql://...``)."""
        import psycopg

        name = "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(self.url(), autocommit=True) as connection:
            connection.execute(f"CREATE DATABASE {name}")
        return self.url(name)

    def query(self, url: str, sql: str) -> list[tuple]:
        import psycopg

        with psycopg.connect(url, autocommit=True) as connection:
            return connection.execute(sql).fetchall()
