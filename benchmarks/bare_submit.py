"""The bare baseline of benchmarks/survey_submit.py: a survey submission with no framework.

    python benchmarks/bare_submit.py --port 8123 [--workers N] [--threads N] [--database URL]

The smallest WSGI app that does a token submission's unavoidable work, served by gunicorn
with exactly `servicechain serve`'s settings (`servicechain.cli.gunicorn_settings`):

* `POST /api/respond/<token>` — checks the token's shape, reads the JSON body, resolves the
  invitation by its lookup hash (one indexed read, joined to its wave), refuses a closed wave
  (410) or a used link (409), checks every answered code belongs to the instrument (codes
  read once per process), then marks the invitation and inserts the same response row
  (random id, wave, submission key, frozen unit/tenure/job family, answers as JSONB) in one
  statement, and answers 201 `{"status": "recorded"}`;
* `GET /healthz` — `SELECT 1`, as the app's health check does.

Same driver (psycopg 3, one connection per worker process, autocommit, prepared statements),
same database, same tables. No Django, no middleware, no rate limit, no logging of paths:
what is left is the HTTP server, the driver and PostgreSQL — the limit the app is compared
with (`ratio_to_bare` = app's responses/s ÷ this one's, from the same run).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import threading
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from servicechain.surveys.tokens import looks_like_token, lookup_hash, submission_key  # noqa: E402

PREFIX = "/api/respond/"
RECORDED = b'{"status": "recorded"}'
LINK = """
SELECT i.id, i.responded, i.unit_id, i.tenure_band, i.job_family,
       w.id, w.status, w.opens_at, w.closes_at, w.instrument_id
FROM surveys_invitation i JOIN surveys_wave w ON w.id = i.wave_id
WHERE i.token_hash = %s
"""
CODES = """
SELECT COALESCE(NULLIF(e.bank_code, ''), it.code)
FROM surveys_instrumentitem e LEFT JOIN surveys_item it ON it.id = e.item_id
WHERE e.instrument_id = %s
"""
STORE = """
WITH marked AS (
    UPDATE surveys_invitation SET responded = true WHERE id = %s AND NOT responded RETURNING id
)
INSERT INTO surveys_response
    (id, wave_id, submission_key, external_id, unit_id, tenure_band, job_family, answers, source)
SELECT %s, %s, %s, '', %s, %s, %s, %s::jsonb, 'web' FROM marked RETURNING id
"""

# A connection per worker thread, opened on its first request (after gunicorn's fork), as
# Django does; the instrument's codes once per process.
_local = threading.local()
_codes_of: dict[int, frozenset[str]] = {}


def _connection():
    import psycopg

    conn = getattr(_local, "conn", None)
    if conn is None:
        url = os.environ["DATABASE_URL"].replace("postgres://", "postgresql://", 1)
        conn = _local.conn = psycopg.connect(url, autocommit=True)
    return conn


def _codes(conn, instrument_id: int) -> frozenset[str]:
    codes = _codes_of.get(instrument_id)
    if codes is None:
        rows = conn.execute(CODES, [instrument_id]).fetchall()
        codes = _codes_of[instrument_id] = frozenset(code for (code,) in rows)
    return codes


def _answer(start_response, status: str, body: bytes):
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]


def _submit(token: str, body: bytes):
    """(status line, body) of one submission."""
    if not looks_like_token(token):
        return "404 Not Found", b'{"detail": "unknown link"}'
    try:
        answers = json.loads(body)["answers"]
    except (ValueError, KeyError, TypeError):
        answers = None
    if not isinstance(answers, dict):
        return "422 Unprocessable Entity", b'{"detail": "answers: a JSON object"}'
    conn = _connection()
    row = conn.execute(LINK, [lookup_hash(token)], prepare=True).fetchone()
    if row is None:
        return "404 Not Found", b'{"detail": "unknown link"}'
    invitation, responded, unit, band, family, wave, status, opens, closes, instrument = row
    now = dt.datetime.now(dt.UTC)
    if status != "open" or not opens <= now < closes:
        return "410 Gone", b'{"detail": "closed"}'
    if responded:
        return "409 Conflict", b'{"detail": "already answered"}'
    if not answers.keys() <= _codes(conn, instrument):
        return "422 Unprocessable Entity", b'{"detail": "unknown question"}'
    params = [invitation, uuid.uuid4(), wave, submission_key(token), unit, band, family]
    stored = conn.execute(STORE, [*params, json.dumps(answers)], prepare=True).fetchone()
    if stored is None:
        return "409 Conflict", b'{"detail": "already answered"}'
    return "201 Created", RECORDED


def application(environ, start_response):
    path = environ.get("PATH_INFO", "")
    if path == "/healthz":
        _connection().execute("SELECT 1").fetchone()
        return _answer(start_response, "200 OK", b'{"status": "ok", "database": "ok"}')
    if environ["REQUEST_METHOD"] != "POST" or not path.startswith(PREFIX):
        return _answer(start_response, "404 Not Found", b'{"detail": "not found"}')
    length = int(environ.get("CONTENT_LENGTH") or 0)
    status, body = _submit(path[len(PREFIX) :], environ["wsgi.input"].read(length))
    return _answer(start_response, status, body)


def main() -> int:
    from servicechain.cli import SERVE_THREADS, gunicorn_settings, run_gunicorn, serve_workers

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--database", default=os.environ.get("DATABASE_URL"))
    args = parser.parse_args()
    if args.database:
        os.environ["DATABASE_URL"] = args.database
    settings = gunicorn_settings(
        host=args.host,
        port=args.port,
        workers=serve_workers(args.workers),
        threads=args.threads or SERVE_THREADS,
    )
    return run_gunicorn(application, settings)


if __name__ == "__main__":
    sys.exit(main())
