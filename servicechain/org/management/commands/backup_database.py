from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from servicechain.backups import BackupError, database_backup


class Command(BaseCommand):
    help = (
        "Back up the configured database to FILE: SQLite through its online backup API, "
        "PostgreSQL with pg_dump's custom format (see docs/operations.md)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, file, **options):
        try:
            written = database_backup(path=file)
        except BackupError as problem:
            raise CommandError(str(problem)) from None
        self.stdout.write(f"Backed up the database to {written} ({written.stat().st_size} bytes).")
