"""kill -9 of `servicechain import` half-way through a large file leaves none of its rows.

Imports run in one transaction (org.imports.run_import), so a process killed after writing
some batches leaves nothing behind; the same file then imports completely.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from django.db import connection

from servicechain.org.models import AuditEvent, Customer
from tests.factories import OrganizationFactory
from tests.faults.conftest import CLI, environment, kill_hard, start

ROWS = 20_000  # four batches of 5,000 (org.imports.Importer.batch_size)


def read_position(pid: int, path: Path) -> int | None:
    """How far the process has read `path` (Linux /proc), or None if it has it not open."""
    fd_dir = Path(f"/proc/{pid}/fd")
    try:
        for fd in os.listdir(fd_dir):
            if os.readlink(fd_dir / fd) == str(path):
                for line in (Path(f"/proc/{pid}/fdinfo") / fd).read_text().splitlines():
                    if line.startswith("pos:"):
                        return int(line.split()[1])
    except OSError:
        return None
    return None


def rows_being_written(shared) -> bool:
    """Whether another session holds a write lock on the customers table (PostgreSQL tells)."""
    if not shared.is_postgresql:
        return True  # SQLite shows nothing of another connection's open transaction
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation"
            " WHERE c.relname = 'org_customer' AND l.mode = 'RowExclusiveLock'"
            " AND l.granted AND l.pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0] > 0


def test_kill_9_mid_import_leaves_none_of_the_file(shared_database, tmp_path):
    if not Path("/proc/self/fdinfo").is_dir():
        pytest.skip("needs Linux /proc to see how far the import has read its file")
    org = OrganizationFactory(slug="importing")
    csv = tmp_path / "customers.csv"
    lines = ["external_id,name,email,owner_employee_external_id"]
    lines += [f"C{i},Customer {i},c{i}@example.com," for i in range(ROWS)]
    csv.write_text("\n".join(lines) + "\n")
    shared_database.publish()
    env = environment(shared_database.url)
    command = [*CLI, "import", "customers", str(csv), "--org", org.slug]

    importer = start(command, env, tmp_path / "import.log")
    half, deadline = csv.stat().st_size // 2, time.monotonic() + 120
    while (read_position(importer.pid, csv) or 0) < half:
        assert importer.poll() is None, "the import ended before it could be interrupted"
        assert time.monotonic() < deadline, (tmp_path / "import.log").read_text()
        time.sleep(0.01)
    assert rows_being_written(shared_database), "killed while it wrote, not before"
    kill_hard(importer)

    shared_database.refresh()
    assert Customer.objects.filter(organization=org).count() == 0
    assert not AuditEvent.objects.filter(action="import.customers").exists()

    finished = start(command, env, tmp_path / "import-again.log")
    assert finished.wait(timeout=180) == 0, (tmp_path / "import-again.log").read_text()
    shared_database.refresh()
    assert Customer.objects.filter(organization=org).count() == ROWS
