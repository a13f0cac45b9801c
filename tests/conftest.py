"""Database fixtures: a SQLite file per test and a PostgreSQL schema per test.

PostgreSQL comes from CONFLICTWIRE_TEST_PG_URL when set; otherwise a throwaway cluster is made with
``initdb`` in a temporary directory, started on a free loopback port, and stopped at session end.
Without either, PostgreSQL tests are skipped, except under CI (env CI set), where they fail.
"""

from __future__ import annotations

import glob
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from psycopg import sql


def _under_ci() -> bool:
    """Whether we run under CI, where a missing PostgreSQL is a failure rather than a skip."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _pg_bin(name: str) -> str | None:
    """Path of a PostgreSQL server program: on PATH, or in Debian's versioned directory."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(
        glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
        key=lambda p: int(Path(p).parts[4]) if Path(p).parts[4].isdigit() else 0,
    )
    return candidates[-1] if candidates else None


def _free_port() -> int:
    """A TCP port on the loopback interface that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_cluster_owner(args: list[str]) -> list[str]:
    """The command, run as ``postgres`` when we are root (the server refuses to run as root)."""
    if os.geteuid() == 0:
        runuser = shutil.which("runuser")
        if runuser:
            return [runuser, "-u", "postgres", "--", *args]
        return ["su", "postgres", "-s", "/bin/sh", "-c", " ".join(quote_sh(a) for a in args)]
    return args


def quote_sh(arg: str) -> str:
    """Shell-quote one argument for ``su -c``."""
    return "'" + arg.replace("'", "'\\''") + "'"


def _no_postgres(reason: str) -> None:
    """Skip, or fail under CI, because no PostgreSQL server is available."""
    if _under_ci():
        pytest.fail(f"PostgreSQL is required under CI: {reason}", pytrace=False)
    pytest.skip(f"no PostgreSQL: {reason}")


class _Cluster:
    """A throwaway PostgreSQL cluster in a temporary directory."""

    def __init__(self, initdb: str, pg_ctl: str) -> None:
        self.initdb, self.pg_ctl = initdb, pg_ctl
        # Not pytest's tmp dir: that is private to root, and the socket path must stay short.
        self.root = Path(tempfile.mkdtemp(prefix="cwpg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self.started = False

    def _run(self, args: list[str]) -> None:
        """Run a server program as the cluster's owner; raise with its output when it fails."""
        proc = subprocess.run(_as_cluster_owner(args), capture_output=True, text=True, timeout=120)
        if proc.returncode != 0:
            raise RuntimeError(f"{Path(args[0]).name} failed ({proc.returncode}): {proc.stdout}{proc.stderr}")

    def start(self) -> str:
        """Create and start the cluster; returns the URL of its ``postgres`` database."""
        if os.geteuid() == 0:
            shutil.chown(self.root, user="postgres", group="postgres")
        self.root.chmod(0o700)
        self._run([self.initdb, "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                   "--locale=C", "--no-sync"])
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run([self.pg_ctl, "-D", str(self.data), "-l", str(self.root / "log"), "-o", options, "-w",
                   "-t", "60", "start"])
        self.started = True
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        """Stop the cluster and remove its files."""
        try:
            if self.started:
                self._run([self.pg_ctl, "-D", str(self.data), "-m", "immediate", "-w", "stop"])
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """URL of a PostgreSQL database tests may create schemas in."""
    url = os.environ.get("CONFLICTWIRE_TEST_PG_URL")
    if url:
        yield url
        return
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    if not (initdb and pg_ctl):
        _no_postgres("set CONFLICTWIRE_TEST_PG_URL or install PostgreSQL (initdb, pg_ctl not found)")
        return
    cluster = _Cluster(initdb, pg_ctl)
    try:
        url = cluster.start()
    except (OSError, RuntimeError, subprocess.TimeoutExpired, LookupError) as exc:
        cluster.stop()
        pytest.fail(f"cannot start a test PostgreSQL cluster: {exc}", pytrace=False)
    try:
        yield url
    finally:
        cluster.stop()


def _libpq_url(url: str) -> str:
    """A URL psycopg itself accepts (no SQLAlchemy driver suffix)."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


@contextmanager
def _pg_schema(pg_server: str) -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema, dropped on exit."""
    schema = f"cwtest_{secrets.token_hex(6)}"
    base = _libpq_url(pg_server)
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    sep = "&" if "?" in pg_server else "?"
    try:
        # libpq's options parameter sets search_path for every connection the store opens.
        yield f"{pg_server}{sep}options={quote(f'-csearch_path={schema}')}"
    finally:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


@pytest.fixture
def pg_url(pg_server: str) -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema, dropped after the test."""
    with _pg_schema(pg_server) as url:
        yield url


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def module_db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Like ``db_url``, but one database for all the tests of a module (for costly shared set-ups)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('module-db') / 'conflictwire.db'}"
        return
    with _pg_schema(request.getfixturevalue("pg_server")) as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A SQLite URL of a fresh file."""
    return f"sqlite:///{tmp_path / 'conflictwire.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    """Each test that takes it runs once on SQLite and once on PostgreSQL."""
    name = "sqlite_url" if request.param == "sqlite" else "pg_url"
    return str(request.getfixturevalue(name))


# -- pipeline fixtures --------------------------------------------------------------------------


@pytest.fixture(scope="session")
def extractor():
    """The default extractor (packaged spaCy model, dictionaries and gazetteer), loaded once."""
    from conflictwire.extract import Extractor

    return Extractor.default()
