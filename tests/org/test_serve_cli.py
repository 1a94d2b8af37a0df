"""`servicechain serve` brings up the production server (and its task worker) on a database."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from servicechain.logging import token_fingerprint


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_serve_answers_healthz_and_stops_cleanly(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SERVICECHAIN_", "DJANGO_"))}
    env |= {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.sqlite3'}",
        "SERVICECHAIN_SECRET_KEY": "s" * 60,
        "SERVICECHAIN_HTTPS": "0",
        "SERVICECHAIN_ACCESS_LOG": str(tmp_path / "access.log"),
    }
    cli = [sys.executable, "-m", "servicechain.cli"]
    subprocess.run([*cli, "manage", "migrate", "-v", "0"], env=env, check=True, timeout=120)
    port = free_port()
    server = subprocess.Popen(
        [*cli, "serve", "--port", str(port), "--workers", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        body, deadline = None, time.monotonic() + 60
        while body is None and time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    body = json.loads(r.read())
            except OSError:
                time.sleep(0.3)
        assert body == {"status": "ok", "database": "ok"}
        token = "T0ken-" * 7 + "x"
        for path in (f"/s/{token}/", f"/api/respond/{token}"):
            with pytest.raises(urllib.error.HTTPError, match="404"):
                urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5)
        assert wait_for_task_worker(session=server.pid), "serve starts a background-task worker"
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        output = server.communicate(timeout=30)[0].decode()
    assert "Booting worker" in output and "Shutting down" in output, output[-2000:]
    access_log = (tmp_path / "access.log").read_text()
    assert f"/s/{token_fingerprint(token)}/" in access_log, access_log
    assert f"/api/respond/{token_fingerprint(token)}" in access_log
    assert token not in access_log + output, "survey links are never logged in clear"


def wait_for_task_worker(session: int, seconds: float = 30) -> bool:
    """Whether a `task_worker` process runs in the server's session (its child)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
                stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if b"task_worker" in cmdline and int(stat[3]) == session:
                return True
        time.sleep(0.3)
    return False
