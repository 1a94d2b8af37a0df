"""PostgreSQL going away under load: requests fail cleanly and fast, and the app recovers alone.

The server reaches PostgreSQL through a TCP proxy the test controls. Taking the proxy down
does to the app what a database restart does (every open connection drops, new ones are
refused) without restarting the cluster, which the other tests and the other xdist worker
share: a real `pg_ctlcluster … restart` would fail their open transactions. While the
database is away every request is answered within a few seconds, with 503 and a JSON
`detail` from /healthz and the API, and a 503 page for the pages; once it is back, the same
server process (task worker included) serves everything again.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
import urllib.error
import urllib.request

import pytest
from django.contrib.auth.hashers import make_password
from django.db import connection
from django.test import override_settings
from django_tasks_db.models import DBTaskResult

from servicechain.notifications.tasks import deliver_emails
from tests.factories import member
from tests.faults.conftest import environment, free_port, postgres_url
from tests.surveys.helpers import PULSE_ANSWERS, build_org, open_wave, send_links

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL only: SQLite has no server to go away"
)
DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
ANSWER_WITHIN_S = 10


class DatabaseProxy:
    """A TCP proxy to PostgreSQL that can go down (connections cut, new ones refused)."""

    def __init__(self, target: tuple[str, int]):
        self.target, self.port = target, free_port()
        self.pairs: list[tuple[socket.socket, socket.socket]] = []
        self.lock = threading.Lock()
        self.listener: socket.socket | None = None

    def up(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", self.port), reuse_port=False)
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def down(self) -> None:
        # shutdown() first: close() alone leaves a socket that a thread blocks on in accept()
        # listening (Linux), and new connections would still get through.
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        with self.lock:
            pairs, self.pairs = self.pairs, []
        for pair in pairs:
            for end in pair:
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)
                end.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # closed: the database is "down"
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.pairs.append((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        for end in (source, sink):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)


def fetch(url: str, *, data: bytes | None = None, cookie: str = "") -> tuple[int | None, dict]:
    """(status, JSON body or {}) of one request; status None if none came within the limit."""
    headers = {"Content-Type": "application/json", "Cookie": cookie}
    request = urllib.request.Request(url, data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=ANSWER_WITHIN_S) as reply:
            status, body, kind = reply.status, reply.read(), reply.headers.get("Content-Type", "")
    except urllib.error.HTTPError as error:
        status, body, kind = error.code, error.read(), error.headers.get("Content-Type", "")
    except OSError:
        return None, {}
    return status, json.loads(body) if kind.startswith("application/json") else {}


def session_cookie(server_url: str, username: str, password: str) -> str:
    """Log in through the login form; the Cookie header of the session."""
    import http.cookiejar
    import re

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{server_url}/accounts/login/", timeout=30).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    form = f"csrfmiddlewaretoken={token}&username={username}&password={password}".encode()
    opener.open(f"{server_url}/accounts/login/", data=form, timeout=30)
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def test_requests_fail_cleanly_while_postgresql_is_away_and_recover_without_a_restart(
    shared_database, servers, tmp_path
):
    org, units = build_org(slug="outage", team_sizes=(8, 0, 0))
    links = send_links(open_wave(org, units["root"]))
    analyst = member(org, "hr_analyst", username="analyst")
    # A hash the server's production settings read (the tests' fast MD5 is not among them).
    analyst.password = make_password("outage-pass-1", hasher="argon2")
    analyst.save(update_fields=["password"])
    settings = connection.settings_dict
    proxy = DatabaseProxy((settings["HOST"] or "127.0.0.1", int(settings["PORT"] or 5432)))
    proxy.up()
    url = postgres_url(settings, host="127.0.0.1", port=proxy.port)
    env = environment(url, SERVICECHAIN_SURVEY_LINK_RATE="0")
    server = servers(env, tmp_path / "serve.log", workers=2, task_worker=True).start()
    cookie = session_cookie(server.url, "analyst", "outage-pass-1")
    body = json.dumps({"answers": PULSE_ANSWERS}).encode()

    def round_of_requests(token: str) -> dict:
        return {
            "health": fetch(f"{server.url}/healthz"),
            "api": fetch(f"{server.url}/api/orgs/outage/waves", cookie=cookie),
            "submit": fetch(f"{server.url}/api/respond/{token}", data=body),
            "page": fetch(f"{server.url}/o/outage/", cookie=cookie),
        }

    assert worker_ran(timeout=90)  # the task worker is up (and polling the queue every second)
    before = round_of_requests(links.pop())
    assert {k: status for k, (status, _) in before.items()} == {
        "health": 200,
        "api": 200,
        "submit": 201,
        "page": 200,
    }

    proxy.down()
    started, during, link = time.monotonic(), [], links.pop()
    while time.monotonic() - started < 3:  # long enough for the worker to poll the queue
        during.append(round_of_requests(link))
    assert time.monotonic() - started < 3 + 4 * ANSWER_WITHIN_S
    for answers in during:
        assert answers["health"] == (503, {"status": "error", "database": "unreachable"})
        for name in ("api", "submit"):
            status, payload = answers[name]
            assert status == 503 and "database" in payload["detail"], (name, answers[name])
        assert answers["page"][0] == 503, answers["page"]

    proxy.up()
    deadline = time.monotonic() + 30
    while fetch(f"{server.url}/healthz")[0] != 200:
        assert time.monotonic() < deadline, server.output()
        time.sleep(0.5)
    after = round_of_requests(links.pop())
    assert {k: status for k, (status, _) in after.items()} == {
        "health": 200,
        "api": 200,
        "submit": 201,
        "page": 200,
    }, server.output()
    assert worker_ran(timeout=30), f"the task worker outlived the outage:\n{server.output()}"
    proxy.down()


def worker_ran(timeout: float) -> bool:
    """Whether a task queued now is run by the server's task worker within `timeout`."""
    with override_settings(TASKS=DB_TASKS):
        queued = deliver_emails.enqueue([])
    deadline = time.monotonic() + timeout
    while DBTaskResult.objects.get(pk=queued.id).status != "SUCCESSFUL":
        if time.monotonic() > deadline:
            return False
        time.sleep(0.5)
    return True
