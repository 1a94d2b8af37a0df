"""`servicechain manage privacy_erase --org SLUG --employee EXTERNAL_ID --yes`: erase a
person from an organisation (docs/privacy.md, "Erasure"). Audited with a tombstone."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from servicechain.org import selectors, services
from servicechain.org.models import Employee


class Command(BaseCommand):
    help = (
        "Erase one person from an organisation: name, e-mail, job title and employee id "
        "replaced by a random reference, login anonymised and disabled, each app's personal "
        "data removed or unlinked. Results, counts and the work they served stay. Cannot be "
        "undone: run privacy_export first if the person asked for a copy."
    )

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="the organisation's slug")
        parser.add_argument("--employee", required=True, help="the person's employee id")
        parser.add_argument("--yes", action="store_true", help="confirm: erasing cannot be undone")

    def handle(self, *args, org, employee, yes=False, **options):
        try:
            person = selectors.employee_of(org, employee)
        except Employee.DoesNotExist:
            raise CommandError(f"No employee {employee!r} in organisation {org!r}.") from None
        if not yes:
            raise CommandError(
                f"Erasing {employee} cannot be undone; run again with --yes to confirm."
            )
        try:
            report = services.employee_erase(employee=person)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self.stdout.write(
            f"Erased {employee} from {org}: now erased-{report.reference}; login {report.login}."
        )
        for what, count in report.changes.items():
            if count:
                self.stdout.write(f"  {what}: {count}")
