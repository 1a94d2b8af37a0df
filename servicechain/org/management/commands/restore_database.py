from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from servicechain.backups import BackupError, database_restore


class Command(BaseCommand):
    help = (
        "Replace the configured database's contents with the backup FILE made by "
        "backup_database. Stop the web server and task workers first."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--no-input",
            "--noinput",
            action="store_false",
            dest="interactive",
            help="Do not ask for confirmation.",
        )

    def handle(self, *args, file, interactive, **options):
        name = connection.settings_dict["NAME"]
        if interactive:
            try:
                answer = input(
                    f"This replaces every table of the database {name} with {file}.\n"
                    "Type 'yes' to continue: "
                )
            except EOFError:  # no terminal to answer from
                answer = ""
            if answer.strip().lower() != "yes":
                raise CommandError("Restore cancelled; nothing was changed.")
        try:
            database_restore(path=file)
        except BackupError as problem:
            raise CommandError(f"{problem} Nothing was changed.") from None
        self.stdout.write(
            f"Restored {name} from {file}. If the backup is older than the code, run "
            "`servicechain manage migrate` next."
        )
