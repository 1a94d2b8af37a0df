"""`servicechain demo --no-serve` seeds a fresh SQLite database once and prints the logins."""

import os
import subprocess
import sys

import pytest


def run_demo(db, *extra):
    env = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")
    }
    return subprocess.run(
        [sys.executable, "-m", "servicechain.cli", "demo", "--no-serve", "--db", str(db), *extra],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.slow
def test_demo_no_serve_seeds_once_and_prints_one_login_per_role(tmp_path):
    db = tmp_path / "demo.sqlite3"
    first = run_demo(db)
    assert first.returncode == 0, first.stderr[-2000:]
    assert "Seeding a small synthetic organisation" in first.stdout
    for role in ("admin", "hr_analyst", "manager", "employee"):
        assert f"\n  {role} " in first.stdout
    assert "http://127.0.0.1:8000/" in first.stdout

    again = run_demo(db)
    assert again.returncode == 0, again.stderr[-2000:]
    assert "Seeding" not in again.stdout, "an already seeded database is not seeded twice"
    assert (tmp_path / "demo.sqlite3.secret").exists()
