"""Backups: back up, lose data, restore, and everything is back (docs/operations.md)."""

from __future__ import annotations

import shutil
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from servicechain.org.models import AuditEvent, Employee, Organization, Unit
from tests.surveys.helpers import build_org

# The backup tools read committed data through their own connection, and a restore replaces
# tables: no test transaction may wrap them.
pytestmark = pytest.mark.django_db(transaction=True)


def organisation_contents() -> dict[str, list]:
    return {
        "organisations": sorted(Organization.objects.values_list("slug", "name")),
        "units": sorted(Unit.objects.values_list("external_id", "name", "parent__external_id")),
        "employees": sorted(Employee.objects.values_list("external_id", "email", "unit__name")),
    }


def assert_round_trip(backup_file):
    _, units = build_org()
    before = organisation_contents()

    call_command("backup_database", str(backup_file), stdout=StringIO())
    Employee.objects.filter(unit=units["north_a"]).delete()
    Unit.objects.filter(pk=units["south_a"].pk).update(name="Renamed after the backup")
    build_org(slug="later")
    assert organisation_contents() != before

    call_command("restore_database", str(backup_file), interactive=False, stdout=StringIO())

    assert organisation_contents() == before
    assert AuditEvent.objects.filter(action="database.restore").count() == 1


def test_sqlite_backup_and_restore_bring_back_changed_and_deleted_data(tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("the suite runs on PostgreSQL; this SQLite round trip runs on SQLite")
    assert_round_trip(tmp_path / "servicechain-backup.sqlite3")


def test_postgresql_backup_and_restore_bring_back_changed_and_deleted_data(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("needs DATABASE_URL=postgres://… (the suite runs on SQLite)")
    if not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.skip("needs pg_dump and pg_restore on PATH (Debian: postgresql-client)")
    assert_round_trip(tmp_path / "servicechain.dump")


def test_restoring_a_file_that_is_not_a_backup_fails_and_changes_nothing(tmp_path):
    build_org()
    before = organisation_contents()
    not_a_backup = tmp_path / "notes.txt"
    not_a_backup.write_text("these are not the tables you are looking for\n" * 100)

    with pytest.raises(CommandError, match="Nothing was changed"):
        call_command("restore_database", str(not_a_backup), interactive=False)

    assert organisation_contents() == before


def test_restore_without_confirmation_changes_nothing(tmp_path, monkeypatch):
    backup_file = tmp_path / "backup"
    call_command("backup_database", str(backup_file), stdout=StringIO())
    build_org()
    before = organisation_contents()
    monkeypatch.setattr("builtins.input", lambda prompt: "no")

    with pytest.raises(CommandError, match="cancelled"):
        call_command("restore_database", str(backup_file))

    assert organisation_contents() == before
