"""The command line beside a demo works on the demo's database, and a missing setting or an
unusable database is one line on stderr, never a traceback (each subcommand)."""

import os
import sqlite3
import subprocess
import sys

import pytest

SECRET = "s" * 20 + "-production-secret-key-with-enough-entropy-0123456789"


def servicechain(*args: str, cwd, **env) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SERVICECHAIN_", "DJANGO_", "EMAIL_")) and k != "DATABASE_URL"
    }
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-m", "servicechain.cli", *args],
        cwd=cwd,
        env=clean,
        capture_output=True,
        text=True,
        timeout=300,
    )


def one_line_error(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_commands_next_to_a_demo_use_its_database_and_secret(tmp_path):
    demo_db = tmp_path / "servicechain-demo.sqlite3"
    demo_db.touch()  # an empty file is an empty SQLite database: the demo before its seeding

    migrate = servicechain("manage", "migrate", "-v", "0", cwd=tmp_path)
    created = servicechain("manage", "create_organisation", "acme", "Acme Ltd", cwd=tmp_path)

    assert migrate.returncode == 0, migrate.stderr
    assert created.returncode == 0, created.stderr
    assert "Created Acme Ltd (acme)." in created.stdout
    assert "using the demo database ./servicechain-demo.sqlite3" in created.stderr
    with sqlite3.connect(demo_db) as connection:
        names = connection.execute("select slug from org_organization").fetchall()
    assert names == [("acme",)]
    assert (tmp_path / "servicechain-demo.sqlite3.secret").is_file()
    assert not (tmp_path / "servicechain.sqlite3").exists(), "no second database appeared"


def test_a_database_url_wins_over_a_demo_nearby(tmp_path):
    (tmp_path / "servicechain-demo.sqlite3").touch()
    other = tmp_path / "other.sqlite3"
    url = f"sqlite:///{other}"
    servicechain("manage", "migrate", "-v", "0", cwd=tmp_path, DATABASE_URL=url, **debug())
    result = servicechain(
        "manage", "create_organisation", "acme", "Acme", cwd=tmp_path, DATABASE_URL=url, **debug()
    )
    assert result.returncode == 0, result.stderr
    assert "demo database" not in result.stderr
    with sqlite3.connect(other) as connection:
        assert connection.execute("select count(*) from org_organization").fetchone() == (1,)


def debug() -> dict:
    return {"SERVICECHAIN_SECRET_KEY": SECRET, "SERVICECHAIN_HTTPS": "0"}


@pytest.mark.parametrize(
    "args",
    [
        ("manage", "create_organisation", "acme", "Acme Ltd"),
        ("manage", "check"),
        ("import", "units", "units.csv", "--org", "acme"),
        ("serve", "--port", "1"),
    ],
    ids=lambda args: " ".join(args[:2]),
)
def test_a_missing_secret_key_is_one_line_naming_the_variable(tmp_path, args):
    result = servicechain(*args, cwd=tmp_path)
    assert "SERVICECHAIN_SECRET_KEY" in one_line_error(result)


@pytest.mark.parametrize(
    "args",
    [
        ("manage", "create_organisation", "acme", "Acme Ltd"),
        ("import", "units", "units.csv", "--org", "acme"),
    ],
    ids=lambda args: " ".join(args[:2]),
)
def test_a_database_that_is_not_migrated_is_one_line_saying_what_to_run(tmp_path, args):
    (tmp_path / "units.csv").write_text("external_id,name\nR,Root\n")
    url = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    result = servicechain(*args, cwd=tmp_path, DATABASE_URL=url, **debug())
    message = one_line_error(result)
    assert "empty.sqlite3" in message and "servicechain manage migrate" in message


def test_an_unreadable_mapping_file_is_one_line(tmp_path):
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    servicechain("manage", "migrate", "-v", "0", cwd=tmp_path, DATABASE_URL=url, **debug())
    servicechain(
        "manage", "create_organisation", "acme", "A", cwd=tmp_path, DATABASE_URL=url, **debug()
    )
    (tmp_path / "answers.csv").write_text("a,b\n1,2\n")
    (tmp_path / "mapping.json").write_text("{not json")
    result = servicechain(
        "import", "responses", "answers.csv", "--org", "acme", "--wave", "1",
        "--mapping", "mapping.json", cwd=tmp_path, DATABASE_URL=url, **debug(),
    )  # fmt: skip
    assert "--mapping mapping.json" in one_line_error(result)


def test_the_demo_links_e_mails_to_the_port_it_serves_on(tmp_path):
    code = (
        "from pathlib import Path; from servicechain import cli; "
        f"cli._demo_environment(Path({str(tmp_path / 'demo.sqlite3')!r}), port=8765); "
        "cli._setup_django(); "
        "from servicechain.surveys.services import respond_url; print(respond_url('abc'))"
    )
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SERVICECHAIN_", "DJANGO_", "EMAIL_")) and k != "DATABASE_URL"
    }
    result = subprocess.run(
        [sys.executable, "-c", code], env=clean, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "http://127.0.0.1:8765/s/abc/"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("simulate", "--units", "20", "--months", "2", "--out", "/proc/no-such-folder"), "/proc"),
        (("simulate", "--units", "3", "--months", "2", "--out", "org"), "at least 5 units"),
        (("demo", "--no-serve", "--db", "/proc/no-such-folder/demo.sqlite3"), "/proc"),
        (("import", "units", "missing.csv", "--org", "acme"), "missing.csv"),
    ],
    ids=["simulate-unwritable", "simulate-too-small", "demo-unwritable", "import-missing-file"],
)
def test_a_bad_path_or_size_is_one_line(tmp_path, args, message):
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    if args[0] == "import":  # an organisation to import into
        servicechain("manage", "migrate", "-v", "0", cwd=tmp_path, DATABASE_URL=url, **debug())
        servicechain(
            "manage", "create_organisation", "acme", "A", cwd=tmp_path, DATABASE_URL=url, **debug()
        )
    result = servicechain(*args, cwd=tmp_path, DATABASE_URL=url, **debug())
    assert message in one_line_error(result)
