"""kill -9 of the whole server in the middle of survey submissions loses and doubles nothing.

Many respondents submit at once; the database is made to hold their submissions half-way (a
lock on the responses table keeps them waiting inside their own transactions, as a slow disk
or a busy database would), and then the server and all its workers get SIGKILL. Afterwards
every link has a response once or not at all, never an answered invitation without its
response or the other way round, and after a restart resubmitting each link gives 201 if
nothing was stored and 409 if it was, and 409 from then on.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import urllib.error
import urllib.request

import psycopg
from django.db import connection

from servicechain.surveys import tokens
from servicechain.surveys.models import Invitation, Response
from tests.faults.conftest import environment
from tests.surveys.helpers import PULSE_ANSWERS, build_org, open_wave, send_links

BODY = json.dumps({"answers": PULSE_ANSWERS}).encode()


def submit(base: str, token: str, timeout: float = 30) -> int | None:
    """POST the answers; the status, or None when no answer came back."""
    request = urllib.request.Request(
        f"{base}/api/respond/{token}",
        data=BODY,
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as reply:
            return reply.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


class Respondents:
    """`count` threads submitting the links in turn; each link's outcome is kept."""

    def __init__(self, base: str, links: list[str], count: int):
        self.base, self.links = base, list(links)
        self.outcome: dict[str, int | None] = {}
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.work) for _ in range(count)]

    def work(self) -> None:
        while True:
            with self.lock:
                if not self.links:
                    return
                token = self.links.pop()
            status = submit(self.base, token)
            with self.lock:
                self.outcome[token] = status
            if status is None:
                return  # the server is gone

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def acknowledged(self) -> int:
        with self.lock:
            return sum(1 for status in self.outcome.values() if status == 201)

    def join(self) -> None:
        for thread in self.threads:
            thread.join(timeout=60)


class ResponsesHeld:
    """Hold an exclusive lock on the responses table from outside, as a stalled database would."""

    def __init__(self, shared):
        self.shared = shared

    def __enter__(self):
        if self.shared.is_postgresql:
            self.db = psycopg.connect(self.shared.url.replace("postgres://", "postgresql://"))
            self.db.execute("LOCK TABLE surveys_response IN EXCLUSIVE MODE")
        else:
            self.db = sqlite3.connect(self.shared.file, isolation_level=None)
            self.db.execute("BEGIN IMMEDIATE")
        return self

    def waiting(self) -> int:
        """Submissions blocked inside the database (PostgreSQL tells; SQLite cannot)."""
        if not self.shared.is_postgresql:
            return -1
        with psycopg.connect(self.shared.url.replace("postgres://", "postgresql://")) as other:
            return other.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND wait_event_type = 'Lock' AND query ILIKE '%%surveys_response%%'"
            ).fetchone()[0]

    def __exit__(self, *exc):
        self.db.rollback() if self.shared.is_postgresql else self.db.execute("ROLLBACK")
        self.db.close()


def other_sessions(shared) -> int:
    if not shared.is_postgresql:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def wait_until(condition, timeout: float, step: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return False


def test_kill_9_mid_submission_leaves_each_response_once_or_not_at_all(
    shared_database, servers, tmp_path
):
    org, units = build_org(slug="killed", team_sizes=(20, 20, 20))
    wave = open_wave(org, units["root"])
    links = send_links(wave)
    shared_database.publish()
    env = environment(shared_database.url, SERVICECHAIN_SURVEY_LINK_RATE="0")
    server = servers(env, tmp_path / "serve.log", workers=2).start()

    respondents = Respondents(server.url, links, count=12)
    respondents.start()
    assert wait_until(lambda: respondents.acknowledged() >= 10, timeout=60), server.output()
    with ResponsesHeld(shared_database) as held:
        if shared_database.is_postgresql:
            assert wait_until(lambda: held.waiting() >= 2, timeout=30), "submissions blocked"
        else:
            time.sleep(1.0)  # both workers are now waiting for SQLite's write lock
        server.kill()
    respondents.join()
    # A backend blocked on the lock finishes its statement once the lock goes (and commits
    # it, though nobody is left to tell): wait for the dead server's backends to be gone.
    assert wait_until(lambda: other_sessions(shared_database) == 0, timeout=30)

    shared_database.refresh()
    attempted = respondents.outcome
    acknowledged = {t for t, status in attempted.items() if status == 201}
    unknown = {t for t, status in attempted.items() if status is None}
    assert unknown, "the kill interrupted submissions whose outcome the clients never learnt"
    assert set(attempted.values()) <= {201, None}
    stored_keys = list(Response.objects.filter(wave=wave).values_list("submission_key", flat=True))
    keys = {tokens.submission_key(t): t for t in links}
    assert len(stored_keys) == len(set(stored_keys)), "no link answered twice"
    stored = {keys[k] for k in stored_keys}
    assert acknowledged <= stored <= set(attempted), "every acknowledged answer was kept"
    answered = set(
        Invitation.objects.filter(wave=wave, responded=True).values_list("token_hash", flat=True)
    )
    assert answered == {tokens.lookup_hash(t) for t in stored}, "flag and response together"

    server = servers(env, tmp_path / "serve-again.log", workers=2).start()
    again = {t: submit(server.url, t) for t in attempted}
    assert {t for t, status in again.items() if status == 409} == stored
    assert {t for t, status in again.items() if status == 201} == set(attempted) - stored
    assert {submit(server.url, t) for t in attempted} == {409}
    shared_database.refresh()
    assert Response.objects.filter(wave=wave).count() == len(attempted)
