"""A throwaway PostgreSQL server for the tests: initdb in a temporary folder, loopback only, trust auth.

Use it from a test module with `pytest_plugins = ["tests.pg"]`; that registers the fixtures once
for the whole session, so every module shares one server:

- `pg_server` (session): the running `PostgresServer` (skips when PostgreSQL is not installed,
  fails instead when `GOVERNANCE_REQUIRE_POSTGRES=1`, as `.ci/run` sets);
- `db_url` (function, parametrised): a SQLite URL, then that PostgreSQL database, so a test runs on both;
- `pg_url` (function): an empty database on it (its schema reset before each test), as a
  `postgresql://` URL;
- `pg_two_replicas` (function): two `Store`s on that database, as two replicas would hold.

PostgreSQL refuses to run as root, so when the tests run as root the server runs as the
`postgres` OS user (Debian's package creates it) from a folder chowned to that user.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.store import Store

REQUIRE_ENV = "GOVERNANCE_REQUIRE_POSTGRES"
SERVER_USER = "postgres"
TEST_DATABASE = "governance_test"


def find_bin_dir() -> Path | None:
    """The newest PostgreSQL's bin folder holding initdb and pg_ctl (Debian's layout, then PATH)."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version_key, reverse=True)
    for folder in candidates:
        if os.access(Path(folder, "initdb"), os.X_OK) and os.access(Path(folder, "pg_ctl"), os.X_OK):
            return Path(folder)
    initdb = shutil.which("initdb")
    if initdb and shutil.which("pg_ctl"):
        return Path(initdb).parent
    return None


def _version_key(folder: str) -> tuple[int, ...]:
    version = Path(folder).parent.name
    return tuple(int(part) for part in version.split(".") if part.isdigit()) or (0,)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    """One PostgreSQL cluster in a temporary folder; `stop()`/`start()` simulate a database restart."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="governance-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = _free_port()
        self.as_root = os.geteuid() == 0
        try:
            if self.as_root:
                account = pwd.getpwnam(SERVER_USER)  # KeyError when the package did not create the user
                os.chown(self.root, account.pw_uid, account.pw_gid)
            self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync")
        except BaseException:
            shutil.rmtree(self.root, ignore_errors=True)
            raise

    def _run(self, tool: str, *args: str) -> subprocess.CompletedProcess:
        command = [str(self.bin_dir / tool), *args]
        if self.as_root:
            command = ["runuser", "-u", SERVER_USER, "--", *command]
        result = subprocess.run(command, cwd=self.root, capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            log = self.log.read_text() if self.log.exists() else ""
            raise RuntimeError(f"{tool} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}\n{log}")
        return result

    def start(self) -> None:
        options = (f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=300")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        """`fast` disconnects every client, as a real restart or failover does."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def is_running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def psql(self, sql: str, database: str = "postgres") -> str:
        result = subprocess.run(
            [str(self.bin_dir / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", database,
             "-v", "ON_ERROR_STOP=1", "-qAt", "-c", sql],
            capture_output=True, text=True, timeout=60)
        if result.returncode != 0:
            raise RuntimeError(f"psql failed: {result.stderr.strip()}")
        return result.stdout

    def create_database(self, name: str) -> None:
        self.psql(f'CREATE DATABASE "{name}"')

    def reset_database(self, name: str) -> None:
        """An empty `public` schema, with nobody else connected (a killed replica's sessions included).

        Cheaper than a database per test (CREATE DATABASE copies a template: about a second).
        """
        self.psql(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid();"
            "DROP SCHEMA public CASCADE; CREATE SCHEMA public;", database=name)

    def destroy(self) -> None:
        try:
            if self.is_running():
                self.stop("immediate")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def _unavailable(reason: str) -> None:
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"PostgreSQL is required ({REQUIRE_ENV}=1) but {reason}", pytrace=False)
    pytest.skip(f"PostgreSQL not available: {reason}")


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    bin_dir = find_bin_dir()
    if bin_dir is None:
        _unavailable("initdb/pg_ctl not found under /usr/lib/postgresql/*/bin or on PATH")
    try:
        server = PostgresServer(bin_dir)
    except (KeyError, RuntimeError, OSError) as exc:
        _unavailable(f"could not initialise a cluster: {exc}")
    try:
        for attempt in range(3):  # the free port may be taken between choosing and binding it
            try:
                server.start()
                break
            except RuntimeError:
                if attempt == 2:
                    raise
                server.port = _free_port()
        server.create_database(TEST_DATABASE)
        yield server
    finally:
        server.destroy()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Run the test twice: on the embedded SQLite (a file in the test's folder) and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'governance.db'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def pg_url(pg_server: PostgresServer) -> str:
    """The test database, emptied first, so tests never see each other's rows or schema."""
    if not pg_server.is_running():  # a previous test stopped it and failed before restarting it
        pg_server.start()
    pg_server.reset_database(TEST_DATABASE)
    return pg_server.url(TEST_DATABASE)


@pytest.fixture
async def pg_two_replicas(pg_url: str) -> AsyncIterator[tuple[Store, Store]]:
    """Two `Store`s (two replicas' connection pools) on the test database, schema created."""
    first, second = Store(pg_url), Store(pg_url)
    await first.create_schema()
    yield first, second
    await first.close()
    await second.close()
