"""Fault tests run the real programs in subprocesses and kill them the hard way.

`servicechain serve`, `servicechain import` and `servicechain manage task_worker` run as
separate processes on the test database, get SIGKILL (no clean-up of any kind runs), and the
test then reads what the database holds. On PostgreSQL the subprocesses use the test
database itself (the tests are transactional, so what they set up is committed). SQLite's
test database lives in memory, out of another process's reach: `shared_database` copies it to
a file for the subprocesses (SQLite's online backup API) and copies the file back before the
test reads it with the ORM.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.db import connection

CLI = [sys.executable, "-m", "servicechain.cli"]


@dataclass
class SharedDatabase:
    """The test database as other processes reach it."""

    url: str
    file: Path | None = None  # SQLite: the copy the subprocesses use

    @property
    def is_postgresql(self) -> bool:
        return self.file is None

    def publish(self) -> None:
        """Make what the test has set up so far visible to subprocesses."""
        if self.file is None:
            return
        connection.ensure_connection()
        with sqlite3.connect(self.file) as copy:
            connection.connection.backup(copy)

    def refresh(self) -> None:
        """Make what the subprocesses left visible to the test's ORM."""
        if self.file is None:
            return
        connection.ensure_connection()
        source = sqlite3.connect(self.file)
        try:
            source.backup(connection.connection)
        finally:
            source.close()


@pytest.fixture
def shared_database(transactional_db, tmp_path) -> SharedDatabase:
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        file = tmp_path / "shared.sqlite3"
        return SharedDatabase(url=f"sqlite:///{file}", file=file)
    if connection.vendor != "postgresql":
        pytest.skip(f"fault tests run on SQLite and PostgreSQL, not {connection.vendor}")
    return SharedDatabase(url=postgres_url(settings))


def postgres_url(settings: dict, *, host: str | None = None, port: int | None = None) -> str:
    return (
        f"postgres://{settings['USER']}:{settings['PASSWORD']}@{host or settings['HOST']}:"
        f"{port or settings['PORT'] or 5432}/{settings['NAME']}"
    )


def environment(database_url: str, **extra: str) -> dict[str, str]:
    """The production settings (not the tests'), on `database_url`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SERVICECHAIN_", "DJANGO_"))}
    return env | {
        "DATABASE_URL": database_url,
        "SERVICECHAIN_SECRET_KEY": "fault-tests-" + "k" * 50,
        "SERVICECHAIN_HTTPS": "0",
        "SERVICECHAIN_LOG_LEVEL": "WARNING",
        **extra,
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(command: list[str], env: dict, log: Path) -> subprocess.Popen:
    """A subprocess in its own session (so a kill reaches its children), output to `log`."""
    with open(log, "ab") as out:
        return subprocess.Popen(
            command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def kill_hard(process: subprocess.Popen) -> None:
    """SIGKILL to the process and every process it started: nothing gets to clean up."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        kill_hard(process)


class Server:
    """`servicechain serve` on a free port of 127.0.0.1."""

    def __init__(self, env: dict, log: Path, *, workers: int = 2, task_worker: bool = False):
        self.env, self.log, self.workers, self.task_worker = env, log, workers, task_worker
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 90) -> Server:
        command = [*CLI, "serve", "--port", str(self.port), "--workers", str(self.workers)]
        command += [] if self.task_worker else ["--no-task-worker"]
        self.process = start(command, self.env, self.log)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"serve exited:\n{self.output()}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as reply:
                    if reply.status == 200:
                        return self
            except (OSError, urllib.error.HTTPError):
                time.sleep(0.2)
        raise AssertionError(f"serve did not answer /healthz in {timeout} s:\n{self.output()}")

    def kill(self) -> None:
        kill_hard(self.process)

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""


@pytest.fixture
def servers(shared_database):
    """Servers a test starts; whatever is still running at the end is stopped."""
    started: list[Server] = []

    def make(env: dict, log: Path, **options) -> Server:
        server = Server(env, log, **options)
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()
