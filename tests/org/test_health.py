import json
import os
import subprocess
import sys

import pytest


@pytest.mark.django_db
def test_healthz_reports_ok_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_healthz_is_503_when_the_database_is_unreachable(tmp_path):
    # A real, unreachable database: PostgreSQL on a port nobody listens on.
    env = {
        **os.environ,
        "DATABASE_URL": "postgres://nobody:secret@127.0.0.1:9/missing?connect_timeout=2",
        "DJANGO_SETTINGS_MODULE": "tests.settings",
    }
    script = (
        "import django, json; django.setup();"
        "from django.test import Client;"
        "r = Client(HTTP_HOST='localhost').get('/healthz');"
        "print(json.dumps({'status': r.status_code, 'body': r.json()}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=os.getcwd(),
    )
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result == {"status": 503, "body": {"status": "error", "database": "unreachable"}}
