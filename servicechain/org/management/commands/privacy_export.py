"""`servicechain manage privacy_export --org SLUG --employee EXTERNAL_ID [--out FILE]`: a
person's personal data as JSON (docs/privacy.md). Audited."""

import json

from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.json import DjangoJSONEncoder

from servicechain.org import selectors, services
from servicechain.org.models import Employee


class Command(BaseCommand):
    help = (
        "Export everything stored about one person in an organisation as JSON: employee "
        "record, login, roles, survey invitations (never answers: they have no link to the "
        "person), notifications, action plans and tasks, contact-centre data, audit events."
    )

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="the organisation's slug")
        parser.add_argument("--employee", required=True, help="the person's employee id")
        parser.add_argument("--out", help="write to this file (default: standard output)")

    def handle(self, *args, org, employee, out=None, **options):
        try:
            person = selectors.employee_of(org, employee)
        except Employee.DoesNotExist:
            raise CommandError(f"No employee {employee!r} in organisation {org!r}.") from None
        data = services.employee_export(employee=person)
        text = json.dumps(data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False)
        if not out:
            self.stdout.write(text)
            return
        try:
            with open(out, "w", encoding="utf-8") as handle:
                handle.write(text + "\n")
        except OSError as exc:
            raise CommandError(f"Cannot write {out}: {exc.strerror}.") from None
        self.stderr.write(f"Wrote the personal data of {employee} to {out}.")
