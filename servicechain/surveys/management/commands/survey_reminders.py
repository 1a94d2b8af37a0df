"""`servicechain manage survey_reminders`: close due waves and remind non-respondents."""

from django.core.management.base import BaseCommand

from servicechain.surveys.tasks import reminders_run, send_reminders


class Command(BaseCommand):
    help = (
        "Close survey waves past their closing time and e-mail fresh links to invitees who "
        "have not answered (each wave's reminder interval applies). Run it daily from cron."
    )

    def add_arguments(self, parser):
        parser.add_argument("--org", help="only this organisation (slug)")
        parser.add_argument("--wave", type=int, help="only this wave (id)")
        parser.add_argument(
            "--enqueue", action="store_true", help="queue it as a background task instead"
        )

    def handle(self, *args, org=None, wave=None, enqueue=False, **options):
        if enqueue:
            result = send_reminders.enqueue(organization_slug=org, wave_id=wave)
            self.stdout.write(f"Queued reminder task {result.id}.")
            return
        outcome = reminders_run(organization_slug=org, wave_id=wave)
        for name in outcome["closed"]:
            self.stdout.write(f"Closed {name}.")
        for name, count in outcome["reminded"].items():
            self.stdout.write(f"{name}: {count} reminder(s) e-mailed.")
        if not outcome["closed"] and not outcome["reminded"]:
            self.stdout.write("No open waves.")
